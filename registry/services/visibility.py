"""Who may see a shared record. One rule for every record type, used for single reads and for lists."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    delete,
    exists,
    false,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import NotFound, PermissionDenied, ValidationFailed, id_or_not_found, record_name
from registry.messages import msg
from registry.models import Agency, Identifier, Link, RecordShare, SharedRecord, Visibility, VisibilityChange

T = TypeVar("T", bound=SharedRecord)


def record_visible(model: type[SharedRecord], principal: Principal) -> ColumnElement[bool]:
    """Whether `principal` may see a row of `model`."""
    return _rule(model, principal.agency_id, true() if principal.is_state else false())


# The caller as bound parameters, so a statement can be built once and run for any caller (SQLAlchemy
# then skips building the statement and its cache key on every request).
# Whether the caller is a state body is written into the SQL text when the statement runs
# (literal_execute), and the rule's constants when it is compiled (see _constant): PostgreSQL then
# plans each statement once per connection for state callers and once for others, and reuses the plan,
# instead of planning it again on most requests (a plan that cannot tell `state` from `public` looks
# too costly to reuse).
CALLER_AGENCY: BindParameter[int] = bindparam("caller_agency_id")
CALLER_IS_STATE: BindParameter[bool] = bindparam("caller_is_state", type_=Boolean(), literal_execute=True)


def _constant(value: str) -> Any:
    """A constant of the rule (a visibility, a record type: our own words, never input) as SQL text."""
    assert value.isidentifier(), value
    return literal_column(f"'{value}'", String())


def caller_params(principal: Principal) -> dict[str, Any]:
    """Parameters for statements that use `visible_to_caller`."""
    return {"caller_agency_id": principal.agency_id, "caller_is_state": principal.is_state}


@functools.cache
def visible_to_caller(model: type[SharedRecord]) -> ColumnElement[bool]:
    """`record_visible` for whichever caller `caller_params` names."""
    return _rule(model, CALLER_AGENCY, CALLER_IS_STATE)


def _rule(model: type[SharedRecord], agency: Any, is_state: Any) -> ColumnElement[bool]:
    """The one visibility rule: the owner; everyone for public; state bodies for state; named agencies.

    The share is probed row by row. `OFFSET 0` keeps PostgreSQL from answering the EXISTS by hashing
    every record_share row naming the agency first (tens of thousands at national scale): it plans a
    filter for every row a scan could return, not for the page's LIMIT, so a page of 20 links took
    35 ms instead of 0.5 ms.
    """
    shared_with_caller = (
        select(literal_column("1"))
        .where(
            RecordShare.record_type == _constant(model.record_type),
            RecordShare.record_id == model.id,  # type: ignore[attr-defined]
            RecordShare.agency_id == agency,
        )
        .offset(literal_column("0", Integer()))
        .exists()
    )
    return or_(
        model.owner_agency_id == agency,
        model.visibility == _constant(Visibility.PUBLIC),
        and_(model.visibility == _constant(Visibility.STATE), is_state),
        and_(model.visibility == _constant(Visibility.NAMED), shared_with_caller),
    )


def identifier_visible(principal: Principal) -> ColumnElement[bool]:
    if principal.is_state:
        return true()
    return _identifier_rule(principal.agency_id, false(), record_visible(Link, principal))


@functools.cache
def identifier_visible_to_caller() -> ColumnElement[bool]:
    return _identifier_rule(CALLER_AGENCY, CALLER_IS_STATE, visible_to_caller(Link))


@functools.cache
def visible_to_agency(model: type[SharedRecord], is_state: bool) -> ColumnElement[bool]:
    """`visible_to_caller` with the caller's kind fixed when the statement is built (one statement per
    kind), for a statement whose whole text is then fixed (services.history_json)."""
    return _rule(model, CALLER_AGENCY, true() if is_state else false())


@functools.cache
def identifier_visible_to_agency(is_state: bool) -> ColumnElement[bool]:
    if is_state:
        return true()
    return _identifier_rule(CALLER_AGENCY, false(), visible_to_agency(Link, False))


def _identifier_rule(agency: Any, is_state: Any, link_visible: ColumnElement[bool]) -> ColumnElement[bool]:
    """Identifiers are shared facts: state agencies see them all, others only through a visible link."""
    return or_(
        is_state,
        Identifier.created_by_agency_id == agency,
        exists().where(Link.identifier_id == Identifier.id, link_visible),
    )


_LOAD_VISIBLE: dict[type[SharedRecord], Select[Any]] = {}


def _load_visible(model: type[SharedRecord]) -> Select[Any]:
    """Built once per model."""
    if model not in _LOAD_VISIBLE:
        _LOAD_VISIBLE[model] = select(model).where(
            model.id == bindparam("record_id"),  # type: ignore[attr-defined]
            visible_to_caller(model),  # type: ignore[arg-type]  # a class is hashable; mypy reads SharedRecord.__eq__
        )
    return _LOAD_VISIBLE[model]


def load_visible(session: Session, model: type[T], record_id: Any, principal: Principal) -> T:
    """The record, or NotFound whether it is missing or hidden from the caller (they look the same)."""
    key = id_or_not_found(record_id, model.record_type)
    found = session.scalars(_load_visible(model), {"record_id": key, **caller_params(principal)}).first()
    if found is None:
        raise NotFound(msg("No {what} with id {value}.", what=record_name(model.record_type), value=key))
    return found


def _agency_ids(session: Session, codes: Iterable[str]) -> dict[str, int]:
    codes = sorted(set(codes))
    found = {
        key: value
        for key, value in session.execute(
            select(Agency.code, Agency.id).where(Agency.code.in_(codes))
        ).tuples()
    }
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationFailed(
            "Unknown agency in shared_with.", errors={"shared_with": [f"unknown agency {c}" for c in unknown]}
        )
    return found


def shared_with(session: Session, record: SharedRecord) -> list[str]:
    return list(
        session.scalars(
            select(Agency.code)
            .join(RecordShare, RecordShare.agency_id == Agency.id)
            .where(RecordShare.record_type == record.record_type, RecordShare.record_id == record.id)  # type: ignore[attr-defined]
            .order_by(Agency.code)
        )
    )


def shared_with_many(session: Session, records: Sequence[SharedRecord]) -> dict[uuid.UUID, list[str]]:
    """The agencies each of many records of one type is shared with, in one query (for pages of
    records). Only records of visibility `named` have shares: the others cost nothing."""
    named = [record.id for record in records if record.visibility == Visibility.NAMED]  # type: ignore[attr-defined]
    shares: dict[uuid.UUID, list[str]] = {}
    if not named:
        return shares
    rows = session.execute(
        select(RecordShare.record_id, Agency.code)
        .join(Agency, Agency.id == RecordShare.agency_id)
        .where(RecordShare.record_type == records[0].record_type, RecordShare.record_id.in_(named))
        .order_by(Agency.code)
    ).tuples()
    for record_id, code in rows:
        shares.setdefault(record_id, []).append(code)
    return shares


def _check_pair(visibility: str, agencies: list[str]) -> None:
    if visibility not in set(Visibility):
        raise ValidationFailed(
            "Unknown visibility.", errors={"visibility": [f"must be one of {list(Visibility)}"]}
        )
    if visibility == Visibility.NAMED and not agencies:
        raise ValidationFailed(
            "Visibility 'named' needs the agencies it is shared with.",
            errors={"shared_with": ["at least one agency code is required"]},
        )
    if visibility != Visibility.NAMED and agencies:
        raise ValidationFailed(
            "shared_with applies only to visibility 'named'.", errors={"shared_with": ["must be empty"]}
        )


def initialise(
    session: Session, record: SharedRecord, principal: Principal, visibility: str, agencies: list[str]
) -> None:
    """Fix the visibility of a new record; the record must have been flushed (it needs its id)."""
    _check_pair(visibility, agencies)
    record.owner_agency_id = principal.agency_id
    record.visibility = visibility
    for agency_id in _agency_ids(session, agencies).values():
        session.add(RecordShare(record_type=record.record_type, record_id=record.id, agency_id=agency_id))  # type: ignore[attr-defined]


def change(
    session: Session,
    record: SharedRecord,
    principal: Principal,
    *,
    visibility: str,
    agencies: list[str],
    reason: str,
) -> VisibilityChange:
    """Only the owner changes visibility, and each change is kept with who, when and why."""
    if record.owner_agency_id != principal.agency_id:
        raise PermissionDenied("Only the owner agency can change the visibility of a record.")
    _check_pair(visibility, agencies)
    if not reason.strip():
        raise ValidationFailed("A reason is required.", errors={"reason": ["must not be empty"]})
    before = shared_with(session, record)
    ids = _agency_ids(session, agencies)
    session.execute(
        delete(RecordShare).where(
            RecordShare.record_type == record.record_type,
            RecordShare.record_id == record.id,  # type: ignore[attr-defined]
        )
    )
    for agency_id in ids.values():
        session.add(RecordShare(record_type=record.record_type, record_id=record.id, agency_id=agency_id))  # type: ignore[attr-defined]
    entry = VisibilityChange(
        record_type=record.record_type,
        record_id=record.id,  # type: ignore[attr-defined]
        changed_by_agency_id=principal.agency_id,
        changed_by=principal.actor,
        old_visibility=record.visibility,
        new_visibility=visibility,
        old_shared_with=before,
        new_shared_with=sorted(ids),
        reason=reason.strip(),
    )
    record.visibility = visibility
    session.add(entry)
    session.flush()
    return entry
