"""Account-freeze orders and bank-initiated transaction delays.

An order is issued by a competent body (its written decision), received and checked by the State Bank
(two different officers), dispatched to the banks holding the accounts, executed or refused per account
by those banks, and then amended, extended, lifted, converted or left to expire. A bank may also delay a
suspicious transaction itself; the delay ends by itself after a few working days unless an order
follows and links to it. Every step goes through `registry.services.workflow.apply`.

Who sees an order (the one rule, used for lists, single reads and the seller history):
- the issuing agency, the processors (the State Bank) and the overseers (the Standing Office): all of it;
- a bank: only orders dispatched to it, and in them only the accounts of its own BIN;
- everyone else: nothing (404).
Full account numbers: a bank always for its own accounts; the issuing agency and the State Bank with
`registry:read_sensitive` and a purpose (`?sensitive=true`); nobody else.
"""

from __future__ import annotations

from registry.models.freezing import NOT_EXECUTABLE_REASONS
from registry.services.freezing.access import (
    Viewer,
    get_order,
    order_visible_clause,
    require_reader,
    search,
    viewer,
    visible_accounts,
)
from registry.services.freezing.config import (
    CLOCK_SKEW,
    COMPETENCE_ACTION,
    DEFAULT_RULES_FILE,
    READ_SCOPES,
    Rules,
    rules,
)
from registry.services.freezing.deadlines import late_steps, overdue_query
from registry.services.freezing.delays import (
    delay_ids_of,
    delay_visible_clause,
    get_delay,
    may_reveal_delay,
    notified_codes,
    release_delay,
    report_delay,
    search_delays,
)
from registry.services.freezing.execution import executed_total, get_account, report_execution
from registry.services.freezing.expiry import expire_delay_if_due, expire_order_if_due, expiry_instant, tick
from registry.services.freezing.history import delay_history_section, history_section
from registry.services.freezing.machines import (
    ACCOUNT,
    BEFORE_DISPATCH,
    DELAY,
    DELAY_STATES,
    EFFECTIVE,
    ENDED,
    EXECUTABLE,
    ORDER,
    ORDER_STATES,
    RUNNING,
    transitions,
)
from registry.services.freezing.orders import amend, convert, extend, lift, process, resubmit, submit
from registry.services.freezing.terms import TERMS, terms_of, today_in_vietnam

__all__ = [
    "ACCOUNT",
    "BEFORE_DISPATCH",
    "CLOCK_SKEW",
    "COMPETENCE_ACTION",
    "DEFAULT_RULES_FILE",
    "DELAY",
    "DELAY_STATES",
    "EFFECTIVE",
    "ENDED",
    "EXECUTABLE",
    "NOT_EXECUTABLE_REASONS",
    "ORDER",
    "ORDER_STATES",
    "READ_SCOPES",
    "RUNNING",
    "TERMS",
    "Rules",
    "Viewer",
    "amend",
    "convert",
    "delay_history_section",
    "delay_ids_of",
    "delay_visible_clause",
    "executed_total",
    "expire_delay_if_due",
    "expire_order_if_due",
    "expiry_instant",
    "extend",
    "get_account",
    "get_delay",
    "get_order",
    "history_section",
    "late_steps",
    "lift",
    "may_reveal_delay",
    "notified_codes",
    "order_visible_clause",
    "overdue_query",
    "process",
    "release_delay",
    "report_delay",
    "report_execution",
    "require_reader",
    "resubmit",
    "rules",
    "search",
    "search_delays",
    "submit",
    "terms_of",
    "tick",
    "today_in_vietnam",
    "transitions",
    "viewer",
    "visible_accounts",
]
