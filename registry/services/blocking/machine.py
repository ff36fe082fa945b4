"""The block request workflow machine and its action and state sets."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry.auth.scopes import Scope
from registry.models import BlockRequest
from registry.models.blocking import BlockState
from registry.services import workflow

DECIDE, SUBMIT, EXECUTE = (
    Scope.BLOCKING_DECIDE.value,
    Scope.BLOCKING_SUBMIT.value,
    Scope.BLOCKING_EXECUTE.value,
)
REVIEWING = ("submit",)  # four-eyes: no reviewing decision by an officer who submitted the request
S = BlockState

MACHINE = workflow.Machine("block_request")
MACHINE.add("submit", {S.DRAFT, S.RETURNED}, S.SUBMITTED, SUBMIT, needs_officer=True)
MACHINE.add(
    "start_review",
    {S.SUBMITTED},
    S.UNDER_REVIEW,
    DECIDE,
    needs_officer=True,
    not_same_officer_as=REVIEWING,
    keeps_deadline=True,
)
MACHINE.add(
    "override",
    {S.UNDER_REVIEW},
    S.UNDER_REVIEW,
    DECIDE,
    needs_officer=True,
    not_same_officer_as=REVIEWING,
    keeps_deadline=True,
)
# A mirror target only linked to the original's subjects (not named in its decision): the decider confirms.
MACHINE.add(
    "confirm_mirror",
    {S.UNDER_REVIEW},
    workflow.STAY,
    DECIDE,
    needs_officer=True,
    not_same_officer_as=REVIEWING,
    keeps_deadline=True,
)
MACHINE.add("return", {S.UNDER_REVIEW}, S.RETURNED, DECIDE, needs_officer=True, not_same_officer_as=REVIEWING)
MACHINE.add(
    "approve", {S.UNDER_REVIEW}, S.APPROVED, DECIDE, needs_officer=True, not_same_officer_as=REVIEWING
)
MACHINE.add("reject", {S.UNDER_REVIEW}, S.REJECTED, DECIDE, needs_officer=True, not_same_officer_as=REVIEWING)
MACHINE.add("dispatch", {S.APPROVED}, S.DISPATCHED, DECIDE, needs_officer=True)
# The first `executed` reply; a deciding agency records it for a platform without a registry account.
MACHINE.add("take_effect", {S.DISPATCHED}, S.IN_EFFECT, (EXECUTE, DECIDE))
MACHINE.add("file_appeal", {S.IN_EFFECT}, S.IN_EFFECT, (SUBMIT, DECIDE))
MACHINE.add(
    "dismiss_appeal", {S.IN_EFFECT}, S.IN_EFFECT, DECIDE, needs_officer=True, not_same_officer_as=("approve",)
)
MACHINE.add(
    "uphold_appeal", {S.IN_EFFECT}, S.LIFTED, DECIDE, needs_officer=True, not_same_officer_as=("approve",)
)
# An executor answered technically_infeasible (or the decider wants more executors): address the order to
# further executors, dispatched at once; the request stays where it is.
MACHINE.add(
    "redispatch", {S.DISPATCHED, S.IN_EFFECT}, workflow.STAY, DECIDE, needs_officer=True, keeps_deadline=True
)
MACHINE.add("lift", {S.IN_EFFECT}, S.LIFTED, DECIDE, needs_officer=True)
MACHINE.add("revoke", {S.APPROVED, S.DISPATCHED, S.IN_EFFECT}, S.REVOKED, DECIDE, needs_officer=True)
MACHINE.add("expire", {S.APPROVED, S.DISPATCHED, S.IN_EFFECT}, S.EXPIRED, None)

DECIDING_ACTIONS = ("start_review", "return", "approve", "reject", "dispatch", "lift", "revoke")
NEEDS_REASON = frozenset({"return", "reject", "lift", "revoke"})
NEEDS_DECISION = frozenset({"lift", "revoke"})  # and appeal outcomes: a written decision, like the block
TERMINAL = frozenset({S.REJECTED, S.LIFTED, S.EXPIRED, S.REVOKED})
EDITABLE = (S.DRAFT, S.RETURNED)  # the submitting agency may still change it
APPROVED_ONWARDS = (S.APPROVED, S.DISPATCHED, S.IN_EFFECT)  # what a mirror may follow; what expires
ADDRESSED = (S.DISPATCHED, S.IN_EFFECT)  # the executors have the order: replies, lateness
KINDS_BY_ACTION = {
    "block_at_isp": ("domain", "url", "ip", "ip_range"),
    "suspend_domain": ("domain",),
    "remove_listing": ("marketplace_shop", "url"),
}


def transitions(session: Session, block_request: BlockRequest) -> list[workflow.WorkflowTransition]:
    return workflow.transitions(session, MACHINE.record_type, block_request.id)
