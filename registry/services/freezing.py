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

import functools
import json
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true
from sqlalchemy.orm import Session, selectinload

from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.db import utcnow
from registry.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.models import Agency, AgencyKind, Decision, Identifier, Link, Subject, WorkflowTransition
from registry.models.freezing import (
    NOT_EXECUTABLE_REASONS,
    FreezeAccount,
    FreezeOrder,
    TransactionDelay,
    TransactionDelayNotice,
)
from registry.services import competence, identifiers, visibility, workdays, workflow
from registry.services.agencies import codes as agency_codes
from registry.services.decisions import get_decision_for_use
from registry.services.history import Event, Section

DEFAULT_RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "freezing.json"
COMPETENCE_ACTION = "freeze_account"
CLOCK_SKEW = timedelta(minutes=5)
READ_SCOPES = (Scope.FREEZE_SUBMIT, Scope.FREEZE_PROCESS, Scope.FREEZE_EXECUTE)


# -- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    processors: tuple[str, ...]
    overseers: tuple[str, ...]
    investigation_bodies: tuple[str, ...]
    dispatch_working_days: int
    execution_hours: int
    resubmit_working_days: int | None
    delay_working_days: int


@functools.cache
def _load_rules(path: str) -> Rules:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    deadlines = raw.get("deadlines", {})
    return Rules(
        processors=tuple(raw.get("processors", ("SBV",))),
        overseers=tuple(raw.get("overseers", ("NSC389",))),
        investigation_bodies=tuple(raw.get("investigation_bodies", ("MPS", "MPS-*"))),
        dispatch_working_days=int(deadlines.get("dispatch_working_days", 0)),
        execution_hours=int(deadlines.get("execution_hours", 24)),
        resubmit_working_days=deadlines.get("resubmit_working_days"),
        delay_working_days=int(raw.get("delay_working_days", 3)),
    )


def rules() -> Rules:
    """REGISTRY_FREEZING_FILE, else registry/data/freezing.json."""
    return _load_rules(os.environ.get("REGISTRY_FREEZING_FILE") or str(DEFAULT_RULES_FILE))


def _matches(code: str, patterns: Iterable[str]) -> bool:
    return any(p == code or (p.endswith("*") and code.startswith(p[:-1])) for p in patterns)


# -- the machines ------------------------------------------------------------------------------------

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


# -- who is asking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    agency: Agency

    @property
    def processor(self) -> bool:
        return _matches(self.agency.code, rules().processors)

    @property
    def overseer(self) -> bool:
        return _matches(self.agency.code, rules().overseers)

    @property
    def bank_bin(self) -> str | None:
        return self.agency.bank_bin if self.agency.kind == AgencyKind.EXECUTOR_BANK else None

    def is_issuer(self, order: FreezeOrder) -> bool:
        return order.issuer_agency_id == self.agency.id

    def sees_all_accounts(self, order: FreezeOrder) -> bool:
        return self.processor or self.overseer or self.is_issuer(order)

    def may_reveal(self, order: FreezeOrder) -> bool:
        return self.processor or self.is_issuer(order)


def viewer(session: Session, principal: Principal) -> Viewer:
    agency = session.get(Agency, principal.agency_id)
    assert agency is not None  # a verified token names an existing agency
    return Viewer(principal, agency)


def require_reader(v: Viewer) -> None:
    """Freeze data is for the freeze workflow's parties: any freeze scope, or an overseer's read scope."""
    if any(v.principal.has(s) for s in READ_SCOPES):
        return
    if v.overseer and v.principal.has(Scope.REGISTRY_READ):
        return
    raise PermissionDenied(
        "Freeze orders are for the issuing bodies, the State Bank, the banks and the Standing Office.",
        required_scope=" or ".join(READ_SCOPES),
    )


def _require_processor(v: Viewer) -> None:
    if not v.processor:
        raise PermissionDenied("Only the State Bank receives, checks, dispatches and closes freeze orders.")


def _require_issuer(v: Viewer, order: FreezeOrder) -> None:
    if not v.is_issuer(order):
        raise PermissionDenied(
            "Only the issuing agency corrects, amends, extends, lifts or converts its order."
        )


def order_visible_clause(v: Viewer) -> ColumnElement[bool]:
    if v.processor or v.overseer:
        return true()
    clauses: list[ColumnElement[bool]] = [FreezeOrder.issuer_agency_id == v.agency.id]
    if v.bank_bin:
        clauses.append(
            exists().where(
                FreezeAccount.order_id == FreezeOrder.id,
                FreezeAccount.bank_bin == v.bank_bin,
                FreezeAccount.state != "pending",
            )
        )
    return or_(*clauses)


