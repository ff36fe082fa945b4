from __future__ import annotations

import click
from werkzeug.serving import WSGIRequestHandler


class PathOnlyRequestHandler(WSGIRequestHandler):
    """Logs the path without its query string: lookups carry bank accounts and IDs there."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        self.log("info", '"%s %s" %s %s', self.command, path, code, size)


@click.command(
    help="Run the development server (use gunicorn 'registry.wsgi:app' in production). Unless "
    "REGISTRY_ISSUER is set, the OAuth issuer is the address served: http://HOST:PORT."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on."
)
def serve(host: str, port: int) -> None:
    from registry.app import create_app
    from registry.cli.common import settings
    from registry.config import development_issuer

    config = settings(served=(host, port))
    app = create_app(config)
    base = development_issuer(host, port)
    click.echo(f"API docs:      {base}/api/v1/docs")
    click.echo(f"OpenAPI:       {base}/api/v1/openapi.json")
    click.echo(f"Token metadata: {base}/.well-known/oauth-authorization-server")
    demo = config.var_dir / "demo-clients.txt"
    if demo.exists():
        click.echo(f"Demo clients and how to get a token: {demo} (with REGISTRY={base})")
    app.run(host=host, port=port, debug=False, request_handler=PathOnlyRequestHandler)
