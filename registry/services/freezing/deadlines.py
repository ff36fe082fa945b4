"""Overdue steps: whose move it is and since when."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from registry.models import Agency
from registry.models.freezing import AccountState, FreezeAccount, FreezeOrder, OrderState
from registry.services.agencies import codes as agency_codes
from registry.services.freezing.access import ORDER_LOADS, Viewer, require_supervisor
from registry.services.freezing.config import rules
from registry.services.freezing.machines import EXECUTABLE

_PARTY_OF_STATE: dict[str, str] = {
    OrderState.SUBMITTED: "processor",
    OrderState.RECEIVED: "processor",
    OrderState.CHECKED: "processor",
    OrderState.RESUBMITTED: "processor",
    OrderState.RETURNED_FOR_CORRECTION: "issuer",
}


def overdue_query(v: Viewer, now: datetime, *, state: str | None = None) -> Select[tuple[FreezeOrder]]:
    """Orders with a step past its deadline, for the State Bank and the Standing Office."""
    require_supervisor(v)
    late_account = FreezeOrder.state.in_(EXECUTABLE) & exists().where(
        FreezeAccount.order_id == FreezeOrder.id,
        FreezeAccount.state == AccountState.DISPATCHED,
        FreezeAccount.state_due_at < now,
    )
    late_release = exists().where(
        FreezeAccount.order_id == FreezeOrder.id,
        FreezeAccount.state == AccountState.RELEASE_PENDING,
        FreezeAccount.state_due_at < now,
    )
    late_step = FreezeOrder.state.in_(_PARTY_OF_STATE) & (FreezeOrder.state_due_at < now)
    query = select(FreezeOrder).options(*ORDER_LOADS).where(or_(late_step, late_account, late_release))
    return query.where(FreezeOrder.state == state) if state else query


def late_steps(session: Session, orders: list[FreezeOrder], now: datetime) -> dict[uuid.UUID, list[dict]]:
    """For each order, what is late and whose move it is (a step of the State Bank, the issuer, a bank)."""
    codes = agency_codes(session)
    banks = dict(
        session.execute(select(Agency.bank_bin, Agency.code).where(Agency.bank_bin.is_not(None)))
        .tuples()
        .all()
    )
    result: dict[uuid.UUID, list[dict]] = {}
    for order in orders:
        late = result.setdefault(order.id, [])
        party = _PARTY_OF_STATE.get(order.state)
        if party and order.state_due_at and order.state_due_at < now:
            who = ",".join(rules().processors) if party == "processor" else codes.get(order.issuer_agency_id)
            late.append({"step": order.state, "party": who, "due_at": order.state_due_at, "account_id": None})
        for account in order.accounts:
            late_state = account.state_due_at is not None and account.state_due_at < now
            if late_state and account.state == AccountState.RELEASE_PENDING:
                late.append(
                    {
                        "step": "release",
                        "party": banks.get(account.bank_bin),
                        "due_at": account.state_due_at,
                        "account_id": account.id,
                    }
                )
            if late_state and order.state in EXECUTABLE and account.state == AccountState.DISPATCHED:
                late.append(
                    {
                        "step": "execution",
                        "party": banks.get(account.bank_bin),
                        "due_at": account.state_due_at,
                        "account_id": account.id,
                    }
                )
    return result
