"""The workflow machines of orders, accounts and delays, their state sets and recorded transitions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.scopes import Scope
from registry.models import WorkflowTransition
from registry.models.freezing import FreezeAccount, FreezeOrder
from registry.services import workflow

BEFORE_DISPATCH = frozenset({"submitted", "received", "checked", "returned_for_correction", "resubmitted"})
EFFECTIVE = frozenset({"in_effect", "amended", "extended"})
RUNNING = BEFORE_DISPATCH | {"dispatched"} | EFFECTIVE
ENDED = frozenset({"lifted", "expired", "converted", "not_executed"})
EXECUTABLE = frozenset({"dispatched"}) | EFFECTIVE  # banks answer for their accounts while these last

ORDER = workflow.Machine("freeze_order")
ORDER.add("receive", {"submitted"}, "received", Scope.FREEZE_PROCESS, needs_officer=True)
ORDER.add(
    "check",
    {"received", "resubmitted"},
    "checked",
    Scope.FREEZE_PROCESS,
    needs_officer=True,
    not_same_officer_as=("receive",),
)
ORDER.add(
    "return_for_correction",
    {"received", "checked", "resubmitted"},
    "returned_for_correction",
    Scope.FREEZE_PROCESS,
    needs_officer=True,
)
ORDER.add("resubmit", {"returned_for_correction"}, "resubmitted", Scope.FREEZE_SUBMIT, needs_officer=True)
ORDER.add("dispatch", {"checked"}, "dispatched", Scope.FREEZE_PROCESS, needs_officer=True)
ORDER.add("take_effect", {"dispatched"}, "in_effect", Scope.FREEZE_EXECUTE)
ORDER.add("report_not_executed", {"dispatched"}, "not_executed", Scope.FREEZE_EXECUTE)
ORDER.add("amend", EFFECTIVE, "amended", Scope.FREEZE_SUBMIT, needs_officer=True)
ORDER.add("extend", EFFECTIVE, "extended", Scope.FREEZE_SUBMIT, needs_officer=True)
ORDER.add("lift", RUNNING, "lifted", Scope.FREEZE_SUBMIT, needs_officer=True)
ORDER.add("convert", EFFECTIVE, "converted", Scope.FREEZE_SUBMIT, needs_officer=True)
ORDER.add("expire", RUNNING, "expired", None)
ORDER.add("close", ENDED, "closed", Scope.FREEZE_PROCESS, needs_officer=True)
ORDER_STATES = sorted({a.target for a in ORDER.actions.values()} | {"submitted"})

ACCOUNT = workflow.Machine("freeze_account")
ACCOUNT.add("dispatch", {"pending"}, "dispatched", Scope.FREEZE_PROCESS)
ACCOUNT.add("execute", {"dispatched"}, "executed", Scope.FREEZE_EXECUTE)
ACCOUNT.add("report_not_executable", {"dispatched"}, "not_executable", Scope.FREEZE_EXECUTE)

DELAY = workflow.Machine("transaction_delay")
DELAY.add("supersede", {"in_effect"}, "superseded_by_order", Scope.FREEZE_SUBMIT)
DELAY.add("release", {"in_effect"}, "released", Scope.FREEZE_EXECUTE)
DELAY.add("expire", {"in_effect"}, "expired", None)
DELAY_STATES = ["expired", "in_effect", "released", "superseded_by_order"]


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
