"""`registry jobs worker`: a process of the job queue (registry/jobs.py), as many as the load needs."""

from __future__ import annotations

import click

from registry.cli.common import settings


@click.group(help="The job queue's workers (screenings of long lists, partner exports).")
def jobs() -> None:
    pass


@jobs.command(
    help="Run jobs from the queue (REGISTRY_JOB_QUEUE=redis://...) until stopped; with --burst, until "
    "the queue is empty. A worker stopped mid-job loses at most the part it was doing: `registry "
    "workflows tick` queues a stalled job again and the next worker goes on from there."
)
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker(burst: bool) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker

    from registry import jobs as queue

    config = settings()
    if config.job_queue == queue.INLINE:
        raise click.ClickException(
            "REGISTRY_JOB_QUEUE is inline: jobs run in the web process. "
            "Set it to a redis:// URL to run workers."
        )
    queue.configure_worker(config)  # RQ's own lines go through the registry's logging (the `registry` group)
    connection = Redis.from_url(config.job_queue)
    SimpleWorker([Queue(queue.QUEUE_NAME, connection=connection)], connection=connection).work(
        burst=burst, with_scheduler=False
    )
