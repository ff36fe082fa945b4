from __future__ import annotations

import json
from http import HTTPStatus

import click
from werkzeug.serving import WSGIRequestHandler

from registry.api.problems import PROBLEM_BASE

_SLUGS = {414: "uri-too-long", 431: "headers-too-large", 400: "bad-request", 501: "not-implemented"}
_DETAILS = {
    414: "The request line is too long; send long values in a request body.",
    431: "A request header is too long, or there are too many headers.",
}


class PathOnlyRequestHandler(WSGIRequestHandler):
    """Logs the path without its query string: lookups carry bank accounts and IDs there.

    Requests refused before they reach the app (a request line over 64 KiB: 414; a header line over
    64 KiB: 431; a malformed request line: 400) are answered as problem documents, like every other
    error, without echoing the request line or logging it.
    """

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = (getattr(self, "path", None) or "-").split("?", 1)[0]
        self.log("info", '"%s %s" %s %s', getattr(self, "command", None) or "-", path, code, size)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        status = HTTPStatus(code)
        self.log("error", "refused before the application: %s %s", code, status.phrase)
        body = json.dumps(
            {
                "type": PROBLEM_BASE + _SLUGS.get(code, "bad-request"),
                "title": status.phrase,
                "status": code,
                "detail": _DETAILS.get(code, status.description or status.phrase),
            }
        ).encode()
        self.send_response(code)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(body)


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
    if config.production:
        raise click.ClickException(
            "registry serve is the development server; production runs gunicorn "
            "(gunicorn -c deploy/gunicorn.conf.py 'registry.wsgi:app', deploy/README.md)"
        )
    app = create_app(config)
    base = development_issuer(host, port)
    click.echo(f"API docs:      {base}/api/v1/docs")
    click.echo(f"OpenAPI:       {base}/api/v1/openapi.json")
    click.echo(f"Token metadata: {base}/.well-known/oauth-authorization-server")
    if config.session_key:
        # The console's login comes back to the issuer's address: open it there (a cookie set for
        # 127.0.0.1 is not sent to localhost).
        click.echo(f"Console:       {config.issuer}/console/")
    if config.development_idp:
        from registry.auth import devidp

        click.echo("Demo logins (development identity provider; choose one on the login page):")
        for officer in devidp.officers():
            roles = ", ".join(officer.roles)
            click.echo(f"  {officer.sub:<14} {officer.agency:<12} {officer.name} ({roles})")
    demo = config.var_dir / "demo-clients.txt"
    if demo.exists():
        click.echo(f"Demo clients and how to get a token: {demo} (with REGISTRY={base})")
    app.run(host=host, port=port, debug=False, request_handler=PathOnlyRequestHandler)
