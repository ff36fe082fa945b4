"""Freeze orders and transaction delays: what each party sends, and what each party is shown."""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, missing, pre_dump, validate, validates_schema

from registry.db import utcnow
from registry.models import Decision, WorkflowTransition
from registry.models.freezing import (
    CONVERSION_KINDS,
    NOT_EXECUTABLE_REASONS,
    AccountState,
    FreezeAccount,
    FreezeOrder,
    TransactionDelay,
)
from registry.schemas.common import PageQuery, SensitiveFlag, as_list, page_of
from registry.schemas.decisions import DecisionRef, text
from registry.schemas.output import AgencyCode, Compute, Output, OutputSchema, current, loaded
from registry.services.freezing import access
from registry.services.freezing.deadlines import late_steps
from registry.services.freezing.delays import delay_transitions, notified_codes
from registry.services.freezing.execution import executed_total, outstanding
from registry.services.freezing.expiry import shown_delay_state, shown_order_state
from registry.services.freezing.flags import flags_of
from registry.services.freezing.machines import ACCOUNT, DELAY, DELAY_STATES, ORDER, ORDER_STATES, transitions
from registry.services.identifiers import canonical_value

# Whole VND as JSON integers; 10^15 keeps every amount exact in JSON clients and the audit log.
MAX_VND = 10**15


def vnd(description: str = "whole VND, a JSON integer", **kwargs: Any) -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_VND),
        metadata={"description": description},
        **kwargs,
    )


def _note(required: bool = False) -> fields.String:
    extra: dict[str, Any] = {"required": True} if required else {"load_default": None, "allow_none": True}
    return text(2000, metadata={"description": "why: recorded with the transition"}, **extra)


GROUND = (
    "the legal ground the order rests on (competence.json `grounds`: criminal_procedure, tax_enforcement, "
    "judgment_enforcement); its issuer must hold it; default: the issuer's only ground"
)
ACCOUNT_SPELLING = "`<bank BIN or code>:<account number>`, e.g. `VCB:0011001234567` or `970436:0011001234567`"


class AccountSpec(Schema):
    account = fields.String(
        required=True, validate=validate.Length(min=1, max=64), metadata={"description": ACCOUNT_SPELLING}
    )
    holder_name = text(300, load_default=None, allow_none=True, metadata={"description": "as known"})
    subject_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "the registry subject holding it; found from its links if omitted"},
    )


def _check_amount(data: dict[str, Any]) -> None:
    if data.get("whole_balance") and data.get("amount_vnd") is not None:
        raise ValidationError("Give an amount or whole_balance, not both.", "amount_vnd")
    if data.get("valid_from") and data.get("valid_until") and data["valid_until"] < data["valid_from"]:
        raise ValidationError("Must not be before valid_from.", "valid_until")


class FreezeOrderCreate(Schema):
    decision_id = fields.UUID(
        required=True,
        metadata={"description": "the written decision; its issuer must be competent to order a freeze"},
    )
    accounts = fields.List(fields.Nested(AccountSpec), required=True, validate=validate.Length(min=1, max=50))
    amount_vnd = vnd(load_default=None, allow_none=True)
    whole_balance = fields.Boolean(load_default=False, metadata={"description": "freeze the whole balance"})
    legal_bases = fields.List(text(500), required=True, validate=validate.Length(min=1, max=50))
    legal_ground = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": GROUND},
    )
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "last day in force; null: until lifted"}
    )
    reason = text(10_000, required=True)
    procuracy_notified_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "criminal path: required when the issuer is an investigation body"},
    )
    procuracy_reference = text(100, load_default=None, allow_none=True)
    procuracy = text(
        64,
        load_default=None,
        allow_none=True,
        metadata={"description": "code of the procuracy notified (e.g. SPP); it reads the order"},
    )
    urgent = fields.Boolean(
        load_default=False,
        metadata={
            "description": "police and courts (configurable): dispatched to the banks at submission, at any "
            "hour; the State Bank checks the form afterwards and may flag a defect"
        },
    )
    transaction_delay_ids = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "bank-initiated delays this order follows; they stop running"},
    )

    @validates_schema
    def _terms(self, data: dict[str, Any], **_: Any) -> None:
        _check_amount(data)


