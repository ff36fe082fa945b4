"""Who sees and who acts on a block request."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import NotFound, PermissionDenied, id_or_not_found
from registry.models import BlockExecutor, BlockRequest
from registry.services.blocking.config import rules
from registry.services.visibility import CALLER_AGENCY


def is_decider(principal: Principal) -> bool:
    return principal.agency in rules().deciding_agencies


def is_oversight(principal: Principal) -> bool:
    return principal.agency in rules().oversight_agencies


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    return _rule(sees_all_but_drafts(principal), principal.agency_id)


def sees_all_but_drafts(principal: Principal) -> bool:
    return is_decider(principal) or is_oversight(principal)


@functools.cache
def visible_to_caller(all_but_drafts: bool) -> ColumnElement[bool]:
    """`visible_clause` for the caller named by the parameter `caller_agency_id` (services.visibility)."""
    return _rule(all_but_drafts, CALLER_AGENCY)


def _rule(all_but_drafts: bool, agency: Any) -> ColumnElement[bool]:
    """Submitter: all of its own. Deciding and oversight agencies: all but others' drafts.

    Executors: the requests dispatched to them (and then only their part, see `is_full_view`).
    """
    own = BlockRequest.owner_agency_id == agency
    if all_but_drafts:
        return or_(own, BlockRequest.state != "draft")
    addressed = exists().where(
        BlockExecutor.request_id == BlockRequest.id,
        BlockExecutor.agency_id == agency,
        BlockExecutor.dispatched_at.is_not(None),
    )
    return or_(own, addressed)


def is_full_view(principal: Principal, request: BlockRequest) -> bool:
    return request.owner_agency_id == principal.agency_id or is_decider(principal) or is_oversight(principal)


def get_visible(session: Session, request_id: Any, principal: Principal) -> BlockRequest:
    """The request, or NotFound whether it is missing or hidden from the caller."""
    key = id_or_not_found(request_id, "block request")
    found = session.scalars(
        select(BlockRequest).where(BlockRequest.id == key, visible_clause(principal))
    ).first()
    if found is None:
        raise NotFound(f"No block request with id {key}.")
    return found


def require_decider(principal: Principal) -> None:
    if not is_decider(principal):
        deciders = ", ".join(sorted(rules().deciding_agencies))
        raise PermissionDenied(
            f"Only the deciding agency ({deciders}) takes this decision on block requests."
        )


def require_owner(principal: Principal, request: BlockRequest) -> None:
    if request.owner_agency_id != principal.agency_id:
        raise PermissionDenied("Only the submitting agency edits or submits its block request.")


def search(principal: Principal, filters: dict[str, Any]) -> Select[tuple[BlockRequest]]:
    query = select(BlockRequest).where(visible_clause(principal))
    if filters.get("executor") == "me":
        query = query.where(
            exists().where(
                BlockExecutor.request_id == BlockRequest.id,
                BlockExecutor.agency_id == principal.agency_id,
                BlockExecutor.dispatched_at.is_not(None),
            )
        )
    for name in ("state", "action"):
        if filters.get(name):
            query = query.where(getattr(BlockRequest, name) == filters[name])
    if filters.get("mirror_of"):
        query = query.where(BlockRequest.mirror_of_id == filters["mirror_of"])
    return query
