"""No server's access log may carry the query string, where lookups put sensitive values."""

from __future__ import annotations

import contextlib
import logging
import runpy
import threading
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

from werkzeug.serving import make_server

from registry.cli.serve import PathOnlyRequestHandler

LOOKUP = "/api/v1/identifiers/lookup?kind=bank_account&value=VCB:0011001234567"


def test_development_server_logs_path_without_query(app, caplog):
    server = make_server("127.0.0.1", 0, app, request_handler=PathOnlyRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # A 401 is expected (no token); only the access-log line matters here.
        with caplog.at_level(logging.INFO, logger="werkzeug"), contextlib.suppress(HTTPError):
            urlopen(f"http://127.0.0.1:{server.server_port}{LOOKUP}")
    finally:
        server.shutdown()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/api/v1/identifiers/lookup" in logged
    assert "0011001234567" not in logged and "value=" not in logged


def test_gunicorn_writes_no_access_log_of_its_own():
    """The registry's own access line logs the route's rule (tests/test_observability.py); gunicorn's
    would log the path, where an identifier may stand."""
    settings = runpy.run_path(str(Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"))
    assert settings["accesslog"] is None