class FreezeOrderCorrection(Schema):
    """Only the fields given change; `accounts`, if given, replaces the list."""

    decision_id = fields.UUID()
    accounts = fields.List(fields.Nested(AccountSpec), validate=validate.Length(min=1, max=50))
    amount_vnd = vnd(allow_none=True)
    whole_balance = fields.Boolean()
    legal_bases = fields.List(text(500), validate=validate.Length(min=1, max=50))
    legal_ground = fields.String(validate=validate.Length(max=40), metadata={"description": GROUND})
    valid_from = fields.Date()
    valid_until = fields.Date(allow_none=True)
    reason = text(10_000)
    procuracy_notified_at = fields.AwareDateTime(allow_none=True)
    procuracy_reference = text(100, allow_none=True)
    procuracy = text(64, allow_none=True)
    note = _note(required=True)

    @validates_schema
    def _terms(self, data: dict[str, Any], **_: Any) -> None:
        _check_amount(data)


class FreezeStep(Schema):
    note = _note()


class FreezeWithdrawal(Schema):
    note = _note(required=True)


class FlagCreate(Schema):
    defect = text(2000, required=True, metadata={"description": "the defect of form, for the issuer"})


class FlagAnswer(Schema):
    answer = text(2000, required=True, metadata={"description": "the issuer's answer"})


class FreezeAmendment(Schema):
    decision_id = fields.UUID(required=True, metadata={"description": "the amending decision"})
    add_accounts = fields.List(
        fields.Nested(AccountSpec),
        validate=validate.Length(min=1, max=50),
        metadata={"description": "accounts the amendment adds: dispatched to their banks at once"},
    )
    amount_vnd = vnd(allow_none=True)
    whole_balance = fields.Boolean()
    legal_bases = fields.List(text(500), validate=validate.Length(min=1, max=50))
    legal_ground = fields.String(validate=validate.Length(max=40), metadata={"description": GROUND})
    valid_until = fields.Date(allow_none=True)
    reason = text(10_000)
    note = _note(required=True)

    @validates_schema
    def _terms(self, data: dict[str, Any], **_: Any) -> None:
        _check_amount(data)


class FreezeExtension(Schema):
    decision_id = fields.UUID(required=True, metadata={"description": "the extending decision"})
    valid_until = fields.Date(required=True)
    note = _note(required=True)


class FreezeLifting(Schema):
    decision_id = fields.UUID(required=True, metadata={"description": "the cancellation decision"})
    note = _note(required=True)


class FreezeConversion(Schema):
    decision_id = fields.UUID(
        required=True, metadata={"description": "the deduction or confiscation decision"}
    )
    kind = fields.String(required=True, validate=validate.OneOf(CONVERSION_KINDS))
    amount_vnd = vnd(load_default=None, allow_none=True, description="default: all that is frozen")
    note = _note(required=True)


