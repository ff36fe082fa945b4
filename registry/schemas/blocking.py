"""Block requests: what a submitter sends, what reviewers and executors send back, and what each sees."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from registry.db import utcnow
from registry.models.blocking import (
    BLOCK_ACTIONS,
    INFEASIBLE,
    NOT_EXECUTABLE_REASONS,
    TARGET_KINDS,
    AckOutcome,
    AppealStatus,
    BlockRequest,
    BlockState,
)
from registry.schemas.common import PageQuery, moment, page_of
from registry.schemas.decisions import DecisionRef, Text, text
from registry.schemas.output import AgencyCode, Compute, Output, OutputSchema, current
from registry.services.blocking import removal
from registry.services.blocking.access import View, own_part
from registry.services.blocking.deadlines import is_late
from registry.services.blocking.expiry import is_due, shown_state
from registry.services.blocking.machine import MACHINE, transitions


class BlockTargetSpec(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(TARGET_KINDS))
    value = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    override_requested = fields.Boolean(
        load_default=False,
        metadata={"description": "ask a reviewer to override the over-blocking guard for this target"},
    )
    override_justification = text(2000, load_default=None, allow_none=True)


class _Content(Schema):
    measure = fields.String(
        validate=validate.OneOf(("suspend", "revoke")),
        allow_none=True,
        metadata={"description": "suspend_domain only: suspend (default) or revoke the .vn domain"},
    )
    executors = fields.List(
        fields.String(validate=validate.Length(max=64)),
        validate=validate.Length(max=20),
        metadata={
            "description": "agency codes (ISPs; VNNIC, default for suspend_domain); "
            "empty for remove_listing, addressed to the platform of each shop"
        },
    )
    violation_ids = fields.List(fields.UUID(), validate=validate.Length(max=100))
    decision_id = fields.UUID(allow_none=True, metadata={"description": "the written decision it rests on"})
    valid_from = moment()
    valid_until = moment()
    urgent = fields.Boolean()
    reason = text(4000)


class BlockRequestCreate(_Content):
    action = fields.String(required=True, validate=validate.OneOf(BLOCK_ACTIONS))
    targets = fields.List(
        fields.Nested(BlockTargetSpec), required=True, validate=validate.Length(min=1, max=200)
    )
    executors = fields.List(
        fields.String(validate=validate.Length(max=64)), load_default=list, validate=validate.Length(max=20)
    )
    violation_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=100))
    valid_until = moment(required=True)
    urgent = fields.Boolean(load_default=False)
    reason = text(4000, required=True)
    mirror_of = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "the original request when this one blocks a mirror site"},
    )
    draft = fields.Boolean(load_default=False, metadata={"description": "keep as a draft, do not submit"})


class BlockRequestUpdate(_Content):
    targets = fields.List(fields.Nested(BlockTargetSpec), validate=validate.Length(min=1, max=200))


class BlockTransitionArgs(Schema):
    reason = text(4000, load_default=None, allow_none=True)
    decision_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "the written decision of the step: required to lift or revoke (visible to the "
            "caller, with its document, issued by a body competent for the action); optional otherwise"
        },
    )


class BlockConfirmMirrorArgs(Schema):
    reason = Text(
        required=True,
        validate=validate.Length(min=10, max=4000),
        metadata={"description": "why the original's decision covers the mirror targets it does not name"},
    )


class BlockOverrideArgs(Schema):
    justification = Text(required=True, validate=validate.Length(min=20, max=4000))


class BlockAckItem(Schema):
    target_id = fields.UUID(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf([o.value for o in AckOutcome]))
    reason = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(NOT_EXECUTABLE_REASONS)
    )
    note = text(2000, load_default=None, allow_none=True)

    @validates_schema
    def _reason(self, data: dict[str, Any], **_: Any) -> None:
        if data["outcome"] == AckOutcome.NOT_EXECUTABLE and not data.get("reason"):
            raise ValidationError("required when not_executable", "reason")
        if data["outcome"] == AckOutcome.EXECUTED and data.get("reason"):
            raise ValidationError("only for not_executable", "reason")
        if data.get("reason") == INFEASIBLE and not data.get("note"):
            raise ValidationError("required with technically_infeasible: say why it cannot be done", "note")


class BlockAckArgs(Schema):
    acknowledgements = fields.List(
        fields.Nested(BlockAckItem), required=True, validate=validate.Length(min=1, max=200)
    )


class BlockPlatformAckArgs(BlockAckArgs):
    platform = fields.String(required=True, validate=validate.Length(min=1, max=32))


class BlockRedispatchArgs(Schema):
    executors = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "agency codes of the further executors (ISPs; the .vn registry)"},
    )
    reason = text(4000, required=True)


class BlockRemovalArgs(Schema):
    note = text(2000, load_default=None, allow_none=True)


class BlockPlatformRemovalArgs(BlockRemovalArgs):
    platform = fields.String(required=True, validate=validate.Length(min=1, max=32))


class BlockAppealCreate(Schema):
    appellant = text(300, required=True)
    grounds = text(8000, required=True)
    received_on = fields.Date(load_default=None, allow_none=True)


class BlockAppealDecision(Schema):
    outcome = fields.String(
        required=True, validate=validate.OneOf([AppealStatus.UPHELD.value, AppealStatus.DISMISSED.value])
    )
    reason = text(4000, required=True)
    decision_id = fields.UUID(
        required=True,
        metadata={
            "description": "the written decision on the appeal (visible to the caller, with its document, "
            "issued by a body competent for the action)"
        },
    )


class BlockRequestQuery(PageQuery):
    state = fields.String(validate=validate.OneOf([s.value for s in BlockState]))
    effective_from = fields.AwareDateTime(metadata={"description": "only requests that took effect since"})
    effective_to = fields.AwareDateTime(metadata={"description": "only requests that took effect by then"})
    lifted_from = fields.AwareDateTime(metadata={"description": "only requests lifted since"})
    lifted_to = fields.AwareDateTime(metadata={"description": "only requests lifted by then"})
    target_kind = fields.String(
        validate=validate.OneOf(TARGET_KINDS), metadata={"description": "only requests with a target of it"}
    )
    submitted_by = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "the submitting agency's code"}
    )
    province = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "only requests answering a violation in this province"},
    )
    action = fields.String(validate=validate.OneOf(BLOCK_ACTIONS))
    executor = fields.String(
        validate=validate.OneOf(("me",)), metadata={"description": "`me`: only orders addressed to my agency"}
    )
    mirror_of = fields.UUID()
    attention = fields.String(
        validate=validate.OneOf((INFEASIBLE,)),
        metadata={
            "description": "`technically_infeasible`: dispatched or in-effect requests with an executor's "
            "technically_infeasible answer that no later redispatch has acted on"
        },
    )


# -- what is shown ------------------------------------------------------------------------------------
# Read schemas dump the model instances (services/blocking/access.py decides which view a caller gets).

SHOWN = "block_request_view"  # Output.loaded[(SHOWN, request id)] = (View, with transitions): `show`


def show(records: list[Any], views: list[View], *, with_transitions: bool) -> None:
    """Say how BlockRequestItem dumps each record: in the view the access module chose for the caller,
    with the transitions (a single read) or without (a list)."""
    loaded = current().loaded
    for record, view in zip(records, views, strict=True):
        loaded[(SHOWN, record.id)] = (view, with_transitions)


def _override(target: Any, output: Any) -> dict[str, Any] | None:
    if not target.override_at:
        return None
    return {
        "officer": target.override_by,
        "agency": output.agency_code(target.override_agency_id),
        "reason": target.override_reason,
        "at": target.override_at,
    }


class BlockTargetRead(OutputSchema):
    id = fields.UUID()
    kind = fields.String()
    value = fields.String()
    display = fields.String()
    identifier_id = fields.UUID()
    platform = fields.String(allow_none=True)
    protection = fields.String(allow_none=True)
    override_requested = fields.Boolean()
    override_justification = fields.String(allow_none=True)
    override = fields.Dict(allow_none=True, metadata={"description": "officer, agency, reason, at"})
    mirror_coverage = fields.String(
        allow_none=True,
        metadata={
            "description": "a mirror resting on its original's decision: `named` in it, or only `linked` to "
            "the original's subjects (then a deciding officer's confirm_mirror is needed before approval)"
        },
    )

    computed: ClassVar[dict[str, Compute]] = {"override": _override}


class BlockAckRead(OutputSchema):
    target_id = fields.UUID()
    outcome = fields.String()
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    recorded_by = AgencyCode(attribute="agency_id")
    officer = fields.String(allow_none=True)
    at = fields.DateTime()


def _unblock(executor: Any, output: Any) -> dict[str, Any]:
    return {
        "pending": removal.pending(executor, shown_state(executor.request)),
        "due_at": executor.unblock_due_at,
        "overdue": removal.is_late(executor, utcnow()),
        "confirmed_at": executor.unblocked_at,
        "officer": executor.unblocked_by,
        "recorded_by": output.agency_code(executor.unblock_agency_id) if executor.unblock_agency_id else None,
        "note": executor.unblock_note,
    }


class BlockUnblockRead(Schema):
    pending = fields.Boolean(
        metadata={"description": "it executed the block, the request ended, and it has not confirmed removal"}
    )
    due_at = fields.DateTime(allow_none=True, metadata={"description": "confirm the removal by then"})
    overdue = fields.Boolean()
    confirmed_at = fields.DateTime(allow_none=True)
    officer = fields.String(allow_none=True)
    recorded_by = fields.String(allow_none=True, metadata={"description": "agency code"})
    note = fields.String(allow_none=True)


class BlockExecutorRead(OutputSchema):
    executor = fields.String(metadata={"description": "agency code, or platform name"})
    platform = fields.Boolean()
    dispatched_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    acknowledged = fields.Integer()
    overdue = fields.Boolean()
    acknowledgements = fields.List(fields.Nested(BlockAckRead))
    unblock = fields.Nested(
        BlockUnblockRead,
        metadata={
            "description": "after the request ended: the executor's confirmation that it removed the block"
        },
    )

    computed: ClassVar[dict[str, Compute]] = {
        "executor": lambda e, output: e.platform or output.agency_code(e.agency_id),
        "platform": lambda e, output: e.platform is not None,
        "acknowledged": lambda e, output: len(e.acknowledgements),
        "overdue": lambda e, output: is_late(e, utcnow()),
        "unblock": _unblock,
    }


class BlockAppealRead(OutputSchema):
    id = fields.UUID()
    appellant = fields.String()
    grounds = fields.String()
    received_on = fields.Date()
    filed_by = fields.String()
    filed_at = fields.DateTime()
    status = fields.String()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    decision_id = fields.UUID(allow_none=True)


class BlockTransitionRead(OutputSchema):
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    agency = AgencyCode(attribute="agency_id", allow_none=True)
    officer = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    decision_id = fields.UUID(allow_none=True)
    detail = fields.Dict(allow_none=True)
    at = fields.DateTime()

    computed: ClassVar[dict[str, Compute]] = {
        "detail": lambda t, output: json.loads(t.detail) if t.detail else None
    }


class BlockDecisionRef(DecisionRef):
    """The decision a block request rests on."""


def _allowed(block_request: Any) -> list[str]:
    """The machine's actions from the shown state; confirm_mirror only where a mirror target needs it."""
    needs_confirmation = any(t.mirror_coverage == "linked" for t in block_request.targets)
    return [
        a for a in MACHINE.allowed(shown_state(block_request)) if a != "confirm_mirror" or needs_confirmation
    ]


