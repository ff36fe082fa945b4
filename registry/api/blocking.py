"""Block requests (domains, IPs, URLs, shops): submission, four-eyes review, dispatch, executors, feeds.

Who sees a request: the submitting agency, the deciding agency (MIC) and the Standing Office (NSC389)
see all of it; an executor sees only orders dispatched to it, with the targets and its own replies;
anyone else gets 404. See docs/blocking.md.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Response, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.api.blueprint import RegistryBlueprint
from registry.api.context import app_state, audit_change, audit_detail, audit_resource, caller, db
from registry.api.presenters import agency_code
from registry.auth.scopes import Scope
from registry.db import utcnow
from registry.errors import NotFound, PermissionDenied
from registry.models import Agency, AgencyKind, BlockExecutor, BlockRequest, Decision
from registry.schemas.blocking import (
    BlockAckArgs,
    BlockAppealCreate,
    BlockAppealDecision,
    BlockAppealRead,
    BlocklistRead,
    BlockOrderRead,
    BlockOverduePage,
    BlockOverrideArgs,
    BlockPlatformAckArgs,
    BlockRequestCreate,
    BlockRequestItem,
    BlockRequestPage,
    BlockRequestQuery,
    BlockRequestRead,
    BlockRequestUpdate,
    BlockTransitionArgs,
)
from registry.schemas.common import PageQuery
from registry.services import blocking as service
from registry.services.blocking import feed as feeds
from registry.services.pagination import paginate

blp = RegistryBlueprint(
    "blocking", __name__, url_prefix="/api/v1", description="Domain, IP, URL and shop block requests"
)

ANY_BLOCKING = (Scope.BLOCKING_SUBMIT, Scope.BLOCKING_DECIDE, Scope.BLOCKING_EXECUTE)
# URL segment -> workflow action of the deciding agency's steps
DECISION_ROUTES = {
    "review": "start_review",
    "return": "return",
    "approve": "approve",
    "reject": "reject",
    "dispatch": "dispatch",
    "lift": "lift",
    "revoke": "revoke",
}
NOT_FOUND = "Not found, or not visible to the caller"
INVALID_STATE = (
    "Not allowed in the current state: `current_state` and `allowed` name them, or a concurrent change"
)


def _require_any(*scopes: str) -> None:
    if not any(caller().has(s) for s in scopes):
        raise PermissionDenied(
            f"This needs one of the scopes {', '.join(scopes)}.", required_scope=list(scopes)
        )


def _require_reader(*scopes: str) -> None:
    """A blocking scope; or, for the Standing Office, its reporting scope (it oversees, it does not act)."""
    if service.is_oversight(caller()) and caller().has(Scope.REPORTS_READ):
        return
    _require_any(*scopes)


def _load(request_id: Any) -> BlockRequest:
    audit_resource("block_request", request_id)
    found = service.get_visible(db(), request_id, caller())
    service.expire_if_due(db(), found)
    return found


# -- presenting ----------------------------------------------------------------------------------------


def _decision_ref(decision_id: Any) -> dict[str, Any] | None:
    decision = db().get(Decision, decision_id) if decision_id else None
    if decision is None:
        return None
    return {
        "id": decision.id,
        "number": decision.number,
        "issuer": agency_code(decision.issuer_agency_id),
        "issued_on": decision.issued_on,
        "effective_to": decision.effective_to,
    }


def _executor(executor: BlockExecutor, targets: int, now: datetime) -> dict[str, Any]:
    acks = executor.acknowledgements
    return {
        "executor": executor.platform or agency_code(executor.agency_id),
        "platform": executor.platform is not None,
        "dispatched_at": executor.dispatched_at,
        "due_at": executor.due_at,
        "acknowledged": len(acks),
        "overdue": bool(
            executor.due_at
            and executor.due_at < now
            and len(acks) < targets
            and executor.request.state in ("dispatched", "in_effect")
        ),
        "acknowledgements": [
            {
                "target_id": a.target_id,
                "outcome": a.outcome,
                "reason": a.reason,
                "note": a.note,
                "recorded_by": agency_code(a.agency_id),
                "officer": a.officer,
                "at": a.at,
            }
            for a in acks
        ],
    }


def full_view(record: BlockRequest, *, with_transitions: bool = True) -> dict[str, Any]:
    now = utcnow()
    body: dict[str, Any] = {
        "id": record.id,
        "view": "full",
        "action": record.action,
        "measure": record.measure,
        "state": record.state,
        "version": record.version,
        "state_due_at": record.state_due_at,
        "allowed_actions": service.MACHINE.allowed(record.state),
        "submitted_by_agency": agency_code(record.owner_agency_id),
        "submitted_by": record.submitted_by,
        "approved_by": record.approved_by,
        "decision": _decision_ref(record.decision_id),
        "mirror_of": record.mirror_of_id,
        "urgent": record.urgent,
        "valid_from": record.valid_from,
        "valid_until": record.valid_until,
        "reason": record.reason,
        "created_at": record.created_at,
        "targets": [
            {
                "id": t.id,
                "kind": t.kind,
                "value": t.value,
                "display": t.display,
                "identifier_id": t.identifier_id,
                "platform": t.platform,
                "protection": t.protection,
                "override_requested": t.override_requested,
                "override_justification": t.override_justification,
                "override": {
                    "officer": t.override_by,
                    "agency": agency_code(t.override_agency_id),
                    "reason": t.override_reason,
                    "at": t.override_at,
                }
                if t.override_at
                else None,
            }
            for t in record.targets
        ],
        "executors": [_executor(e, len(record.targets), now) for e in record.executors],
        "violation_ids": [v.id for v in record.violations],
        "subject_ids": [s.id for s in record.subjects],
        "appeals": [
            {
                "id": a.id,
                "appellant": a.appellant,
                "grounds": a.grounds,
                "received_on": a.received_on,
                "filed_by": a.filed_by,
                "filed_at": a.filed_at,
                "status": a.status,
                "decided_by": a.decided_by,
                "decided_at": a.decided_at,
                "decision_reason": a.decision_reason,
                "decision_id": a.decision_id,
            }
            for a in record.appeals
        ],
    }
    if with_transitions:
        body["transitions"] = [
            {
                "action": t.action,
                "from_state": t.from_state,
                "to_state": t.to_state,
                "agency": agency_code(t.agency_id),
                "officer": t.officer,
                "reason": t.reason,
                "decision_id": t.decision_id,
                "detail": json.loads(t.detail) if t.detail else None,
                "at": t.at,
            }
            for t in service.transitions(db(), record)
        ]
    return body


def order_view(record: BlockRequest) -> dict[str, Any]:
    """What an executor sees: its own part of the order only."""
    mine = next(e for e in record.executors if e.agency_id == caller().agency_id)
    return {
        "id": record.id,
        "view": "executor",
        "action": record.action,
        "measure": record.measure,
        "state": record.state,
        "urgent": record.urgent,
        "decision": _decision_ref(record.decision_id),
        "valid_from": record.valid_from,
        "valid_until": record.valid_until,
        "targets": [
            {"id": t.id, "kind": t.kind, "value": t.value, "display": t.display} for t in record.targets
        ],
        "executor": _executor(mine, len(record.targets), utcnow()),
    }


def view(
    record: BlockRequest, *, executor_view: bool = False, with_transitions: bool = True
) -> dict[str, Any]:
    if executor_view or not service.is_full_view(caller(), record):
        return order_view(record)
    return full_view(record, with_transitions=with_transitions)


def _change(record: BlockRequest) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "state": record.state,
        "version": record.version,
        "action": record.action,
        "targets": [[t.kind, t.value] for t in record.targets],
        "decision_id": str(record.decision_id) if record.decision_id else None,
        "valid_until": record.valid_until.isoformat(),
    }


# -- requests ------------------------------------------------------------------------------------------


@blp.route("/block-requests", methods=["POST"])
@blp.access("block_request:create", Scope.BLOCKING_SUBMIT)
@blp.idempotent
@blp.arguments(BlockRequestCreate)
@blp.response(201, BlockRequestRead)
@blp.alt_response(409, description="Idempotency-Key reused with a different body")
def create_block_request(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Submit a block request (or save it as a draft)

    Targets are normalised and linked to registry identifiers. Submission needs a visible decision whose
    issuer is competent for the action, the justifying violations, and no protected target unless an
    override is requested with a justification. Retries with the same Idempotency-Key replay the answer.
    """
    record = service.create(db(), cipher=app_state().cipher, principal=caller(), data=args)
    audit_resource("block_request", record.id)
    audit_change(_change(record))
    return full_view(record)