class ExecutionReport(Schema):
    outcome = fields.String(
        required=True,
        validate=validate.OneOf([AccountState.EXECUTED.value, AccountState.NOT_EXECUTABLE.value]),
    )
    amount_frozen_vnd = vnd("executed: the amount actually frozen")
    executed_at = fields.AwareDateTime(metadata={"description": "executed: when (default: now)"})
    bank_reference = text(100, metadata={"description": "executed: the bank's own reference"})
    reason = fields.String(validate=validate.OneOf(NOT_EXECUTABLE_REASONS))
    note = text(2000)

    @validates_schema
    def _by_outcome(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("outcome") == AccountState.EXECUTED:
            missing = [f for f in ("amount_frozen_vnd", "bank_reference") if data.get(f) is None]
            if missing:
                raise ValidationError({f: ["Required when the account was executed."] for f in missing})
            if data.get("reason"):
                raise ValidationError("Only for an account that could not be executed.", "reason")
        elif data.get("outcome") == AccountState.NOT_EXECUTABLE:
            if not data.get("reason"):
                raise ValidationError("Say why the account could not be executed.", "reason")
            if data.get("amount_frozen_vnd") is not None:
                raise ValidationError("Nothing was frozen.", "amount_frozen_vnd")


class ReleaseConfirmation(Schema):
    release_reference = text(100, required=True, metadata={"description": "the bank's own reference"})
    released_at = fields.AwareDateTime(metadata={"description": "when (default: now)"})
    note = text(2000)


class OverdueQuery(PageQuery):
    state = fields.String(validate=validate.OneOf(ORDER_STATES))


class FreezeOrderQuery(OverdueQuery):
    account_state = fields.String(
        validate=validate.OneOf([state.value for state in AccountState]),
        metadata={
            "description": "only orders with an account the caller sees in this state (a bank: its own), "
            "e.g. `release_pending`: the releases it has to confirm"
        },
    )
    executed_from = fields.AwareDateTime(metadata={"description": "only orders with an account frozen since"})
    executed_to = fields.AwareDateTime(metadata={"description": "only orders with an account frozen by then"})
    issuer = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "agency code"})
    province = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "only orders with an account whose holder is in this province"},
    )
    sensitive = SensitiveFlag()


# -- what each party is shown ---------------------------------------------------------------------------
#
# The Read schemas dump the records themselves. What a caller sees of them (which accounts, full numbers or
# masked, who acted) is decided in services.freezing.access; the state a reader is shown (expired once due,
# even before the tick) in services.freezing.expiry.


def caller_view(output: Output) -> access.Viewer:
    """The caller as the freeze workflow sees it, worked out once per dump."""
    v = output.loaded.get(_VIEWER)
    if v is None:
        assert output.principal is not None
        v = output.loaded[_VIEWER] = access.viewer(output.session, output.principal)
    return v


def as_submitted() -> None:
    """This answer is the one to a submission, kept for replays: it shows the record as recorded, with no
    full account number and its state as written (not as a later read would show it)."""
    current().loaded[_AS_SUBMITTED] = True


def _as_submitted(output: Output) -> bool:
    return bool(output.loaded.get(_AS_SUBMITTED))


_VIEWER: tuple[str, None] = ("freeze:viewer", None)
_AS_SUBMITTED: tuple[str, None] = ("freeze:as_submitted", None)
_BANKS: tuple[str, None] = ("freeze:bank_codes", None)


def _bank(account: FreezeAccount, output: Output) -> str | None:
    codes = output.loaded.get(_BANKS)
    if codes is None:
        codes = output.loaded[_BANKS] = access.bank_codes(output.session)
    return codes.get(account.bank_bin)


def _number(record: FreezeAccount, output: Output) -> str | None:
    shown = output.loaded.get(("freeze:numbers", record.id), False)
    return canonical_value(record.identifier, output.cipher) if shown else None


def _hidden(transition: WorkflowTransition, output: Output) -> bool:
    return output.loaded.get(("freeze:hide", transition.id), False)


def _officer(transition: WorkflowTransition, output: Output) -> str | None:
    own = transition.agency_id == caller_view(output).agency.id
    return transition.officer if (own or not _hidden(transition, output)) else None


def _detail(transition: WorkflowTransition, output: Output) -> dict[str, Any] | None:
    account = transition.record_type == ACCOUNT.record_type
    shown = transition.detail and (account or not _hidden(transition, output))
    return json.loads(transition.detail) if shown else None  # type: ignore[arg-type]


class FlagRead(OutputSchema):
    """A defect of form the State Bank flagged to the issuer, and the issuer's answer."""

    id = fields.UUID()
    agency = AgencyCode(attribute="agency_id")
    officer = fields.String()
    defect = fields.String()
    raised_at = fields.DateTime()
    answer = fields.String(allow_none=True)
    answered_by = AgencyCode(attribute="answered_by_agency_id", allow_none=True)
    answered_by_officer = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)


class FreezeDecisionRef(DecisionRef):
    """A decision an order rests on."""


