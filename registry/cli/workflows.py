"""`registry workflows tick`: the periodic job (cron, systemd timer) of every workflow.

Each entry of TICKS is "module:function", called as fn(session, now=...) -> {counter: n}, each in a
transaction of its own so one workflow's failure does not undo another's work.
"""

from __future__ import annotations

import importlib
import json

import click

from registry.cli.common import session_scope
from registry.db import utcnow

TICKS: tuple[str, ...] = ("registry.services.blocking:tick", "registry.services.freezing:tick")


@click.group(help="Workflow engine jobs (block requests, freeze orders).")
def workflows() -> None:
    pass


@workflows.command(help="Expire what is past its validity; run it every few minutes from cron.")
@click.option("--json", "as_json", is_flag=True)
def tick(as_json: bool) -> None:
    now = utcnow()
    results: dict[str, dict[str, int]] = {}
    failed = []
    for spec in TICKS:
        module, _, name = spec.partition(":")
        fn = getattr(importlib.import_module(module), name)
        try:
            with session_scope() as session:
                results[spec] = fn(session, now=now)
        except Exception as exc:  # one workflow's failure must not stop the others
            failed.append(spec)
            click.echo(f"{spec}: failed: {exc}", err=True)
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        for spec, counts in results.items():
            click.echo(f"{spec}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    if failed:
        raise SystemExit(1)
