"""Who sees and who acts on a block request: the one place for it.

Seeing: the submitting agency sees all of its own requests; the deciding agencies (blocking.json: MOST
for ISP blocks and .vn suspensions, MOIT-ECOM for marketplace takedowns) and the Standing Office
(NSC389) see all but others' drafts; an executor sees the requests dispatched to it, and of those
only its own part (`view_for`); anyone else gets 404 (`load_visible`). The rule in SQL is
`block_request_visible` (one caller) or `visible_to_caller` (statements built once, the caller as a
parameter: the seller history).

Acting: reading needs a blocking scope, or for the Standing Office its reporting scope
(`require_reader`); the deciding agency of the request's action takes the decisions
(`require_decider`); the submitting agency edits and submits (`require_owner`); appeals are filed by
either (`require_owner_or_decider`); an executor replies only to an order addressed to it
(`addressed_executor`); a blocklist is read by its executor or the Standing Office
(`require_feed_reader`). The machine (machine.py) adds the scope, officer and four-eyes checks of each
step.
"""

from __future__ import annotations

import functools
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, or_, select, true
from sqlalchemy.orm import Session, selectinload

from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.errors import NotFound, PermissionDenied, id_or_not_found, record_name
from registry.messages import msg
from registry.models import (
    Agency,
    AgencyKind,
    BlockExecutor,
    BlockRequest,
    BlockTarget,
    Violation,
    WorkflowTransition,
    block_request_violation,
)
from registry.models.blocking import BlockState
from registry.services.blocking.config import rules
from registry.services.blocking.deadlines import infeasible_open, overdue
from registry.services.blocking.expiry import in_shown_state
from registry.services.visibility import CALLER_AGENCY

ANY_BLOCKING = (Scope.BLOCKING_SUBMIT, Scope.BLOCKING_DECIDE, Scope.BLOCKING_EXECUTE)
FEED_AGENCY_KINDS = (AgencyKind.EXECUTOR_ISP, AgencyKind.DOMAIN_REGISTRY)


class View(StrEnum):
    """How much of a request a caller sees."""

    FULL = "full"  # submitting, deciding and oversight agencies
    EXECUTOR = "executor"  # an executor: the order addressed to it, its targets, its own replies


def is_decider(principal: Principal, action: str | None = None) -> bool:
    """A deciding agency of `action` (of any action when None)."""
    deciders = rules().deciding_agencies if action is None else rules().deciders_of(action)
    return principal.agency in deciders


def is_oversight(principal: Principal) -> bool:
    return principal.agency in rules().oversight_agencies


def sees_all_but_drafts(principal: Principal) -> bool:
    return is_decider(principal) or is_oversight(principal)


# -- seeing ---------------------------------------------------------------------------------------------


def _rule(all_but_drafts: bool, agency: Any) -> ColumnElement[bool]:
    """Submitter: all of its own. Deciding and oversight agencies: all but others' drafts.

    Executors: the requests dispatched to them (and then only their part, see `view_for`).
    """
    own = BlockRequest.owner_agency_id == agency
    if all_but_drafts:
        return or_(own, BlockRequest.state != BlockState.DRAFT)
    return or_(own, _addressed_to(agency))


def _addressed_to(agency: Any) -> ColumnElement[bool]:
    return exists().where(
        BlockExecutor.request_id == BlockRequest.id,
        BlockExecutor.agency_id == agency,
        BlockExecutor.dispatched_at.is_not(None),
    )


def block_request_visible(principal: Principal) -> ColumnElement[bool]:
    """SQL: the block requests `principal` may see."""
    return _rule(sees_all_but_drafts(principal), principal.agency_id)


@functools.cache
def visible_to_caller(all_but_drafts: bool) -> ColumnElement[bool]:
    """`block_request_visible` for the caller named by the parameter `caller_agency_id`
    (services.visibility), built once per kind of caller."""
    return _rule(all_but_drafts, CALLER_AGENCY)


def load_visible(session: Session, principal: Principal, request_id: Any) -> BlockRequest:
    """The request, or NotFound whether it is missing or hidden from the caller."""
    key = id_or_not_found(request_id, "block request")
    found = session.scalars(
        select(BlockRequest).where(BlockRequest.id == key, block_request_visible(principal))
    ).first()
    if found is None:
        raise NotFound(msg("No {what} with id {value}.", what=record_name("block request"), value=key))
    return found


def view_for(principal: Principal, block_request: BlockRequest, *, as_executor: bool = False) -> View:
    """The full view for the submitting, deciding and oversight agencies; an executor's view otherwise,
    or when the caller asked for its orders as an executor (`executor=me`)."""
    full = block_request.owner_agency_id == principal.agency_id or sees_all_but_drafts(principal)
    return View.FULL if full and not as_executor else View.EXECUTOR


def _with_parts(query: Select[tuple[BlockRequest]]) -> Select[tuple[BlockRequest]]:
    """What the Read schemas show of a page of requests, loaded for the page at once."""
    return query.options(
        selectinload(BlockRequest.decision),
        selectinload(BlockRequest.targets),
        selectinload(BlockRequest.executors).selectinload(BlockExecutor.acknowledgements),
        selectinload(BlockRequest.violations),
        selectinload(BlockRequest.subjects),
        selectinload(BlockRequest.appeals),
    )


