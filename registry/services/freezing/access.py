"""Who is asking: the viewer, the read and step checks, and which orders and accounts they see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, or_, select, true
from sqlalchemy.orm import Session, selectinload

from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.errors import NotFound, PermissionDenied, id_or_not_found
from registry.models import AgencyKind
from registry.models.freezing import AccountState, FreezeAccount, FreezeOrder
from registry.services import agencies
from registry.services.freezing.config import READ_SCOPES, _matches, rules
from registry.services.freezing.expiry import expire_order_if_due


@dataclass(frozen=True)
class Viewer:
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

    def is_issuer(self, order: FreezeOrder) -> bool:
        return order.issuer_agency_id == self.agency.id

    def sees_all_accounts(self, order: FreezeOrder) -> bool:
        return self.processor or self.overseer or self.is_issuer(order)

    def may_reveal(self, order: FreezeOrder) -> bool:
        return self.processor or self.is_issuer(order)


def viewer(session: Session, principal: Principal) -> Viewer:
    agency = agencies.facts(session, principal.agency_id)
    assert agency is not None  # a verified token names an existing agency
    return Viewer(principal, agency)


def require_reader(v: Viewer) -> None:
    """Freeze data is for the freeze workflow's parties: any freeze scope, or an overseer's read scope."""
    if any(v.principal.has(s) for s in READ_SCOPES):
        return
    if v.overseer and v.principal.has(Scope.REGISTRY_READ):
        return
    raise PermissionDenied(
        "Freeze orders are for the issuing bodies, the State Bank, the banks and the Standing Office.",
        required_scope=" or ".join(READ_SCOPES),
    )


def require_processor(v: Viewer) -> None:
    if not v.processor:
        raise PermissionDenied("Only the State Bank receives, checks, dispatches and closes freeze orders.")


def require_issuer(v: Viewer, order: FreezeOrder) -> None:
    if not v.is_issuer(order):
        raise PermissionDenied(
            "Only the issuing agency corrects, amends, extends, lifts or converts its order."
        )


def order_visible_clause(v: Viewer) -> ColumnElement[bool]:
    if v.processor or v.overseer:
        return true()
    clauses: list[ColumnElement[bool]] = [FreezeOrder.issuer_agency_id == v.agency.id]
    if v.bank_bin:
        clauses.append(
            exists().where(
                FreezeAccount.order_id == FreezeOrder.id,
                FreezeAccount.bank_bin == v.bank_bin,
                FreezeAccount.state != AccountState.PENDING,
            )
        )
    return or_(*clauses)


def visible_accounts(v: Viewer, order: FreezeOrder) -> list[FreezeAccount]:
    if v.sees_all_accounts(order):
        return list(order.accounts)
    return [a for a in order.accounts if a.bank_bin == v.bank_bin and a.state != AccountState.PENDING]


def get_order(session: Session, v: Viewer, order_id: Any, *, now: datetime | None = None) -> FreezeOrder:
    """The order if the caller may see it, else NotFound; an order past its validity expires here."""
    key = id_or_not_found(order_id, "freeze order")
    order = session.scalars(
        select(FreezeOrder)
        .options(selectinload(FreezeOrder.accounts))
        .where(FreezeOrder.id == key, order_visible_clause(v))
    ).first()
    if order is None:
        raise NotFound(f"No freeze order with id {key}.")
    expire_order_if_due(session, order, now=now)
    return order


def search(v: Viewer, *, state: str | None = None) -> Select[tuple[FreezeOrder]]:
    query = select(FreezeOrder).options(selectinload(FreezeOrder.accounts)).where(order_visible_clause(v))
    return query.where(FreezeOrder.state == state) if state else query
