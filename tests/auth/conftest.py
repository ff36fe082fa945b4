"""Fixtures for the OAuth tests: dedicated apps, fresh committed databases and a live HTTP server."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from registry.app import create_app
from registry.config import Settings
from tests.auth.helpers import LiveServer
from tests.factories import DATA_KEY, LOOKUP_KEY


@pytest.fixture
def app_with(app: Flask, db: Session) -> Callable[..., Flask]:
    """A separate app (its own limiter, settings) that works in the test's rolled-back transaction."""
    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        settings = dataclasses.replace(app.extensions["registry"].settings, **overrides)
        other = create_app(settings)
        other.extensions["registry"].sessionmaker = app.extensions["registry"].sessionmaker
        made.append(other)
        return other

    yield build
    for other in made:
        other.extensions["registry"].engine.dispose()


@pytest.fixture(scope="module")
def live_server(fresh_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app served over real HTTP on 127.0.0.1 (port chosen by the OS), on its own database."""
    holder: dict[str, Flask] = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    settings = Settings.from_env(
        {},
        env="testing",
        database_url=fresh_database,
        var_dir=tmp_path_factory.mktemp("live-var"),
        data_key=DATA_KEY,
        lookup_key=LOOKUP_KEY,
        issuer=url,
        rate_limit="100000 per minute",
    )
    holder["app"] = create_app(settings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(holder["app"], url)
    server.shutdown()
    thread.join(5)
    holder["app"].extensions["registry"].engine.dispose()
