"""Who sees and who acts on a freeze order or a transaction delay: the one place that says it.

Who sees an order (lists, single reads, the overdue list and the seller history all use these):
- the issuing agency, the processors (the State Bank) and the overseers (the Standing Office): all of it;
- the procuracy the issuer notified (criminal procedure: `procuracy_agency_id`): all of it;
- a bank: only orders dispatched to it, and in them only the accounts of its own BIN (`accounts_seen`);
- everyone else: nothing (404, the same as a missing order).
A delay: the reporting bank, the authorities it was reported to, the State Bank and the Standing Office.

Full account numbers (`shows_numbers`, `shows_delay_number`): a bank always for its own accounts; the
issuing agency and the State Bank for an order, and the State Bank and the authorities notified for a
delay, when asked (`?sensitive=true`, checked by `require_reveal_order(s)`/`require_reveal_delays`).

Reading never changes anything: an order or delay past its end whose tick is late is shown expired
(`services.freezing.expiry.shown_order_state`). A step loads with `load_for_step`, which does expire a due
record first, so the step meets it as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true
from sqlalchemy.orm import Session, selectinload

from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.errors import NotFound, PermissionDenied, id_or_not_found, record_name
from registry.messages import msg
from registry.models import Agency, AgencyKind
from registry.models.freezing import (
    AccountState,
    FreezeAccount,
    FreezeOrder,
    TransactionDelay,
    TransactionDelayNotice,
)
from registry.services import agencies
from registry.services.freezing.config import READ_SCOPES, _matches, rules
from registry.services.freezing.expiry import expire_delay_if_due, expire_order_if_due

# -- the caller ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """The caller as the freeze workflow sees it: its agency's role(s) in the workflow."""

    principal: Principal
    agency: agencies.AgencyFacts

    @property
    def processor(self) -> bool:
        return _matches(self.agency.code, rules().processors)

    @property
    def overseer(self) -> bool:
        return _matches(self.agency.code, rules().overseers)

    @property
    def bank_bin(self) -> str | None:
        return self.agency.bank_bin if self.agency.kind == AgencyKind.EXECUTOR_BANK else None

    @property
    def procuracy(self) -> bool:
        return _matches(self.agency.code, rules().procuracies)

    def is_issuer(self, order: FreezeOrder) -> bool:
        return order.issuer_agency_id == self.agency.id

    def is_notified_procuracy(self, order: FreezeOrder) -> bool:
        return order.procuracy_agency_id is not None and order.procuracy_agency_id == self.agency.id

    def sees_all_accounts(self, order: FreezeOrder) -> bool:
        return self.processor or self.overseer or self.is_issuer(order) or self.is_notified_procuracy(order)

    def may_reveal(self, order: FreezeOrder) -> bool:
        """Full account numbers of the whole order, when asked: its issuer and the State Bank."""
        return self.processor or self.is_issuer(order)

    @property
    def may_reveal_delays(self) -> bool:
        """Besides the reporting bank: the State Bank and the authorities the delay was reported to."""
        return self.bank_bin is None and not (self.overseer and not self.processor)


def viewer(session: Session, principal: Principal) -> Viewer:
    agency = agencies.facts(session, principal.agency_id)
    assert agency is not None  # a verified token names an existing agency
    return Viewer(principal, agency)


# -- checks ----------------------------------------------------------------------------------------------


def require_reader(v: Viewer) -> None:
    """Freeze data is for the freeze workflow's parties: any freeze scope, or an overseer's read scope."""
    if any(v.principal.has(s) for s in READ_SCOPES):
        return
    if (v.overseer or v.procuracy) and v.principal.has(Scope.REGISTRY_READ):
        return
    raise PermissionDenied(
        "Freeze orders are for the issuing bodies, the procuracy notified, the State Bank, the banks and "
        "the Standing Office.",
        required_scope=" or ".join(READ_SCOPES),
    )


def reader(session: Session, principal: Principal) -> Viewer:
    """The caller, if it may read freeze data at all (else PermissionDenied)."""
    v = viewer(session, principal)
    require_reader(v)
    return v


