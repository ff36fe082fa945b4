"""Violations (cases): recording who did what, following the case to its sanction, finding cases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
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
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import (
    Conflict,
    Duplicate,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    id_or_not_found,
)
from registry.messages import msg
from registry.models import (
    Agency,
    Decision,
    Identifier,
    Referral,
    SharedRecord,
    Subject,
    TaxRecovery,
    Violation,
    ViolationStatus,
    Visibility,
    violation_identifier,
    violation_subject,
)
from registry.services import case_rules, visibility
from registry.services.decisions import agency_id, get_decision_for_use, require_grounding

S = ViolationStatus
VN_OFFSET = timedelta(hours=7)
# Tax additions to one case total at most this (schemas.violations.MAX_VND), so the case's total with
# its own figure stays below 2^53: exact in JSON clients and in the audit log's canonical JSON.
MAX_ADDED_VND = 10**15  # dates on Vietnamese documents are dates in Vietnam (UTC+7)
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
        raise InvalidTransition(
            msg("A {state} violation is final and cannot be changed.", state=current), current, []
        )
    status = changes.get("status", current)
    if status != current and status not in allowed:
        raise InvalidTransition(
            msg("A {state} violation cannot become {status}.", state=current, status=status),
            current,
            list(allowed),
        )
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
    if filters.get("goods_group"):
        query = query.where(_json_array_contains(session, Violation.goods_groups, filters["goods_group"]))
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
    if filters.get("referred_from") or filters.get("referred_to"):
        referred = [Referral.violation_id == Violation.id]
        if filters.get("referred_from"):
            referred.append(Referral.referred_at >= filters["referred_from"])
        if filters.get("referred_to"):
            referred.append(Referral.referred_at <= filters["referred_to"])
        query = query.where(exists().where(*referred))
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
_VISIBLE_DECISIONS = select(Decision).where(
    Decision.id.in_(bindparam("decision_ids", expanding=True)), visibility.visible_to_caller(Decision)
)


_TAX_RECOVERIES = (
    select(TaxRecovery)
    .where(TaxRecovery.violation_id.in_(_VIOLATION_IDS))
    .order_by(TaxRecovery.recorded_at, TaxRecovery.id)
)
_REFERRALS = (
    select(Referral)
    .where(Referral.violation_id.in_(_VIOLATION_IDS))
    .order_by(Referral.referred_at, Referral.id)
)


@dataclass(frozen=True)
class References:
    """What a caller may see of the records a page of violations names (ViolationRead's pre_dump)."""

    subjects: dict[uuid.UUID, list[uuid.UUID]]
    identifiers: dict[uuid.UUID, list[uuid.UUID]]
    decisions: dict[uuid.UUID, Decision]  # the sanction and referral decisions the caller may see
    tax_recoveries: dict[uuid.UUID, list[TaxRecovery]]
    referrals: dict[uuid.UUID, list[Referral]]


def visible_references(session: Session, principal: Principal, violations: Sequence[Violation]) -> References:
    """References only to subjects, identifiers and decisions the caller may see itself, and the cases'
    tax additions and referrals (seen by whoever sees the case): four queries a page at most."""
    found = References({}, {}, {}, {}, {})
    ids = [v.id for v in violations]
    if not ids:
        return found
    params = {"violation_ids": ids, **visibility.caller_params(principal)}
    for kind, violation_id, referenced_id, _ in session.execute(_REFERENCES, params).tuples():
        side = found.subjects if kind == "s" else found.identifiers
        side.setdefault(violation_id, []).append(referenced_id)
    for addition in session.scalars(_TAX_RECOVERIES, {"violation_ids": ids}):
        found.tax_recoveries.setdefault(addition.violation_id, []).append(addition)
    for referral in session.scalars(_REFERRALS, {"violation_ids": ids}):
        found.referrals.setdefault(referral.violation_id, []).append(referral)
    referenced = {v.sanction_decision_id for v in violations if v.sanction_decision_id is not None}
    referenced.update(r.decision_id for page in found.referrals.values() for r in page)
    if referenced:
        decisions = session.scalars(
            _VISIBLE_DECISIONS, {**params, "decision_ids": sorted(referenced, key=str)}
        )
        found.decisions.update((decision.id, decision) for decision in decisions)
    return found


def visible_decisions(
    session: Session, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Decision]:
    """Those of the decisions the caller may see, by id (for a referral's answer)."""
    if not ids:
        return {}
    params = {"decision_ids": sorted(set(ids), key=str), **visibility.caller_params(principal)}
    return {decision.id: decision for decision in session.scalars(_VISIBLE_DECISIONS, params)}


# -- what other agencies add to a case ------------------------------------------------------------------


def add_tax_recovery(
    session: Session, *, principal: Principal, violation: Violation, data: dict[str, Any]
) -> TaxRecovery:
    """A tax authority's addition to a case it sees: who, how much, when. The case itself is unchanged
    (only its owner edits it); its total tax recovered (ViolationRead) includes the addition."""
    if not case_rules.allows(case_rules.TAX_RECOVERY, principal.agency):
        raise PermissionDenied(
            "Only a tax authority records tax recovered on a case (registry/data/cases.json)."
        )
    added = session.scalar(
        select(func.coalesce(func.sum(TaxRecovery.amount_vnd), 0)).where(
            TaxRecovery.violation_id == violation.id
        )
    )
    if (added or 0) + data["amount_vnd"] > MAX_ADDED_VND:
        raise ValidationFailed(
            "The additions to this case would exceed the largest amount the registry records.",
            errors={"amount_vnd": [f"additions to one case total at most {MAX_ADDED_VND} VND"]},
        )
    addition = TaxRecovery(
        violation_id=violation.id, agency_id=principal.agency_id, recorded_by=principal.actor, **data
    )
    session.add(addition)
    session.flush()
    return addition


def _share_with(session: Session, record: SharedRecord, principal: Principal, code: str, reason: str) -> None:
    """Make `record` (owned by the caller) visible to the agency `code`, a state body, if it is not yet:
    as a visibility change kept with who, when and why."""
    current = record.visibility
    if current in (Visibility.PUBLIC, Visibility.STATE):
        return
    shares = visibility.shared_with(session, record)
    if current == Visibility.NAMED and code in shares:
        return
    agencies = sorted({*shares, code})
    visibility.change(
        session, record, principal, visibility=Visibility.NAMED, agencies=agencies, reason=reason
    )


def refer(session: Session, *, principal: Principal, violation: Violation, data: dict[str, Any]) -> Referral:
    """Transfer a case to the police on the referring agency's decision, with its evidence list. The
    receiving body sees the case (and the decision, when the referring agency recorded it) from now on."""
    if violation.owner_agency_id != principal.agency_id:
        raise PermissionDenied("Only the detecting agency refers its case to the police.")
    code = data["police_agency"]
    if not case_rules.allows(case_rules.REFERRAL_RECEIVERS, code):
        raise ValidationFailed(
            "A case is referred to a police body.",
            errors={
                "police_agency": [f"{code} does not receive criminal referrals (registry/data/cases.json)"]
            },
        )
    police_id = agency_id(session, code, "police_agency")
    try:
        decision = get_decision_for_use(session, data["decision_id"], principal)
    except NotFound:
        raise ValidationFailed(
            "The referral's decision cannot be used.",
            errors={"decision_id": [f"no decision {data['decision_id']} visible to the caller"]},
        ) from None
    if decision.issuer_agency_id != principal.agency_id:
        raise ValidationFailed(
            "A case is referred on a decision of the referring agency.",
            errors={"decision_id": ["issued by another agency"]},
        )
    require_grounding(decision)
    existing = session.scalar(
        select(Referral.id).where(
            Referral.violation_id == violation.id, Referral.police_agency_id == police_id
        )
    )
    if existing is not None:
        raise Duplicate(msg("This case is already referred to {code}.", code=code), existing=str(existing))
    referral = Referral(
        violation_id=violation.id,
        referring_agency_id=principal.agency_id,
        referred_by=principal.actor,
        police_agency_id=police_id,
        decision_id=decision.id,
        evidence=[{"description": e["description"], "sha256": e.get("sha256")} for e in data["evidence"]],
        note=data.get("note"),
    )
    try:
        with session.begin_nested():  # the same referral made twice at once: the database keeps one
            session.add(referral)
    except IntegrityError:
        # The same referral made at the same moment: answered as if this one had come second.
        winner = session.scalar(
            select(Referral.id).where(
                Referral.violation_id == violation.id, Referral.police_agency_id == police_id
            )
        )
        if winner is not None:
            raise Duplicate(
                msg("This case is already referred to {code}.", code=code), existing=str(winner)
            ) from None
        raise Conflict(
            msg("This case was referred to {code} by someone else at the same moment.", code=code)
        ) from None
    reason = f"criminal referral of the case to {code}"
    _share_with(session, violation, principal, code, reason)
    if decision.owner_agency_id == principal.agency_id:
        _share_with(session, decision, principal, code, reason)
    session.flush()
    return referral


def acknowledge_referral(
    session: Session, *, principal: Principal, violation: Violation, referral_id: Any, data: dict[str, Any]
) -> Referral:
    """The receiving police body confirms receipt, with its own reference number and date; once."""
    key = id_or_not_found(referral_id, "referral")
    referral = session.scalar(
        select(Referral).where(Referral.id == key, Referral.violation_id == violation.id)
    )
    if referral is None:
        raise NotFound(msg("No referral {key} of this case.", key=key))
    if referral.police_agency_id != principal.agency_id:
        raise PermissionDenied("Only the receiving body acknowledges a referral.")
    referred_on = (referral.referred_at + VN_OFFSET).date()
    if data["received_on"] < referred_on:
        raise ValidationFailed(
            "Received before it was referred.", errors={"received_on": [f"must be on or after {referred_on}"]}
        )
    done = session.execute(
        sql_update(Referral)
        .where(Referral.id == referral.id, Referral.acknowledged_at.is_(None))
        .values(
            acknowledged_at=utcnow(),
            acknowledged_by=principal.actor,
            police_reference=data["reference"],
            received_on=data["received_on"],
        )
    )
    if done.rowcount == 0:  # type: ignore[attr-defined]
        raise Conflict("This referral has already been acknowledged.")
    session.refresh(referral)
    return referral
