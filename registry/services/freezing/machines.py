"""The workflow machines of orders, accounts and delays, their state sets and recorded transitions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.scopes import Scope
from registry.models import WorkflowTransition
from registry.models.freezing import AccountState, DelayState, FreezeAccount, FreezeOrder, OrderState
from registry.services import workflow

BEFORE_DISPATCH = frozenset(
    {
        OrderState.SUBMITTED,
        OrderState.RECEIVED,
        OrderState.CHECKED,
        OrderState.RETURNED_FOR_CORRECTION,
        OrderState.RESUBMITTED,
    }
)
EFFECTIVE = frozenset({OrderState.IN_EFFECT, OrderState.AMENDED, OrderState.EXTENDED})
RUNNING = BEFORE_DISPATCH | {OrderState.DISPATCHED} | EFFECTIVE
ENDED = frozenset({OrderState.LIFTED, OrderState.EXPIRED, OrderState.CONVERTED, OrderState.NOT_EXECUTED})
EXECUTABLE = (
    frozenset({OrderState.DISPATCHED}) | EFFECTIVE
)  # banks answer for their accounts while these last

ORDER = workflow.Machine("freeze_order")
# The State Bank checks the form and dispatches; it cannot hold back or return an order of a competent body
# (it flags a defect to the issuer instead: services/freezing/flags.py). An urgent order (police, courts)
# is dispatched by its issuer at submission, at any hour.
ORDER.add("receive", {OrderState.SUBMITTED}, OrderState.RECEIVED, Scope.FREEZE_PROCESS, needs_officer=True)
ORDER.add(
    "check",
    {OrderState.RECEIVED, OrderState.RESUBMITTED},
    OrderState.CHECKED,
    Scope.FREEZE_PROCESS,
    needs_officer=True,
    not_same_officer_as=("receive",),
)
# The issuer corrects its order before dispatch (e.g. answering a flag); the State Bank checks it again.
# returned_for_correction: only orders returned before the State Bank lost that power.
ORDER.add(
    "resubmit",
    BEFORE_DISPATCH,
    OrderState.RESUBMITTED,
    Scope.FREEZE_SUBMIT,
    needs_officer=True,
)
ORDER.add("dispatch", {OrderState.CHECKED}, OrderState.DISPATCHED, Scope.FREEZE_PROCESS, needs_officer=True)
ORDER.add(
    "dispatch_urgent", {OrderState.SUBMITTED}, OrderState.DISPATCHED, Scope.FREEZE_SUBMIT, needs_officer=True
)
ORDER.add("take_effect", {OrderState.DISPATCHED}, OrderState.IN_EFFECT, Scope.FREEZE_EXECUTE)
ORDER.add("report_not_executed", {OrderState.DISPATCHED}, OrderState.NOT_EXECUTED, Scope.FREEZE_EXECUTE)
ORDER.add("amend", EFFECTIVE, OrderState.AMENDED, Scope.FREEZE_SUBMIT, needs_officer=True)
ORDER.add("extend", EFFECTIVE, OrderState.EXTENDED, Scope.FREEZE_SUBMIT, needs_officer=True)
ORDER.add("lift", RUNNING, OrderState.LIFTED, Scope.FREEZE_SUBMIT, needs_officer=True)
ORDER.add("convert", EFFECTIVE, OrderState.CONVERTED, Scope.FREEZE_SUBMIT, needs_officer=True)
ORDER.add("expire", RUNNING, OrderState.EXPIRED, None)
ORDER.add("close", ENDED, OrderState.CLOSED, Scope.FREEZE_PROCESS, needs_officer=True)
ORDER.add("withdraw", BEFORE_DISPATCH, OrderState.WITHDRAWN, Scope.FREEZE_SUBMIT, needs_officer=True)
ORDER_STATES = sorted(state.value for state in OrderState)

ACCOUNT = workflow.Machine("freeze_account")
# The State Bank dispatches; an urgent order's issuer, and an amendment adding accounts, dispatch at once.
ACCOUNT.add(
    "dispatch", {AccountState.PENDING}, AccountState.DISPATCHED, (Scope.FREEZE_PROCESS, Scope.FREEZE_SUBMIT)
)
ACCOUNT.add("execute", {AccountState.DISPATCHED}, AccountState.EXECUTED, Scope.FREEZE_EXECUTE)
ACCOUNT.add(
    "report_not_executable", {AccountState.DISPATCHED}, AccountState.NOT_EXECUTABLE, Scope.FREEZE_EXECUTE
)
# Releases (services/freezing/releases.py): a lift, an expiry (the system) or an amendment lowering the
# amount instructs the bank; the bank confirms, in whole (released) or in part (executed, for less).
ACCOUNT.add(
    "instruct_release",
    {AccountState.EXECUTED, AccountState.RELEASE_PENDING},  # a lift after a partial release: all of it
    AccountState.RELEASE_PENDING,
    Scope.FREEZE_SUBMIT,
)
ACCOUNT.add("confirm_release", {AccountState.RELEASE_PENDING}, AccountState.RELEASED, Scope.FREEZE_EXECUTE)
ACCOUNT.add(
    "confirm_partial_release", {AccountState.RELEASE_PENDING}, AccountState.EXECUTED, Scope.FREEZE_EXECUTE
)

DELAY = workflow.Machine("transaction_delay")
# A delay ends when the order that follows it is executed at its bank (that bank's report), not when the
# order is submitted; until then it runs to its end (at most the working days the law allows).
DELAY.add("supersede", {DelayState.IN_EFFECT}, DelayState.SUPERSEDED_BY_ORDER, Scope.FREEZE_EXECUTE)
DELAY.add("release", {DelayState.IN_EFFECT}, DelayState.RELEASED, Scope.FREEZE_EXECUTE)
DELAY.add("expire", {DelayState.IN_EFFECT}, DelayState.EXPIRED, None)
DELAY_STATES = sorted(state.value for state in DelayState)


def transitions(
    session: Session, order: FreezeOrder, accounts: list[FreezeAccount]
) -> list[WorkflowTransition]:
    """The order's own transitions and those of the given accounts, in the order they happened."""
    ids = [a.id for a in accounts]
    clause = (WorkflowTransition.record_type == ORDER.record_type) & (
        WorkflowTransition.record_id == order.id
    )
    if ids:
        clause = clause | (
            (WorkflowTransition.record_type == ACCOUNT.record_type) & WorkflowTransition.record_id.in_(ids)
        )
    return list(session.scalars(select(WorkflowTransition).where(clause).order_by(WorkflowTransition.id)))
