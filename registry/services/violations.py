"""Violations (cases): recording who did what, following the case to its sanction, finding cases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    bindparam,
    exists,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from registry.models import (
    Agency,
    Decision,
    Identifier,
    Subject,
    Violation,
    ViolationStatus,
    violation_identifier,
    violation_subject,
)
from registry.services import visibility
from registry.services.decisions import get_decision_for_use

S = ViolationStatus
# Where a case may go next. A sanction annulled on complaint or review ends in `dismissed`; `dismissed`
# is final: a case found to be a violation after all is a new case.
NEXT_STATUS: dict[str, frozenset[str]] = {
    S.SUSPECTED: frozenset({S.CONFIRMED, S.SANCTIONED, S.DISMISSED}),
    S.CONFIRMED: frozenset({S.SANCTIONED, S.DISMISSED}),
    S.SANCTIONED: frozenset({S.DISMISSED}),
    S.DISMISSED: frozenset(),
}
UPDATABLE = frozenset({
    "status", "sanction_decision_id", "sanction_reference",
    "fine_vnd", "tax_recovered_vnd", "goods_value_vnd", "summary", "goods_groups", "categories",
})  # fmt: skip
ORDER = [Violation.detected_at.desc(), Violation.id.desc()]  # ix_violation_detected_at_id, backwards


def _visible_subjects(
    session: Session, principal: Principal, ids: list[uuid.UUID], errors: dict
) -> list[Subject]:
    found = {
        s.id: s
        for s in session.scalars(
            select(Subject).where(Subject.id.in_(ids), visibility.record_visible(Subject, principal))
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        errors["subjects"] = [f"no subject {i} visible to the caller" for i in missing]
    return [found[i] for i in ids if i in found]


def _visible_identifiers(
    session: Session, principal: Principal, ids: list[uuid.UUID], errors: dict
) -> list[Identifier]:
    if not ids:
        return []
    found = {
        i.id: i
        for i in session.scalars(
            select(Identifier).where(Identifier.id.in_(ids), visibility.identifier_visible(principal))
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        errors["identifiers"] = [f"no identifier {i} visible to the caller" for i in missing]
    return [found[i] for i in ids if i in found]


def _check_decision(
    session: Session, principal: Principal, decision_id: uuid.UUID | None, errors: dict
) -> None:
    if decision_id is None:
        return
    try:
        get_decision_for_use(session, decision_id, principal)
    except NotFound:
        errors["sanction_decision_id"] = [f"no decision {decision_id} visible to the caller"]


def _check_sanction(status: str, decision_id: uuid.UUID | None, reference: str | None, errors: dict) -> None:
    """A `sanctioned` case names its sanction: a decision in the registry, or the reference of one."""
    if status == S.SANCTIONED and decision_id is None and not reference:
        errors.setdefault("status", []).append(
            "'sanctioned' needs sanction_decision_id or sanction_reference"
        )


def create(session: Session, *, principal: Principal, data: dict[str, Any]) -> Violation:
    """A new case, owned by the detecting (calling) agency; everything it points at must be visible to it."""
    fields = dict(data)
    sharing = fields.pop("visibility"), fields.pop("shared_with")
    fields["detected_at"] = fields["detected_at"].astimezone(UTC)  # answered the same as when read back
    errors: dict[str, list[str]] = {}
    subjects = _visible_subjects(session, principal, fields.pop("subjects"), errors)
    identifiers = _visible_identifiers(session, principal, fields.pop("identifiers"), errors)
    _check_decision(session, principal, fields.get("sanction_decision_id"), errors)
    _check_sanction(
        fields["status"], fields.get("sanction_decision_id"), fields.get("sanction_reference"), errors
    )
    if errors:
        raise ValidationFailed("The violation cannot be recorded as given; see `errors`.", errors=errors)
    violation = Violation(
        **fields, subjects=subjects, identifiers=identifiers, owner_agency_id=principal.agency_id
    )
    session.add(violation)
    session.flush()
    visibility.initialise(session, violation, principal, *sharing)
    session.flush()
    return violation


def update(
    session: Session, *, principal: Principal, violation: Violation, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply the owner's changes; returns the fields that actually changed, with their new values."""
    if violation.owner_agency_id != principal.agency_id:
        raise PermissionDenied("Only the detecting agency can change a violation.")
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValidationFailed(
            "These fields cannot be changed here.", errors={k: ["cannot be changed"] for k in unknown}
        )
    current = violation.status
    allowed = NEXT_STATUS[current]
    if not allowed:
        raise InvalidTransition(f"A {current} violation is final and cannot be changed.", current, [])
    status = changes.get("status", current)
    if status != current and status not in allowed:
        raise InvalidTransition(f"A {current} violation cannot become {status}.", current, list(allowed))
    errors: dict[str, list[str]] = {}
    if "sanction_decision_id" in changes:
        _check_decision(session, principal, changes["sanction_decision_id"], errors)
    _check_sanction(
        status,
        changes.get("sanction_decision_id", violation.sanction_decision_id),
        changes.get("sanction_reference", violation.sanction_reference),
        errors,
    )
    if errors:
        raise ValidationFailed("The violation cannot be changed as asked; see `errors`.", errors=errors)
    changed = {key: value for key, value in changes.items() if getattr(violation, key) != value}
    for key, value in changed.items():
        setattr(violation, key, value)
    session.flush()
    return changed


