"""A small state-machine engine shared by block requests and freeze orders.

A machine is data: named actions, the states each may start from, the state it leads to, the scope
it needs, whether it needs an officer, and which earlier action's officer must not be the one acting
(four-eyes). `apply` checks all of it, records the transition, and bumps the record's version, so of
two officers acting at once on the same record exactly one wins (the other gets a Conflict).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import Conflict, InvalidTransition, PermissionDenied, record_name
from registry.messages import msg
from registry.models.workflow import WorkflowRecord, WorkflowTransition

SYSTEM_ACTOR = "system"
STAY = "*"  # an action's target: the record stays in the state it is in (a step inside several states)


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset[str]
    target: str
    scope: str | tuple[str, ...] | None  # None: only the system; a tuple: any one of these scopes
    needs_officer: bool = False
    not_same_officer_as: tuple[str, ...] = ()  # four-eyes against these earlier actions
    deadline: timedelta | None = None  # due time of the state it leads to
    keeps_deadline: bool = False  # a step inside a state (e.g. an override): its due time stays

    @property
    def scopes(self) -> tuple[str, ...]:
        return (self.scope,) if isinstance(self.scope, str) else (self.scope or ())


@dataclass
class Machine:
    record_type: str
    actions: dict[str, Action] = field(default_factory=dict)

    def add(
        self,
        name: str,
        sources: set[str] | frozenset[str],
        target: str,
        scope: str | tuple[str, ...] | None,
        **kwargs: Any,
    ) -> None:
        self.actions[name] = Action(name, frozenset(sources), target, scope, **kwargs)

    def allowed(self, state: str) -> list[str]:
        return sorted(name for name, action in self.actions.items() if state in action.sources)


def _past(action_name: str) -> str:
    verb = action_name.replace("_", " ")
    return verb + ("d" if verb.endswith("e") else "ed")


def _label(machine: Machine) -> str:
    return record_name(machine.record_type.replace("_", " "))


def officers_of(
    session: Session, record_type: str, record_id: Any, actions: tuple[str, ...]
) -> set[tuple[int | None, str]]:
    """The officers who took `actions` on the record, each qualified by their agency: an officer name is
    only unique within its agency's identity provider (`MIC:an.nv` is not `MOIT-DMS:an.nv`)."""
    rows = session.execute(
        select(WorkflowTransition.agency_id, WorkflowTransition.officer).where(
            WorkflowTransition.record_type == record_type,
            WorkflowTransition.record_id == record_id,
            WorkflowTransition.action.in_(actions),
        )
    )
    return {(agency_id, officer) for agency_id, officer in rows if officer}


@dataclass
class Step:
    """An action allowed on a record, begun but not yet recorded (see `begin`)."""

    session: Session
    machine: Machine
    record: WorkflowRecord
    action: Action
    principal: Principal | None

    def record_transition(
        self,
        *,
        reason: str | None = None,
        decision_id: Any = None,
        detail: dict[str, Any] | None = None,
        deadline: timedelta | None = None,
        due_at: datetime | None = None,
        now: datetime | None = None,
    ) -> WorkflowTransition:
        """Move the record to the action's target state and keep the transition (who, when, why).

        The due time of the new state is `due_at` if given (an absolute time, e.g. the end of a working
        day), else now + `deadline`, else now + the action's own deadline, else none.
        """
        record, action, principal = self.record, self.action, self.principal
        now = now or utcnow()
        transition = WorkflowTransition(
            record_type=self.machine.record_type,
            record_id=record.id,  # type: ignore[attr-defined]
            action=action.name,
            from_state=record.state,
            to_state=record.state if action.target == STAY else action.target,
            agency_id=principal.agency_id if principal else None,
            client_id=principal.client_id if principal else None,
            officer=principal.officer if principal else SYSTEM_ACTOR,
            reason=reason,
            decision_id=decision_id,
            detail=json.dumps(detail, sort_keys=True, default=str) if detail else None,
            at=now,
        )
        record.state = transition.to_state
        due = deadline or action.deadline
        if due_at is not None:
            record.state_due_at = due_at
        elif due or not action.keeps_deadline:
            record.state_due_at = now + due if due else None
        self.session.add(transition)
        try:
            self.session.flush()
        except StaleDataError:
            raise Conflict(
                msg(
                    "This {record} was changed by someone else at the same time; reload it and try again.",
                    record=_label(self.machine),
                )
            ) from None
        return transition


