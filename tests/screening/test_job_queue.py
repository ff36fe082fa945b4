"""The job queue (registry/jobs.py): a screening job keeps its list and its parts, so that a worker killed
mid-job is followed by one that goes on from the last part done; with RQ workers as production runs them."""

from __future__ import annotations

import dataclasses
import functools
import os
import signal
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry import jobs
from registry.app import create_app
from registry.db import utcnow
from registry.models import JobStatus, ScreeningJob, ScreeningJobPart
from registry.services import screening
from tests.auth.test_limits import redis_url  # noqa: F401 - the fixture
from tests.factories import Actors
from tests.screening.helpers import SCREENINGS
from tests.servers import registry, registry_env

TAX = "0100109106"


def _items(count: int) -> list[dict[str, str]]:
    return [{"kind": "domain", "value": f"q{i}.vn"} for i in range(count)]


def _runner(app) -> jobs.Runner:  # type: ignore[no-untyped-def]
    state = app.extensions["registry"]
    return jobs.Runner(state.sessionmaker, state.cipher)


def _principal(actors):  # type: ignore[no-untyped-def]
    from registry.auth.principal import Principal

    agency = actors.agency("MOF-CUSTOMS")
    return Principal("a-client", agency.code, agency.id, agency.kind, frozenset({"registry:read"}))


def test_a_stalled_job_goes_on_from_the_last_part_done(app, client, actors, db):
    """A worker that stopped after its first part: the tick queues the job again, and the next run
    screens only the parts not done (the first part's answer is the one stored, not screened anew)."""
    headers = actors.headers("MOF-CUSTOMS")
    state = app.extensions["registry"]
    items = _items(screening.MAX_ITEMS * 2 + 1)
    job = screening.create_job(db, principal=_principal(actors), items=items, cipher=state.cipher)
    # What the stopped worker left: its first part (marked, to tell it from a part screened anew).
    marker = [{"input_index": i, "status": "stored-by-the-first-run"} for i in range(screening.MAX_ITEMS)]
    sealed = screening._seal(
        [marker, [["domain", "x"]] * screening.MAX_ITEMS], state.cipher, f"screening-part:{job.id}:0"
    )
    db.add(ScreeningJobPart(job_id=job.id, start=0, size=screening.MAX_ITEMS, matches=0, sealed=sealed))
    job.status, job.attempts, job.processed = JobStatus.RUNNING, 1, screening.MAX_ITEMS
    db.flush()
    job.updated_at = utcnow() - timedelta(minutes=11)
    db.flush()
    shown = client.get(f"{SCREENINGS}/{job.id}", headers=headers).json
    assert shown["status"] == "running" and shown["error"] is None  # it can go on: not shown as failed

    ran = []

    def requeue(job_id: uuid.UUID) -> None:
        ran.append(job_id)
        screening.run_job(db, cipher=state.cipher, job_id=job_id, commit=db.flush)

    assert screening.tick(db, now=utcnow(), requeue=requeue) == {
        "screenings_failed": 0,
        "screenings_requeued": 1,
    }
    assert ran == [job.id]
    db.expire_all()
    done = db.get(ScreeningJob, job.id)
    assert done.status == JobStatus.DONE and done.attempts == 2 and done.processed == len(items)
    results = screening.job_results(done, state.cipher)
    assert len(results) == len(items)
    assert results[: screening.MAX_ITEMS] == marker  # not screened again
    assert results[screening.MAX_ITEMS]["input_index"] == screening.MAX_ITEMS
    # Nothing of the list is kept once the job has ended.
    assert done.items_enc is None
    assert (
        db.scalar(select(func.count()).select_from(ScreeningJobPart).where(ScreeningJobPart.job_id == job.id))
        == 0
    )


def test_a_job_that_stopped_every_worker_is_failed_not_retried_for_ever(app, actors, db):
    cipher = app.extensions["registry"].cipher
    job = screening.create_job(db, principal=_principal(actors), items=_items(10_001), cipher=cipher)
    job.status, job.attempts = JobStatus.RUNNING, screening.MAX_ATTEMPTS
    db.flush()
    job.updated_at = utcnow() - timedelta(minutes=11)
    db.flush()
    requeued = []
    assert screening.tick(db, now=utcnow(), requeue=requeued.append) == {
        "screenings_failed": 1,
        "screenings_requeued": 0,
    }
    assert requeued == [] and job.status == JobStatus.FAILED and job.items_enc is None


