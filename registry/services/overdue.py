"""Overdue steps across both workflows, for the Standing Office: whose move each is, and where.

One `LateStep` per step past its deadline: a block request's step (the deciding agency's review or
approval, the submitter's correction, an executor's execution or removal) or a freeze order's (the
State Bank's, the issuer's, a bank's execution or release). Each names the agency whose move it is
and the provinces of the case (the provinces of the violations a block request answers; of the
subjects holding a freeze order's accounts). Counted by agency and by province, and listed with either
as a filter, in order of the deadline.

Who sees what is each workflow's own rule (blocking.overdue_query: the Standing Office every request,
a submitter its own; freezing.overdue_query: the State Bank and the Standing Office); a caller who may
read neither list is refused. Overdue steps are few in a working system (they are the exceptions), so
they are gathered whole, up to MAX_STEPS (beyond that, 422 asks for a narrower question); the counts
are exact.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.errors import PermissionDenied, ValidationFailed
from registry.models import BlockRequest, Subject
from registry.models.blocking import BlockState
from registry.services import blocking, freezing
from registry.services.agencies import codes as agency_codes
from registry.services.blocking import deadlines as block_deadlines
from registry.services.blocking import removal
from registry.services.blocking.config import rules as blocking_rules
from registry.services.blocking.expiry import shown_state
from registry.services.blocking.machine import ADDRESSED, TERMINAL

WORKFLOWS = ("block_request", "freeze_order")
MAX_STEPS = 10_000
# Whose move a late block request's own step is (the executors' steps are counted per executor).
_SUBMITTER_STATES = {BlockState.DRAFT, BlockState.RETURNED}
_DECIDER_STATES = {BlockState.SUBMITTED, BlockState.UNDER_REVIEW, BlockState.APPROVED}


@dataclass(frozen=True)
class LateStep:
    workflow: str
    record_id: uuid.UUID
    step: str
    party: str | None  # the agency (or platform) whose move it is; several deciders joined by ","
    due_at: datetime
    provinces: tuple[str, ...]
    urgent: bool


def _block_steps(session: Session, principal: Principal, now: datetime) -> list[LateStep]:
    query = blocking.overdue_query(principal, now).options(selectinload(BlockRequest.violations))
    records = session.scalars(query.limit(MAX_STEPS + 1)).unique().all()
    _bounded(len(records))
    codes = agency_codes(session)
    steps = []
    for record in records:

        def late(step: str, party: str | None, due: datetime, record: BlockRequest = record) -> LateStep:
            return LateStep("block_request", record.id, step, party, due, _provinces(record), record.urgent)

        state = shown_state(record, now)
        if record.state_due_at and record.state_due_at < now and state not in {*TERMINAL, *ADDRESSED}:
            if state in _SUBMITTER_STATES:
                party = codes.get(record.owner_agency_id)
            elif state in _DECIDER_STATES:
                party = ",".join(sorted(blocking_rules().deciders_of(record.action))) or None
            else:
                party = None
            steps.append(late(state, party, record.state_due_at))
        for executor in record.executors:
            who = executor.platform or (codes.get(executor.agency_id) if executor.agency_id else None)
            if executor.due_at and block_deadlines.is_late(executor, now):
                steps.append(late("execution", who, executor.due_at))
            if executor.unblock_due_at and removal.is_late(executor, now):
                steps.append(late("removal", who, executor.unblock_due_at))
    return steps


def _provinces(record: BlockRequest) -> tuple[str, ...]:
    return tuple(sorted({v.province for v in record.violations if v.province}))


def _freeze_steps(session: Session, supervisor: freezing.Viewer, now: datetime) -> list[LateStep]:
    orders = list(
        session.scalars(freezing.overdue_query(supervisor, now).limit(MAX_STEPS + 1)).unique().all()
    )
    _bounded(len(orders))
    late = freezing.late_steps(session, orders, now)
    subject_ids = {a.subject_id for o in orders for a in o.accounts if a.subject_id}
    province_of = dict(
        session.execute(select(Subject.id, Subject.province).where(Subject.id.in_(subject_ids)))
        .tuples()
        .all()
        if subject_ids
        else []
    )
    steps = []
    for order in orders:
        provinces = tuple(
            sorted({p for a in order.accounts if a.subject_id and (p := province_of.get(a.subject_id))})
        )
        steps += [
            LateStep(
                "freeze_order", order.id, one["step"], one["party"], one["due_at"], provinces, order.urgent
            )
            for one in late.get(order.id, [])
        ]
    return steps


def _bounded(count: int) -> None:
    if count > MAX_STEPS:
        raise ValidationFailed(
            "More overdue records than one answer holds: ask for one workflow.",
            errors={"workflow": ["Too many overdue records."]},
        )


def _reads_blocks(principal: Principal) -> bool:
    try:
        blocking.require_reader(principal, Scope.BLOCKING_SUBMIT, Scope.BLOCKING_DECIDE)
    except PermissionDenied:
        return False
    return True


def _freeze_supervisor(session: Session, principal: Principal) -> freezing.Viewer | None:
    """The caller as the freeze workflow sees it, if it may read the overdue orders (else None)."""
    try:
        supervisor = freezing.reader(session, principal)
        freezing.require_supervisor(supervisor)
    except PermissionDenied:
        return None
    return supervisor


def late_steps(
    session: Session, principal: Principal, now: datetime, *, workflow: str | None = None
) -> list[LateStep]:
    """Every late step the caller may see, earliest deadline first."""
    wanted = [workflow] if workflow else list(WORKFLOWS)
    supervisor = _freeze_supervisor(session, principal)
    readable = {"block_request": _reads_blocks(principal), "freeze_order": supervisor is not None}
    if not any(readable[w] for w in wanted):
        raise PermissionDenied(
            "The overdue steps are for the Standing Office, the State Bank and the agencies that submit or "
            "decide block requests."
        )
    steps: list[LateStep] = []
    if "block_request" in wanted and readable["block_request"]:
        steps += _block_steps(session, principal, now)
    if "freeze_order" in wanted and supervisor is not None:
        steps += _freeze_steps(session, supervisor, now)
    return sorted(steps, key=lambda s: (s.due_at, s.workflow, str(s.record_id), s.step, s.party or ""))


def parties(step: LateStep) -> list[str | None]:
    """The agencies whose move the step is (a decision shared by several deciders names each)."""
    return list(step.party.split(",")) if step.party else []


def summary(steps: list[LateStep]) -> dict[str, Any]:
    """Late steps counted by the agency whose move it is, and by province (a step with no known
    province counts under None), most first."""
    by_agency: Counter[str | None] = Counter(code for step in steps for code in (parties(step) or [None]))
    by_province: Counter[str | None] = Counter(p for step in steps for p in step.provinces or (None,))

    def ordered(counts: Counter[Any], key: str) -> list[dict[str, Any]]:
        return [
            {key: name, "count": count}
            for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0] or ""))
        ]

    return {"by_agency": ordered(by_agency, "agency"), "by_province": ordered(by_province, "province")}


def select_steps(steps: list[LateStep], *, agency: str | None, province: str | None) -> list[LateStep]:
    """The steps whose move is `agency`'s and whose case is in `province` (either may be left out)."""
    return [
        step
        for step in steps
        if (agency is None or agency in parties(step)) and (province is None or province in step.provinces)
    ]


def page(steps: list[LateStep], *, page: int, per_page: int) -> dict[str, Any]:
    """A page of the selected steps (all of them are known: the total is exact)."""
    start = (page - 1) * per_page
    return {
        "items": steps[start : start + per_page],
        "page": page,
        "per_page": per_page,
        "total": len(steps),
        "total_exact": True,
        "has_more": len(steps) > start + per_page,
    }