def begin(
    session: Session,
    *,
    machine: Machine,
    record: WorkflowRecord,
    action_name: str,
    principal: Principal | None,
) -> Step:
    """Check that `principal` (None: the system) may take `action_name` on `record` now: its state, the
    scope, a named officer, four-eyes. Raises without changing anything; the caller then makes its own
    checks and changes and ends with `Step.record_transition`."""
    action = machine.actions.get(action_name)
    if action is None:
        raise ValueError(f"{machine.record_type} has no action {action_name!r}")
    if record.state not in action.sources:
        raise InvalidTransition(
            msg(
                "Cannot {action} a {record} that is {state}.",
                action=action_name.replace("_", " "),
                record=_label(machine),
                state=record.state,
            ),
            current=record.state,
            allowed=machine.allowed(record.state),
        )
    if principal is not None:
        if not any(principal.has(scope) for scope in action.scopes):
            raise PermissionDenied(
                msg(
                    "Only {scopes} may {action}.",
                    scopes=" or ".join(action.scopes) or msg("the system"),
                    action=action_name.replace("_", " "),
                )
            )
        if action.needs_officer and not principal.officer:
            raise PermissionDenied(
                "This decision needs a named officer: use a token obtained for an officer (jwt-bearer grant)."
            )
        if action.not_same_officer_as and (principal.agency_id, principal.officer) in officers_of(
            session,
            machine.record_type,
            record.id,  # type: ignore[attr-defined]
            action.not_same_officer_as,
        ):
            raise PermissionDenied(
                msg(
                    "Four-eyes rule: the officer who {did} this record cannot also {action} it.",
                    did=" or ".join(_past(a) for a in action.not_same_officer_as),
                    action=action_name.replace("_", " "),
                )
            )
    return Step(session, machine, record, action, principal)


def apply(
    session: Session,
    *,
    machine: Machine,
    record: WorkflowRecord,
    action_name: str,
    principal: Principal | None,
    reason: str | None = None,
    decision_id: Any = None,
    detail: dict[str, Any] | None = None,
    deadline: timedelta | None = None,
    now: datetime | None = None,
    due_at: datetime | None = None,
) -> WorkflowTransition:
    """`begin` and `record_transition` in one, for a step with nothing of its own between them (a step
    with its own checks or changes calls `begin`, makes them, then `record_transition`)."""
    step = begin(session, machine=machine, record=record, action_name=action_name, principal=principal)
    return step.record_transition(
        reason=reason, decision_id=decision_id, detail=detail, deadline=deadline, due_at=due_at, now=now
    )


def start(
    session: Session,
    *,
    machine: Machine,
    record: WorkflowRecord,
    state: str,
    principal: Principal | None,
    reason: str | None = None,
    decision_id: Any = None,
    deadline: timedelta | None = None,
    due_at: datetime | None = None,
    now: datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record the creation of a workflow record in its first state (due at `due_at` or now + `deadline`)."""
    now = now or utcnow()
    record.state = state
    record.state_due_at = due_at or (now + deadline if deadline else None)
    session.add(record)
    session.flush()
    session.add(
        WorkflowTransition(
            record_type=machine.record_type,
            record_id=record.id,  # type: ignore[attr-defined]
            action="create",
            from_state=None,
            to_state=state,
            agency_id=principal.agency_id if principal else None,
            client_id=principal.client_id if principal else None,
            officer=(principal.officer if principal else SYSTEM_ACTOR),
            reason=reason,
            decision_id=decision_id,
            detail=json.dumps(detail, sort_keys=True, default=str) if detail else None,
            at=now,
        )
    )
    session.flush()


def transitions(session: Session, record_type: str, record_id: Any) -> list[WorkflowTransition]:
    return list(
        session.scalars(
            select(WorkflowTransition)
            .where(WorkflowTransition.record_type == record_type, WorkflowTransition.record_id == record_id)
            .order_by(WorkflowTransition.id)
        )
    )
