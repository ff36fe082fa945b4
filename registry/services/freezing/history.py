"""The freeze orders and transaction delays in a seller's history."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import PermissionDenied
from registry.models import Decision, Identifier, Subject
from registry.models.freezing import FreezeAccount, FreezeOrder, TransactionDelay
from registry.services.agencies import codes as agency_codes
from registry.services.freezing.access import Viewer, require_reader, search, viewer, visible_accounts
from registry.services.freezing.delays import search_delays
from registry.services.freezing.execution import executed_total
from registry.services.timeline import Event, Section


def readable(session: Session, principal: Principal) -> Viewer | None:
    """How the caller sees freeze orders, or None if it may not read them."""
    v = viewer(session, principal)
    try:
        require_reader(v)
    except PermissionDenied:
        return None
    return v


def history_section(
    session: Session, *, principal: Principal, subject: Subject, identifier_ids: list[uuid.UUID]
) -> Section:
    """Freeze orders touching the subject or its accounts, as far as the caller may see them (masked)."""
    v = readable(session, principal)
    if v is None:
        return Section("freeze_orders", [])
    touching = FreezeAccount.subject_id == subject.id
    if identifier_ids:
        touching = touching | FreezeAccount.identifier_id.in_(identifier_ids)
    orders = session.scalars(
        search(v)
        .where(FreezeOrder.id.in_(select(FreezeAccount.order_id).where(touching)))
        .order_by(FreezeOrder.created_at, FreezeOrder.id)
    ).all()
    displays = dict(
        session.execute(
            select(Identifier.id, Identifier.display).where(
                Identifier.id.in_([a.identifier_id for o in orders for a in o.accounts])
            )
        )
        .tuples()
        .all()
    )
    codes = agency_codes(session)
    decisions = dict(
        session.execute(
            select(Decision.id, Decision.number).where(
                Decision.id.in_([o.current_decision_id for o in orders])
            )
        )
        .tuples()
        .all()
    )
    items, events = [], []
    for order in orders:
        accounts = visible_accounts(v, order)
        items.append(
            {
                "id": str(order.id),
                "state": order.state,
                "issuer": codes.get(order.issuer_agency_id),
                "decision_number": decisions.get(order.current_decision_id),
                "amount_vnd": order.amount_vnd,
                "whole_balance": order.whole_balance,
                "executed_total_vnd": executed_total(accounts),
                "valid_from": order.valid_from.isoformat(),
                "valid_until": order.valid_until.isoformat() if order.valid_until else None,
                "accounts": [
                    {
                        "id": str(a.id),
                        "bank_bin": a.bank_bin,
                        "display": displays.get(a.identifier_id),
                        "state": a.state,
                        "amount_frozen_vnd": a.amount_frozen_vnd,
                        "touches_subject": a.subject_id == subject.id or a.identifier_id in identifier_ids,
                    }
                    for a in accounts
                ],
                "created_at": order.created_at.isoformat(),
            }
        )
        amount = "whole balance" if order.whole_balance else f"{order.amount_vnd} VND"
        events.append(
            Event(
                order.created_at,
                "freeze_order",
                order.id,
                codes.get(order.issuer_agency_id),
                f"freeze order ({amount}, {len(accounts)} account(s)): {order.state}",
            )
        )
    return Section("freeze_orders", items, events)


def delay_history_section(
    session: Session, *, principal: Principal, subject: Subject, identifier_ids: list[uuid.UUID]
) -> Section:
    """Bank-initiated delays on the subject's accounts, as far as the caller may see them (masked)."""
    v = readable(session, principal)
    if v is None or not identifier_ids:
        return Section("transaction_delays", [])
    delays = session.scalars(
        search_delays(v)
        .where(TransactionDelay.identifier_id.in_(identifier_ids))
        .order_by(TransactionDelay.delayed_at, TransactionDelay.id)
    ).all()
    displays = dict(
        session.execute(
            select(Identifier.id, Identifier.display).where(
                Identifier.id.in_([d.identifier_id for d in delays])
            )
        )
        .tuples()
        .all()
    )
    codes = agency_codes(session)
    items = [
        {
            "id": str(d.id),
            "state": d.state,
            "bank": codes.get(d.bank_agency_id),
            "account": displays.get(d.identifier_id),
            "amount_vnd": d.amount_vnd,
            "delayed_at": d.delayed_at.isoformat(),
            "ends_at": d.ends_at.isoformat(),
            "superseded_by_order_id": str(d.superseded_by_order_id) if d.superseded_by_order_id else None,
        }
        for d in delays
    ]
    events = [
        Event(
            d.delayed_at,
            "transaction_delay",
            d.id,
            codes.get(d.bank_agency_id),
            f"transaction delayed by the bank ({d.amount_vnd} VND): {d.state}",
        )
        for d in delays
    ]
    return Section("transaction_delays", items, events)