def visible_accounts(v: Viewer, order: FreezeOrder) -> list[FreezeAccount]:
    if v.sees_all_accounts(order):
        return list(order.accounts)
    return [a for a in order.accounts if a.bank_bin == v.bank_bin and a.state != "pending"]


def executed_total(accounts: Iterable[FreezeAccount]) -> int:
    return sum(a.amount_frozen_vnd or 0 for a in accounts if a.state == "executed")


def _uuid(value: Any, what: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No {what} with id {value}.") from None


def get_order(session: Session, v: Viewer, order_id: Any, *, now: datetime | None = None) -> FreezeOrder:
    """The order if the caller may see it, else NotFound; an order past its validity expires here."""
    key = _uuid(order_id, "freeze order")
    order = session.scalars(
        select(FreezeOrder)
        .options(selectinload(FreezeOrder.accounts))
        .where(FreezeOrder.id == key, order_visible_clause(v))
    ).first()
    if order is None:
        raise NotFound(f"No freeze order with id {key}.")
    expire_order_if_due(session, order, now=now)
    return order


def search(v: Viewer, *, state: str | None = None) -> Select[tuple[FreezeOrder]]:
    query = select(FreezeOrder).options(selectinload(FreezeOrder.accounts)).where(order_visible_clause(v))
    return query.where(FreezeOrder.state == state) if state else query


# -- the terms of an order ---------------------------------------------------------------------------


def _decision(session: Session, principal: Principal, decision_id: Any, *, own: bool, field: str) -> Decision:
    """A decision the caller may see, issued by a body competent to order a freeze (else 422)."""
    try:
        decision = get_decision_for_use(session, decision_id, principal)
    except NotFound:
        raise ValidationFailed(
            "No decision with this id is visible to you.", errors={field: ["unknown decision"]}
        ) from None
    issuer = session.get(Agency, decision.issuer_agency_id)
    assert issuer is not None
    competence.require_competent(COMPETENCE_ACTION, issuer.code, field=field)
    if own and decision.issuer_agency_id != principal.agency_id:
        raise ValidationFailed(
            f"The decision was issued by {issuer.code}; only the issuing body's agency submits its order.",
            errors={field: [f"issued by {issuer.code}, not by {principal.agency}"]},
        )
    return decision


def today_in_vietnam(now: datetime | None = None) -> date:
    return workdays.local(now or utcnow()).date()


def _check_terms(order: FreezeOrder, issuer_code: str, *, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    if order.whole_balance and order.amount_vnd is not None:
        errors["amount_vnd"] = ["must be null when whole_balance is true"]
    if not order.whole_balance and not order.amount_vnd:
        errors["amount_vnd"] = ["an amount in VND is required unless whole_balance is true"]
    if order.valid_until is not None:
        if order.valid_until < order.valid_from:
            errors["valid_until"] = ["must not be before valid_from"]
        elif order.valid_until < today_in_vietnam(now):
            errors["valid_until"] = ["is already past"]
    if not order.legal_bases:
        errors["legal_bases"] = ["at least one legal basis is required"]
    if _matches(issuer_code, rules().investigation_bodies) and not (
        order.procuracy_notified_at and order.procuracy_reference
    ):
        errors["procuracy_notified_at"] = [
            "an investigation body's order must carry its notification to the procuracy "
            "(procuracy_notified_at and procuracy_reference)"
        ]
    if order.procuracy_notified_at and order.procuracy_notified_at > now + CLOCK_SKEW:
        errors["procuracy_notified_at"] = ["must not be in the future"]
    if errors:
        raise ValidationFailed("The order's terms are not acceptable; see `errors`.", errors=errors)


TERMS = (
    "amount_vnd",
    "whole_balance",
    "legal_bases",
    "valid_from",
    "valid_until",
    "reason",
    "procuracy_notified_at",
    "procuracy_reference",
)


def terms_of(order: FreezeOrder) -> dict[str, Any]:
    return {name: getattr(order, name) for name in TERMS}


def _set_terms(order: FreezeOrder, data: dict[str, Any], names: Iterable[str] = TERMS) -> None:
    for name in names:
        if name in data:
            setattr(order, name, list(data[name]) if name == "legal_bases" else data[name])
    if data.get("whole_balance") and "amount_vnd" not in data:
        order.amount_vnd = None
    if data.get("amount_vnd") is not None and "whole_balance" not in data:
        order.whole_balance = False


def _bank_agency(session: Session, bank_bin: str) -> Agency | None:
    return session.scalars(
        select(Agency).where(Agency.bank_bin == bank_bin, Agency.kind == AgencyKind.EXECUTOR_BANK)
    ).first()


def _subject_for(
    session: Session, principal: Principal, identifier: Identifier, subject_id: Any, field: str
) -> uuid.UUID | None:
    """The subject named, if visible (else 422); or the one visible subject linked to the account."""
    if subject_id is not None:
        try:
            return visibility.get_visible(session, Subject, subject_id, principal).id
        except NotFound:
            raise ValidationFailed("Unknown subject.", errors={field: ["no such subject"]}) from None
    linked = list(
        session.scalars(
            select(Link.subject_id)
            .join(Subject, Subject.id == Link.subject_id)
            .where(
                Link.identifier_id == identifier.id,
                visibility.visible_clause(Link, principal),
                visibility.visible_clause(Subject, principal),
            )
            .distinct()
        )
    )
    return linked[0] if len(linked) == 1 else None


def _accounts(
    session: Session, cipher: FieldCipher, principal: Principal, specs: list[dict[str, Any]]
) -> list[FreezeAccount]:
    """Each account normalised, registered as an identifier, and linked to its subject where known."""
    accounts: list[FreezeAccount] = []
    seen: set[str] = set()
    for position, spec in enumerate(specs):
        field = f"accounts.{position}"
        parsed = identifiers.parse_or_fail("bank_account", spec["account"], field=f"{field}.account")
        if parsed.value in seen:
            raise ValidationFailed(
                "An account is named twice.", errors={f"{field}.account": ["named twice in this order"]}
            )
        seen.add(parsed.value)
        bank_bin = parsed.attributes["bin"]
        if _bank_agency(session, bank_bin) is None:
            reason = f"{parsed.attributes['bank_short_name']} ({bank_bin}) is not connected to the registry"
            raise ValidationFailed(
                f"The State Bank cannot dispatch to {reason}.", errors={f"{field}.account": [reason]}
            )
        identifier = identifiers.ensure(session, cipher=cipher, principal=principal, parsed=parsed).identifier
        accounts.append(
            FreezeAccount(
                position=position,
                bank_bin=bank_bin,
                identifier_id=identifier.id,
                holder_name=spec.get("holder_name"),
                subject_id=_subject_for(
                    session, principal, identifier, spec.get("subject_id"), f"{field}.subject_id"
                ),
                state="pending",
            )
        )
    return accounts


def _link_delays(
    session: Session, v: Viewer, order: FreezeOrder, delay_ids: list[Any], *, now: datetime
) -> None:
    """The delays this order follows stop running: each becomes superseded_by_order."""
    accounts = {a.identifier_id for a in order.accounts}
    for index, delay_id in enumerate(delay_ids):
        field = f"transaction_delay_ids.{index}"
        try:
            delay = get_delay(session, v, delay_id, now=now)
        except NotFound:
            raise ValidationFailed("Unknown transaction delay.", errors={field: ["no such delay"]}) from None
        if delay.identifier_id not in accounts:
            raise ValidationFailed(
                "A linked delay must be on one of the order's accounts.",
                errors={field: ["the delayed account is not named in this order"]},
            )
        workflow.apply(
            session,
            machine=DELAY,
            record=delay,
            action_name="supersede",
            principal=v.principal,
            reason="a freeze order follows",
            detail={"order_id": str(order.id)},
            now=now,
        )
        delay.superseded_by_order_id = order.id
    session.flush()


def _dispatch_due(now: datetime) -> datetime:
    return workdays.end_of_working_day(now, rules().dispatch_working_days)


def _account_detail(order: FreezeOrder, session: Session) -> list[dict[str, Any]]:
    """Accounts for a transition's detail: bank and keyed hash, never the number."""
    hashes = dict(
        session.execute(
            select(Identifier.id, Identifier.value_hash).where(
                Identifier.id.in_([a.identifier_id for a in order.accounts])
            )
        )
        .tuples()
        .all()
    )
    return [{"bank_bin": a.bank_bin, "value_hash": hashes[a.identifier_id]} for a in order.accounts]


# -- the issuer's steps ------------------------------------------------------------------------------


def submit(
    session: Session,
    *,
    cipher: FieldCipher,
    principal: Principal,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeOrder:
    """A new order from the issuing body's agency, on its own competent decision, by a named officer."""
    now = now or utcnow()
    if not principal.officer:
        raise PermissionDenied("A freeze order is submitted by a named officer (a token obtained for one).")
    v = viewer(session, principal)
    decision = _decision(session, principal, data["decision_id"], own=True, field="decision_id")
    order = FreezeOrder(
        issuer_agency_id=principal.agency_id, decision_id=decision.id, current_decision_id=decision.id
    )
    _set_terms(order, {"whole_balance": False, **data})
    _check_terms(order, v.agency.code, now=now)
    order.accounts = _accounts(session, cipher, principal, data["accounts"])
    workflow.start(
        session,
        machine=ORDER,
        record=order,
        state="submitted",
        principal=principal,
        reason=data["reason"],
        decision_id=decision.id,
        due_at=_dispatch_due(now),
        now=now,
        detail={"accounts": _account_detail(order, session)},
    )
    _link_delays(session, v, order, data.get("transaction_delay_ids") or [], now=now)
    return order


def resubmit(
    session: Session,
    *,
    cipher: FieldCipher,
    principal: Principal,
    order: FreezeOrder,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeOrder:
    """The issuer's corrected order goes back to the State Bank; the dispatch deadline starts again."""
    now = now or utcnow()
    v = viewer(session, principal)
    _require_issuer(v, order)
    decision_id = order.current_decision_id
    if data.get("decision_id"):
        decision_id = _decision(session, principal, data["decision_id"], own=True, field="decision_id").id
    detail: dict[str, Any] = {"before": terms_of(order), "accounts_replaced": bool(data.get("accounts"))}

    def correct() -> None:
        if data.get("accounts"):
            # The old rows go first: the new list may name the same accounts (unique per order).
            order.accounts.clear()
            session.flush()
            order.accounts.extend(_accounts(session, cipher, principal, data["accounts"]))
            detail["accounts"] = _account_detail(order, session)
        _set_terms(order, data)
        _check_terms(order, v.agency.code, now=now)
        order.decision_id = order.current_decision_id = decision_id
        detail["after"] = terms_of(order)

    workflow.apply(
        session,
        machine=ORDER,
        record=order,
        action_name="resubmit",
        principal=principal,
        reason=data.get("note"),
        decision_id=decision_id,
        check=correct,
        detail=detail,
        now=now,
        due_at=_dispatch_due(now),
    )
    return order


def _follow_up(
    session: Session,
    principal: Principal,
    order: FreezeOrder,
    data: dict[str, Any],
    action: str,
    *,
    now: datetime,
    change: Callable[[], None] | None = None,
) -> None:
    """Amend, extend, lift or convert: the issuer, on a new competent decision, with before and after."""
    v = viewer(session, principal)
    _require_issuer(v, order)
    decision = _decision(session, principal, data["decision_id"], own=False, field="decision_id")
    detail: dict[str, Any] = {"before": terms_of(order)}

    def check() -> None:
        if change is not None:
            change()
        order.current_decision_id = decision.id
        detail["after"] = terms_of(order)

    workflow.apply(
        session,
        machine=ORDER,
        record=order,
        action_name=action,
        principal=principal,
        reason=data["note"],
        decision_id=decision.id,
        check=check,
        detail=detail,
        now=now,
    )


def amend(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeOrder:
    now = now or utcnow()
    issuer_code = viewer(session, principal).agency.code
    names = ("amount_vnd", "whole_balance", "legal_bases", "valid_until", "reason")

    def change() -> None:
        before = terms_of(order)
        _set_terms(order, data, names)
        _check_terms(order, issuer_code, now=now)
        if terms_of(order) == before:
            raise ValidationFailed(
                "The amendment changes nothing.", errors={"amount_vnd": ["nothing to amend"]}
            )

    _follow_up(session, principal, order, data, "amend", now=now, change=change)
    return order


def extend(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeOrder:
    now = now or utcnow()

    def change() -> None:
        if order.valid_until is None:
            raise ValidationFailed(
                "This order runs until lifted.", errors={"valid_until": ["no end to extend"]}
            )
        if data["valid_until"] <= order.valid_until:
            raise ValidationFailed(
                "An extension must end later.", errors={"valid_until": [f"must be after {order.valid_until}"]}
            )
        order.valid_until = data["valid_until"]

    _follow_up(session, principal, order, data, "extend", now=now, change=change)
    return order


def lift(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeOrder:
    _follow_up(session, principal, order, data, "lift", now=now or utcnow())
    return order


def convert(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeOrder:
    frozen = executed_total(order.accounts)

    def change() -> None:
        amount = data.get("amount_vnd")
        if amount is not None and amount > frozen:
            raise ValidationFailed(
                "Only what was frozen can be converted.",
                errors={"amount_vnd": [f"more than the {frozen} VND frozen"]},
            )
        order.conversion_kind = data["kind"]
        order.converted_amount_vnd = frozen if amount is None else amount

    _follow_up(session, principal, order, data, "convert", now=now or utcnow(), change=change)
    return order


# -- the State Bank's steps --------------------------------------------------------------------------


def process(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    action: str,
    note: str | None,
    now: datetime | None = None,
) -> FreezeOrder:
    """receive, check, return_for_correction, dispatch or close, by a named State Bank officer."""
    now = now or utcnow()
    _require_processor(viewer(session, principal))
    if action == "dispatch":
        due = now + timedelta(hours=rules().execution_hours)
        workflow.apply(
            session,
            machine=ORDER,
            record=order,
            action_name="dispatch",
            principal=principal,
            reason=note,
            now=now,
            due_at=due,
        )
        order.dispatched_at = now
        for account in order.accounts:
            workflow.apply(
                session,
                machine=ACCOUNT,
                record=account,
                action_name="dispatch",
                principal=principal,
                now=now,
                due_at=due,
            )
        return order
    if action == "return_for_correction":
        days = rules().resubmit_working_days
        due = workdays.end_of_working_day(now, days) if days is not None else None
    elif action == "close":
        due = None
    else:  # receive and check keep the dispatch deadline set when the order was (re)submitted
        due = order.state_due_at
    workflow.apply(
        session,
        machine=ORDER,
        record=order,
        action_name=action,
        principal=principal,
        reason=note,
        now=now,
        due_at=due,
    )
    return order


# -- the banks' steps --------------------------------------------------------------------------------


def get_account(v: Viewer, order: FreezeOrder, account_id: Any) -> FreezeAccount:
    """An account of the order the caller sees; another bank's account is NotFound."""
    key = _uuid(account_id, "account")
    for account in visible_accounts(v, order):
        if account.id == key:
            return account
    raise NotFound(f"No account with id {key} in this order.")


def report_execution(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    account_id: Any,
    data: dict[str, Any],
    now: datetime | None = None,
) -> FreezeAccount:
    """A bank's answer for one of its accounts; the order takes effect with the first account executed."""
    now = now or utcnow()
    v = viewer(session, principal)
    if v.bank_bin is None:
        raise PermissionDenied("Only the bank holding the account reports its execution.")
    account = get_account(v, order, account_id)
    if account.bank_bin != v.bank_bin:
        raise NotFound(f"No account with id {account.id} in this order.")
    if order.state not in EXECUTABLE:
        raise InvalidTransition(
            f"The order is {order.state}: there is nothing to execute any more.",
            current=order.state,
            allowed=ORDER.allowed(order.state),
        )
    executed = data["outcome"] == "executed"
    at = data.get("executed_at") or now

    def record() -> None:
        if at > now + CLOCK_SKEW or (order.dispatched_at and at < order.dispatched_at - CLOCK_SKEW):
            raise ValidationFailed(
                "The time of execution must be between dispatch and now.",
                errors={"executed_at": ["out of range"]},
            )
        if executed and not order.whole_balance and data["amount_frozen_vnd"] > (order.amount_vnd or 0):
            raise ValidationFailed(
                "A bank freezes at most the amount ordered.",
                errors={"amount_frozen_vnd": [f"more than the {order.amount_vnd} VND ordered"]},
            )
        account.reported_at = now
        account.note = data.get("note")
        if executed:
            account.amount_frozen_vnd = data["amount_frozen_vnd"]
            account.executed_at = at
            account.bank_reference = data["bank_reference"]
        else:
            account.not_executable_reason = data["reason"]

    facts = {key: data.get(key) for key in ("amount_frozen_vnd", "bank_reference", "reason")}
    workflow.apply(
        session,
        machine=ACCOUNT,
        record=account,
        principal=principal,
        check=record,
        now=now,
        action_name="execute" if executed else "report_not_executable",
        reason=data.get("note") or data.get("reason"),
        detail={**facts, "executed_at": at},
    )
    if order.state == "dispatched":
        states = {a.state for a in order.accounts}
        if "executed" in states:
            workflow.apply(
                session,
                machine=ORDER,
                record=order,
                action_name="take_effect",
                principal=principal,
                reason="an account was frozen",
                detail={"account_id": str(account.id)},
                now=now,
            )
        elif states <= {"not_executable"}:
            workflow.apply(
                session,
                machine=ORDER,
                record=order,
                action_name="report_not_executed",
                principal=principal,
                reason="no account could be frozen",
                now=now,
            )
    return account


# -- expiry ------------------------------------------------------------------------------------------


def expiry_instant(order: FreezeOrder) -> datetime | None:
    """The order lapses at the end (Vietnam midnight) of its last valid day."""
    if order.valid_until is None:
        return None
    return datetime.combine(order.valid_until + timedelta(days=1), time(0), workdays.VIETNAM).astimezone(UTC)


def _expire(session: Session, machine: workflow.Machine, record: Any, reason: str, now: datetime) -> bool:
    """A system transition; if someone else changed the record meanwhile, theirs stands."""
    try:
        with session.begin_nested():
            workflow.apply(
                session,
                machine=machine,
                record=record,
                action_name="expire",
                principal=None,
                reason=reason,
                now=now,
            )
    except Conflict:
        session.refresh(record)
        return False
    return True


def expire_order_if_due(session: Session, order: FreezeOrder, *, now: datetime | None = None) -> bool:
    now = now or utcnow()
    end = expiry_instant(order)
    if end is None or now < end or order.state not in RUNNING:
        return False
    return _expire(session, ORDER, order, f"validity ended on {order.valid_until.isoformat()}", now)  # type: ignore[union-attr]


def expire_delay_if_due(session: Session, delay: TransactionDelay, *, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if delay.state != "in_effect" or now < delay.ends_at:
        return False
    days = rules().delay_working_days
    return _expire(session, DELAY, delay, f"{days} working days passed without a freeze order", now)


def tick(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Expire what has run out: orders past their validity, delays past their working days."""
    now = now or utcnow()
    orders = session.scalars(
        select(FreezeOrder).where(
            FreezeOrder.valid_until < today_in_vietnam(now), FreezeOrder.state.in_(RUNNING)
        )
    ).all()
    delays = session.scalars(
        select(TransactionDelay).where(TransactionDelay.state == "in_effect", TransactionDelay.ends_at <= now)
    ).all()
    return {
        "freeze_orders_expired": sum(expire_order_if_due(session, o, now=now) for o in orders),
        "transaction_delays_expired": sum(expire_delay_if_due(session, d, now=now) for d in delays),
    }


# -- deadlines ---------------------------------------------------------------------------------------

_PARTY_OF_STATE = {
    "submitted": "processor",
    "received": "processor",
    "checked": "processor",
    "resubmitted": "processor",
    "returned_for_correction": "issuer",
}


def overdue_query(v: Viewer, now: datetime) -> Select[tuple[FreezeOrder]]:
    if not (v.processor or v.overseer):
        raise PermissionDenied("The overdue list is for the State Bank and the Standing Office.")
    late_account = FreezeOrder.state.in_(EXECUTABLE) & exists().where(
        FreezeAccount.order_id == FreezeOrder.id,
        FreezeAccount.state == "dispatched",
        FreezeAccount.state_due_at < now,
    )
    late_step = FreezeOrder.state.in_(_PARTY_OF_STATE) & (FreezeOrder.state_due_at < now)
    return select(FreezeOrder).options(selectinload(FreezeOrder.accounts)).where(or_(late_step, late_account))


def late_steps(session: Session, orders: list[FreezeOrder], now: datetime) -> dict[uuid.UUID, list[dict]]:
    """For each order, what is late and whose move it is (a step of the State Bank, the issuer, a bank)."""
    codes = agency_codes(session)
    banks = dict(
        session.execute(select(Agency.bank_bin, Agency.code).where(Agency.bank_bin.is_not(None)))
        .tuples()
        .all()
    )
    result: dict[uuid.UUID, list[dict]] = {}
    for order in orders:
        late = result.setdefault(order.id, [])
        party = _PARTY_OF_STATE.get(order.state)
        if party and order.state_due_at and order.state_due_at < now:
            who = ",".join(rules().processors) if party == "processor" else codes.get(order.issuer_agency_id)
            late.append({"step": order.state, "party": who, "due_at": order.state_due_at, "account_id": None})
        for account in order.accounts if order.state in EXECUTABLE else ():
            if account.state == "dispatched" and account.state_due_at and account.state_due_at < now:
                late.append(
                    {
                        "step": "execution",
                        "party": banks.get(account.bank_bin),
                        "due_at": account.state_due_at,
                        "account_id": account.id,
                    }
                )
    return result


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


def delay_ids_of(session: Session, v: Viewer, order: FreezeOrder) -> list[uuid.UUID]:
    """The delays the order followed (for a bank: its own)."""
    query = select(TransactionDelay.id).where(TransactionDelay.superseded_by_order_id == order.id)
    if not v.sees_all_accounts(order):
        query = query.where(TransactionDelay.bank_bin == v.bank_bin)
    return list(session.scalars(query.order_by(TransactionDelay.delayed_at)))


# -- bank-initiated transaction delays ---------------------------------------------------------------


def delay_visible_clause(v: Viewer) -> ColumnElement[bool]:
    if v.processor or v.overseer:
        return true()
    return or_(
        TransactionDelay.bank_agency_id == v.agency.id if v.bank_bin else false(),
        exists().where(
            TransactionDelayNotice.delay_id == TransactionDelay.id,
            TransactionDelayNotice.agency_id == v.agency.id,
        ),
    )


def may_reveal_delay(v: Viewer) -> bool:
    """Besides the reporting bank: the State Bank and the authorities the delay was reported to."""
    return v.bank_bin is None and not (v.overseer and not v.processor)


def get_delay(session: Session, v: Viewer, delay_id: Any, *, now: datetime | None = None) -> TransactionDelay:
    key = _uuid(delay_id, "transaction delay")
    delay = session.scalars(
        select(TransactionDelay).where(TransactionDelay.id == key, delay_visible_clause(v))
    ).first()
    if delay is None:
        raise NotFound(f"No transaction delay with id {key}.")
    expire_delay_if_due(session, delay, now=now)
    return delay


def search_delays(v: Viewer, *, state: str | None = None) -> Select[tuple[TransactionDelay]]:
    query = select(TransactionDelay).where(delay_visible_clause(v))
    return query.where(TransactionDelay.state == state) if state else query


def report_delay(
    session: Session,
    *,
    cipher: FieldCipher,
    principal: Principal,
    data: dict[str, Any],
    now: datetime | None = None,
) -> TransactionDelay:
    """A bank's own delay of a transaction on one of its accounts, reported to competent authorities."""
    now = now or utcnow()
    v = viewer(session, principal)
    if v.bank_bin is None:
        raise PermissionDenied("Only a bank reports the transactions it delays.")
    parsed = identifiers.parse_or_fail("bank_account", data["account"], field="account")
    if parsed.attributes["bin"] != v.bank_bin:
        raise ValidationFailed(
            "A bank reports delays on its own accounts only.",
            errors={"account": [f"not an account of BIN {v.bank_bin}"]},
        )
    if data["delayed_at"] > now + CLOCK_SKEW:
        raise ValidationFailed(
            "The delay cannot start in the future.", errors={"delayed_at": ["in the future"]}
        )
    recipients = []
    for code in sorted(set(data["reported_to"])):
        agency = session.scalars(select(Agency).where(Agency.code == code)).first()
        if agency is None or not competence.is_competent(COMPETENCE_ACTION, code):
            raise ValidationFailed(
                "A delay is reported to authorities competent to order a freeze.",
                errors={"reported_to": [f"{code} is not such an authority"]},
            )
        recipients.append(agency)
    identifier = identifiers.ensure(session, cipher=cipher, principal=principal, parsed=parsed).identifier
    ends_at = workdays.add_working_days(data["delayed_at"], rules().delay_working_days)
    delay = TransactionDelay(
        bank_agency_id=v.agency.id,
        bank_bin=v.bank_bin,
        identifier_id=identifier.id,
        holder_name=data.get("holder_name"),
        amount_vnd=data["amount_vnd"],
        reason=data["reason"],
        bank_reference=data.get("bank_reference"),
        delayed_at=data["delayed_at"],
        ends_at=ends_at,
    )
    workflow.start(
        session,
        machine=DELAY,
        record=delay,
        state="in_effect",
        principal=principal,
        reason=data["reason"],
        due_at=ends_at,
        now=now,
    )
    for agency in recipients:
        session.add(TransactionDelayNotice(delay_id=delay.id, agency_id=agency.id))
    session.flush()
    return delay


def release_delay(
    session: Session,
    *,
    principal: Principal,
    delay: TransactionDelay,
    note: str | None,
    now: datetime | None = None,
) -> TransactionDelay:
    """The reporting bank ends its delay early."""
    if delay.bank_agency_id != principal.agency_id:
        raise PermissionDenied("Only the bank that delayed the transaction releases it.")
    workflow.apply(
        session, machine=DELAY, record=delay, action_name="release", principal=principal, reason=note, now=now
    )
    return delay


def notified_codes(session: Session, delay: TransactionDelay) -> list[str]:
    return list(
        session.scalars(
            select(Agency.code)
            .join(TransactionDelayNotice, TransactionDelayNotice.agency_id == Agency.id)
            .where(TransactionDelayNotice.delay_id == delay.id)
            .order_by(Agency.code)
        )
    )


# -- the seller history ------------------------------------------------------------------------------


def _readable(session: Session, principal: Principal) -> Viewer | None:
    v = viewer(session, principal)
    try:
        require_reader(v)
    except PermissionDenied:
        return None
    return v


def history_section(
    session: Session, *, principal: Principal, subject: Subject, identifier_ids: list[uuid.UUID]
) -> Section:
    """Freeze orders touching the subject or its accounts, as far as the caller may see them (masked)."""
    v = _readable(session, principal)
    if v is None:
        return Section("freeze_orders", [])
    touching = FreezeAccount.subject_id == subject.id
    if identifier_ids:
        touching = touching | FreezeAccount.identifier_id.in_(identifier_ids)
    orders = session.scalars(
        search(v)
        .where(FreezeOrder.id.in_(select(FreezeAccount.order_id).where(touching)))
        .order_by(FreezeOrder.created_at, FreezeOrder.id)
    ).all()
    displays = dict(
        session.execute(
            select(Identifier.id, Identifier.display).where(
                Identifier.id.in_([a.identifier_id for o in orders for a in o.accounts])
            )
        )
        .tuples()
        .all()
    )
    codes = agency_codes(session)
    decisions = dict(
        session.execute(
            select(Decision.id, Decision.number).where(
                Decision.id.in_([o.current_decision_id for o in orders])
            )
        )
        .tuples()
        .all()
    )
    items, events = [], []
    for order in orders:
        accounts = visible_accounts(v, order)
        items.append(
            {
                "id": str(order.id),
                "state": order.state,
                "issuer": codes.get(order.issuer_agency_id),
                "decision_number": decisions.get(order.current_decision_id),
                "amount_vnd": order.amount_vnd,
                "whole_balance": order.whole_balance,
                "executed_total_vnd": executed_total(accounts),
                "valid_from": order.valid_from.isoformat(),
                "valid_until": order.valid_until.isoformat() if order.valid_until else None,
                "accounts": [
                    {
                        "id": str(a.id),
                        "bank_bin": a.bank_bin,
                        "display": displays.get(a.identifier_id),
                        "state": a.state,
                        "amount_frozen_vnd": a.amount_frozen_vnd,
                        "touches_subject": a.subject_id == subject.id or a.identifier_id in identifier_ids,
                    }
                    for a in accounts
                ],
                "created_at": order.created_at.isoformat(),
            }
        )
        amount = "whole balance" if order.whole_balance else f"{order.amount_vnd} VND"
        events.append(
            Event(
                order.created_at,
                "freeze_order",
                order.id,
                codes.get(order.issuer_agency_id),
                f"freeze order ({amount}, {len(accounts)} account(s)): {order.state}",
            )
        )
    return Section("freeze_orders", items, events)


def delay_history_section(
    session: Session, *, principal: Principal, subject: Subject, identifier_ids: list[uuid.UUID]
) -> Section:
    """Bank-initiated delays on the subject's accounts, as far as the caller may see them (masked)."""
    v = _readable(session, principal)
    if v is None or not identifier_ids:
        return Section("transaction_delays", [])
    delays = session.scalars(
        search_delays(v)
        .where(TransactionDelay.identifier_id.in_(identifier_ids))
        .order_by(TransactionDelay.delayed_at, TransactionDelay.id)
    ).all()
    displays = dict(
        session.execute(
            select(Identifier.id, Identifier.display).where(
                Identifier.id.in_([d.identifier_id for d in delays])
            )
        )
        .tuples()
        .all()
    )
    codes = agency_codes(session)
    items = [
        {
            "id": str(d.id),
            "state": d.state,
            "bank": codes.get(d.bank_agency_id),
            "account": displays.get(d.identifier_id),
            "amount_vnd": d.amount_vnd,
            "delayed_at": d.delayed_at.isoformat(),
            "ends_at": d.ends_at.isoformat(),
            "superseded_by_order_id": str(d.superseded_by_order_id) if d.superseded_by_order_id else None,
        }
        for d in delays
    ]
    events = [
        Event(
            d.delayed_at,
            "transaction_delay",
            d.id,
            codes.get(d.bank_agency_id),
            f"transaction delayed by the bank ({d.amount_vnd} VND): {d.state}",
        )
        for d in delays
    ]
    return Section("transaction_delays", items, events)


__all__ = ["NOT_EXECUTABLE_REASONS"]
