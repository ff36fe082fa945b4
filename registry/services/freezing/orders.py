"""The issuer's steps (submit, resubmit, amend, extend, lift, convert) and the State Bank's (process)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.messages import msg
from registry.models import Decision
from registry.models.freezing import AccountState, DelayState, FreezeOrder, OrderState
from registry.services import workflow
from registry.services.decisions import require_grounding
from registry.services.freezing import releases
from registry.services.freezing.access import (
    Viewer,
    load_delay_for_step,
    require_issuer,
    require_processor,
    viewer,
)
from registry.services.freezing.config import _matches, rules
from registry.services.freezing.machines import ACCOUNT, DELAY, ORDER
from registry.services.freezing.terms import (
    _account_detail,
    _accounts,
    _check_terms,
    _decision,
    _dispatch_due,
    _procuracy,
    _set_terms,
    terms_of,
)


def _link_delays(
    session: Session, v: Viewer, order: FreezeOrder, delay_ids: list[Any], *, now: datetime
) -> None:
    """The delays this order follows are linked to it; each ends (superseded_by_order) when the order is
    executed at its bank (services/freezing/execution.py), or else runs to its end."""
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
        if delay.state != DelayState.IN_EFFECT:
            raise InvalidTransition(
                msg("The transaction delay is {state}: no order can follow it any more.", state=delay.state),
                current=delay.state,
                allowed=DELAY.allowed(delay.state),
            )
        if delay.followed_by_order_id is not None:
            raise ValidationFailed(
                "Another order follows this delay already.", errors={field: ["followed by another order"]}
            )
        delay.followed_by_order_id = order.id
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
    order.procuracy_agency_id = _procuracy(session, data.get("procuracy"))
    order.urgent = bool(data.get("urgent"))
    _check_terms(order, v.agency.code, now=now)
    if order.urgent and not _matches(v.agency.code, rules().urgent_issuers):
        raise ValidationFailed(
            "Only the police and the courts send urgent orders straight to the banks.",
            errors={"urgent": [f"{v.agency.code} may not mark an order urgent"]},
        )
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
    if order.urgent:  # to the banks at once, at any hour; the State Bank checks its form afterwards
        _dispatch(session, principal, order, "dispatch_urgent", "urgent: dispatched at submission", now=now)
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
    if "procuracy" in data:
        order.procuracy_agency_id = _procuracy(session, data["procuracy"])
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
    detail: dict[str, Any] = field(default_factory=dict)

    def record(self, order: FreezeOrder, data: dict[str, Any], *, now: datetime) -> None:
        """The order now rests on the new decision; the transition keeps the terms before and after."""
        order.current_decision_id = self.decision.id
        self.step.record_transition(
            reason=data["note"],
            decision_id=self.decision.id,
            detail={"before": self.before, "after": terms_of(order), **self.detail},
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
    cipher: FieldCipher | None = None,
    now: datetime | None = None,
) -> FreezeOrder:
    """New terms on a new decision; `add_accounts` are dispatched to their banks at once (the order is
    already in effect), so the amendment's decision grounds their dispatch."""
    now = now or utcnow()
    issuer_code = viewer(session, principal).agency.code
    names = ("amount_vnd", "whole_balance", "legal_bases", "legal_ground", "valid_until", "reason")
    follow_up = _begin_follow_up(session, principal, order, data, "amend")
    _set_terms(order, data, names)
    _check_terms(order, issuer_code, now=now)
    added = []
    if data.get("add_accounts"):
        assert cipher is not None
        added = _accounts(
            session,
            cipher,
            principal,
            data["add_accounts"],
            prefix="add_accounts",
            first_position=len(order.accounts),
        )
        named = {a.identifier_id for a in order.accounts}
        for index, account in enumerate(added):
            if account.identifier_id in named:
                raise ValidationFailed(
                    "The order names this account already.",
                    errors={f"add_accounts.{index}.account": ["already named in this order"]},
                )
        order.accounts.extend(added)
        session.flush()
    if terms_of(order) == follow_up.before and not added:
        raise ValidationFailed("The amendment changes nothing.", errors={"amount_vnd": ["nothing to amend"]})
    if added:
        follow_up.detail["accounts_added"] = _account_detail(order, session)[-len(added) :]
    follow_up.record(order, data, now=now)
    releases.release_excess(
        session,
        order,
        principal=principal,
        reason="amount lowered",
        decision_id=follow_up.decision.id,
        now=now,
    )
    due = now + timedelta(hours=rules().execution_hours)
    for account in added:
        workflow.apply(
            session,
            machine=ACCOUNT,
            record=account,
            action_name="dispatch",
            principal=principal,
            reason="added by an amendment",
            decision_id=follow_up.decision.id,
            now=now,
            due_at=due,
        )
    return order


def withdraw(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    note: str,
    now: datetime | None = None,
) -> FreezeOrder:
    """The issuer takes its order back before the State Bank dispatched it; nothing reaches a bank."""
    require_issuer(viewer(session, principal), order)
    workflow.apply(
        session,
        machine=ORDER,
        record=order,
        action_name="withdraw",
        principal=principal,
        reason=note,
        now=now or utcnow(),
    )
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
    """The order ends on a cancellation decision; each bank holding money under it is told to release it."""
    now = now or utcnow()
    follow_up = _begin_follow_up(session, principal, order, data, "lift")
    follow_up.record(order, data, now=now)
    releases.release_all(
        session, order, principal=principal, reason="lifted", decision_id=follow_up.decision.id, now=now
    )
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


def _dispatch(
    session: Session,
    principal: Principal,
    order: FreezeOrder,
    action: str,
    note: str | None,
    *,
    now: datetime,
) -> None:
    """The order and each of its accounts go to the banks; it must still rest on a grounded decision."""
    decision = session.get(Decision, order.current_decision_id)
    assert decision is not None
    require_grounding(decision, field="decision_id")
    hours = rules().urgent_execution_hours if order.urgent else rules().execution_hours
    due = now + timedelta(hours=hours)
    step = workflow.begin(session, machine=ORDER, record=order, action_name=action, principal=principal)
    step.record_transition(reason=note, decision_id=decision.id, now=now, due_at=due)
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


def _require_released(order: FreezeOrder) -> None:
    """An order is closed only once every bank has confirmed its release instructions."""
    waiting = [a for a in order.accounts if a.state == AccountState.RELEASE_PENDING]
    if waiting:
        raise InvalidTransition(
            msg("{count} release instruction(s) await the banks' confirmation.", count=len(waiting)),
            current=order.state,
            allowed=ORDER.allowed(order.state),
        )


def process(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    action: str,
    note: str | None,
    now: datetime | None = None,
) -> FreezeOrder:
    """receive, check, dispatch or close, by a named State Bank officer (it returns nothing: a defect is
    flagged to the issuer, services/freezing/flags.py)."""
    now = now or utcnow()
    require_processor(viewer(session, principal))
    if action == "dispatch":
        _dispatch(session, principal, order, "dispatch", note, now=now)
        return order
    due_at: datetime | None
    if action == "close":
        due_at = None
        _require_released(order)
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