def _subject_ids(block_request: BlockRequest, output: Output) -> list[Any]:
    """The subjects a request names; shown, they are accesses to them (the audit entry lists them)."""
    ids = [s.id for s in block_request.subjects]
    output.reach(ids)
    return ids


class BlockRequestRead(OutputSchema):
    """The full view: submitting, deciding and oversight agencies. Executors get BlockOrderRead."""

    id = fields.UUID()
    view = fields.String(metadata={"description": "full"})
    action = fields.String()
    measure = fields.String(allow_none=True)
    state = fields.String()
    version = fields.Integer()
    state_due_at = fields.DateTime(allow_none=True)
    allowed_actions = fields.List(fields.String())
    submitted_by_agency = AgencyCode(attribute="owner_agency_id")
    submitted_by = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)
    decision = fields.Nested(BlockDecisionRef, allow_none=True)
    mirror_of = fields.UUID(attribute="mirror_of_id", allow_none=True)
    urgent = fields.Boolean()
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    reason = fields.String()
    targets = fields.List(fields.Nested(BlockTargetRead))
    executors = fields.List(fields.Nested(BlockExecutorRead))
    violation_ids = fields.List(fields.UUID())
    subject_ids = fields.List(fields.UUID())
    appeals = fields.List(fields.Nested(BlockAppealRead))
    technically_infeasible = fields.List(
        fields.Dict(),
        metadata={
            "description": "executors' technically_infeasible answers for the decider: executor, target, "
            "note, at"
        },
    )
    pending_unblock = fields.List(
        fields.String(),
        metadata={"description": "executors that executed the block and have not confirmed its removal"},
    )
    transitions = fields.List(fields.Nested(BlockTransitionRead))
    created_at = fields.DateTime()

    computed: ClassVar[dict[str, Compute]] = {
        "view": lambda r, output: View.FULL.value,
        # A request past its validity shows as expired before the tick records it (reads do not write).
        "state": lambda r, output: shown_state(r).value,
        "state_due_at": lambda r, output: None if is_due(r, utcnow()) else r.state_due_at,
        "allowed_actions": lambda r, output: _allowed(r),
        "violation_ids": lambda r, output: [v.id for v in r.violations],
        "subject_ids": _subject_ids,
        "technically_infeasible": lambda r, output: [
            {
                "executor": e.platform or output.agency_code(e.agency_id),
                "target": next((t.display for t in r.targets if t.id == a.target_id), None),
                "note": a.note,
                "at": a.at.isoformat(),
            }
            for e in r.executors
            for a in e.acknowledgements
            if a.reason == INFEASIBLE
        ],
        "pending_unblock": lambda r, output: [
            e.platform or output.agency_code(e.agency_id)
            for e in r.executors
            if removal.pending(e, shown_state(r))
        ],
        "transitions": lambda r, output: transitions(output.session, r),
    }


