"""Block requests: submission, review under four-eyes, dispatch, executors' replies, appeals and expiry.

Every state change goes through `services.workflow` (`begin` ... `record_transition`, or `apply`) on
MACHINE. Who sees and who acts: access.py. Rules documented in docs/blocking.md; the configurable parts
(deciding and oversight agencies, deadlines) are in registry/data/blocking.json.
"""

from __future__ import annotations

from registry.services.blocking.access import (
    ANY_BLOCKING,
    View,
    addressed_executor,
    block_request_visible,
    is_decider,
    is_oversight,
    list_query,
    load_feed_agency,
    load_visible,
    overdue_query,
    require_decider,
    require_owner,
    require_owner_or_decider,
    require_reader,
    view_for,
)
from registry.services.blocking.appeals import decide_appeal, file_appeal
from registry.services.blocking.checks import VIETNAM, check_decision, check_protection
from registry.services.blocking.config import RULES_FILE, Rules, rules
from registry.services.blocking.deadlines import late_executors
from registry.services.blocking.decisions import confirm_mirror, decide, override, redispatch
from registry.services.blocking.execution import acknowledge, confirm_removal
from registry.services.blocking.expiry import EXPIRING, expire_due, expire_if_due, shown_state, tick
from registry.services.blocking.history import history_requests, history_section
from registry.services.blocking.machine import (
    DECIDE,
    DECIDING_ACTIONS,
    EXECUTE,
    KINDS_BY_ACTION,
    MACHINE,
    NEEDS_REASON,
    REVIEWING,
    SUBMIT,
    TERMINAL,
    transitions,
)
from registry.services.blocking.requests import create, submit, update

__all__ = [
    "ANY_BLOCKING",
    "DECIDE",
    "DECIDING_ACTIONS",
    "EXECUTE",
    "EXPIRING",
    "KINDS_BY_ACTION",
    "MACHINE",
    "NEEDS_REASON",
    "REVIEWING",
    "RULES_FILE",
    "SUBMIT",
    "TERMINAL",
    "VIETNAM",
    "Rules",
    "View",
    "acknowledge",
    "addressed_executor",
    "block_request_visible",
    "check_decision",
    "check_protection",
    "confirm_mirror",
    "confirm_removal",
    "create",
    "decide",
    "decide_appeal",
    "expire_due",
    "expire_if_due",
    "file_appeal",
    "history_requests",
    "history_section",
    "is_decider",
    "is_oversight",
    "late_executors",
    "list_query",
    "load_feed_agency",
    "load_visible",
    "overdue_query",
    "override",
    "redispatch",
    "require_decider",
    "require_owner",
    "require_owner_or_decider",
    "require_reader",
    "rules",
    "shown_state",
    "submit",
    "tick",
    "transitions",
    "update",
    "view_for",
]
