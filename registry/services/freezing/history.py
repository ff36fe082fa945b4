"""The freeze orders and transaction delays in a seller's history: the records the caller sees (the rule
is services.freezing.access), dumped by the item schemas in schemas.freezing, and their timeline events."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import PermissionDenied
from registry.models import Subject
from registry.models.freezing import FreezeAccount, FreezeOrder, TransactionDelay
from registry.services.agencies import codes as agency_codes
from registry.services.freezing.access import Viewer, accounts_seen, delay_query, order_query, reader
from registry.services.freezing.expiry import shown_delay_state, shown_order_state
from registry.services.timeline import Event, Section


def readable(session: Session, principal: Principal) -> Viewer | None:
    """How the caller sees freeze orders, or None if it may not read them."""
    try:
        return reader(session, principal)
    except PermissionDenied:
        return None


def orders_touching(
    session: Session, v: Viewer, subject: Subject, identifier_ids: list[uuid.UUID]
) -> list[FreezeOrder]:
    """The orders `v` sees naming the subject or one of its accounts, oldest first."""
    touching = FreezeAccount.subject_id == subject.id
    if identifier_ids:
        touching = touching | FreezeAccount.identifier_id.in_(identifier_ids)
    return list(
        session.scalars(
            order_query(v)
            .where(FreezeOrder.id.in_(select(FreezeAccount.order_id).where(touching)))
            .order_by(FreezeOrder.created_at, FreezeOrder.id)
        )
    )


def order_events(session: Session, v: Viewer, orders: list[FreezeOrder]) -> list[Event]:
    codes = agency_codes(session)
    events = []
    for order in orders:
        amount = "whole balance" if order.whole_balance else f"{order.amount_vnd} VND"
        events.append(
            Event(
                order.created_at,
                "freeze_order",
                order.id,
                codes.get(order.issuer_agency_id),
                f"freeze order ({amount}, {len(accounts_seen(v, order))} account(s)): "
                f"{shown_order_state(order)}",
            )
        )
    return events


def history_section(
    session: Session, *, principal: Principal, subject: Subject, identifier_ids: list[uuid.UUID]
) -> Section:
    """Freeze orders touching the subject or its accounts, as far as the caller may see them (HistoryRead
    writes each with FreezeOrderHistoryItem, masked), and their events."""
    # Imported here: schemas.output imports services (agency codes), which import this package.
    from registry.schemas.output import current

    v = readable(session, principal)
    if v is None:
        return Section("freeze_orders", [])
    orders = orders_touching(session, v, subject, identifier_ids)
    output = current()
    for order in orders:
        for account in order.accounts:
            touches = account.subject_id == subject.id or account.identifier_id in identifier_ids
            output.loaded[("freeze:touches", account.id)] = touches
    return Section("freeze_orders", orders, order_events(session, v, orders))


def delays_touching(session: Session, v: Viewer, identifier_ids: list[uuid.UUID]) -> list[TransactionDelay]:
    """The delays `v` sees on the subject's accounts, oldest first."""
    return list(
        session.scalars(
            delay_query(v)
            .where(TransactionDelay.identifier_id.in_(identifier_ids))
            .order_by(TransactionDelay.delayed_at, TransactionDelay.id)
        )
    )


def delay_events(session: Session, delays: list[TransactionDelay]) -> list[Event]:
    codes = agency_codes(session)
    return [
        Event(
            d.delayed_at,
            "transaction_delay",
            d.id,
            codes.get(d.bank_agency_id),
            f"transaction delayed by the bank ({d.amount_vnd} VND): {shown_delay_state(d)}",
        )
        for d in delays
    ]


def delay_history_section(
    session: Session, *, principal: Principal, subject: Subject, identifier_ids: list[uuid.UUID]
) -> Section:
    """Bank-initiated delays on the subject's accounts, as far as the caller may see them (HistoryRead
    writes each with DelayHistoryItem, masked), and their events."""
    v = readable(session, principal)
    if v is None or not identifier_ids:
        return Section("transaction_delays", [])
    delays = delays_touching(session, v, identifier_ids)
    return Section("transaction_delays", delays, delay_events(session, delays))
