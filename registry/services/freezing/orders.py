"""The issuer's steps (submit, resubmit, amend, extend, lift, convert) and the State Bank's (process)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import NotFound, PermissionDenied, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.models import Decision
from registry.models.freezing import FreezeOrder, OrderState
from registry.services import workdays, workflow
from registry.services.freezing.access import (
    Viewer,
    load_delay_for_step,
    require_issuer,
    require_processor,
    viewer,
)
from registry.services.freezing.config import rules
from registry.services.freezing.machines import ACCOUNT, DELAY, ORDER
from registry.services.freezing.terms import (
    _account_detail,
    _accounts,
    _check_terms,
    _decision,
    _dispatch_due,
    _set_terms,
    terms_of,
)


def _link_delays(
    session: Session, v: Viewer, order: FreezeOrder, delay_ids: list[Any], *, now: datetime
) -> None:
    """The delays this order follows stop running: each becomes superseded_by_order."""
    accounts = {a.identifier_id for a in order.accounts}
    for index, delay_id in enumerate(delay_ids):
        field = f"transaction_delay_ids.{index}"
        try:
            delay = load_delay_for_step(session, v.principal, delay_id, now=now)
        except NotFound:
            raise ValidationFailed("Unknown transaction delay.", errors={field: ["no such delay"]}) from None
        if delay.identifier_id not in accounts:
            raise ValidationFailed(
                "A linked delay must be on one of the order's accounts.",
                errors={field: ["the delayed account is not named in this order"]},
            )
        workflow.apply(
            session,
            machine=DELAY,
            record=delay,
            action_name="supersede",
            principal=v.principal,
            reason="a freeze order follows",
            detail={"order_id": str(order.id)},
            now=now,
        )
        delay.superseded_by_order_id = order.id
    session.flush()


def submit(
    session: Session,
    *,
    cipher: FieldCipher,
    principal: Principal,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeOrder:
    """A new order from the issuing body's agency, on its own competent decision, by a named officer."""
    now = now or utcnow()
    if not principal.officer:
        raise PermissionDenied("A freeze order is submitted by a named officer (a token obtained for one).")
    v = viewer(session, principal)
    decision = _decision(session, principal, data["decision_id"], own=True, field="decision_id")
    order = FreezeOrder(
        issuer_agency_id=principal.agency_id, decision_id=decision.id, current_decision_id=decision.id
    )
    _set_terms(order, {"whole_balance": False, **data})
    _check_terms(order, v.agency.code, now=now)
    order.accounts = _accounts(session, cipher, principal, data["accounts"])
    workflow.start(
        session,
        machine=ORDER,
        record=order,
        state=OrderState.SUBMITTED,
        principal=principal,
        reason=data["reason"],
        decision_id=decision.id,
        due_at=_dispatch_due(now),
        now=now,
        detail={"accounts": _account_detail(order, session)},
    )
    _link_delays(session, v, order, data.get("transaction_delay_ids") or [], now=now)
    return order


