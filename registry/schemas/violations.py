"""Violations (cases): what is accepted on creation and update, what is shown, how they are filtered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, pre_dump, validate, validates, validates_schema

from registry.models import CATEGORIES, GOODS_GROUPS, ViolationStatus
from registry.schemas.common import PageQuery, SharedRead, SharingFields, as_list, page_of
from registry.schemas.decisions import SHA256_HEX, text, today_in_vietnam
from registry.schemas.output import AgencyCode, Compute, Output, OutputSchema, current, loaded
from registry.services import violations

# Amounts are whole VND. The ceiling (10^15 VND) keeps every amount exact in JSON clients and in the audit
# log's canonical JSON (both are limited to 2^53), and is far above any real fine or seizure.
MAX_VND = 10**15
# Clocks of the calling systems drift; a detection a few minutes "in the future" is a clock, not a lie.
CLOCK_SKEW = timedelta(minutes=5)
STATUSES = [s.value for s in ViolationStatus]


def vnd(**kwargs: Any) -> fields.Integer:
    return fields.Integer(
        strict=True, validate=validate.Range(min=0, max=MAX_VND),
        metadata={"description": "whole VND, a JSON integer (not a string, not a decimal)"}, **kwargs,
    )  # fmt: skip


def unique(name: str) -> validate.Validator:
    def check(values: list[Any]) -> None:
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            raise ValidationError(f"Each {name} may appear only once; repeated: {', '.join(repeated)}.")

    return check  # type: ignore[return-value]


def categories(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(CATEGORIES)),
        validate=[validate.Length(min=1, max=len(CATEGORIES)), unique("category")], **kwargs,
    )  # fmt: skip


def goods_groups(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(GOODS_GROUPS)),
        validate=[validate.Length(max=len(GOODS_GROUPS)), unique("goods group")], **kwargs,
    )  # fmt: skip


class ViolationCreate(SharingFields):
    subjects = fields.List(
        fields.UUID(), required=True, validate=[validate.Length(min=1, max=100), unique("subject")],
        metadata={"description": "ids of subjects visible to the caller"},
    )  # fmt: skip
    identifiers = fields.List(
        fields.UUID(), load_default=list, validate=[validate.Length(max=500), unique("identifier")],
        metadata={"description": "ids of identifiers visible to the caller"},
    )  # fmt: skip
    categories = categories(required=True)
    goods_groups = goods_groups(load_default=list)
    summary = text(10_000, required=True)
    detected_at = fields.AwareDateTime(required=True, metadata={"description": "with its UTC offset"})
    province = text(64, load_default=None, allow_none=True)
    status = fields.String(load_default=ViolationStatus.SUSPECTED.value, validate=validate.OneOf(STATUSES))
    sanction_decision_id = fields.UUID(load_default=None, allow_none=True)
    sanction_reference = text(100, load_default=None, allow_none=True)
    fine_vnd = vnd(load_default=0)
    tax_recovered_vnd = vnd(load_default=0)
    goods_value_vnd = vnd(load_default=0)

    @validates("detected_at")
    def _not_in_future(self, value: datetime, **_: Any) -> None:
        if value > datetime.now(UTC) + CLOCK_SKEW:
            raise ValidationError("Must not be in the future.")


class ViolationUpdate(Schema):
    """What the owner may change; visibility changes go through /visibility, subjects are fixed."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    sanction_decision_id = fields.UUID(allow_none=True)
    sanction_reference = text(100, allow_none=True)
    fine_vnd = vnd()
    tax_recovered_vnd = vnd()
    goods_value_vnd = vnd()
    summary = text(10_000)
    goods_groups = goods_groups()
    categories = categories()

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Nothing to change.")


class DecisionRef(OutputSchema):
    """A written decision as a case names it: its number, date and issuer, not only its id."""

    id = fields.UUID()
    number = fields.String(metadata={"description": "number and symbol, e.g. 123/QĐ-CSKT"})
    issued_on = fields.Date()
    issuer = AgencyCode(attribute="issuer_agency_id", metadata={"description": "code of the issuing agency"})
    issuing_body = fields.String(metadata={"description": "the body as named on the document"})


