"""Account-freeze orders and bank-initiated transaction delays.

An order is issued by a competent body (its written decision), received and checked by the State Bank
(two different officers), dispatched to the banks holding the accounts, executed or refused per account
by those banks, and then amended, extended, lifted, converted or left to expire. A bank may also delay a
suspicious transaction itself; the delay ends by itself after a few working days unless an order
follows and links to it. Every step goes through `registry.services.workflow` (begin, the step's own
checks and changes, record_transition).

The modules:
- access: who sees and who acts on an order or a delay (the one rule), and what part of it they see;
- orders: the issuer's steps and the State Bank's; execution: the banks'; delays: the banks' delays;
- machines: the state machines and state sets (states: models.freezing.OrderState, AccountState,
  DelayState); expiry: what ends by itself (only `tick` writes it; reads show it); deadlines: overdue
  steps; terms: an order's terms and accounts; history: the seller history's sections; config: rules.
"""

from __future__ import annotations

from registry.models.freezing import NOT_EXECUTABLE_REASONS
from registry.services.freezing.access import (
    Viewer,
    accounts_seen,
    delay_query,
    delays_seen_by,
    load_delay_for_step,
    load_for_step,
    load_visible,
    load_visible_delay,
    order_query,
    orders_seen_by,
    reader,
    require_issuer,
    require_processor,
    require_reader,
    require_reveal_delays,
    require_reveal_order,
    require_reveal_orders,
    require_supervisor,
    viewer,
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
from registry.services.freezing.delays import release_delay, report_delay
from registry.services.freezing.execution import executed_total, get_account, report_execution
from registry.services.freezing.expiry import (
    expire_delay_if_due,
    expire_order_if_due,
    expiry_instant,
    shown_delay_state,
    shown_order_state,
    tick,
)
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
from registry.services.freezing.orders import (
    amend,
    convert,
    extend,
    lift,
    process,
    resubmit,
    submit,
    withdraw,
)
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
    "accounts_seen",
    "amend",
    "convert",
    "delay_history_section",
    "delay_query",
    "delays_seen_by",
    "executed_total",
    "expire_delay_if_due",
    "expire_order_if_due",
    "expiry_instant",
    "extend",
    "get_account",
    "history_section",
    "late_steps",
    "lift",
    "load_delay_for_step",
    "load_for_step",
    "load_visible",
    "load_visible_delay",
    "order_query",
    "orders_seen_by",
    "overdue_query",
    "process",
    "reader",
    "release_delay",
    "report_delay",
    "report_execution",
    "require_issuer",
    "require_processor",
    "require_reader",
    "require_reveal_delays",
    "require_reveal_order",
    "require_reveal_orders",
    "require_supervisor",
    "resubmit",
    "rules",
    "shown_delay_state",
    "shown_order_state",
    "submit",
    "terms_of",
    "tick",
    "today_in_vietnam",
    "transitions",
    "viewer",
    "withdraw",
]