class FreezeTransitionRead(OutputSchema):
    """A transition of an order, of one of its accounts, or of a delay. A bank sees who acted only within
    its own agency, and the facts (detail) only of its own accounts."""

    computed: ClassVar[dict[str, Compute]] = {
        "account_id": lambda t, o: t.record_id if t.record_type == ACCOUNT.record_type else None,
        "officer": _officer,
        "detail": _detail,
    }

    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    account_id = fields.UUID(allow_none=True, metadata={"description": "null: a step of the order itself"})
    agency = AgencyCode(
        attribute="agency_id", allow_none=True, metadata={"description": "null: the system (e.g. expiry)"}
    )
    officer = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    decision_id = fields.UUID(allow_none=True)
    detail = fields.Dict(allow_none=True)
    at = fields.DateTime()


class AccountRead(OutputSchema):
    """An account of an order, as its order's Read schema shows it (full number or not)."""

    computed: ClassVar[dict[str, Compute]] = {
        "bank": _bank,
        "bank_code": lambda a, o: a.identifier.attributes.get("bank_code"),
        "display": lambda a, o: a.identifier.display,
        "account_number": _number,
        "due_at": lambda a, o: a.state_due_at,
    }

    @pre_dump(pass_collection=True)
    def _reach(self, accounts: Any, **_: Any) -> Any:
        """The holders shown are accesses to them: the request's audit entry lists them."""
        current().reach(a.subject_id for a in as_list(accounts) if a.subject_id is not None)
        return accounts

    id = fields.UUID()
    bank = fields.String(allow_none=True, metadata={"description": "agency code of the executing bank"})
    bank_bin = fields.String()
    bank_code = fields.String(allow_none=True)
    identifier_id = fields.UUID()
    display = fields.String(metadata={"description": "masked"})
    account_number = fields.String(
        allow_none=True,
        metadata={"description": "canonical `<BIN>:<number>`: to its bank, or revealed (?sensitive=true)"},
    )
    holder_name = fields.String(allow_none=True)
    subject_id = fields.UUID(allow_none=True)
    state = fields.String(
        metadata={
            "description": "pending | dispatched | executed | not_executable | release_pending | released"
        }
    )
    due_at = fields.DateTime(
        allow_none=True, metadata={"description": "the bank's deadline (execution, release)"}
    )
    amount_frozen_vnd = fields.Integer(
        allow_none=True, metadata={"description": "frozen now (a pending release still counts)"}
    )
    release_pending_vnd = fields.Integer(
        allow_none=True, metadata={"description": "instructed to release, not yet confirmed by the bank"}
    )
    release_requested_at = fields.DateTime(allow_none=True)
    released_vnd = fields.Integer(
        allow_none=True, metadata={"description": "released, as the bank confirmed"}
    )
    released_at = fields.DateTime(allow_none=True)
    release_reference = fields.String(allow_none=True)
    executed_at = fields.DateTime(allow_none=True)
    bank_reference = fields.String(allow_none=True)
    not_executable_reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    reported_at = fields.DateTime(allow_none=True)


def _accounts(order: FreezeOrder, output: Output) -> list[FreezeAccount]:
    """The accounts the caller sees, each marked with whether its full number is shown."""
    v = caller_view(output)
    accounts = access.accounts_seen(v, order)
    shown = not _as_submitted(output) and access.shows_numbers(v, order, revealed=output.revealed)
    for account in accounts:
        output.loaded[("freeze:numbers", account.id)] = shown
    return accounts


def _executed_total(order: FreezeOrder, output: Output) -> int:
    return executed_total(access.accounts_seen(caller_view(output), order))


def _outstanding(order: FreezeOrder, output: Output) -> int | None:
    """What remains to be frozen across all banks: a bank sees it too, so it never freezes the same
    remainder twice (the accounts of other banks stay hidden)."""
    return outstanding(order)