# -- RQ workers, as production runs them: real commits, a real Redis, worker processes ------------------


@pytest.fixture
def queued_app(settings, fresh_database, redis_url):  # noqa: F811 - the fixture
    """An app whose jobs go to RQ, on a Redis database of this test process's own: two tests running at
    once (pytest -n) would otherwise empty each other's queue, and one's worker take the other's jobs.
    Databases 8-11: 13 is the bring-up test's, 14 and 15 the limits'."""
    import redis

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    queue_url = f"{redis_url.rsplit('/', 1)[0]}/{8 + int(worker or 0) % 4}"
    redis.Redis.from_url(queue_url).delete(f"rq:queue:{jobs.QUEUE_NAME}")
    app = create_app(dataclasses.replace(settings, database_url=fresh_database, job_queue=queue_url))
    yield app
    app.extensions["registry"].engine.dispose()


def _processed(engine, job_id: uuid.UUID) -> int:  # type: ignore[no-untyped-def]
    """The job's progress, read outside the engine's transactions: on SQLite they begin IMMEDIATE, and
    would wait behind the worker's writes instead of seeing each one as it commits."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        value = job_id.hex if engine.dialect.name == "sqlite" else str(job_id)
        cursor.execute(
            "SELECT processed FROM screening_job WHERE id = %s".replace(
                "%s", "?" if engine.dialect.name == "sqlite" else "%s"
            ),
            (value,),
        )
        row = cursor.fetchone()
        raw.rollback()
        return int(row[0]) if row else 0
    finally:
        raw.close()


def _worker(database: str, queue: str, tmp_path: Path, *, burst: bool) -> subprocess.Popen:
    """`registry jobs worker` in a process of its own, as deploy/registry-jobs-worker@.service runs it."""
    env = registry_env(database, tmp_path / "var", REGISTRY_JOB_QUEUE=queue)
    burst_option = ["--burst"] if burst else []
    return registry(
        "jobs", "worker", *burst_option, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_a_worker_killed_mid_job_loses_nothing_and_the_next_one_finishes(queued_app, tmp_path):
    state = queued_app.extensions["registry"]
    session = state.sessionmaker()
    actors = Actors(queued_app, session)
    headers = actors.headers("MOF-CUSTOMS")
    session.commit()
    # Four parts: the worker is killed once the first is stored, before the last.
    items = [{"kind": "tax_code", "value": TAX}, *_items(screening.MAX_ITEMS * 4)]
    client = queued_app.test_client()
    submitted = client.post(SCREENINGS, json={"items": items}, headers=headers)
    assert submitted.status_code == 202, submitted.json
    submitted.close()  # the response's close hands the committed job to the queue
    job_id = uuid.UUID(submitted.json["id"])

    def job() -> ScreeningJob:
        session.expire_all()
        found = session.get(ScreeningJob, job_id)
        session.commit()
        return found

    database, queue = state.settings.database_url, state.settings.job_queue
    worker = _worker(database, queue, tmp_path, burst=False)
    try:
        deadline = time.monotonic() + 120
        while _processed(state.engine, job_id) < screening.MAX_ITEMS and time.monotonic() < deadline:
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)  # as the OOM killer or a lost machine would
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    stopped = job()
    assert stopped.status == JobStatus.RUNNING, "the worker finished before it was killed: nothing was shown"
    assert screening.MAX_ITEMS <= stopped.processed < stopped.total
    # The workflows' tick, once the job has been silent long enough, hands it to the queue again.
    later = utcnow() + screening.INTERRUPTED_AFTER + timedelta(seconds=1)
    requeue = jobs.enqueuer(state.settings, jobs.Runner(state.sessionmaker, state.cipher))
    counts = screening.tick(session, now=later, requeue=functools.partial(requeue, jobs.SCREENING))
    session.commit()
    assert counts == {"screenings_failed": 0, "screenings_requeued": 1}
    second = _worker(database, queue, tmp_path, burst=True)
    assert second.wait(timeout=180) == 0
    finished = job()
    assert finished.status == JobStatus.DONE and finished.attempts == 2
    answer = client.get(f"{SCREENINGS}/{job_id}", headers=headers).json
    assert answer["status"] == "done" and answer["processed"] == len(items)
    assert len(screening.job_results(finished, state.cipher)) == len(items)
    session.close()
