"""The registry's log lines: JSON in production (one object a line, for the data centre's collector), text
in a terminal; each line written while a request is served carries that request's id, the id the
client got in `X-Request-Id` and in an error's problem document, and that its audit entry records.
The API sets them up (registry/app.py) and so does every `registry` command, before it runs
(registry/cli/__init__.py): the sequencer's, the clock's and the workers' lines are in the same format.

What is logged is the code's own messages: never a token, a personal ID or an account number (the
access log of gunicorn, deploy/gunicorn.conf.py, logs the path without the query for the same reason).
tests/test_observability.py greps every line a run of requests wrote for the values it sent.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from registry.config import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id")
_HANDLER_NAME = "registry"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the id of the request being served, else "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _current_request_id()
        return True


def _current_request_id() -> str:
    from flask import g, has_app_context

    return (g.get("request_id") if has_app_context() else None) or "-"


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return JsonFormatter(
            list(JSON_FIELDS),
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    return logging.Formatter(TEXT_FORMAT)


class StderrHandler(logging.StreamHandler):
    """Writes to the process's stderr as it is when a line is written, not as it was when logging was
    set up: a command run by click's test runner, or under pytest's capture, logs where its output goes."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr


def configure(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """The API's logging (registry/app.py): see `configure_format`."""
    return configure_format(settings.log_format, stream)


def configure_format(kind: str, stream: TextIO | None = None) -> logging.Handler:
    """One handler on the root logger, in format `kind` (json or text), with the request id, on stderr
    unless `stream`; made once per process (a second app in the same process, as in the tests, or the
    app a command builds after the `registry` group set up its logging, replaces it rather than adding
    one). Every `registry` command calls it first (registry/cli/__init__.py): their lines are the API's."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter(kind))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    if root.level == logging.WARNING or root.level == logging.NOTSET:  # Python's default: say INFO too
        root.setLevel(logging.INFO)
    return handler