def _order_transitions(order: FreezeOrder, output: Output) -> Any:
    """The order's transitions and those of the accounts the caller sees; not in lists."""
    if output.loaded.get(("freeze:listed", order.id)):
        return missing
    v = caller_view(output)
    rows = transitions(output.session, order, access.accounts_seen(v, order))
    hide = access.hides_others(v, order)
    for row in rows:
        output.loaded[("freeze:hide", row.id)] = hide
    return rows


def _flags(order: FreezeOrder, output: Output) -> list[Any]:
    """The State Bank's flags and the issuer's answers: for those who see the whole order, not banks."""
    if not caller_view(output).sees_all_accounts(order):
        return []
    return list(output.loaded.get(("freeze:flags", order.id), []))


def _decision(output: Output, decision_id: uuid.UUID) -> Decision | None:
    """By its id, not the view-only relationship: a step that changed the id has not refreshed that.
    The page's decisions are in the session already (access.ORDER_LOADS): no statement here."""
    return output.session.get(Decision, decision_id)


def _order_state(order: FreezeOrder, output: Output) -> str:
    return order.state if _as_submitted(output) else shown_order_state(order)


def _delay_state(delay: TransactionDelay, output: Output) -> str:
    return delay.state if _as_submitted(output) else shown_delay_state(delay)


class FreezeOrderRead(OutputSchema):
    """A freeze order as the caller may see it: a bank its own accounts only; transitions on a single read."""

    computed: ClassVar[dict[str, Compute]] = {
        "state": _order_state,
        "allowed_actions": lambda order, o: ORDER.allowed(_order_state(order, o)),
        "due_at": lambda order, o: order.state_due_at if _order_state(order, o) == order.state else None,
        "accounts": _accounts,
        "holders": lambda order, o: sorted({a.holder_name for a in _accounts(order, o) if a.holder_name}),
        "executed_total_vnd": _executed_total,
        "outstanding_vnd": _outstanding,
        "transaction_delay_ids": loaded("freeze:delay_ids", []),
        "transitions": _order_transitions,
        "flags": _flags,
        "decision": lambda order, o: _decision(o, order.decision_id),
        "current_decision": lambda order, o: _decision(o, order.current_decision_id),
    }

    id = fields.UUID()
    state = fields.String()
    allowed_actions = fields.List(fields.String(), metadata={"description": "actions the state allows"})
    version = fields.Integer()
    due_at = fields.DateTime(allow_none=True, metadata={"description": "deadline of the current step"})
    issuer = AgencyCode(attribute="issuer_agency_id")
    decision = fields.Nested(FreezeDecisionRef, metadata={"description": "the founding decision"})
    current_decision = fields.Nested(FreezeDecisionRef, metadata={"description": "the latest decision"})
    accounts = fields.List(fields.Nested(AccountRead), metadata={"description": "a bank sees its own only"})
    holders = fields.List(fields.String(), metadata={"description": "account holders as known"})
    amount_vnd = fields.Integer(allow_none=True, metadata={"description": "ordered; null: whole balance"})
    whole_balance = fields.Boolean()
    executed_total_vnd = fields.Integer(metadata={"description": "sum actually frozen (accounts shown)"})
    outstanding_vnd = fields.Integer(
        allow_none=True,
        metadata={"description": "ordered minus what all banks together hold frozen; null: whole balance"},
    )
    legal_bases = fields.List(fields.String())
    legal_ground = fields.String(allow_none=True, metadata={"description": "the ground the order rests on"})
    valid_from = fields.Date()
    valid_until = fields.Date(allow_none=True)
    reason = fields.String()
    procuracy_notified_at = fields.DateTime(allow_none=True)
    procuracy_reference = fields.String(allow_none=True)
    procuracy = AgencyCode(
        attribute="procuracy_agency_id", allow_none=True, metadata={"description": "the procuracy notified"}
    )
    conversion_kind = fields.String(allow_none=True)
    converted_amount_vnd = fields.Integer(allow_none=True)
    transaction_delay_ids = fields.List(fields.UUID())
    dispatched_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    transitions = fields.List(fields.Nested(FreezeTransitionRead))
    urgent = fields.Boolean()
    flags = fields.List(
        fields.Nested(FlagRead),
        metadata={"description": "defects the State Bank flagged, and the answers (not shown to banks)"},
    )

    @pre_dump(pass_collection=True)
    def _load_page(self, data: Any, many: bool, **_: Any) -> Any:
        """The delays the page's orders followed and their flags, one query each; a list shows no
        transitions."""
        output = current()
        orders = as_list(data)
        delay_ids = access.delay_ids_seen(output.session, caller_view(output), orders)
        for order_id, ids in delay_ids.items():
            output.loaded[("freeze:delay_ids", order_id)] = ids
        for order_id, rows in flags_of(output.session, orders).items():
            output.loaded[("freeze:flags", order_id)] = rows
        if many:
            for order in orders:
                output.loaded[("freeze:listed", order.id)] = True
        return data


