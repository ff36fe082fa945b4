"""The terms of an order: its decision, validity, accounts and subjects."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import NotFound, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.messages import msg
from registry.models import Agency, AgencyKind, Decision, Identifier, Link, Subject
from registry.models.freezing import AccountState, FreezeAccount, FreezeOrder
from registry.services import competence, identifiers, visibility, workdays
from registry.services.decisions import get_decision_for_use, require_grounding
from registry.services.freezing.config import CLOCK_SKEW, COMPETENCE_ACTION, _matches, rules


def _decision(session: Session, principal: Principal, decision_id: Any, *, own: bool, field: str) -> Decision:
    """A decision the caller may see, issued by a body competent to order a freeze (else 422)."""
    try:
        decision = get_decision_for_use(session, decision_id, principal)
    except NotFound:
        raise ValidationFailed(
            "No decision with this id is visible to you.", errors={field: ["unknown decision"]}
        ) from None
    require_grounding(decision, field=field)
    issuer = session.get(Agency, decision.issuer_agency_id)
    assert issuer is not None
    competence.require_competent(COMPETENCE_ACTION, issuer.code, field=field)
    if own and decision.issuer_agency_id != principal.agency_id:
        raise ValidationFailed(
            msg(
                "The decision was issued by {issuer}; only the issuing body's agency submits its order.",
                issuer=issuer.code,
            ),
            errors={field: [f"issued by {issuer.code}, not by {principal.agency}"]},
        )
    return decision


def _procuracy(session: Session, code: str | None, field: str = "procuracy") -> int | None:
    """The agency id of the procuracy notified (it then reads the order); 422 for any other agency."""
    if code is None:
        return None
    agency = session.scalars(select(Agency).where(Agency.code == code)).first()
    if agency is None or not _matches(code, rules().procuracies):
        raise ValidationFailed(
            "The procuracy notified must be a procuracy.", errors={field: [f"{code} is not a procuracy"]}
        )
    return agency.id


def today_in_vietnam(now: datetime | None = None) -> date:
    return workdays.local(now or utcnow()).date()


def _check_terms(order: FreezeOrder, issuer_code: str, *, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    if order.whole_balance and order.amount_vnd is not None:
        errors["amount_vnd"] = ["must be null when whole_balance is true"]
    if not order.whole_balance and not order.amount_vnd:
        errors["amount_vnd"] = ["an amount in VND is required unless whole_balance is true"]
    if order.valid_until is not None:
        if order.valid_until < order.valid_from:
            errors["valid_until"] = ["must not be before valid_from"]
        elif order.valid_until < today_in_vietnam(now):
            errors["valid_until"] = ["is already past"]
    if not order.legal_bases:
        errors["legal_bases"] = ["at least one legal basis is required"]
    if _matches(issuer_code, rules().investigation_bodies) and not (
        order.procuracy_notified_at and order.procuracy_reference and order.procuracy_agency_id
    ):
        errors["procuracy_notified_at"] = [
            "an investigation body's order must carry its notification to the procuracy "
            "(procuracy, procuracy_notified_at and procuracy_reference)"
        ]
    if order.procuracy_notified_at and order.procuracy_notified_at > now + CLOCK_SKEW:
        errors["procuracy_notified_at"] = ["must not be in the future"]
    _check_ground(order, issuer_code, errors)
    if errors:
        raise ValidationFailed("The order's terms are not acceptable; see `errors`.", errors=errors)


def _check_ground(order: FreezeOrder, issuer_code: str, errors: dict[str, list[str]]) -> None:
    """The order rests on a legal ground its issuer holds (competence.json `grounds`): Tax orders under the
    Law on Tax Administration, never under criminal procedure; the ground defaults to the issuer's only one,
    and no legal basis cited may belong to a ground the issuer does not hold."""
    known = competence.grounds(COMPETENCE_ACTION)
    if not known:
        return
    held = [name for name, ground in known.items() if ground.held_by(issuer_code)]
    if order.legal_ground is None and len(held) == 1:
        order.legal_ground = held[0]
    if order.legal_ground is None:
        errors["legal_ground"] = [f"name the ground of this order: one of {', '.join(held) or 'none held'}"]
    elif order.legal_ground not in known:
        errors["legal_ground"] = [f"unknown ground; one of {', '.join(sorted(known))}"]
    elif order.legal_ground not in held:
        errors["legal_ground"] = [
            f"{issuer_code} does not order a freeze on {order.legal_ground} "
            f"({known[order.legal_ground].law}); it holds {', '.join(held) or 'none'}"
        ]
    holds = ", ".join(held) or "none"
    for index, basis in enumerate(order.legal_bases or []):
        foreign = [name for name, ground in known.items() if name not in held and ground.cited_in(basis)]
        if foreign:
            errors[f"legal_bases.{index}"] = [
                f"cites {foreign[0]}, a ground {issuer_code} does not hold (it holds {holds})"
            ]


TERMS = (
    "amount_vnd",
    "whole_balance",
    "legal_bases",
    "legal_ground",
    "valid_from",
    "valid_until",
    "reason",
    "procuracy_notified_at",
    "procuracy_reference",
    "procuracy_agency_id",
)


def terms_of(order: FreezeOrder) -> dict[str, Any]:
    return {name: getattr(order, name) for name in TERMS}


def _set_terms(order: FreezeOrder, data: dict[str, Any], names: Iterable[str] = TERMS) -> None:
    for name in names:
        if name in data:
            setattr(order, name, list(data[name]) if name == "legal_bases" else data[name])
    if data.get("whole_balance") and "amount_vnd" not in data:
        order.amount_vnd = None
    if data.get("amount_vnd") is not None and "whole_balance" not in data:
        order.whole_balance = False


def _bank_agency(session: Session, bank_bin: str) -> Agency | None:
    return session.scalars(
        select(Agency).where(Agency.bank_bin == bank_bin, Agency.kind == AgencyKind.EXECUTOR_BANK)
    ).first()


def _subject_for(
    session: Session, principal: Principal, identifier: Identifier, subject_id: Any, field: str
) -> uuid.UUID | None:
    """The subject named, if visible (else 422); or the one visible subject linked to the account."""
    if subject_id is not None:
        try:
            return visibility.load_visible(session, Subject, subject_id, principal).id
        except NotFound:
            raise ValidationFailed("Unknown subject.", errors={field: ["no such subject"]}) from None
    linked = list(
        session.scalars(
            select(Link.subject_id)
            .join(Subject, Subject.id == Link.subject_id)
            .where(
                Link.identifier_id == identifier.id,
                visibility.record_visible(Link, principal),
                visibility.record_visible(Subject, principal),
            )
            .distinct()
        )
    )
    return linked[0] if len(linked) == 1 else None


def _accounts(
    session: Session,
    cipher: FieldCipher,
    principal: Principal,
    specs: list[dict[str, Any]],
    *,
    prefix: str = "accounts",
    first_position: int = 0,
) -> list[FreezeAccount]:
    """Each account normalised, registered as an identifier, and linked to its subject where known."""
    pending: list[tuple[int, dict[str, Any], Any]] = []
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        field = f"{prefix}.{index}"
        parsed = identifiers.parse_or_fail("bank_account", spec["account"], field=f"{field}.account")
        if parsed.value in seen:
            raise ValidationFailed(
                "An account is named twice.", errors={f"{field}.account": ["named twice in this order"]}
            )
        seen.add(parsed.value)
        bank_bin = parsed.attributes["bin"]
        if _bank_agency(session, bank_bin) is None:
            reason = f"{parsed.attributes['bank_short_name']} ({bank_bin}) is not connected to the registry"
            raise ValidationFailed(
                msg(
                    "The State Bank cannot dispatch to {bank} ({bin}) is not connected to the registry.",
                    bank=parsed.attributes["bank_short_name"],
                    bin=bank_bin,
                ),
                errors={f"{field}.account": [reason]},
            )
        pending.append((index, spec, parsed))
    # Identifiers are registered in one order whatever the request's order (as blocking's targets), so
    # two orders naming the same new accounts in opposite orders wait for each other instead of
    # deadlocking on PostgreSQL; the accounts keep the request's order (position).
    registered: dict[str, Identifier] = {}
    for _, _, parsed in sorted(pending, key=lambda item: item[2].value):
        found = identifiers.ensure(session, cipher=cipher, principal=principal, parsed=parsed)
        registered[parsed.value] = found.identifier
    accounts: list[FreezeAccount] = []
    for index, spec, parsed in pending:
        identifier = registered[parsed.value]
        accounts.append(
            FreezeAccount(
                position=first_position + index,
                bank_bin=parsed.attributes["bin"],
                identifier_id=identifier.id,
                holder_name=spec.get("holder_name"),
                subject_id=_subject_for(
                    session, principal, identifier, spec.get("subject_id"), f"{prefix}.{index}.subject_id"
                ),
                state=AccountState.PENDING,
            )
        )
    return accounts


def _dispatch_due(now: datetime) -> datetime:
    return workdays.end_of_working_day(now, rules().dispatch_working_days)


def _account_detail(order: FreezeOrder, session: Session) -> list[dict[str, Any]]:
    """Accounts for a transition's detail: bank and keyed hash, never the number."""
    hashes = dict(
        session.execute(
            select(Identifier.id, Identifier.value_hash).where(
                Identifier.id.in_([a.identifier_id for a in order.accounts])
            )
        )
        .tuples()
        .all()
    )
    return [{"bank_bin": a.bank_bin, "value_hash": hashes[a.identifier_id]} for a in order.accounts]
