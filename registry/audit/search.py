"""Searching the audit log's entries by who, what, outcome and time (`GET /api/v1/audit/search`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from registry.audit.models import AuditEntry, AuditLeaf
from registry.audit.recorder import body_time
from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.errors import PermissionDenied


@dataclass(frozen=True)
class Filters:
    """Each one set narrows the search; `resource` is `type` or `type:id` (`subject:<id>`: every entry
    that reached the subject, see `reaching_subject`); `until` is exclusive."""

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


class _lists(FunctionElement[bool]):
    """`_lists(column, value)`: the JSON array in `column` has the string `value` as an element."""

    type = Boolean()
    inherit_cache = True


@compiles(_lists, "postgresql")
def _lists_postgresql(element: _lists, compiler: Any, **kw: Any) -> str:
    column, value = element.clauses
    # `@>` with a constant array: what the GIN index (jsonb_path_ops) on audit_entry.subjects answers.
    listed, wanted = compiler.process(column, **kw), compiler.process(value, **kw)
    return f"{listed} @> jsonb_build_array(CAST({wanted} AS text))"


@compiles(_lists, "sqlite")
def _lists_sqlite(element: _lists, compiler: Any, **kw: Any) -> str:
    column, value = element.clauses
    listed, wanted = compiler.process(column, **kw), compiler.process(value, **kw)
    return f"EXISTS (SELECT 1 FROM json_each({listed}) AS listed WHERE listed.value = {wanted})"


def reaching_subject(subject_id: str) -> ColumnElement[bool]:
    """Entries whose request reached the subject: as its resource (a read, a history, a graph from it, a
    write), or among the subjects its answer showed (`subjects`: search results, a lookup's holders,
    screening matches, graph nodes, the subjects of cases and links, lists filtered on it)."""
    return or_(
        and_(AuditEntry.resource_type == "subject", AuditEntry.resource_id == subject_id),
        _lists(AuditEntry.subjects, subject_id),
    )


def own_agency_only(principal: Principal) -> str | None:
    """None for auditors (scope audit:read); else the caller's agency, the only one it may read."""
    return None if principal.has(Scope.AUDIT_READ) else principal.agency


def visible_filters(principal: Principal, filters: Filters) -> Filters:
    """The search a caller may run: an auditor's as asked; anyone else's narrowed to its own agency's
    entries, and asking for another agency's is refused (403)."""
    only = own_agency_only(principal)
    if only is None:
        return filters
    if filters.agency not in (None, only):
        raise PermissionDenied(
            "Reading other agencies' audit entries needs the scope audit:read.",
            required_scope=Scope.AUDIT_READ,
        )
    return replace(filters, agency=only)


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
        if kind == "subject" and ident:
            query = query.where(reaching_subject(ident))
        else:
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


# The CSV export of the accesses to one subject (`GET /audit/subjects/{id}/accesses`), column by column.
ACCESS_COLUMNS = (
    "occurred_at", "agency", "client_id", "officer", "purpose", "method", "path", "action",
    "resource_type", "resource_id", "outcome", "status_code", "sensitive", "request_id", "entry_id",
    "leaf_index",
)  # fmt: skip
# A cell a spreadsheet would take for a formula (OWASP "CSV injection"): the purpose is the caller's text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def access_rows(session: Session, subject_id: str, *, chunk: int = 500) -> Iterator[list[str]]:
    """Every entry that reached the subject (`reaching_subject`), oldest first, as ACCESS_COLUMNS cells.

    `sensitive` is `yes` for a read that showed personal ID or bank account numbers in full (the body's
    `revealed`: the caller asked with `?sensitive=true` and held the scope). Method and path come from
    the signed body (entries written before they were recorded leave them empty)."""
    query = search_query(Filters(resource=f"subject:{subject_id}")).order_by(AuditEntry.id)
    for entry, leaf_index in session.execute(query.execution_options(yield_per=chunk)).tuples():
        body = json.loads(entry.body)
        values = {
            "occurred_at": body_time(entry.occurred_at),
            "agency": entry.agency,
            "client_id": entry.client_id,
            "officer": entry.officer,
            "purpose": entry.purpose,
            "method": body.get("method"),
            "path": body.get("path"),
            "action": entry.action,
            "resource_type": entry.resource_type,
            "resource_id": entry.resource_id,
            "outcome": entry.outcome,
            "status_code": entry.status_code,
            "sensitive": "yes" if body.get("revealed") else "no",
            "request_id": entry.request_id,
            "entry_id": entry.id,
            "leaf_index": leaf_index,
        }
        yield [_cell(values[column]) for column in ACCESS_COLUMNS]
