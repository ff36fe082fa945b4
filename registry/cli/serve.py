from __future__ import annotations

import click
from werkzeug.serving import WSGIRequestHandler


class PathOnlyRequestHandler(WSGIRequestHandler):
    """Logs the path without its query string: lookups carry bank accounts and IDs there."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        self.log("info", '"%s %s" %s %s', self.command, path, code, size)


@click.command(help="Run the development server (use gunicorn 'registry.wsgi:app' in production).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    from registry.app import create_app
    from registry.cli.common import settings

    config = settings()
    app = create_app(config)
    base = f"http://{host}:{port}"
    click.echo(f"API docs:      {base}/api/v1/docs")
    click.echo(f"OpenAPI:       {base}/api/v1/openapi.json")
    click.echo(f"Token metadata: {base}/.well-known/oauth-authorization-server")
    demo = config.var_dir / "demo-clients.txt"
    if demo.exists():
        click.echo(f"Demo clients and how to get a token: {demo}")
    app.run(host=host, port=port, debug=False, request_handler=PathOnlyRequestHandler)
