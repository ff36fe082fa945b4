"""The block request workflow machine and its action and state sets."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry.auth.scopes import Scope
from registry.models import BlockRequest
from registry.services import workflow

DECIDE, SUBMIT, EXECUTE = (
    Scope.BLOCKING_DECIDE.value,
    Scope.BLOCKING_SUBMIT.value,
    Scope.BLOCKING_EXECUTE.value,
)
REVIEWING = ("submit",)  # four-eyes: no reviewing decision by an officer who submitted the request

MACHINE = workflow.Machine("block_request")
MACHINE.add("submit", {"draft", "returned"}, "submitted", SUBMIT, needs_officer=True)
MACHINE.add(
    "start_review",
    {"submitted"},
    "under_review",
    DECIDE,
    needs_officer=True,
    not_same_officer_as=REVIEWING,
    keeps_deadline=True,
)
MACHINE.add(
    "override",
    {"under_review"},
    "under_review",
    DECIDE,
    needs_officer=True,
    not_same_officer_as=REVIEWING,
    keeps_deadline=True,
)
MACHINE.add("return", {"under_review"}, "returned", DECIDE, needs_officer=True, not_same_officer_as=REVIEWING)
MACHINE.add(
    "approve", {"under_review"}, "approved", DECIDE, needs_officer=True, not_same_officer_as=REVIEWING
)
MACHINE.add("reject", {"under_review"}, "rejected", DECIDE, needs_officer=True, not_same_officer_as=REVIEWING)
MACHINE.add("dispatch", {"approved"}, "dispatched", DECIDE, needs_officer=True)
# The first `executed` reply; a deciding agency records it for a platform without a registry account.
MACHINE.add("take_effect", {"dispatched"}, "in_effect", (EXECUTE, DECIDE))
MACHINE.add("file_appeal", {"in_effect"}, "in_effect", (SUBMIT, DECIDE))
MACHINE.add(
    "dismiss_appeal", {"in_effect"}, "in_effect", DECIDE, needs_officer=True, not_same_officer_as=("approve",)
)
MACHINE.add(
    "uphold_appeal", {"in_effect"}, "lifted", DECIDE, needs_officer=True, not_same_officer_as=("approve",)
)
MACHINE.add("lift", {"in_effect"}, "lifted", DECIDE, needs_officer=True)
MACHINE.add("revoke", {"approved", "dispatched", "in_effect"}, "revoked", DECIDE, needs_officer=True)
MACHINE.add("expire", {"approved", "dispatched", "in_effect"}, "expired", None)

DECIDING_ACTIONS = ("start_review", "return", "approve", "reject", "dispatch", "lift", "revoke")
NEEDS_REASON = frozenset({"return", "reject", "lift", "revoke"})
TERMINAL = frozenset({"rejected", "lifted", "expired", "revoked"})
KINDS_BY_ACTION = {
    "block_at_isp": ("domain", "url", "ip", "ip_range"),
    "suspend_domain": ("domain",),
    "remove_listing": ("marketplace_shop", "url"),
}


def transitions(session: Session, request: BlockRequest) -> list[workflow.WorkflowTransition]:
    return workflow.transitions(session, MACHINE.record_type, request.id)
