from __future__ import annotations

import click
from alembic import command

from registry.cli.common import alembic_config, settings


@click.group(help="Database schema (Alembic migrations).")
def db() -> None:
    pass


@db.command(help="Upgrade the schema to the latest revision (creates the SQLite file if needed).")
@click.option("--revision", default="heads", show_default=True)
def upgrade(revision: str) -> None:
    config = settings(create=True)
    if config.database_url.startswith("sqlite:///"):
        from pathlib import Path

        Path(config.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(config.database_url), revision)
    click.echo(f"schema at {revision}")


@db.command(help="Downgrade the schema (default: one step).")
@click.option("--revision", default="-1", show_default=True)
def downgrade(revision: str) -> None:
    command.downgrade(alembic_config(settings().database_url), revision)
    click.echo(f"schema downgraded to {revision}")


@db.command(help="Show the current revision.")
def current() -> None:
    command.current(alembic_config(settings().database_url))