def list_query(principal: Principal, filters: dict[str, Any], now: datetime) -> Select[tuple[BlockRequest]]:
    """The requests the caller sees, filtered (`state` as shown: see expiry.shown_state)."""
    query = _with_parts(select(BlockRequest).where(block_request_visible(principal)))
    if filters.get("executor") == "me":
        query = query.where(_addressed_to(principal.agency_id))
    if filters.get("state"):
        query = query.where(in_shown_state(filters["state"], now))
    if filters.get("action"):
        query = query.where(BlockRequest.action == filters["action"])
    if filters.get("mirror_of"):
        query = query.where(BlockRequest.mirror_of_id == filters["mirror_of"])
    if filters.get("attention") == "technically_infeasible":
        query = query.where(infeasible_open(now))
    return query.where(*report_filters(filters))


def _entered(state: str, since: datetime | None, until: datetime | None) -> ColumnElement[bool]:
    """The request entered `state` within [since, until] (its transitions say when)."""
    clauses = [
        WorkflowTransition.record_type == BlockRequest.record_type,
        WorkflowTransition.record_id == BlockRequest.id,
        WorkflowTransition.to_state == state,
        WorkflowTransition.from_state != state,
    ]
    if since is not None:
        clauses.append(WorkflowTransition.at >= since)
    if until is not None:
        clauses.append(WorkflowTransition.at <= until)
    return exists().where(*clauses)


def report_filters(filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    """The filters the reports link with (services.reports): when a request took effect or was lifted,
    a target kind, the submitting agency, the province of a violation it answers."""
    clauses: list[ColumnElement[bool]] = []
    for state, name in ((BlockState.IN_EFFECT, "effective"), (BlockState.LIFTED, "lifted")):
        since, until = filters.get(f"{name}_from"), filters.get(f"{name}_to")
        if since is not None or until is not None:
            clauses.append(_entered(state, since, until))
    if filters.get("target_kind"):
        clauses.append(
            exists().where(
                BlockTarget.request_id == BlockRequest.id, BlockTarget.kind == filters["target_kind"]
            )
        )
    if filters.get("submitted_by"):
        clauses.append(
            BlockRequest.owner_agency_id
            == select(Agency.id).where(Agency.code == filters["submitted_by"]).scalar_subquery()
        )
    if filters.get("province"):
        clauses.append(
            exists().where(
                block_request_violation.c.request_id == BlockRequest.id,
                Violation.id == block_request_violation.c.violation_id,
                Violation.province == filters["province"],
            )
        )
    return clauses


def overdue_query(principal: Principal, now: datetime) -> Select[tuple[BlockRequest]]:
    """Requests whose current step is past due: the Standing Office sees all, a submitter its own."""
    scope = true() if is_oversight(principal) else BlockRequest.owner_agency_id == principal.agency_id
    return _with_parts(select(BlockRequest).where(overdue(now), scope))


# -- acting ---------------------------------------------------------------------------------------------


def require_any(principal: Principal, *scopes: str) -> None:
    if not any(principal.has(s) for s in scopes):
        raise PermissionDenied(
            msg("This needs one of the scopes {scopes}.", scopes=", ".join(scopes)),
            required_scope=list(scopes),
        )


def require_reader(principal: Principal, *scopes: str) -> None:
    """A blocking scope; or, for the Standing Office, its reporting scope (it oversees, it does not act)."""
    if is_oversight(principal) and principal.has(Scope.REPORTS_READ):
        return
    require_any(principal, *scopes)


def require_decider(principal: Principal, block_request: BlockRequest) -> None:
    """The caller's agency decides requests of this action (blocking.json `deciding_agencies`)."""
    if not is_decider(principal, block_request.action):
        deciders = ", ".join(sorted(rules().deciders_of(block_request.action))) or "none configured"
        raise PermissionDenied(
            msg(
                "Only the deciding agency of {action} ({deciders}) takes this decision on it.",
                action=block_request.action,
                deciders=deciders,
            )
        )


def require_a_decider(principal: Principal) -> None:
    """The caller's agency decides block requests of some action (the complaints of site owners)."""
    if not is_decider(principal):
        deciders = ", ".join(sorted(rules().deciding_agencies))
        raise PermissionDenied(msg("Only a deciding agency ({deciders}) handles this.", deciders=deciders))


def require_owner(principal: Principal, block_request: BlockRequest) -> None:
    if block_request.owner_agency_id != principal.agency_id:
        raise PermissionDenied("Only the submitting agency edits or submits its block request.")


def require_owner_or_decider(principal: Principal, block_request: BlockRequest) -> None:
    if not (
        block_request.owner_agency_id == principal.agency_id or is_decider(principal, block_request.action)
    ):
        raise PermissionDenied("Appeals are recorded by the submitting or the deciding agency.")


def addressed_executor(principal: Principal, block_request: BlockRequest) -> BlockExecutor:
    """The caller's part of an order dispatched to it (PermissionDenied if none)."""
    executor = next(
        (e for e in block_request.executors if e.agency_id == principal.agency_id and e.dispatched_at), None
    )
    if executor is None:
        raise PermissionDenied("This block request is not addressed to your agency.")
    return executor


def load_feed_agency(session: Session, principal: Principal, executor_code: str) -> Agency:
    """The executor whose blocklist is asked for: NotFound unless it is one; only the executor itself
    (blocking:execute) or the Standing Office reads it."""
    executor = session.scalars(select(Agency).where(Agency.code == executor_code)).first()
    if executor is None or executor.kind not in FEED_AGENCY_KINDS:
        raise NotFound(msg("No executor {code}.", code=executor_code))
    own = principal.agency == executor.code and principal.has(Scope.BLOCKING_EXECUTE)
    if not (own or is_oversight(principal)):
        raise PermissionDenied("Only the executor itself or the Standing Office reads this blocklist.")
    return executor


def own_part(principal: Principal, block_request: BlockRequest) -> BlockExecutor:
    """What an executor's view shows of the executors: the caller's own part of the order."""
    return next(e for e in block_request.executors if e.agency_id == principal.agency_id)
