"""Bank-initiated transaction delays."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import Conflict, PermissionDenied, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.models import Agency, WorkflowTransition
from registry.models.freezing import DelayState, TransactionDelay, TransactionDelayNotice
from registry.services import competence, identifiers, workdays, workflow
from registry.services.freezing.access import viewer
from registry.services.freezing.config import CLOCK_SKEW, COMPETENCE_ACTION, rules
from registry.services.freezing.machines import DELAY


def report_delay(
    session: Session,
    *,
    cipher: FieldCipher,
    principal: Principal,
    data: dict[str, Any],
    now: datetime | None = None,
) -> TransactionDelay:
    """A bank's own delay of a transaction on one of its accounts, reported to competent authorities."""
    now = now or utcnow()
    v = viewer(session, principal)
    if v.bank_bin is None:
        raise PermissionDenied("Only a bank reports the transactions it delays.")
    parsed = identifiers.parse_or_fail("bank_account", data["account"], field="account")
    if parsed.attributes["bin"] != v.bank_bin:
        raise ValidationFailed(
            "A bank reports delays on its own accounts only.",
            errors={"account": [f"not an account of BIN {v.bank_bin}"]},
        )
    if data["delayed_at"] > now + CLOCK_SKEW:
        raise ValidationFailed(
            "The delay cannot start in the future.", errors={"delayed_at": ["in the future"]}
        )
    if data.get("sbv_reported_at") is not None:
        _check_sbv_report(data["delayed_at"], data["sbv_reported_at"], now)
    recipients = []
    for code in sorted(set(data["reported_to"])):
        agency = session.scalars(select(Agency).where(Agency.code == code)).first()
        if agency is None or not competence.is_competent(COMPETENCE_ACTION, code):
            raise ValidationFailed(
                "A delay is reported to authorities competent to order a freeze.",
                errors={"reported_to": [f"{code} is not such an authority"]},
            )
        recipients.append(agency)
    identifier = identifiers.ensure(session, cipher=cipher, principal=principal, parsed=parsed).identifier
    ends_at = workdays.add_working_days(data["delayed_at"], rules().delay_working_days)
    delay = TransactionDelay(
        bank_agency_id=v.agency.id,
        bank_bin=v.bank_bin,
        identifier_id=identifier.id,
        holder_name=data.get("holder_name"),
        amount_vnd=data["amount_vnd"],
        reason=data["reason"],
        bank_reference=data.get("bank_reference"),
        delayed_at=data["delayed_at"],
        ends_at=ends_at,
        sbv_reported_at=data.get("sbv_reported_at"),
        sbv_reference=data.get("sbv_reference") if data.get("sbv_reported_at") else None,
    )
    workflow.start(
        session,
        machine=DELAY,
        record=delay,
        state=DelayState.IN_EFFECT,
        principal=principal,
        reason=data["reason"],
        due_at=ends_at,
        now=now,
    )
    for agency in recipients:
        session.add(TransactionDelayNotice(delay_id=delay.id, agency_id=agency.id))
    session.flush()
    return delay


def _check_sbv_report(delayed_at: datetime, reported_at: datetime, now: datetime) -> None:
    if reported_at > now + CLOCK_SKEW or reported_at < delayed_at - CLOCK_SKEW:
        raise ValidationFailed(
            "The report to the State Bank falls between the delay and now.",
            errors={"sbv_reported_at": ["out of range"]},
        )


def record_sbv_report(
    session: Session,
    *,
    principal: Principal,
    delay: TransactionDelay,
    data: dict[str, Any],
    now: datetime | None = None,
) -> TransactionDelay:
    """The reporting bank records when it reported the delay to the State Bank, and the reference (once)."""
    now = now or utcnow()
    if delay.bank_agency_id != principal.agency_id:
        raise PermissionDenied("Only the bank that delayed the transaction records its report.")
    session.refresh(delay, with_for_update=True)
    if delay.sbv_reported_at is not None:
        raise Conflict("The report to the State Bank is recorded already.")
    _check_sbv_report(delay.delayed_at, data["sbv_reported_at"], now)
    delay.sbv_reported_at = data["sbv_reported_at"]
    delay.sbv_reference = data["sbv_reference"]
    session.flush()
    return delay


def release_delay(
    session: Session,
    *,
    principal: Principal,
    delay: TransactionDelay,
    note: str | None,
    now: datetime | None = None,
) -> TransactionDelay:
    """The reporting bank ends its delay early."""
    if delay.bank_agency_id != principal.agency_id:
        raise PermissionDenied("Only the bank that delayed the transaction releases it.")
    workflow.apply(
        session, machine=DELAY, record=delay, action_name="release", principal=principal, reason=note, now=now
    )
    return delay


def notified_codes(session: Session, delays: Iterable[TransactionDelay]) -> dict[uuid.UUID, list[str]]:
    """For each delay, the codes of the authorities it was reported to, in one query for all of them."""
    result: dict[uuid.UUID, list[str]] = {d.id: [] for d in delays}
    if result:
        rows = session.execute(
            select(TransactionDelayNotice.delay_id, Agency.code)
            .join(Agency, TransactionDelayNotice.agency_id == Agency.id)
            .where(TransactionDelayNotice.delay_id.in_(list(result)))
            .order_by(Agency.code)
        )
        for delay_id, code in rows.tuples():
            result[delay_id].append(code)
    return result


def delay_transitions(
    session: Session, delays: Iterable[TransactionDelay]
) -> dict[uuid.UUID, list[WorkflowTransition]]:
    """For each delay, its transitions in the order they happened, in one query for all of them."""
    result: dict[uuid.UUID, list[WorkflowTransition]] = {d.id: [] for d in delays}
    if result:
        rows = session.scalars(
            select(WorkflowTransition)
            .where(
                WorkflowTransition.record_type == DELAY.record_type,
                WorkflowTransition.record_id.in_(list(result)),
            )
            .order_by(WorkflowTransition.id)
        )
        for row in rows:
            result[row.record_id].append(row)
    return result
