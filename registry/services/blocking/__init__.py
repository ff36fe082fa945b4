"""Block requests: submission, review under four-eyes, dispatch, executors' replies, appeals and expiry.

Every state change goes through `services.workflow.apply` on MACHINE. Rules documented in
docs/blocking.md; the configurable parts (deciding and oversight agencies, deadlines) are in
registry/data/blocking.json.
"""

from __future__ import annotations

from registry.services.blocking.access import (
    get_visible,
    is_decider,
    is_full_view,
    is_oversight,
    require_decider,
    require_owner,
    search,
    visible_clause,
)
from registry.services.blocking.appeals import decide_appeal, file_appeal
from registry.services.blocking.checks import VIETNAM, check_decision, check_protection
from registry.services.blocking.config import RULES_FILE, Rules, rules
from registry.services.blocking.deadlines import late_executors, overdue_query
from registry.services.blocking.decisions import decide, override
from registry.services.blocking.execution import acknowledge
from registry.services.blocking.expiry import EXPIRING, expire_due, expire_if_due, tick
from registry.services.blocking.history import history_section
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
    "acknowledge",
    "check_decision",
    "check_protection",
    "create",
    "decide",
    "decide_appeal",
    "expire_due",
    "expire_if_due",
    "file_appeal",
    "get_visible",
    "history_section",
    "is_decider",
    "is_full_view",
    "is_oversight",
    "late_executors",
    "overdue_query",
    "override",
    "require_decider",
    "require_owner",
    "rules",
    "search",
    "submit",
    "tick",
    "transitions",
    "update",
    "visible_clause",
]
