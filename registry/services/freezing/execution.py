"""The banks' steps: executing or refusing an order per account."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed, id_or_not_found
from registry.messages import Message, msg
from registry.models.freezing import (
    AccountState,
    DelayState,
    FreezeAccount,
    FreezeOrder,
    OrderState,
    TransactionDelay,
)
from registry.services import workflow
from registry.services.freezing.access import Viewer, accounts_seen, viewer
from registry.services.freezing.config import CLOCK_SKEW
from registry.services.freezing.expiry import expire_delay_if_due
from registry.services.freezing.machines import ACCOUNT, DELAY, EXECUTABLE, ORDER


def executed_total(accounts: Iterable[FreezeAccount]) -> int:
    """What the accounts hold frozen now (a release not yet confirmed is still frozen)."""
    held = (AccountState.EXECUTED, AccountState.RELEASE_PENDING)
    return sum(a.amount_frozen_vnd or 0 for a in accounts if a.state in held)


def outstanding(order: FreezeOrder) -> int | None:
    """What the banks may still freeze under the order, all banks together (None: the whole balance)."""
    if order.whole_balance or order.amount_vnd is None:
        return None
    return max(order.amount_vnd - order.frozen_total_vnd, 0)


def _supersede_delays(
    session: Session, principal: Principal, order: FreezeOrder, account: FreezeAccount, *, now: datetime
) -> None:
    """The bank's delays on this account that the order follows end now that the order is executed here."""
    delays = session.scalars(
        select(TransactionDelay).where(
            TransactionDelay.followed_by_order_id == order.id,
            TransactionDelay.identifier_id == account.identifier_id,
            TransactionDelay.bank_bin == account.bank_bin,
            TransactionDelay.state == DelayState.IN_EFFECT,
        )
    ).all()
    for delay in delays:
        if expire_delay_if_due(session, delay, now=now):
            continue  # it ran out before the order was executed: the law allows no longer
        workflow.apply(
            session,
            machine=DELAY,
            record=delay,
            action_name="supersede",
            principal=principal,
            reason="the freeze order that follows it was executed at the bank",
            detail={"order_id": str(order.id), "account_id": str(account.id)},
            now=now,
        )
        delay.superseded_by_order_id = order.id


def get_account(v: Viewer, order: FreezeOrder, account_id: Any) -> FreezeAccount:
    """An account of the order the caller sees; another bank's account is NotFound."""
    key = id_or_not_found(account_id, "account")
    for account in accounts_seen(v, order):
        if account.id == key:
            return account
    raise NotFound(msg("No account with id {key} in this order.", key=key))


def own_account(
    session: Session, principal: Principal, order: FreezeOrder, account_id: Any, doing: Message
) -> FreezeAccount:
    """The order's account `account_id` if the caller is the bank holding it (another bank's is a 404)."""
    v = viewer(session, principal)
    if v.bank_bin is None:
        raise PermissionDenied(msg("Only the bank holding the account {doing}.", doing=doing))
    account = get_account(v, order, account_id)
    if account.bank_bin != v.bank_bin:
        raise NotFound(msg("No account with id {key} in this order.", key=account.id))
    return account


def report_execution(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    account_id: Any,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeAccount:
    """A bank's answer for one of its accounts; the order takes effect with the first account executed."""
    now = now or utcnow()
    account = own_account(session, principal, order, account_id, msg("reports its execution"))
    if order.state not in EXECUTABLE:
        raise InvalidTransition(
            msg("The order is {state}: there is nothing to execute any more.", state=order.state),
            current=order.state,
            allowed=ORDER.allowed(order.state),
        )
    executed = data["outcome"] == AccountState.EXECUTED
    at = data.get("executed_at") or now
    # Banks report at the same time on one order: each takes its turn on the order's row, so the second
    # sees what the first froze and never takes the same remainder (a no-op on SQLite, which has one
    # writer at a time anyway).
    session.refresh(order, with_for_update=True)

    step = workflow.begin(
        session,
        machine=ACCOUNT,
        record=account,
        action_name="execute" if executed else "report_not_executable",
        principal=principal,
    )
    if at > now + CLOCK_SKEW or (order.dispatched_at and at < order.dispatched_at - CLOCK_SKEW):
        raise ValidationFailed(
            "The time of execution must be between dispatch and now.",
            errors={"executed_at": ["out of range"]},
        )
    remaining = outstanding(order)
    if executed and remaining is not None and data["amount_frozen_vnd"] > remaining:
        raise ValidationFailed(
            msg(
                "A bank freezes at most what remains of the {ordered} VND ordered: {remaining} VND.",
                ordered=order.amount_vnd,
                remaining=remaining,
            ),
            errors={"amount_frozen_vnd": [f"more than the {remaining} VND that remain to be frozen"]},
        )
    account.reported_at = now
    account.note = data.get("note")
    if executed:
        account.amount_frozen_vnd = data["amount_frozen_vnd"]
        order.frozen_total_vnd += data["amount_frozen_vnd"]
        account.executed_at = at
        account.bank_reference = data["bank_reference"]
    else:
        account.not_executable_reason = data["reason"]
    facts = {key: data.get(key) for key in ("amount_frozen_vnd", "bank_reference", "reason")}
    step.record_transition(
        reason=data.get("note") or data.get("reason"), detail={**facts, "executed_at": at}, now=now
    )
    if executed:
        _supersede_delays(session, principal, order, account, now=now)
    if order.state == OrderState.DISPATCHED:
        states = {a.state for a in order.accounts}
        if AccountState.EXECUTED in states:
            workflow.apply(
                session,
                machine=ORDER,
                record=order,
                action_name="take_effect",
                principal=principal,
                reason="an account was frozen",
                detail={"account_id": str(account.id)},
                now=now,
            )
        elif states <= {AccountState.NOT_EXECUTABLE}:
            workflow.apply(
                session,
                machine=ORDER,
                record=order,
                action_name="report_not_executed",
                principal=principal,
                reason="no account could be frozen",
                now=now,
            )
    return account
