"""The job queue: work too long for a request (screenings of more than 10,000 items) runs apart from it.

`REGISTRY_JOB_QUEUE` chooses how:

- `inline` (the development default, so that `make run` needs nothing more): a thread of the web
  process starts the job once its submission has committed (under testing, the request runs it). A
  restart of the process stops the job; the workflows' tick queues it again, and it runs in the tick.
- `redis://host:6379/2`: RQ (python-rq) on the Redis the rate limits already use. `registry jobs worker`
  processes, on any machine, run the jobs (deploy/registry-jobs-worker.service). A job keeps its list and
  each part's answer in the database (services/screening.run_job), so a worker killed mid-job loses at
  most the part it was screening: the tick queues a stalled job again and the next worker goes on.

The queue carries only a job's id; the list, the answer and the caller stay in the database, encrypted.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import sessionmaker

from registry.config import Settings
from registry.db import make_engine, make_sessionmaker
from registry.fieldcrypt import FieldCipher
from registry.services import rulefiles, screening

QUEUE_NAME = "registry"
JOB_TIMEOUT = 3600  # seconds RQ lets one run take (200,000 items take a few minutes)
INLINE = "inline"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runner:
    """What a job needs to run: database sessions and the field cipher."""

    sessions: sessionmaker
    cipher: FieldCipher

    def screening(self, job_id: uuid.UUID) -> None:
        session = self.sessions()
        try:
            screening.run_job(session, cipher=self.cipher, job_id=job_id, commit=session.commit)
        finally:
            session.close()


_worker: Runner | None = None


def configure_worker(settings: Settings) -> Runner:
    """The worker process's runner, made once from its settings (`registry jobs worker`)."""
    global _worker
    rulefiles.configure(settings.rule_files)
    engine = make_engine(settings.database_url)
    _worker = Runner(make_sessionmaker(engine), FieldCipher(settings.data_key, settings.lookup_key))
    return _worker


def work_screening(job_id: str) -> None:
    """What an RQ worker runs (by this dotted name): one screening job, from where it stands."""
    runner = _worker or configure_worker(Settings.from_env())
    runner.screening(uuid.UUID(job_id))


def redis_queue(settings: Settings) -> Any:
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(settings.job_queue))


def enqueuer(settings: Settings, runner: Runner) -> Callable[[uuid.UUID], None]:
    """How to hand a committed job to the queue: RQ's enqueue, or (inline) run it here and now."""
    if settings.job_queue == INLINE:
        return runner.screening
    queue = redis_queue(settings)

    def enqueue(job_id: uuid.UUID) -> None:
        queue.enqueue(
            work_screening,
            str(job_id),
            job_id=f"screening-{job_id}-{uuid.uuid4().hex[:8]}",
            job_timeout=JOB_TIMEOUT,
            result_ttl=0,
            failure_ttl=7 * 86400,
        )

    return enqueue


def start_in_thread(runner: Runner, job_id: uuid.UUID) -> None:
    """Inline: the job in a thread of this process (a web process's, after the response)."""
    threading.Thread(target=runner.screening, args=(job_id,), name=f"screening-{job_id}", daemon=True).start()
