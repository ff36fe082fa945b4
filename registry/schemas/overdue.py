"""The Standing Office's overdue steps across both workflows (services/overdue.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from registry.schemas.common import PageQuery, page_fields
from registry.services.overdue import MAX_STEPS, WORKFLOWS


class OverdueQuery(PageQuery):
    workflow = fields.String(validate=validate.OneOf(WORKFLOWS))
    agency = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "only steps that are this agency's (or platform's) move"},
    )
    province = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "only cases in this province"}
    )


class OverdueStepRead(Schema):
    workflow = fields.String(metadata={"description": "`block_request` or `freeze_order`"})
    record_id = fields.UUID(metadata={"description": "the block request or freeze order"})
    step = fields.String(
        metadata={"description": "the late state, or `execution`, `removal` (block), `release` (freeze)"}
    )
    party = fields.String(
        allow_none=True, metadata={"description": "whose move it is (several deciders: comma-separated)"}
    )
    due_at = fields.DateTime()
    provinces = fields.List(fields.String(), metadata={"description": "the provinces of the case"})
    urgent = fields.Boolean()


class CountByAgency(Schema):
    agency = fields.String(allow_none=True)
    count = fields.Integer()


class CountByProvince(Schema):
    province = fields.String(allow_none=True)
    count = fields.Integer()


OverduePage = Schema.from_dict(
    {
        "items": fields.Nested(OverdueStepRead, many=True),
        **page_fields(reach=f"{MAX_STEPS} steps", beyond="(never: every overdue step is counted)"),
        "by_agency": fields.Nested(
            CountByAgency, many=True, metadata={"description": "every overdue step you see, by whose move"}
        ),
        "by_province": fields.Nested(
            CountByProvince, many=True, metadata={"description": "every overdue step you see, by province"}
        ),
    },
    name="OverdueStepsPage",
)
