"""Freeze orders and transaction delays: what each party sends, and what each party is shown."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from registry.models.freezing import CONVERSION_KINDS, NOT_EXECUTABLE_REASONS, AccountState
from registry.schemas.common import PageQuery, page_of
from registry.schemas.decisions import text
from registry.services.freezing import DELAY_STATES, ORDER_STATES

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
    valid_from = fields.Date()
    valid_until = fields.Date(allow_none=True)
    reason = text(10_000)
    procuracy_notified_at = fields.AwareDateTime(allow_none=True)
    procuracy_reference = text(100, allow_none=True)
    note = _note(required=True)

    @validates_schema
    def _terms(self, data: dict[str, Any], **_: Any) -> None:
        _check_amount(data)


class FreezeStep(Schema):
    note = _note()


class FreezeReturn(Schema):
    note = _note(required=True)


class FreezeAmendment(Schema):
    decision_id = fields.UUID(required=True, metadata={"description": "the amending decision"})
    amount_vnd = vnd(allow_none=True)
    whole_balance = fields.Boolean()
    legal_bases = fields.List(text(500), validate=validate.Length(min=1, max=50))
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


class OverdueQuery(PageQuery):
    state = fields.String(validate=validate.OneOf(ORDER_STATES))


class FreezeOrderQuery(OverdueQuery):
    sensitive = fields.Boolean(load_default=False)


class FreezeDecisionRef(Schema):
    id = fields.UUID()
    number = fields.String()
    document_type = fields.String()
    issued_on = fields.Date()
    issuer = fields.String()


class FreezeTransitionRead(Schema):
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    account_id = fields.UUID(allow_none=True, metadata={"description": "null: a step of the order itself"})
    agency = fields.String(allow_none=True, metadata={"description": "null: the system (e.g. expiry)"})
    officer = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    decision_id = fields.UUID(allow_none=True)
    detail = fields.Dict(allow_none=True)
    at = fields.DateTime()


class AccountRead(Schema):
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
    state = fields.String(metadata={"description": "pending | dispatched | executed | not_executable"})
    due_at = fields.DateTime(allow_none=True)
    amount_frozen_vnd = fields.Integer(allow_none=True)
    executed_at = fields.DateTime(allow_none=True)
    bank_reference = fields.String(allow_none=True)
    not_executable_reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    reported_at = fields.DateTime(allow_none=True)


class FreezeOrderRead(Schema):
    id = fields.UUID()
    state = fields.String()
    allowed_actions = fields.List(fields.String(), metadata={"description": "actions the state allows"})
    version = fields.Integer()
    due_at = fields.DateTime(allow_none=True, metadata={"description": "deadline of the current step"})
    issuer = fields.String()
    decision = fields.Nested(FreezeDecisionRef, metadata={"description": "the founding decision"})
    current_decision = fields.Nested(FreezeDecisionRef, metadata={"description": "the latest decision"})
    accounts = fields.List(fields.Nested(AccountRead), metadata={"description": "a bank sees its own only"})
    holders = fields.List(fields.String(), metadata={"description": "account holders as known"})
    amount_vnd = fields.Integer(allow_none=True, metadata={"description": "ordered; null: whole balance"})
    whole_balance = fields.Boolean()
    executed_total_vnd = fields.Integer(metadata={"description": "sum actually frozen (accounts shown)"})
    outstanding_vnd = fields.Integer(allow_none=True, metadata={"description": "ordered minus frozen"})
    legal_bases = fields.List(fields.String())
    valid_from = fields.Date()
    valid_until = fields.Date(allow_none=True)
    reason = fields.String()
    procuracy_notified_at = fields.DateTime(allow_none=True)
    procuracy_reference = fields.String(allow_none=True)
    conversion_kind = fields.String(allow_none=True)
    converted_amount_vnd = fields.Integer(allow_none=True)
    transaction_delay_ids = fields.List(fields.UUID())
    dispatched_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    transitions = fields.List(fields.Nested(FreezeTransitionRead))


class LateStep(Schema):
    step = fields.String(metadata={"description": "the state that is late, or `execution`"})
    party = fields.String(allow_none=True, metadata={"description": "whose move it is"})
    due_at = fields.DateTime()
    account_id = fields.UUID(allow_none=True)


class OverdueOrderRead(FreezeOrderRead):
    late = fields.List(fields.Nested(LateStep))


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


class DelayQuery(PageQuery):
    state = fields.String(validate=validate.OneOf(DELAY_STATES))
    sensitive = fields.Boolean(load_default=False)


class DelayRead(Schema):
    id = fields.UUID()
    state = fields.String(metadata={"description": "in_effect | released | expired | superseded_by_order"})
    allowed_actions = fields.List(fields.String())
    bank = fields.String()
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
    superseded_by_order_id = fields.UUID(allow_none=True)
    reported_at = fields.DateTime()
    transitions = fields.List(fields.Nested(FreezeTransitionRead))


DelayPage = page_of(DelayRead, "TransactionDelayPage")