def _json_array_contains(session: Session, column: Any, value: str) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(column, JSONB).contains([value])  # jsonb @>, can use a GIN index
    element = func.json_each(column).table_valued("value")
    return exists(select(element.c.value).where(element.c.value == value))


def search(session: Session, principal: Principal, filters: dict[str, Any]) -> Select[tuple[Violation]]:
    """Violations visible to the caller; filters on subjects and identifiers see only visible ones."""
    query = select(Violation).where(visibility.record_visible(Violation, principal))
    if filters.get("subject_id"):
        query = query.where(
            exists(
                select(violation_subject.c.subject_id)
                .join(Subject, Subject.id == violation_subject.c.subject_id)
                .where(
                    violation_subject.c.violation_id == Violation.id,
                    violation_subject.c.subject_id == filters["subject_id"],
                    visibility.record_visible(Subject, principal),
                )
            )
        )
    if filters.get("identifier_id"):
        query = query.where(
            exists(
                select(violation_identifier.c.identifier_id)
                .join(Identifier, Identifier.id == violation_identifier.c.identifier_id)
                .where(
                    violation_identifier.c.violation_id == Violation.id,
                    violation_identifier.c.identifier_id == filters["identifier_id"],
                    visibility.identifier_visible(principal),
                )
            )
        )
    if filters.get("category"):
        query = query.where(_json_array_contains(session, Violation.categories, filters["category"]))
    for name in ("status", "province"):
        if filters.get(name):
            query = query.where(getattr(Violation, name) == filters[name])
    if filters.get("detected_by"):
        query = query.where(
            Violation.owner_agency_id
            == select(Agency.id).where(Agency.code == filters["detected_by"]).scalar_subquery()
        )
    if filters.get("detected_from"):
        query = query.where(Violation.detected_at >= filters["detected_from"])
    if filters.get("detected_to"):
        query = query.where(Violation.detected_at <= filters["detected_to"])
    return query


# Built once: the caller and the violations are parameters (see visibility.visible_to_caller).
_VIOLATION_IDS: BindParameter[list[uuid.UUID]] = bindparam("violation_ids", expanding=True)
# The visible subjects and identifiers of the violations, in one round trip: ("s" | "i", violation, id).
_REFERENCES = union_all(
    select(literal("s").label("kind"), violation_subject.c.violation_id, Subject.id, Subject.created_at)
    .join(Subject, Subject.id == violation_subject.c.subject_id)
    .where(violation_subject.c.violation_id.in_(_VIOLATION_IDS), visibility.visible_to_caller(Subject)),
    select(literal("i"), violation_identifier.c.violation_id, Identifier.id, Identifier.created_at)
    .join(Identifier, Identifier.id == violation_identifier.c.identifier_id)
    .where(
        violation_identifier.c.violation_id.in_(_VIOLATION_IDS), visibility.identifier_visible_to_caller()
    ),
).order_by(literal_column("kind"), literal_column("created_at"), literal_column("id"))
_VISIBLE_DECISIONS = select(Decision.id).where(
    Decision.id.in_(bindparam("decision_ids", expanding=True)), visibility.visible_to_caller(Decision)
)


@dataclass(frozen=True)
class References:
    """What a caller may see of the records a page of violations names (ViolationRead's pre_dump)."""

    subjects: dict[uuid.UUID, list[uuid.UUID]]
    identifiers: dict[uuid.UUID, list[uuid.UUID]]
    decisions: set[uuid.UUID]


def visible_references(session: Session, principal: Principal, violations: Sequence[Violation]) -> References:
    """References only to subjects, identifiers and decisions the caller may see itself: two queries."""
    found = References({}, {}, set())
    ids = [v.id for v in violations]
    if not ids:
        return found
    params = {"violation_ids": ids, **visibility.caller_params(principal)}
    for kind, violation_id, referenced_id, _ in session.execute(_REFERENCES, params).tuples():
        side = found.subjects if kind == "s" else found.identifiers
        side.setdefault(violation_id, []).append(referenced_id)
    referenced = {v.sanction_decision_id for v in violations if v.sanction_decision_id is not None}
    if referenced:
        found.decisions.update(
            session.scalars(_VISIBLE_DECISIONS, {**params, "decision_ids": sorted(referenced, key=str)})
        )
    return found