def _decision(decision_id: Any, output: Output) -> Any:
    """The decision of that id if the caller may see it (loaded for the page), else None."""
    return output.loaded.get(("decision", decision_id))


class TaxRecoveryCreate(Schema):
    amount_vnd = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_VND),
        metadata={"description": "whole VND recovered, a JSON integer"},
    )  # fmt: skip
    reference = text(100, load_default=None, allow_none=True, metadata={"description": "e.g. tax decision"})
    note = text(2000, load_default=None, allow_none=True)


class TaxRecoveryRead(OutputSchema):
    """Tax recovered on the case, as added by a tax authority (not by the case's owner)."""

    id = fields.UUID()
    agency = AgencyCode(attribute="agency_id", metadata={"description": "the tax authority that added it"})
    recorded_by = fields.String(metadata={"description": "its officer, or its client"})
    amount_vnd = fields.Integer()
    reference = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    recorded_at = fields.DateTime()


class EvidenceItem(Schema):
    description = text(2000, required=True)
    sha256 = fields.String(
        load_default=None, allow_none=True, validate=SHA256_HEX,
        metadata={"description": "SHA-256 of the document or file, when there is one"},
    )  # fmt: skip


class ReferralCreate(Schema):
    police_agency = text(64, required=True, metadata={"description": "the receiving body, e.g. MPS-C03"})
    decision_id = fields.UUID(
        required=True,
        metadata={
            "description": "the referring agency's decision to transfer the case, its document uploaded"
        },
    )
    evidence = fields.List(
        fields.Nested(EvidenceItem), required=True, validate=validate.Length(min=1, max=500)
    )
    note = text(2000, load_default=None, allow_none=True)


class AcknowledgementCreate(Schema):
    reference = text(100, required=True, metadata={"description": "the receiving body's own number"})
    received_on = fields.Date(required=True)

    @validates("received_on")
    def _not_in_future(self, value: Any, **_: Any) -> None:
        if value > today_in_vietnam():
            raise ValidationError("Must not be in the future.")


class AcknowledgementRead(Schema):
    reference = fields.String(attribute="police_reference", metadata={"description": "the police's number"})
    received_on = fields.Date()
    acknowledged_by = fields.String(metadata={"description": "its officer, or its client"})
    acknowledged_at = fields.DateTime()


class ReferralRead(OutputSchema):
    """The case transferred to a police body, on a decision, with its evidence and the receipt."""

    computed: ClassVar[dict[str, Compute]] = {
        "decision": lambda r, output: _decision(r.decision_id, output),
        "acknowledgement": lambda r, _: r if r.acknowledged_at is not None else None,
    }

    id = fields.UUID()
    police_agency = AgencyCode(attribute="police_agency_id", metadata={"description": "the receiving body"})
    referred_by_agency = AgencyCode(attribute="referring_agency_id")
    referred_by = fields.String(metadata={"description": "its officer, or its client"})
    decision_id = fields.UUID()
    decision = fields.Nested(
        DecisionRef, allow_none=True, metadata={"description": "null when the decision is not visible"}
    )
    evidence = fields.List(fields.Nested(EvidenceItem))
    note = fields.String(allow_none=True)
    referred_at = fields.DateTime()
    acknowledgement = fields.Nested(
        AcknowledgementRead,
        allow_none=True,
        metadata={"description": "null until the receiving body confirms"},
    )


