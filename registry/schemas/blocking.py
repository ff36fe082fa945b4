"""Block requests: what a submitter sends, what reviewers and executors send back, and what each sees."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from registry.models.blocking import BLOCK_ACTIONS, NOT_EXECUTABLE_REASONS, TARGET_KINDS
from registry.schemas.common import PageQuery, page_of
from registry.schemas.decisions import Text, text

STATES = (
    "draft",
    "submitted",
    "under_review",
    "returned",
    "approved",
    "rejected",
    "dispatched",
    "in_effect",
    "lifted",
    "expired",
    "revoked",
)


def moment(**kwargs: Any) -> fields.AwareDateTime:
    return fields.AwareDateTime(default_timezone=UTC, **kwargs)


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
        metadata={"description": "a further document, e.g. the lifting decision"},
    )


class BlockOverrideArgs(Schema):
    justification = Text(required=True, validate=validate.Length(min=20, max=4000))


class BlockAckItem(Schema):
    target_id = fields.UUID(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(("executed", "not_executable")))
    reason = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(NOT_EXECUTABLE_REASONS)
    )
    note = text(2000, load_default=None, allow_none=True)

    @validates_schema
    def _reason(self, data: dict[str, Any], **_: Any) -> None:
        if data["outcome"] == "not_executable" and not data.get("reason"):
            raise ValidationError("required when not_executable", "reason")
        if data["outcome"] == "executed" and data.get("reason"):
            raise ValidationError("only for not_executable", "reason")


class BlockAckArgs(Schema):
    acknowledgements = fields.List(
        fields.Nested(BlockAckItem), required=True, validate=validate.Length(min=1, max=200)
    )


class BlockPlatformAckArgs(BlockAckArgs):
    platform = fields.String(required=True, validate=validate.Length(min=1, max=32))


class BlockAppealCreate(Schema):
    appellant = text(300, required=True)
    grounds = text(8000, required=True)
    received_on = fields.Date(load_default=None, allow_none=True)


class BlockAppealDecision(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(("upheld", "dismissed")))
    reason = text(4000, required=True)
    decision_id = fields.UUID(load_default=None, allow_none=True)


class BlockRequestQuery(PageQuery):
    state = fields.String(validate=validate.OneOf(STATES))
    action = fields.String(validate=validate.OneOf(BLOCK_ACTIONS))
    executor = fields.String(
        validate=validate.OneOf(("me",)), metadata={"description": "`me`: only orders addressed to my agency"}
    )
    mirror_of = fields.UUID()


# -- what is shown -----------------------------------------------------------------------------------


class BlockTargetRead(Schema):
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


class BlockAckRead(Schema):
    target_id = fields.UUID()
    outcome = fields.String()
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    officer = fields.String(allow_none=True)
    at = fields.DateTime()


class BlockExecutorRead(Schema):
    executor = fields.String(metadata={"description": "agency code, or platform name"})
    platform = fields.Boolean()
    dispatched_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    acknowledged = fields.Integer()
    overdue = fields.Boolean()
    acknowledgements = fields.List(fields.Nested(BlockAckRead))


class BlockAppealRead(Schema):
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


class BlockTransitionRead(Schema):
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    agency = fields.String(allow_none=True)
    officer = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    decision_id = fields.UUID(allow_none=True)
    detail = fields.Dict(allow_none=True)
    at = fields.DateTime()


class BlockDecisionRef(Schema):
    id = fields.UUID()
    number = fields.String()
    issuer = fields.String()
    issued_on = fields.Date()
    effective_to = fields.Date(allow_none=True)


class BlockRequestRead(Schema):
    """The full view: submitting, deciding and oversight agencies. Executors get BlockOrderRead."""

    id = fields.UUID()
    view = fields.String(metadata={"description": "full"})
    action = fields.String()
    measure = fields.String(allow_none=True)
    state = fields.String()
    version = fields.Integer()
    state_due_at = fields.DateTime(allow_none=True)
    allowed_actions = fields.List(fields.String())
    submitted_by_agency = fields.String()
    submitted_by = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)
    decision = fields.Nested(BlockDecisionRef, allow_none=True)
    mirror_of = fields.UUID(allow_none=True)
    urgent = fields.Boolean()
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    reason = fields.String()
    targets = fields.List(fields.Nested(BlockTargetRead))
    executors = fields.List(fields.Nested(BlockExecutorRead))
    violation_ids = fields.List(fields.UUID())
    subject_ids = fields.List(fields.UUID())
    appeals = fields.List(fields.Nested(BlockAppealRead))
    transitions = fields.List(fields.Nested(BlockTransitionRead))
    created_at = fields.DateTime()


class BlockOrderTargetRead(Schema):
    id = fields.UUID()
    kind = fields.String()
    value = fields.String()
    display = fields.String()


class BlockOrderRead(Schema):
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


class BlockRequestItem(BlockRequestRead):
    """A list item: the full view (without transitions) or an executor's order view (`view`)."""

    executor = fields.Nested(BlockExecutorRead)


BlockRequestPage = page_of(BlockRequestItem, "BlockRequestPage")


class BlockOverdueItem(Schema):
    id = fields.UUID()
    action = fields.String()
    state = fields.String()
    urgent = fields.Boolean()
    submitted_by_agency = fields.String()
    state_due_at = fields.DateTime(allow_none=True)
    late_executors = fields.List(fields.String())


BlockOverduePage = page_of(BlockOverdueItem, "BlockOverduePage")


class BlocklistEntry(Schema):
    kind = fields.String()
    value = fields.String()
    display = fields.String()
    action = fields.String()
    measure = fields.String(allow_none=True)
    request_id = fields.UUID()
    target_id = fields.UUID()
    decision_number = fields.String(allow_none=True)
    valid_until = fields.DateTime()
    urgent = fields.Boolean()


class BlocklistRead(Schema):
    executor = fields.String()
    serial = fields.Integer()
    changed_at = fields.DateTime()
    entries = fields.List(fields.Nested(BlocklistEntry))