class BlockOrderTargetRead(OutputSchema):
    id = fields.UUID()
    kind = fields.String()
    value = fields.String()
    display = fields.String()


class BlockOrderRead(OutputSchema):
    """An executor's view: the order addressed to it, its targets and its own replies, nothing else."""

    id = fields.UUID()
    view = fields.String(metadata={"description": "executor"})
    action = fields.String()
    measure = fields.String(allow_none=True)
    state = fields.String()
    urgent = fields.Boolean()
    decision = fields.Nested(BlockDecisionRef, allow_none=True)
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    targets = fields.List(fields.Nested(BlockOrderTargetRead))
    executor = fields.Nested(BlockExecutorRead)

    computed: ClassVar[dict[str, Compute]] = {
        "view": lambda r, output: View.EXECUTOR.value,
        "state": lambda r, output: shown_state(r).value,
        "executor": lambda r, output: own_part(output.caller, r),
    }


_VIEWS: dict[tuple[View, bool], Schema] = {
    (View.FULL, True): BlockRequestRead(),
    (View.FULL, False): BlockRequestRead(exclude=("transitions",)),
    (View.EXECUTOR, True): BlockOrderRead(),
    (View.EXECUTOR, False): BlockOrderRead(),
}


class BlockRequestItem(BlockRequestRead):
    """A single read or a list item: the full view (without transitions in a list) or an executor's
    order view (`view`), as `show` said for each record."""

    executor = fields.Nested(BlockExecutorRead)

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        if self.many if many is None else many:
            return [self.dump(one, many=False) for one in obj]
        return _VIEWS[current().loaded[(SHOWN, obj.id)]].dump(obj)


