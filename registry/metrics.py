"""Prometheus metrics: what the API served, and the registry's state read at each scrape.

Counted as requests are served (registry/api/metrics.py records them):
  registry_http_requests_total{endpoint, method, status}
  registry_http_request_duration_seconds{endpoint, method} (histogram)
`endpoint` is the route's rule (`/api/v1/subjects/<uuid:subject_id>`), never the path a client sent, so
no identifier reaches a label and the series stay few.

Read from the database at each scrape (StateCollector):
  registry_audit_backlog_entries               audit entries committed, not yet sequenced
  registry_audit_oldest_waiting_seconds        how long the oldest of them has waited
  registry_audit_checkpoint_age_seconds        since the last signed checkpoint (absent: none yet)
  registry_audit_log_size                      entries in the last checkpoint
  registry_overdue_steps{workflow}             late steps, as the Standing Office sees them
  registry_jobs{kind, status}                  screening jobs queued and running (the job queue's depth)
With a read replica (REGISTRY_READ_DATABASE_URL), as the process last asked it (registry.replica):
  registry_replica_up                          1 when it answers
  registry_replica_lag_seconds                 how far behind the primary it is

Under gunicorn each worker is a process: with PROMETHEUS_MULTIPROC_DIR set (deploy/gunicorn.conf.py)
prometheus_client keeps the counters in files there and a scrape adds up every worker's.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from registry import health
from registry.audit.sequencer import latest_checkpoint
from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.db import utcnow
from registry.errors import RegistryError
from registry.models.agency import Agency, AgencyKind
from registry.models.screening import JobStatus, ScreeningJob
from registry.replica import Replica

log = logging.getLogger(__name__)

# Our own registry: the process's default one would add Python's and the platform's collectors, which
# multiprocess mode cannot add up.
REQUESTS_REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "registry_http_requests",
    "Requests answered, by route, method and status code.",
    ["endpoint", "method", "status"],
    registry=REQUESTS_REGISTRY,
)
LATENCY = Histogram(
    "registry_http_request_duration_seconds",
    "Time to answer, by route and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REQUESTS_REGISTRY,
)
STANDING_OFFICE = "NSC389"


def observe(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(endpoint, method, str(status)).inc()
    LATENCY.labels(endpoint, method).observe(seconds)


class StateCollector:
    """The gauges read from the database when Prometheus scrapes (one short transaction)."""

    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def describe(self) -> list[Metric]:  # no read at registration
        return []

    def collect(self) -> Iterator[Metric]:
        try:
            with self.sessions() as session:
                health.bound_statements(session)
                yield from self._audit(session)
                yield from self._overdue(session)
                yield from self._jobs(session)
        except SQLAlchemyError as exc:  # the scrape still answers: the request metrics, and `up`
            log.warning("metrics: the database could not be read (%s)", type(exc).__name__)

    def _audit(self, session: Session) -> Iterator[Metric]:
        backlog = health.sequencer_backlog(session)
        yield GaugeMetricFamily(
            "registry_audit_backlog_entries",
            f"Audit entries committed and not yet sequenced (counted up to {health.BACKLOG_COUNT_LIMIT}).",
            value=backlog.waiting,
        )
        yield GaugeMetricFamily(
            "registry_audit_oldest_waiting_seconds",
            "Seconds the oldest audit entry not yet sequenced has waited (0: none waits).",
            value=health.lag_seconds(backlog),
        )
        checkpoint = latest_checkpoint(session)
        if checkpoint is not None:
            yield GaugeMetricFamily(
                "registry_audit_checkpoint_age_seconds",
                "Seconds since the last signed checkpoint of the audit log.",
                value=max(0.0, (utcnow() - checkpoint.created_at).total_seconds()),
            )
            yield GaugeMetricFamily(
                "registry_audit_log_size", "Entries in the last signed checkpoint.", value=checkpoint.size
            )

    def _overdue(self, session: Session) -> Iterator[Metric]:
        from registry.services import overdue

        office = session.scalar(select(Agency).where(Agency.code == STANDING_OFFICE))
        if office is None:
            return
        principal = Principal(
            client_id="metrics",
            agency=office.code,
            agency_id=office.id,
            agency_kind=AgencyKind.OVERSIGHT,
            scopes=frozenset({Scope.REPORTS_READ, Scope.REGISTRY_READ}),  # what each workflow asks of it
        )
        family = GaugeMetricFamily(
            "registry_overdue_steps", "Workflow steps past their deadline.", labels=["workflow"]
        )
        for workflow in overdue.WORKFLOWS:
            try:
                count = len(overdue.late_steps(session, principal, utcnow(), workflow=workflow))
            except RegistryError:  # more than one answer holds, or not readable under the rules files
                continue
            family.add_metric([workflow], count)
        yield family

    def _jobs(self, session: Session) -> Iterator[Metric]:
        rows = session.execute(
            select(ScreeningJob.status, func.count())
            .where(ScreeningJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
            .group_by(ScreeningJob.status)
        ).tuples()
        counts = dict(rows.all())
        family = GaugeMetricFamily("registry_jobs", "Jobs waiting or running.", labels=["kind", "status"])
        for status in (JobStatus.QUEUED, JobStatus.RUNNING):
            family.add_metric(["screening", status.value], counts.get(status.value, 0))
        yield family


class ReplicaCollector:
    """The streaming replica's state (REGISTRY_READ_DATABASE_URL), as registry.replica last saw it."""

    def __init__(self, replica: Replica) -> None:
        self.replica = replica

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        found = self.replica.status()
        yield GaugeMetricFamily(
            "registry_replica_up",
            "1 when the read replica answers, 0 when it does not.",
            value=found.reachable,
        )
        if found.lag_seconds is not None:
            yield GaugeMetricFamily(
                "registry_replica_lag_seconds",
                "Seconds the read replica is behind the primary (0: it has replayed all it received).",
                value=found.lag_seconds,
            )


def exposition(sessions: sessionmaker, replica: Replica | None = None) -> bytes:
    """The text Prometheus scrapes: every worker's request metrics, then the state gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        served = CollectorRegistry()
        MultiProcessCollector(served)
    else:
        served = REQUESTS_REGISTRY
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector(sessions))
    if replica is not None:
        state.register(ReplicaCollector(replica))
    return generate_latest(served) + generate_latest(state)
