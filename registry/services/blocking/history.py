"""The block requests in a seller's history."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from registry.auth.principal import Principal
from registry.models import BlockRequest, BlockTarget, Subject, block_request_subject
from registry.services.agencies import codes as agency_codes
from registry.services.blocking.access import visible_clause
from registry.services.history import Event, Section


def history_section(
    session: Session, *, principal: Principal, subject: Subject, identifier_ids: list[uuid.UUID]
) -> Section:
    """Block requests concerning the subject or one of its identifiers, as far as the caller may see them."""
    touching = [
        BlockRequest.id.in_(
            select(block_request_subject.c.request_id).where(block_request_subject.c.subject_id == subject.id)
        )
    ]
    if identifier_ids:
        touching.append(
            BlockRequest.id.in_(
                select(BlockTarget.request_id).where(BlockTarget.identifier_id.in_(identifier_ids))
            )
        )
    requests = list(
        session.scalars(
            select(BlockRequest)
            .options(selectinload(BlockRequest.targets))
            .where(or_(*touching), visible_clause(principal))
            .order_by(BlockRequest.created_at, BlockRequest.id)
        )
    )
    codes = agency_codes(session)
    items = [
        {
            "id": r.id,
            "action": r.action,
            "state": r.state,
            "urgent": r.urgent,
            "submitted_by": codes.get(r.owner_agency_id),
            "valid_from": r.valid_from,
            "valid_until": r.valid_until,
            "targets": [t.display for t in r.targets],
            "mirror_of": r.mirror_of_id,
            "created_at": r.created_at,
        }
        for r in requests
    ]
    events = [
        Event(
            r.created_at,
            "block_request",
            r.id,
            codes.get(r.owner_agency_id),
            f"{r.action.replace('_', ' ')} {', '.join(t.display for t in r.targets)}: {r.state}",
        )
        for r in requests
    ]
    return Section("block_requests", items, events)
