"""Searching the audit log's entries by who, what, outcome and time (`GET /api/v1/audit/search`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from registry.audit.models import AuditEntry, AuditLeaf


@dataclass(frozen=True)
class Filters:
    """Each one set narrows the search; `resource` is `type` or `type:id`; `until` is exclusive."""

    agency: str | None = None
    client: str | None = None
    officer: str | None = None
    resource: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Found:
    rows: list[tuple[AuditEntry, int | None]]  # each entry with its leaf index (None until sequenced)
    total: int


def search_query(filters: Filters) -> Select:
    """Entries with their leaf index (None while unsequenced), in no particular order."""
    query = select(AuditEntry, AuditLeaf.leaf_index).outerjoin(AuditLeaf, AuditLeaf.entry_id == AuditEntry.id)
    for column, value in (
        (AuditEntry.agency, filters.agency),
        (AuditEntry.client_id, filters.client),
        (AuditEntry.officer, filters.officer),
        (AuditEntry.action, filters.action),
        (AuditEntry.outcome, filters.outcome),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.resource is not None:
        kind, _, ident = filters.resource.partition(":")
        query = query.where(AuditEntry.resource_type == kind)
        if ident:
            query = query.where(AuditEntry.resource_id == ident)
    if filters.since is not None:
        query = query.where(AuditEntry.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.occurred_at < filters.until)
    return query


def search(session: Session, filters: Filters, *, page: int, per_page: int) -> Found:
    """One page of the matching entries in the order they were written, and how many match in all."""
    query = search_query(filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(AuditEntry.id).limit(per_page).offset((page - 1) * per_page))
    return Found(rows=[(entry, leaf) for entry, leaf in rows], total=total)
