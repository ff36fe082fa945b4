"""The job queue: work too long for a request (screenings of more than 10,000 items, partner exports)
runs apart from it.

`REGISTRY_JOB_QUEUE` chooses how:

- `inline` (the development default, so that `make run` needs nothing more): a thread of the web
  process starts the job once its submission has committed (under testing, the request runs it). A
  restart of the process stops the job; the workflows' tick queues it again, and it runs in the tick.
- `redis://host:6379/2`: RQ (python-rq) on the Redis the rate limits already use. `registry jobs worker`
  processes, on any machine, run the jobs (deploy/registry-jobs-worker@.service). A job keeps its input
  and each part's output in the database (services/screening.run_job, services/exchange/export.run), so
  a worker killed mid-job loses at most the part it was doing: the tick queues a stalled job again and
  the next worker goes on.

The queue carries only a job's kind and id; its input, output and caller stay in the database (a
screening's list and answer encrypted).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from registry.config import Settings
from registry.db import make_engine, make_sessionmaker
from registry.fieldcrypt import FieldCipher
from registry.services import rulefiles, screening
from registry.services.exchange import export

QUEUE_NAME = "registry"
INLINE = "inline"
SCREENING, EXPORT = "screening", "exchange-export"  # the kinds of job
# Seconds RQ lets one run take: 200,000 items take a few minutes; a national export about an hour (bench/
# README, "Partner exchange"). A run stopped at its limit is queued again by the tick and goes on.
JOB_TIMEOUTS = {SCREENING: 3600, EXPORT: 6 * 3600}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runner:
    """What a job needs to run: database sessions and the field cipher."""

    sessions: sessionmaker
    cipher: FieldCipher

    def run(self, kind: str, job_id: uuid.UUID) -> None:
        """One job of `kind`, from where it stands, in a session of its own."""
        session = self.sessions()
        try:
            run_in(session, self.cipher, kind, job_id, commit=session.commit)
        finally:
            session.close()


def run_in(
    session: Session, cipher: FieldCipher, kind: str, job_id: uuid.UUID, *, commit: Callable[[], None]
) -> None:
    """One job of `kind` in `session`, `commit` after each part (a flush when a test runs it inline)."""
    if kind == SCREENING:
        screening.run_job(session, cipher=cipher, job_id=job_id, commit=commit)
    elif kind == EXPORT:
        export.run(session, export_id=job_id, commit=commit)
    else:
        raise ValueError(f"no job kind {kind!r}")


_worker: Runner | None = None


def configure_worker(settings: Settings) -> Runner:
    """The worker process's runner, made once from its settings (`registry jobs worker`)."""
    global _worker
    rulefiles.configure(settings.rule_files)
    engine = make_engine(settings.database_url)
    _worker = Runner(make_sessionmaker(engine), FieldCipher(settings.data_key, settings.lookup_key))
    return _worker


def work(kind: str, job_id: str) -> None:
    """What an RQ worker runs (by this dotted name): one job, from where it stands."""
    runner = _worker or configure_worker(Settings.from_env())
    runner.run(kind, uuid.UUID(job_id))


def redis_queue(settings: Settings) -> Any:
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(settings.job_queue))


def enqueuer(settings: Settings, runner: Runner) -> Callable[[str, uuid.UUID], None]:
    """How to hand a committed job to the queue: RQ's enqueue, or (inline) run it here and now."""
    if settings.job_queue == INLINE:
        return runner.run
    queue = redis_queue(settings)

    def enqueue(kind: str, job_id: uuid.UUID) -> None:
        queue.enqueue(
            work,
            kind,
            str(job_id),
            job_id=f"{kind}-{job_id}-{uuid.uuid4().hex[:8]}",
            job_timeout=JOB_TIMEOUTS[kind],
            result_ttl=0,
            failure_ttl=7 * 86400,
        )

    return enqueue


def start_in_thread(runner: Runner, kind: str, job_id: uuid.UUID) -> None:
    """Inline: the job in a thread of this process (a web process's, after the response)."""
    threading.Thread(target=runner.run, args=(kind, job_id), name=f"{kind}-{job_id}", daemon=True).start()
