"""`registry workflows tick`: the periodic job (cron, systemd timer) of every workflow.

Each of TICKS is called as fn(session, now=...) -> {counter: n}, each in a transaction of its own so
one workflow's failure does not undo another's work. It is the only place that expires anything:
reads show a record past its end as expired without writing.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from registry.cli.common import session_scope
from registry.db import utcnow
from registry.services import blocking, freezing, screening, workdays

TICKS: dict[str, Callable[..., dict[str, int]]] = {
    "blocking": blocking.tick,
    "freezing": freezing.tick,
    "screening": screening.tick,
    "calendar": workdays.calendar_tick,  # fails while a year in use lacks the Government's swapped days
}


@click.group(help="Workflow engine jobs (block requests, freeze orders).")
def workflows() -> None:
    pass


@workflows.command(help="Expire what is past its validity; run it every few minutes from cron.")
@click.option("--json", "as_json", is_flag=True)
def tick(as_json: bool) -> None:
    now = utcnow()
    results: dict[str, dict[str, int]] = {}
    failed = []
    for spec, fn in TICKS.items():
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
