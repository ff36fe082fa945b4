"""`registry workflows tick`: the periodic job (cron, systemd timer) of every workflow.

Each of TICKS is called as fn(session, now=...) -> {counter: n}, each in a transaction of its own so
one workflow's failure does not undo another's work. It is the only place that expires anything:
reads show a record past its end as expired without writing.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Callable

import click

from registry import jobs
from registry.cli.common import session_scope, settings
from registry.db import make_engine, make_sessionmaker, utcnow
from registry.fieldcrypt import FieldCipher
from registry.services import blocking, freezing, reports, screening, workdays
from registry.services.exchange import export

log = logging.getLogger(__name__)

TICKS: dict[str, Callable[..., dict[str, int]]] = {
    "blocking": blocking.tick,
    "freezing": freezing.tick,
    "screening": screening.tick,
    "exports": export.tick,
    "calendar": workdays.calendar_tick,  # fails while a year in use lacks the Government's swapped days
    "reports": reports.summary.tick,  # the cases in figures, counted before a report needs them
}

# The ticks that queue stalled jobs again, and the kind of job each queues (registry/jobs.py).
JOB_TICKS = {"screening": jobs.SCREENING, "exports": jobs.EXPORT}


@click.group(help="Workflow engine jobs (block requests, freeze orders).")
def workflows() -> None:
    pass


@workflows.command(
    help="Expire what is past its validity and count the reports' figures; run it every few minutes. "
    "Each workflow's counts are a log line on stderr (REGISTRY_LOG_FORMAT); --json prints them on "
    "stdout too."
)
@click.option("--json", "as_json", is_flag=True)
def tick(as_json: bool) -> None:
    now = utcnow()
    results: dict[str, dict[str, int]] = {}
    failed = []
    # Stalled jobs the tick puts back in the queue: handed to it once the tick has committed.
    requeue: list[tuple[str, uuid.UUID]] = []
    ticks = dict(TICKS)
    for spec, kind in JOB_TICKS.items():
        if spec in ticks:
            ticks[spec] = functools.partial(ticks[spec], requeue=functools.partial(_later, requeue, kind))
    for spec, fn in ticks.items():
        try:
            with session_scope() as session:
                results[spec] = fn(session, now=now)
        except Exception as exc:  # one workflow's failure must not stop the others
            failed.append(spec)
            # The error's own text: the engine hides statements' parameters from it (registry.db).
            log.error("%s: failed: %s", spec, exc, extra={"workflow": spec})
    if requeue:
        _requeue(requeue)
    # Each workflow's counts are a log line (the timer runs every minute: JSON in production); --json
    # also prints them as one document on stdout, for a script.
    for spec, counts in results.items():
        text = ", ".join(f"{k}={v}" for k, v in counts.items())
        log.info("%s: %s", spec, text, extra={"workflow": spec, "counts": counts})
    if as_json:
        click.echo(json.dumps(results, indent=2))
    if failed:
        raise SystemExit(1)


def _later(requeue: list[tuple[str, uuid.UUID]], kind: str, job_id: uuid.UUID) -> None:
    requeue.append((kind, job_id))


def _requeue(job_ids: list[tuple[str, uuid.UUID]]) -> None:
    """The job queue takes them (inline: they run here, one after another)."""
    config = settings()
    cipher = FieldCipher(config.data_key, config.lookup_key)
    runner = jobs.Runner(make_sessionmaker(make_engine(config.database_url)), cipher)
    enqueue = jobs.enqueuer(config, runner)
    for kind, job_id in job_ids:
        enqueue(kind, job_id)
