"""The block requests in a seller's history."""

from __future__ import annotations

import functools
import uuid

from sqlalchemy import Select, bindparam, select, union
from sqlalchemy.orm import Session, selectinload

from registry.auth.principal import Principal
from registry.models import BlockRequest, BlockTarget, Subject, block_request_subject
from registry.services.agencies import codes as agency_codes
from registry.services.blocking.access import sees_all_but_drafts, visible_to_caller
from registry.services.timeline import Event, Section


@functools.cache
def _touching(all_but_drafts: bool) -> Select[tuple[BlockRequest]]:
    """Block requests naming the subject or targeting one of its identifiers, built once per rule."""
    touching = union(
        select(block_request_subject.c.request_id).where(
            block_request_subject.c.subject_id == bindparam("subject_id")
        ),
        select(BlockTarget.request_id).where(
            BlockTarget.identifier_id.in_(bindparam("identifier_ids", expanding=True))
        ),
    )
    return (
        select(BlockRequest)
        .options(selectinload(BlockRequest.targets))
        .where(BlockRequest.id.in_(touching), visible_to_caller(all_but_drafts))
        .order_by(BlockRequest.created_at, BlockRequest.id)
    )


def history_section(
    session: Session, *, principal: Principal, subject: Subject, identifier_ids: list[uuid.UUID]
) -> Section:
    """Block requests concerning the subject or one of its identifiers, as far as the caller may see them."""
    requests = list(
        session.scalars(
            _touching(sees_all_but_drafts(principal)),
            {
                "subject_id": subject.id,
                "identifier_ids": identifier_ids,
                "caller_agency_id": principal.agency_id,
            },
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