class LateStep(Schema):
    step = fields.String(metadata={"description": "the state that is late, or `execution`"})
    party = fields.String(allow_none=True, metadata={"description": "whose move it is"})
    due_at = fields.DateTime()
    account_id = fields.UUID(allow_none=True)


class OverdueOrderRead(FreezeOrderRead):
    computed: ClassVar[dict[str, Compute]] = {**FreezeOrderRead.computed, "late": loaded("freeze:late", [])}

    late = fields.List(fields.Nested(LateStep))

    @pre_dump(pass_collection=True)
    def _load_late(self, data: Any, many: bool, **_: Any) -> Any:
        """What is late in each order of the page and whose move it is."""
        output = current()
        for order_id, late in late_steps(output.session, as_list(data), utcnow()).items():
            output.loaded[("freeze:late", order_id)] = late
        return data


FreezeOrderPage = page_of(FreezeOrderRead, "FreezeOrderPage")
OverduePage = page_of(OverdueOrderRead, "OverdueFreezeOrderPage")


class DelayCreate(Schema):
    account = fields.String(
        required=True, validate=validate.Length(min=1, max=64), metadata={"description": ACCOUNT_SPELLING}
    )
    holder_name = text(300, load_default=None, allow_none=True)
    amount_vnd = vnd(required=True)
    reason = text(10_000, required=True)
    bank_reference = text(100, load_default=None, allow_none=True)
    delayed_at = fields.AwareDateTime(required=True, metadata={"description": "when the bank delayed it"})
    reported_to = fields.List(
        text(64),
        required=True,
        validate=validate.Length(min=1, max=10),
        metadata={"description": "codes of the competent authorities the bank reported to (e.g. MPS-C03)"},
    )
    sbv_reported_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "when the bank reported the delay to the State Bank (or record it later)"},
    )
    sbv_reference = text(100, load_default=None, allow_none=True, metadata={"description": "of that report"})

    @validates_schema
    def _sbv(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("sbv_reported_at")) != bool(data.get("sbv_reference")):
            raise ValidationError("Give the time and the reference of the report together.", "sbv_reference")


class DelaySbvReport(Schema):
    sbv_reported_at = fields.AwareDateTime(required=True, metadata={"description": "when it was reported"})
    sbv_reference = text(100, required=True, metadata={"description": "the report's reference"})


class DelayQuery(PageQuery):
    state = fields.String(validate=validate.OneOf(DELAY_STATES))
    delayed_from = fields.AwareDateTime(metadata={"description": "only delays made since"})
    delayed_to = fields.AwareDateTime(metadata={"description": "only delays made by then"})
    bank = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "agency code"})
    province = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "only delays of an account linked to a subject in this province"},
    )
    sensitive = SensitiveFlag()


def _delay_number(delay: TransactionDelay, output: Output) -> str | None:
    v = caller_view(output)
    shown = not _as_submitted(output) and access.shows_delay_number(v, delay, revealed=output.revealed)
    return canonical_value(delay.identifier, output.cipher) if shown else None


