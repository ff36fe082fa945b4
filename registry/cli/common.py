"""What CLI commands share: settings, a session whose transaction the command commits, output."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from alembic.config import Config
from sqlalchemy.orm import Session

from registry.config import ConfigError, Settings
from registry.db import make_engine, make_sessionmaker
from registry.errors import RegistryError
from registry.services import rulefiles

ROOT = Path(__file__).resolve().parent.parent.parent


def _check_development_data(create: bool) -> None:
    """In development with nothing configured, the data is ./var: a command run from another folder
    would make a new ./var there (new keys, an empty database) and then fail on the missing tables.
    Say where it looked and what to do instead; only `registry db upgrade` (`create`) makes it."""
    env = os.environ
    if create or env.get("REGISTRY_ENV", "development") != "development":
        return
    if env.get("REGISTRY_VAR_DIR") or env.get("REGISTRY_DATABASE_URL"):
        return
    var_dir = Path("var").resolve()
    if not var_dir.exists():
        raise click.ClickException(
            f"no registry data in {var_dir}: run `registry db upgrade` (or `make run`) in the project "
            "folder, or set REGISTRY_VAR_DIR (or REGISTRY_DATABASE_URL) to where the data is"
        )


def settings(served: tuple[str, int] | None = None, *, create: bool = False) -> Settings:
    """The process's settings; the rule files the domain reads are configured from them here.

    `served`: the (host, port) `registry serve` serves on (see `Settings.from_env`). `create`: the
    command makes the development data (./var) when it is missing; others refuse to (see above)."""
    _check_development_data(create)
    try:
        config = Settings.from_env(served=served)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    rulefiles.configure(config.rule_files)
    return config


@contextlib.contextmanager
def session_scope(config: Settings | None = None) -> Iterator[Session]:
    """One transaction per command: committed on success, rolled back on any error.

    A domain error (unknown agency, duplicate, invalid value) is the operator's to fix: it is shown as
    one line and exit status 1, not as a traceback."""
    config = config or settings()
    engine = make_engine(config.database_url)
    session = make_sessionmaker(engine)()
    try:
        yield session
        session.commit()
    except RegistryError as exc:
        session.rollback()
        raise click.ClickException(exc.detail) from exc
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
        engine.dispose()


def alembic_config(database_url: str) -> Config:
    from registry.health import alembic_config as config_for

    return config_for(database_url)


def emit(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
    else:
        click.echo(text)


def progress(iterable: Any, label: str, length: int | None = None) -> Any:
    """A progress bar on a terminal; quiet lines elsewhere (logs, CI)."""
    return click.progressbar(iterable, label=label, length=length, file=sys.stderr, show_pos=True)