class ViolationRead(SharedRead):
    """What the caller sees: references only to subjects, identifiers and decisions it may see itself."""

    computed: ClassVar[dict[str, Compute]] = {
        **SharedRead.computed,
        "subjects": loaded("subjects", []),
        "identifiers": loaded("identifiers", []),
        "sanction_decision_id": lambda v, output: (
            v.sanction_decision_id if ("decision", v.sanction_decision_id) in output.loaded else None
        ),
        "sanction_decision": lambda v, output: _decision(v.sanction_decision_id, output),
        "tax_recoveries": loaded("tax_recoveries", []),
        "tax_recovered_total_vnd": lambda v, output: (
            v.tax_recovered_vnd + sum(t.amount_vnd for t in output.loaded.get(("tax_recoveries", v.id), []))
        ),
        "referrals": loaded("referrals", []),
    }

    @pre_dump(pass_collection=True)
    def _load_references(self, records: Any, **_: Any) -> Any:
        output = current()
        assert output.principal is not None
        page = as_list(records)
        found = violations.visible_references(output.session, output.principal, page)
        for decision_id, decision in found.decisions.items():
            output.loaded["decision", decision_id] = decision
        for v in page:
            output.loaded["subjects", v.id] = found.subjects.get(v.id, [])
            output.loaded["identifiers", v.id] = found.identifiers.get(v.id, [])
            output.loaded["tax_recoveries", v.id] = found.tax_recoveries.get(v.id, [])
            output.loaded["referrals", v.id] = found.referrals.get(v.id, [])
            output.reach(found.subjects.get(v.id, []))  # the cases against them were read
        return records

    id = fields.UUID()
    subjects = fields.List(fields.UUID(), metadata={"description": "subjects visible to the caller"})
    identifiers = fields.List(fields.UUID(), metadata={"description": "identifiers visible to the caller"})
    categories = fields.List(fields.String())
    goods_groups = fields.List(fields.String())
    summary = fields.String()
    detected_by = AgencyCode(
        attribute="owner_agency_id", metadata={"description": "code of the detecting (owner) agency"}
    )
    detected_at = fields.DateTime()
    province = fields.String(allow_none=True)
    status = fields.String()
    sanction_decision_id = fields.UUID(
        allow_none=True, metadata={"description": "null also when the decision is not visible to the caller"}
    )
    sanction_decision = fields.Nested(
        DecisionRef,
        allow_none=True,
        metadata={"description": "its number, date and issuer; null also when not visible to the caller"},
    )
    sanction_reference = fields.String(allow_none=True)
    fine_vnd = fields.Integer()
    tax_recovered_vnd = fields.Integer(metadata={"description": "as recorded by the detecting agency"})
    tax_recoveries = fields.List(
        fields.Nested(TaxRecoveryRead), metadata={"description": "tax added by tax authorities, oldest first"}
    )
    tax_recovered_total_vnd = fields.Integer(
        metadata={"description": "tax_recovered_vnd plus every tax authority's addition"}
    )
    goods_value_vnd = fields.Integer()
    referrals = fields.List(
        fields.Nested(ReferralRead),
        metadata={"description": "criminal referrals to the police, oldest first"},
    )
    visibility = fields.String()
    shared_with = fields.List(fields.String())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ViolationQuery(PageQuery):
    subject_id = fields.UUID()
    identifier_id = fields.UUID()
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    goods_group = fields.String(validate=validate.OneOf(GOODS_GROUPS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    province = fields.String(validate=validate.Length(max=64))
    detected_by = fields.String(validate=validate.Length(max=64), metadata={"description": "agency code"})
    detected_from = fields.AwareDateTime()
    detected_to = fields.AwareDateTime()
    referred_from = fields.AwareDateTime(
        metadata={"description": "only cases referred to the police at or after this time"}
    )
    referred_to = fields.AwareDateTime(
        metadata={"description": "only cases referred to the police at or before this time"}
    )

    @validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        for name in ("detected", "referred"):
            start, end = data.get(f"{name}_from"), data.get(f"{name}_to")
            if start and end and end < start:
                raise ValidationError(f"Must not be before {name}_from.", field_name=f"{name}_to")


ViolationPage = page_of(ViolationRead, "ViolationPage")