def require_processor(v: Viewer) -> None:
    if not v.processor:
        raise PermissionDenied("Only the State Bank receives, checks, dispatches and closes freeze orders.")


def require_issuer(v: Viewer, order: FreezeOrder) -> None:
    if not v.is_issuer(order):
        raise PermissionDenied(
            "Only the issuing agency corrects, amends, extends, lifts or converts its order."
        )


def require_supervisor(v: Viewer) -> None:
    """The overdue list: the State Bank and the Standing Office."""
    if not (v.processor or v.overseer):
        raise PermissionDenied("The overdue list is for the State Bank and the Standing Office.")


def require_reveal_orders(v: Viewer) -> None:
    """?sensitive=true on a list of orders: not the Standing Office (unless also the State Bank)."""
    if v.overseer and not v.processor:
        raise PermissionDenied("Only the issuing agency and the State Bank may see full account numbers.")


def require_reveal_order(v: Viewer, order: FreezeOrder) -> None:
    """?sensitive=true on one order: its issuer or the State Bank."""
    if not v.may_reveal(order):
        raise PermissionDenied("Only the issuing agency and the State Bank may see full account numbers.")


def require_reveal_delays(v: Viewer) -> None:
    if not v.may_reveal_delays:
        raise PermissionDenied(
            "Only the State Bank and the authorities notified may see full account numbers."
        )


# -- which records -------------------------------------------------------------------------------------


def orders_seen_by(v: Viewer) -> ColumnElement[bool]:
    """The orders `v` sees, as a WHERE clause on FreezeOrder."""
    if v.processor or v.overseer:
        return true()
    clauses: list[ColumnElement[bool]] = [FreezeOrder.issuer_agency_id == v.agency.id]
    if v.procuracy:
        clauses.append(FreezeOrder.procuracy_agency_id == v.agency.id)
    if v.bank_bin:
        clauses.append(
            exists().where(
                FreezeAccount.order_id == FreezeOrder.id,
                FreezeAccount.bank_bin == v.bank_bin,
                FreezeAccount.state != AccountState.PENDING,
            )
        )
    return or_(*clauses)


def delays_seen_by(v: Viewer) -> ColumnElement[bool]:
    """The delays `v` sees, as a WHERE clause on TransactionDelay."""
    if v.processor or v.overseer:
        return true()
    return or_(
        TransactionDelay.bank_agency_id == v.agency.id if v.bank_bin else false(),
        exists().where(
            TransactionDelayNotice.delay_id == TransactionDelay.id,
            TransactionDelayNotice.agency_id == v.agency.id,
        ),
    )


# What the Read schemas dump of a page of orders, loaded for the whole page.
ORDER_LOADS = (
    selectinload(FreezeOrder.accounts).selectinload(FreezeAccount.identifier),
    selectinload(FreezeOrder.decision),
    selectinload(FreezeOrder.current_decision),
)


def order_query(
    v: Viewer, *, state: str | None = None, account_state: str | None = None
) -> Select[tuple[FreezeOrder]]:
    """The orders `v` sees (with what their Read schemas dump), optionally in one state, and optionally
    with an account `v` sees in `account_state` (a bank: one of its own, e.g. a release to confirm)."""
    query = select(FreezeOrder).options(*ORDER_LOADS).where(orders_seen_by(v))
    if state:
        query = query.where(FreezeOrder.state == state)
    if account_state:
        account = [FreezeAccount.order_id == FreezeOrder.id, FreezeAccount.state == account_state]
        if v.bank_bin and not (v.processor or v.overseer):
            account.append(FreezeAccount.bank_bin == v.bank_bin)
        query = query.where(exists().where(*account))
    return query


def delay_query(v: Viewer, *, state: str | None = None) -> Select[tuple[TransactionDelay]]:
    query = (
        select(TransactionDelay).options(selectinload(TransactionDelay.identifier)).where(delays_seen_by(v))
    )
    return query.where(TransactionDelay.state == state) if state else query


def load_visible(session: Session, principal: Principal, order_id: Any) -> FreezeOrder:
    """The order if the caller may read freeze data and sees this one; NotFound if missing or hidden.
    Nothing is written: a due order stays as it is (it is shown expired)."""
    return _order(session, reader(session, principal), order_id)


