"""Bank-initiated transaction delays."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import NotFound, PermissionDenied, ValidationFailed, id_or_not_found
from registry.fieldcrypt import FieldCipher
from registry.models import Agency
from registry.models.freezing import DelayState, FreezeOrder, TransactionDelay, TransactionDelayNotice
from registry.services import competence, identifiers, workdays, workflow
from registry.services.freezing.access import Viewer, viewer
from registry.services.freezing.config import CLOCK_SKEW, COMPETENCE_ACTION, rules
from registry.services.freezing.expiry import expire_delay_if_due
from registry.services.freezing.machines import DELAY


def delay_ids_of(session: Session, v: Viewer, order: FreezeOrder) -> list[uuid.UUID]:
    """The delays the order followed (for a bank: its own)."""
    query = select(TransactionDelay.id).where(TransactionDelay.superseded_by_order_id == order.id)
    if not v.sees_all_accounts(order):
        query = query.where(TransactionDelay.bank_bin == v.bank_bin)
    return list(session.scalars(query.order_by(TransactionDelay.delayed_at)))


def delay_visible_clause(v: Viewer) -> ColumnElement[bool]:
    if v.processor or v.overseer:
        return true()
    return or_(
        TransactionDelay.bank_agency_id == v.agency.id if v.bank_bin else false(),
        exists().where(
            TransactionDelayNotice.delay_id == TransactionDelay.id,
            TransactionDelayNotice.agency_id == v.agency.id,
        ),
    )


def may_reveal_delay(v: Viewer) -> bool:
    """Besides the reporting bank: the State Bank and the authorities the delay was reported to."""
    return v.bank_bin is None and not (v.overseer and not v.processor)


def get_delay(session: Session, v: Viewer, delay_id: Any, *, now: datetime | None = None) -> TransactionDelay:
    key = id_or_not_found(delay_id, "transaction delay")
    delay = session.scalars(
        select(TransactionDelay).where(TransactionDelay.id == key, delay_visible_clause(v))
    ).first()
    if delay is None:
        raise NotFound(f"No transaction delay with id {key}.")
    expire_delay_if_due(session, delay, now=now)
    return delay


def search_delays(v: Viewer, *, state: str | None = None) -> Select[tuple[TransactionDelay]]:
    query = select(TransactionDelay).where(delay_visible_clause(v))
    return query.where(TransactionDelay.state == state) if state else query


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


def notified_codes(session: Session, delay: TransactionDelay) -> list[str]:
    return list(
        session.scalars(
            select(Agency.code)
            .join(TransactionDelayNotice, TransactionDelayNotice.agency_id == Agency.id)
            .where(TransactionDelayNotice.delay_id == delay.id)
            .order_by(Agency.code)
        )
    )