class DelayRead(OutputSchema):
    computed: ClassVar[dict[str, Compute]] = {
        "state": _delay_state,
        "allowed_actions": lambda d, o: DELAY.allowed(_delay_state(d, o)),
        "display": lambda d, o: d.identifier.display,
        "account_number": _delay_number,
        "reported_to": loaded("freeze:reported_to", []),
        "reported_at": lambda d, o: d.created_at,
        "transitions": loaded("freeze:transitions", []),
    }

    id = fields.UUID()
    state = fields.String(metadata={"description": "in_effect | released | expired | superseded_by_order"})
    allowed_actions = fields.List(fields.String())
    bank = AgencyCode(attribute="bank_agency_id")
    bank_bin = fields.String()
    identifier_id = fields.UUID()
    display = fields.String()
    account_number = fields.String(allow_none=True)
    holder_name = fields.String(allow_none=True)
    amount_vnd = fields.Integer()
    reason = fields.String()
    bank_reference = fields.String(allow_none=True)
    delayed_at = fields.DateTime()
    ends_at = fields.DateTime(metadata={"description": "it ends by itself then unless an order follows"})
    reported_to = fields.List(fields.String())
    sbv_reported_at = fields.DateTime(allow_none=True, metadata={"description": "reported to the State Bank"})
    sbv_reference = fields.String(allow_none=True)
    followed_by_order_id = fields.UUID(
        allow_none=True,
        metadata={"description": "the order that follows it; it ends when executed at the bank"},
    )
    superseded_by_order_id = fields.UUID(allow_none=True)
    reported_at = fields.DateTime()
    transitions = fields.List(fields.Nested(FreezeTransitionRead))

    @pre_dump(pass_collection=True)
    def _load_page(self, data: Any, many: bool, **_: Any) -> Any:
        """The authorities notified and the transitions of the page's delays, one query each."""
        output = current()
        delays = as_list(data)
        for delay_id, codes in notified_codes(output.session, delays).items():
            output.loaded[("freeze:reported_to", delay_id)] = codes
        for delay_id, rows in delay_transitions(output.session, delays).items():
            output.loaded[("freeze:transitions", delay_id)] = rows
        return data


DelayPage = page_of(DelayRead, "TransactionDelayPage")


# -- the seller history's sections (services.freezing.history loads the records, these dump them) -------


class FreezeAccountHistoryItem(OutputSchema):
    computed: ClassVar[dict[str, Compute]] = {
        "display": lambda a, o: a.identifier.display,
        "touches_subject": loaded("freeze:touches", False),
    }

    id = fields.UUID()
    bank_bin = fields.String()
    display = fields.String()
    state = fields.String()
    amount_frozen_vnd = fields.Integer(allow_none=True)
    touches_subject = fields.Boolean()


class FreezeOrderHistoryItem(OutputSchema):
    """An order in a seller's history: masked accounts, those the caller sees."""

    computed: ClassVar[dict[str, Compute]] = {
        "state": _order_state,
        "decision_number": lambda order, o: _decision(o, order.current_decision_id).number,  # type: ignore[union-attr]
        "executed_total_vnd": _executed_total,
        "accounts": lambda order, o: access.accounts_seen(caller_view(o), order),
    }

    id = fields.UUID()
    state = fields.String()
    issuer = AgencyCode(attribute="issuer_agency_id")
    decision_number = fields.String()
    amount_vnd = fields.Integer(allow_none=True)
    whole_balance = fields.Boolean()
    executed_total_vnd = fields.Integer()
    valid_from = fields.Date()
    valid_until = fields.Date(allow_none=True)
    accounts = fields.List(fields.Nested(FreezeAccountHistoryItem))
    created_at = fields.DateTime()


class DelayHistoryItem(OutputSchema):
    """A transaction delay in a seller's history: the account masked."""

    computed: ClassVar[dict[str, Compute]] = {
        "state": _delay_state,
        "account": lambda d, o: d.identifier.display,
    }

    id = fields.UUID()
    state = fields.String()
    bank = AgencyCode(attribute="bank_agency_id")
    account = fields.String()
    amount_vnd = fields.Integer()
    delayed_at = fields.DateTime()
    ends_at = fields.DateTime()
    superseded_by_order_id = fields.UUID(allow_none=True)