def resubmit(
    session: Session,
    *,
    cipher: FieldCipher,
    principal: Principal,
    order: FreezeOrder,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeOrder:
    """The issuer's corrected order goes back to the State Bank; the dispatch deadline starts again."""
    now = now or utcnow()
    v = viewer(session, principal)
    require_issuer(v, order)
    decision_id = order.current_decision_id
    if data.get("decision_id"):
        decision_id = _decision(session, principal, data["decision_id"], own=True, field="decision_id").id
    detail: dict[str, Any] = {"before": terms_of(order), "accounts_replaced": bool(data.get("accounts"))}
    step = workflow.begin(session, machine=ORDER, record=order, action_name="resubmit", principal=principal)
    if data.get("accounts"):
        # The old rows go first: the new list may name the same accounts (unique per order).
        order.accounts.clear()
        session.flush()
        order.accounts.extend(_accounts(session, cipher, principal, data["accounts"]))
        detail["accounts"] = _account_detail(order, session)
    _set_terms(order, data)
    _check_terms(order, v.agency.code, now=now)
    order.decision_id = order.current_decision_id = decision_id
    detail["after"] = terms_of(order)
    step.record_transition(
        reason=data.get("note"), decision_id=decision_id, detail=detail, now=now, due_at=_dispatch_due(now)
    )
    return order


@dataclass
class _FollowUp:
    """Amend, extend, lift or convert, begun: the issuer, on a new competent decision."""

    step: workflow.Step
    decision: Decision
    before: dict[str, Any]

    def record(self, order: FreezeOrder, data: dict[str, Any], *, now: datetime) -> None:
        """The order now rests on the new decision; the transition keeps the terms before and after."""
        order.current_decision_id = self.decision.id
        self.step.record_transition(
            reason=data["note"],
            decision_id=self.decision.id,
            detail={"before": self.before, "after": terms_of(order)},
            now=now,
        )


def _begin_follow_up(
    session: Session, principal: Principal, order: FreezeOrder, data: dict[str, Any], action: str
) -> _FollowUp:
    v = viewer(session, principal)
    require_issuer(v, order)
    decision = _decision(session, principal, data["decision_id"], own=False, field="decision_id")
    before = terms_of(order)
    step = workflow.begin(session, machine=ORDER, record=order, action_name=action, principal=principal)
    return _FollowUp(step, decision, before)


def amend(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeOrder:
    now = now or utcnow()
    issuer_code = viewer(session, principal).agency.code
    names = ("amount_vnd", "whole_balance", "legal_bases", "legal_ground", "valid_until", "reason")
    follow_up = _begin_follow_up(session, principal, order, data, "amend")
    _set_terms(order, data, names)
    _check_terms(order, issuer_code, now=now)
    if terms_of(order) == follow_up.before:
        raise ValidationFailed("The amendment changes nothing.", errors={"amount_vnd": ["nothing to amend"]})
    follow_up.record(order, data, now=now)
    return order


def extend(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeOrder:
    now = now or utcnow()
    follow_up = _begin_follow_up(session, principal, order, data, "extend")
    if order.valid_until is None:
        raise ValidationFailed("This order runs until lifted.", errors={"valid_until": ["no end to extend"]})
    if data["valid_until"] <= order.valid_until:
        raise ValidationFailed(
            "An extension must end later.", errors={"valid_until": [f"must be after {order.valid_until}"]}
        )
    order.valid_until = data["valid_until"]
    follow_up.record(order, data, now=now)
    return order


def lift(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeOrder:
    _begin_follow_up(session, principal, order, data, "lift").record(order, data, now=now or utcnow())
    return order


def convert(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeOrder:
    frozen = order.frozen_total_vnd
    follow_up = _begin_follow_up(session, principal, order, data, "convert")
    amount = data.get("amount_vnd")
    if amount is not None and amount > frozen:
        raise ValidationFailed(
            "Only what was frozen can be converted.",
            errors={"amount_vnd": [f"more than the {frozen} VND frozen"]},
        )
    order.conversion_kind = data["kind"]
    order.converted_amount_vnd = frozen if amount is None else amount
    follow_up.record(order, data, now=now or utcnow())
    return order


def process(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    action: str,
    note: str | None,
    now: datetime | None = None,
) -> FreezeOrder:
    """receive, check, return_for_correction, dispatch or close, by a named State Bank officer."""
    now = now or utcnow()
    require_processor(viewer(session, principal))
    if action == "dispatch":
        due = now + timedelta(hours=rules().execution_hours)
        workflow.apply(
            session,
            machine=ORDER,
            record=order,
            action_name="dispatch",
            principal=principal,
            reason=note,
            now=now,
            due_at=due,
        )
        order.dispatched_at = now
        for account in order.accounts:
            workflow.apply(
                session,
                machine=ACCOUNT,
                record=account,
                action_name="dispatch",
                principal=principal,
                now=now,
                due_at=due,
            )
        return order
    due_at: datetime | None
    if action == "return_for_correction":
        days = rules().resubmit_working_days
        due_at = workdays.end_of_working_day(now, days) if days is not None else None
    elif action == "close":
        due_at = None
    else:  # receive and check keep the dispatch deadline set when the order was (re)submitted
        due_at = order.state_due_at
    workflow.apply(
        session,
        machine=ORDER,
        record=order,
        action_name=action,
        principal=principal,
        reason=note,
        now=now,
        due_at=due_at,
    )
    return order