def load_visible_delay(session: Session, principal: Principal, delay_id: Any) -> TransactionDelay:
    """The delay if the caller may read freeze data and sees this one; NotFound if missing or hidden."""
    return _delay(session, reader(session, principal), delay_id)


def load_for_step(session: Session, principal: Principal, order_id: Any) -> FreezeOrder:
    """`load_visible` for a step: an order past its validity is expired first (a system transition)."""
    order = load_visible(session, principal, order_id)
    expire_order_if_due(session, order)
    return order


def load_delay_for_step(
    session: Session, principal: Principal, delay_id: Any, *, now: datetime | None = None
) -> TransactionDelay:
    """A delay the caller sees, for a step (release, or an order that follows it): expired first if due."""
    delay = load_visible_delay(session, principal, delay_id)
    expire_delay_if_due(session, delay, now=now)
    return delay


def _order(session: Session, v: Viewer, order_id: Any) -> FreezeOrder:
    key = id_or_not_found(order_id, "freeze order")
    order = session.scalars(order_query(v).where(FreezeOrder.id == key)).first()
    if order is None:
        raise NotFound(msg("No {what} with id {value}.", what=record_name("freeze order"), value=key))
    return order


def _delay(session: Session, v: Viewer, delay_id: Any) -> TransactionDelay:
    key = id_or_not_found(delay_id, "transaction delay")
    delay = session.scalars(delay_query(v).where(TransactionDelay.id == key)).first()
    if delay is None:
        raise NotFound(msg("No {what} with id {value}.", what=record_name("transaction delay"), value=key))
    return delay


# -- what part of a record -----------------------------------------------------------------------------


def accounts_seen(v: Viewer, order: FreezeOrder) -> list[FreezeAccount]:
    """The accounts of the order `v` sees: all of them, or a bank's own once dispatched."""
    if v.sees_all_accounts(order):
        return list(order.accounts)
    return [a for a in order.accounts if a.bank_bin == v.bank_bin and a.state != AccountState.PENDING]


def shows_numbers(v: Viewer, order: FreezeOrder, *, revealed: bool) -> bool:
    """Whether the accounts `v` sees of the order show full numbers: a bank's own always; the issuer's
    and the State Bank's when revealed (`?sensitive=true`, allowed)."""
    return not v.sees_all_accounts(order) or (revealed and v.may_reveal(order))


def shows_delay_number(v: Viewer, delay: TransactionDelay, *, revealed: bool) -> bool:
    """The reporting bank sees its own account's number; others when revealed (allowed by the checks)."""
    own = v.bank_bin is not None and delay.bank_agency_id == v.agency.id
    return own or revealed


def hides_others(v: Viewer, order: FreezeOrder) -> bool:
    """A bank sees who acted only within its own agency, and the facts only of its own accounts."""
    return not v.sees_all_accounts(order)


def delay_ids_seen(
    session: Session, v: Viewer, orders: Iterable[FreezeOrder]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """For each order, the delays it followed (for a bank: its own), in one query for all of them."""
    orders = list(orders)
    result: dict[uuid.UUID, list[uuid.UUID]] = {o.id: [] for o in orders}
    if not orders:
        return result
    bank_only = {o.id for o in orders if not v.sees_all_accounts(o)}
    rows = session.execute(
        select(TransactionDelay.id, TransactionDelay.followed_by_order_id, TransactionDelay.bank_bin)
        .where(TransactionDelay.followed_by_order_id.in_(list(result)))
        .order_by(TransactionDelay.delayed_at)
    )
    for delay_id, order_id, bank_bin in rows.tuples():
        assert order_id is not None  # selected by it
        if order_id not in bank_only or bank_bin == v.bank_bin:
            result[order_id].append(delay_id)
    return result


def bank_codes(session: Session) -> dict[str, str]:
    """Agency codes of the banks by BIN."""
    rows = session.execute(select(Agency.bank_bin, Agency.code).where(Agency.bank_bin.is_not(None)))
    return dict(rows.tuples().all())  # type: ignore[arg-type]
