"""The `registry` command. Each area's commands live in a module of this package."""

from __future__ import annotations

import importlib

import click

# Each module defines `register(group: click.Group) -> None`.
COMMAND_MODULES = ("db", "serve", "agencies", "demo", "clients", "keys", "audit", "blocking", "workflows")


@click.group(help="Inter-agency e-commerce violator registry (National Steering Committee 389).")
@click.version_option(package_name="registry")
def main() -> None:
    pass


for _name in COMMAND_MODULES:
    importlib.import_module(f"registry.cli.{_name}").register(main)
