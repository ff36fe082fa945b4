"""A live registry in a server thread, on a database of its own whose data commits, and a headless
Chromium (Debian's chromium and chromium-driver) driven by Selenium.

Without Chromium the browser tests skip, saying why; with CI=true (.ci/run) a missing browser fails
them, as REQUIRE_POSTGRES makes a missing PostgreSQL fail."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from registry.app import create_app
from registry.db import make_engine
from registry.services import rulefiles

CHROMIUM = os.environ.get("REGISTRY_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("REGISTRY_CHROMEDRIVER", "/usr/bin/chromedriver")


def _browser_missing() -> str | None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not shutil.which(path)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    return (
        f"browser tests need {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if missing
        else None
    )


@pytest.fixture(scope="module")
def live(settings: Any, fresh_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """(base URL, app) of a registry served by a thread; its issuer is that address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    app = create_app(
        dataclasses.replace(
            settings, database_url=fresh_database, issuer=base, var_dir=tmp_path_factory.mktemp("live")
        )
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, app
    finally:
        server.shutdown()
        thread.join(5)
        app.extensions["registry"].engine.dispose()
        rulefiles.configure(settings.rule_files)


@pytest.fixture(scope="module")
def committed(fresh_database: str) -> Iterator[Session]:
    """A session on the live registry's database whose commits the server sees."""
    engine = make_engine(fresh_database)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture
def browser(tmp_path: Any) -> Iterator[Any]:
    """A headless Chromium; its last page is saved as tmp_path/last-page.png when the test ends."""
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--lang=vi", "--disable-extensions"):  # fmt: skip
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "vi,en"})  # a Vietnamese officer
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.save_screenshot(str(tmp_path / "last-page.png"))
        driver.quit()
