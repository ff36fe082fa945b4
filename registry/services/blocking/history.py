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
from registry.services.blocking.expiry import shown_state
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


def history_requests(
    session: Session, *, principal: Principal, subject: Subject, identifier_ids: list[uuid.UUID]
) -> list[BlockRequest]:
    """Block requests concerning the subject or one of its identifiers, as far as the caller may see them."""
    return list(
        session.scalars(
            _touching(sees_all_but_drafts(principal)),
            {
                "subject_id": subject.id,
                "identifier_ids": identifier_ids,
                "caller_agency_id": principal.agency_id,
            },
        )
    )


def history_events(session: Session, requests: list[BlockRequest]) -> list[Event]:
    codes = agency_codes(session)
    return [
        Event(
            r.created_at,
            "block_request",
            r.id,
            codes.get(r.owner_agency_id),
            f"{r.action.replace('_', ' ')} {', '.join(t.display for t in r.targets)}: {shown_state(r)}",
        )
        for r in requests
    ]


def history_section(
    session: Session, *, principal: Principal, subject: Subject, identifier_ids: list[uuid.UUID]
) -> Section:
    """The seller history's block requests (HistoryRead writes each with `BlockRequestHistoryItem`) and
    their events, in the state a reader sees (`expiry.shown_state`: expired once the validity ended)."""
    requests = history_requests(session, principal=principal, subject=subject, identifier_ids=identifier_ids)
    return Section("block_requests", requests, history_events(session, requests))
