"""Release instructions: what a lift, an expiry or an amendment lowering the amount asks of each bank.

Each bank holding frozen money under the order gets an instruction for its account (the amount to
release, a deadline) and confirms it; until then the money is still frozen and counted in the order's
`frozen_total_vnd`. The order shows, per account, what is frozen, what release is pending and what was
released. A lift and an expiry release everything; an amendment releases what exceeds the new amount,
from the accounts named last first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import InvalidTransition, ValidationFailed
from registry.messages import msg
from registry.models.freezing import AccountState, FreezeAccount, FreezeOrder
from registry.services import workflow
from registry.services.freezing.config import CLOCK_SKEW, rules
from registry.services.freezing.machines import ACCOUNT


def _instruct(
    session: Session,
    principal: Principal | None,
    account: FreezeAccount,
    amount: int,
    reason: str,
    decision_id: Any,
    now: datetime,
) -> None:
    workflow.apply(
        session,
        machine=ACCOUNT,
        record=account,
        action_name="instruct_release",
        principal=principal,
        reason=reason,
        decision_id=decision_id,
        detail={"release_vnd": amount},
        now=now,
        due_at=now + timedelta(hours=rules().execution_hours),
    )
    account.release_pending_vnd = amount
    account.release_requested_at = now


def release_all(
    session: Session,
    order: FreezeOrder,
    *,
    principal: Principal | None,
    reason: str,
    decision_id: Any = None,
    now: datetime | None = None,
) -> None:
    """Every account holding money under the order is to release all of it (lift, expiry), including
    one already told to release a part (after an amendment)."""
    now = now or utcnow()
    holding = (AccountState.EXECUTED, AccountState.RELEASE_PENDING)
    for account in order.accounts:
        frozen = account.amount_frozen_vnd or 0
        if account.state in holding and frozen and account.release_pending_vnd != frozen:
            _instruct(session, principal, account, frozen, reason, decision_id, now)


def release_excess(
    session: Session,
    order: FreezeOrder,
    *,
    principal: Principal,
    reason: str,
    decision_id: Any,
    now: datetime,
) -> None:
    """What the banks hold beyond a lowered amount is released, from the accounts named last first."""
    if order.whole_balance or order.amount_vnd is None:
        return
    pending = sum(
        a.release_pending_vnd or 0 for a in order.accounts if a.state == AccountState.RELEASE_PENDING
    )
    excess = order.frozen_total_vnd - pending - order.amount_vnd
    for account in sorted(order.accounts, key=lambda a: a.position, reverse=True):
        if excess <= 0:
            break
        if account.state == AccountState.EXECUTED and account.amount_frozen_vnd:
            amount = min(excess, account.amount_frozen_vnd)
            _instruct(session, principal, account, amount, reason, decision_id, now)
            excess -= amount


def confirm_release(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    account_id: Any,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeAccount:
    """The bank holding the account confirms it released what it was told to."""
    from registry.services.freezing.execution import own_account

    now = now or utcnow()
    account = own_account(session, principal, order, account_id, msg("confirms its release"))
    session.refresh(order, with_for_update=True)  # the order's frozen total changes: one bank at a time
    if account.state != AccountState.RELEASE_PENDING:
        raise InvalidTransition(
            "There is no release instruction to confirm on this account.",
            current=account.state,
            allowed=ACCOUNT.allowed(account.state),
        )
    at = data.get("released_at") or now
    instructed = min(account.release_requested_at or now, now)
    if at > now + CLOCK_SKEW or at < instructed - CLOCK_SKEW:
        raise ValidationFailed(
            "The time of release must be between the instruction and now.",
            errors={"released_at": ["out of range"]},
        )
    amount = account.release_pending_vnd or 0
    left = (account.amount_frozen_vnd or 0) - amount
    step = workflow.begin(
        session,
        machine=ACCOUNT,
        record=account,
        action_name="confirm_release" if left <= 0 else "confirm_partial_release",
        principal=principal,
    )
    account.amount_frozen_vnd = max(left, 0)
    account.released_vnd = (account.released_vnd or 0) + amount
    account.release_pending_vnd = None
    account.released_at = at
    account.release_reference = data["release_reference"]
    order.frozen_total_vnd = max(order.frozen_total_vnd - amount, 0)
    step.record_transition(
        reason=data.get("note"),
        detail={"released_vnd": amount, "release_reference": data["release_reference"], "released_at": at},
        now=now,
    )
    return account