BlockRequestPage = page_of(BlockRequestItem, "BlockRequestPage")


class BlockOverdueItem(OutputSchema):
    id = fields.UUID()
    action = fields.String()
    state = fields.String()
    urgent = fields.Boolean()
    submitted_by_agency = AgencyCode(attribute="owner_agency_id")
    state_due_at = fields.DateTime(allow_none=True)
    late_executors = fields.List(fields.String())
    late_unblock = fields.List(
        fields.String(), metadata={"description": "executors past their deadline to confirm the removal"}
    )

    computed: ClassVar[dict[str, Compute]] = {
        "late_executors": lambda r, output: [
            e.platform or output.agency_code(e.agency_id) for e in r.executors if is_late(e, utcnow())
        ],
        "late_unblock": lambda r, output: [
            e.platform or output.agency_code(e.agency_id) for e in r.executors if removal.is_late(e, utcnow())
        ],
    }


BlockOverduePage = page_of(BlockOverdueItem, "BlockOverduePage")


class BlockRequestHistoryItem(OutputSchema):
    """A block request in a seller's history (services/blocking/history.py; the PostgreSQL statement in
    services/history_json.py writes the same fields)."""

    id = fields.UUID()
    action = fields.String()
    state = fields.String()
    urgent = fields.Boolean()
    submitted_by = AgencyCode(attribute="owner_agency_id", allow_none=True)
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    targets = fields.List(fields.String())
    mirror_of = fields.UUID(attribute="mirror_of_id", allow_none=True)
    created_at = fields.DateTime()

    computed: ClassVar[dict[str, Compute]] = {
        "state": lambda r, _: shown_state(r),
        "targets": lambda r, _: [t.display for t in r.targets],
    }


class BlocklistEntry(OutputSchema):
    """One entry of an executor's blocklist: dumps a `feed.Row` (a target, its request, the decision)."""

    kind = fields.String(attribute="target.kind")
    value = fields.String(attribute="target.value")
    display = fields.String(attribute="target.display")
    action = fields.String(attribute="block_request.action")
    measure = fields.String(attribute="block_request.measure", allow_none=True)
    request_id = fields.UUID(attribute="block_request.id")
    target_id = fields.UUID(attribute="target.id")
    decision_number = fields.String(allow_none=True)
    valid_until = fields.DateTime(attribute="block_request.valid_until")
    urgent = fields.Boolean(attribute="block_request.urgent")


class BlocklistRead(Schema):
    executor = fields.String()
    serial = fields.Integer()
    changed_at = fields.DateTime()
    entries = fields.List(fields.Nested(BlocklistEntry))