@blp.route("/block-requests", methods=["GET"])
@blp.access("block_request:list", (*ANY_BLOCKING, Scope.REPORTS_READ))
@blp.arguments(BlockRequestQuery, location="query")
@blp.response(200, BlockRequestPage)
def list_block_requests(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """List block requests visible to the caller

    Needs one of blocking:submit, blocking:decide, blocking:execute (the Standing Office: reports:read).
    `executor=me` lists only the
    orders dispatched to the caller's agency, in the executor's view.
    """
    _require_reader(*ANY_BLOCKING)
    service.expire_due(db())
    query = service.search(caller(), args).options(
        selectinload(BlockRequest.targets),
        selectinload(BlockRequest.executors).selectinload(BlockExecutor.acknowledgements),
        selectinload(BlockRequest.violations),
        selectinload(BlockRequest.subjects),
        selectinload(BlockRequest.appeals),
    )
    page = paginate(
        db(),
        query,
        page=args["page"],
        per_page=args["per_page"],
        order_by=[BlockRequest.created_at.desc(), BlockRequest.id],
    )
    executor_view = args.get("executor") == "me"
    page["items"] = [view(r, executor_view=executor_view, with_transitions=False) for r in page["items"]]
    return page


@blp.route("/block-requests/overdue", methods=["GET"])
@blp.access("block_request:overdue", (Scope.BLOCKING_SUBMIT, Scope.BLOCKING_DECIDE, Scope.REPORTS_READ))
@blp.arguments(PageQuery, location="query")
@blp.response(200, BlockOverduePage)
def list_overdue_block_requests(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """List block requests whose current step is past its deadline

    The Standing Office (NSC389) sees all; a submitting agency sees its own. Needs blocking:submit or
    blocking:decide (the Standing Office: reports:read).
    """
    _require_reader(Scope.BLOCKING_SUBMIT, Scope.BLOCKING_DECIDE)
    now = utcnow()
    service.expire_due(db(), now)
    query = service.overdue_query(caller(), now).options(
        selectinload(BlockRequest.targets),
        selectinload(BlockRequest.executors).selectinload(BlockExecutor.acknowledgements),
    )
    page = paginate(
        db(),
        query,
        page=args["page"],
        per_page=args["per_page"],
        order_by=[BlockRequest.state_due_at, BlockRequest.id],
    )
    page["items"] = [
        {
            "id": r.id,
            "action": r.action,
            "state": r.state,
            "urgent": r.urgent,
            "submitted_by_agency": agency_code(r.owner_agency_id),
            "state_due_at": r.state_due_at,
            "late_executors": [
                e.platform or agency_code(e.agency_id) for e in service.late_executors(r, now)
            ],
        }
        for r in page["items"]
    ]
    return page


@blp.route("/block-requests/<uuid:request_id>", methods=["GET"])
@blp.access("block_request:read", (*ANY_BLOCKING, Scope.REPORTS_READ))
@blp.response(200, BlockRequestItem)
@blp.alt_response(404, description=NOT_FOUND)
def get_block_request(request_id):  # type: ignore[no-untyped-def]
    """Get one block request (an executor gets its own order view)

    Needs one of blocking:submit, blocking:decide, blocking:execute (the Standing Office: reports:read).
    A request read after its validity
    ended is expired in the same transaction.
    """
    _require_reader(*ANY_BLOCKING)
    return view(_load(request_id))


@blp.route("/block-requests/<uuid:request_id>", methods=["PATCH"])
@blp.access("block_request:update", Scope.BLOCKING_SUBMIT)
@blp.arguments(BlockRequestUpdate)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def update_block_request(args: dict[str, Any], request_id):  # type: ignore[no-untyped-def]
    """Change a draft or a request returned for changes (submitting agency)"""
    record = _load(request_id)
    service.update(db(), cipher=app_state().cipher, principal=caller(), request=record, data=args)
    audit_change(_change(record))
    return full_view(record)


@blp.route("/block-requests/<uuid:request_id>/submit", methods=["POST"])
@blp.access("block_request:submit", Scope.BLOCKING_SUBMIT)
@blp.arguments(BlockTransitionArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def submit_block_request(args: dict[str, Any], request_id):  # type: ignore[no-untyped-def]
    """Submit a draft, or resubmit a returned request, for review (named officer)"""
    record = _load(request_id)
    service.submit(db(), principal=caller(), request=record, reason=args.get("reason"))
    audit_change(_change(record))
    return full_view(record)


DECISION_DOCS = {
    "review": "Start reviewing a submitted request (deciding agency; not the submitting officer)",
    "return": "Return a request under review for changes, with a reason (not the submitting officer)",
    "approve": "Approve a request under review (not the submitting officer); the decision is checked again",
    "reject": "Reject a request under review, with a reason (not the submitting officer)",
    "dispatch": "Dispatch an approved request to its executors; their acknowledgement deadline starts",
    "lift": "Lift a block in effect, with a reason and optionally the lifting decision",
    "revoke": "Revoke an approved, dispatched or in-effect request (annulled), with a reason",
}


def _add_decision_route(segment: str, action: str) -> None:
    def decide(args: dict[str, Any], request_id: Any) -> dict[str, Any]:
        record = _load(request_id)
        service.decide(
            db(),
            principal=caller(),
            request=record,
            action=action,
            reason=args.get("reason"),
            decision_id=args.get("decision_id"),
        )
        audit_change(_change(record))
        return full_view(record)

    decide.__name__ = f"block_request_{action}"
    decide.__doc__ = DECISION_DOCS[segment] + "\n\nNeeds a named officer of the deciding agency."
    decorated = blp.alt_response(409, description=INVALID_STATE)(decide)
    decorated = blp.alt_response(404, description=NOT_FOUND)(decorated)
    decorated = blp.response(200, BlockRequestRead)(decorated)
    decorated = blp.arguments(BlockTransitionArgs)(decorated)
    decorated = blp.access(f"block_request:{action}", Scope.BLOCKING_DECIDE)(decorated)
    blp.route(f"/block-requests/<uuid:request_id>/{segment}", methods=["POST"], endpoint=f"block_{segment}")(
        decorated
    )


for _segment, _action in DECISION_ROUTES.items():
    _add_decision_route(_segment, _action)


@blp.route("/block-requests/<uuid:request_id>/targets/<uuid:target_id>/override", methods=["POST"])
@blp.access("block_request:override", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockOverrideArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def override_protected_target(args: dict[str, Any], request_id, target_id):  # type: ignore[no-untyped-def]
    """Record a reviewer's justified override of the over-blocking guard on one protected target"""
    record = _load(request_id)
    target = service.override(
        db(), principal=caller(), request=record, target_id=target_id, justification=args["justification"]
    )
    audit_change({"target": target.display, "override_reason": target.override_reason})
    return full_view(record)


@blp.route("/block-requests/<uuid:request_id>/acknowledgements", methods=["POST"])
@blp.access("block_request:acknowledge", Scope.BLOCKING_EXECUTE)
@blp.arguments(BlockAckArgs)
@blp.response(200, BlockOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE + "; or a target already acknowledged")
def acknowledge_block_request(args: dict[str, Any], request_id):  # type: ignore[no-untyped-def]
    """Report execution per target (executor addressed by the order)

    `executed`, or `not_executable` with a reason: already_blocked, not_our_customer, invalid_target.
    The first `executed` puts the request in effect.
    """
    record = _load(request_id)
    service.acknowledge(db(), principal=caller(), request=record, items=args["acknowledgements"])
    audit_change(
        {"items": [[str(i["target_id"]), i["outcome"], i["reason"]] for i in args["acknowledgements"]]}
    )
    return order_view(record)


@blp.route("/block-requests/<uuid:request_id>/platform-acknowledgements", methods=["POST"])
@blp.access("block_request:acknowledge_platform", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockPlatformAckArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE + "; or a target already acknowledged")
def acknowledge_for_platform(args: dict[str, Any], request_id):  # type: ignore[no-untyped-def]
    """Record a platform's written reply to a remove_listing order (deciding agency)

    Platforms have no registry account: the deciding agency records what the platform reported.
    """
    record = _load(request_id)
    service.acknowledge(
        db(), principal=caller(), request=record, items=args["acknowledgements"], platform=args["platform"]
    )
    audit_change(
        {
            "platform": args["platform"],
            "items": [[str(i["target_id"]), i["outcome"], i["reason"]] for i in args["acknowledgements"]],
        }
    )
    return full_view(record)


@blp.route("/block-requests/<uuid:request_id>/appeals", methods=["POST"])
@blp.access("block_request:file_appeal", Scope.BLOCKING_SUBMIT)
@blp.idempotent
@blp.arguments(BlockAppealCreate)
@blp.response(201, BlockAppealRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE + "; or an appeal already pending")
def file_block_appeal(args: dict[str, Any], request_id):  # type: ignore[no-untyped-def]
    """Record a complaint (appeal) against a request in effect (submitting or deciding agency)"""
    record = _load(request_id)
    appeal = service.file_appeal(db(), principal=caller(), request=record, data=args)
    audit_change({"appeal": str(appeal.id), "appellant": appeal.appellant, "grounds": appeal.grounds})
    return {
        "id": appeal.id,
        "appellant": appeal.appellant,
        "grounds": appeal.grounds,
        "received_on": appeal.received_on,
        "filed_by": appeal.filed_by,
        "filed_at": appeal.filed_at,
        "status": appeal.status,
    }


@blp.route("/block-requests/<uuid:request_id>/appeals/<uuid:appeal_id>/decision", methods=["POST"])
@blp.access("block_request:decide_appeal", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockAppealDecision)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE + "; or the appeal is already decided")
def decide_block_appeal(args: dict[str, Any], request_id, appeal_id):  # type: ignore[no-untyped-def]
    """Decide an appeal: upheld lifts the block, dismissed leaves it in effect (not the approving officer)"""
    record = _load(request_id)
    appeal = service.decide_appeal(db(), principal=caller(), request=record, appeal_id=appeal_id, data=args)
    audit_change({"appeal": str(appeal.id), "outcome": appeal.status, "reason": appeal.decision_reason})
    return full_view(record)


# -- executors' feeds ----------------------------------------------------------------------------------


def _feed(executor_code: str) -> feeds.Feed:
    executor = db().scalars(select(Agency).where(Agency.code == executor_code)).first()
    if executor is None or executor.kind not in (AgencyKind.EXECUTOR_ISP, AgencyKind.DOMAIN_REGISTRY):
        raise NotFound(f"No executor {executor_code}.")
    principal = caller()
    own = principal.agency == executor.code and principal.has(Scope.BLOCKING_EXECUTE)
    if not (own or service.is_oversight(principal)):
        raise PermissionDenied("Only the executor itself or the Standing Office reads this blocklist.")
    audit_resource("blocklist", executor.code)
    feed = feeds.snapshot(db(), executor)
    audit_detail(serial=feed.serial, entries=len(feed.entries))
    return feed


def _conditional(feed: feeds.Feed, body: str, mimetype: str) -> Response:
    if request.if_none_match.contains_weak(feed.etag.strip('"')):
        response = Response(status=304)
    else:
        response = Response(body, mimetype=mimetype)
    response.headers["ETag"] = feed.etag
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@blp.route("/blocklists/<executor_code>.json", methods=["GET"])
@blp.access("blocklist:read", (Scope.BLOCKING_EXECUTE, Scope.REPORTS_READ))
@blp.doc(
    responses={
        "200": {"description": "The blocklist", "content": {"application/json": {"schema": BlocklistRead}}},
        "304": {"description": "Not modified (If-None-Match matched the ETag)"},
    }
)
@blp.alt_response(404, description="No such executor")
def blocklist_json(executor_code: str) -> Response:
    """An executor's blocklist as JSON, with an ETag (send If-None-Match to poll cheaply)

    Every target in effect for the executor, with its decision number and expiry. The serial goes up
    whenever the list changes. Only the executor itself (blocking:execute) or the Standing Office
    may read it.
    """
    feed = _feed(executor_code)
    body = json.dumps(feeds.as_json(feed), ensure_ascii=False)
    return _conditional(feed, body, "application/json")


@blp.route("/blocklists/<executor_code>.rpz", methods=["GET"])
@blp.access("blocklist:read_rpz", (Scope.BLOCKING_EXECUTE, Scope.REPORTS_READ))
@blp.doc(
    responses={
        "200": {"description": "The zone file", "content": {"text/dns": {"schema": {"type": "string"}}}},
        "304": {"description": "Not modified (If-None-Match matched the ETag)"},
    }
)
@blp.alt_response(404, description="No such executor")
def blocklist_rpz(executor_code: str) -> Response:
    """An executor's blocklist as a DNS Response Policy Zone (RPZ) file

    SOA serial = the feed serial. Each domain in effect: `name CNAME .` and `*.name CNAME .`; each IP or
    range: an rpz-ip trigger; each line carries the decision number and expiry as a comment. URLs and
    shops are not in the zone (DNS cannot block a path): they are in the JSON feed. Only the executor
    itself (blocking:execute) or the Standing Office may read it.
    """
    feed = _feed(executor_code)
    return _conditional(feed, feeds.as_rpz(feed), "text/dns")
