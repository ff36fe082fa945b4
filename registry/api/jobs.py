"""Handing a job to the job queue (registry/jobs.py) from a request: once the request has committed."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from flask import after_this_request, current_app

from registry import jobs
from registry.api.context import app_state, db


def start_job(kind: str, job_id: uuid.UUID) -> None:
    """Hand the job to the job queue once the request has committed: RQ's queue, or (inline) a thread of
    this process. Under testing an inline job runs in the request, in its transaction. A job the queue
    never got (Redis down) stays queued; the workflows' tick queues it again."""
    registry = app_state()
    if current_app.testing and registry.settings.job_queue == jobs.INLINE:
        jobs.run_in(db(), registry.cipher, kind, job_id, commit=db().flush)
        return
    runner = jobs.Runner(registry.sessionmaker, registry.cipher)
    if registry.settings.job_queue == jobs.INLINE:
        start = functools.partial(jobs.start_in_thread, runner, kind, job_id)
    else:
        start = functools.partial(jobs.enqueuer(registry.settings, runner), kind, job_id)

    @after_this_request
    def start_after_commit(response: Any) -> Any:
        response.call_on_close(start)
        return response
