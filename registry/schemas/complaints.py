"""A site owner's complaint against a block: the public form, its receipt and status, and the deciding
agency's view (services/blocking/complaints.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, fields, pre_dump, validate

from registry.models import BlockComplaint, ComplaintStatus
from registry.schemas.common import PageQuery, SensitiveFlag, page_of
from registry.schemas.decisions import Text, text
from registry.schemas.output import AgencyCode, Compute, Output, OutputSchema, current, loaded
from registry.services.blocking.complaints import contact

ANSWERS = (ComplaintStatus.ANSWERED.value, ComplaintStatus.UPHELD.value, ComplaintStatus.DISMISSED.value)
STATUS_TEXT = (
    "received | under_review (linked to the block, or turned into an appeal) | answered (a reply without "
    "a finding) | upheld | dismissed (the deciding agency's, or the outcome of the appeal it became)"
)


class BlockComplaintCreate(Schema):
    target = text(
        2048,
        required=True,
        metadata={"description": "the blocked domain (`shop.example.vn`) or URL (with a path)"},
    )
    name = Text(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the owner's name (stored encrypted)"},
    )
    phone = text(
        40,
        load_default=None,
        allow_none=True,
        metadata={"description": "phone or e-mail required; stored encrypted"},
    )
    email = text(
        254,
        load_default=None,
        allow_none=True,
        metadata={"description": "phone or e-mail required; stored encrypted"},
    )
    statement = Text(
        required=True,
        validate=validate.Length(min=10, max=8000),
        metadata={"description": "why the block is wrong"},
    )


class BlockComplaintLookup(Schema):
    receipt_code = text(64, required=True, metadata={"description": "the code the filing answered with"})


class BlockComplaintStatus(OutputSchema):
    """What the owner reads with the receipt code, and nothing else."""

    computed: ClassVar[dict[str, Compute]] = {
        "status": lambda c, _: c.shown_status,
        "answer": lambda c, _: c.shown_answer,
        "answered_at": lambda c, _: c.shown_answered_at,
    }

    target = fields.String()
    filed_at = fields.DateTime()
    status = fields.String(metadata={"description": STATUS_TEXT})
    answer = fields.String(allow_none=True, metadata={"description": "the deciding agency's answer"})
    answered_at = fields.DateTime(allow_none=True)


class BlockComplaintReceipt(BlockComplaintStatus):
    """The answer to the filing: the receipt code, shown this once (only its hash is kept)."""

    computed: ClassVar[dict[str, Compute]] = {
        **BlockComplaintStatus.computed,
        "receipt_code": loaded("receipt_code"),
    }

    receipt_code = fields.String(
        metadata={"description": "keep it: it is shown only now, and is the only way to read the status"}
    )


def _contact(name: str) -> Any:
    def compute(complaint: BlockComplaint, output: Output) -> str | None:
        value = output.loaded.get(("contact", complaint.id), {}).get(name)
        if value is None or output.revealed:
            return value
        return _mask(value)

    return compute


def _mask(value: str) -> str:
    local, at, domain = value.partition("@")
    if at:
        return f"{local[:1]}•••@{domain}"
    return value[:1] + "•••" + (value[-3:] if value[:1] == "+" else "")


class BlockComplaintRead(OutputSchema):
    """The deciding agency's view. The complainant's contact is masked unless revealed (?sensitive=true)."""

    computed: ClassVar[dict[str, Compute]] = {
        "status": lambda c, _: c.shown_status,
        "answer": lambda c, _: c.shown_answer,
        "answered_at": lambda c, _: c.shown_answered_at,
        "block_request_id": lambda c, _: c.request_id,
        "complainant_name": _contact("name"),
        "complainant_phone": _contact("phone"),
        "complainant_email": _contact("email"),
        "answered_agency": lambda c, _: c.answered_agency_id,
    }

    id = fields.UUID()
    target_kind = fields.String()
    target = fields.String()
    statement = fields.String()
    complainant_name = fields.String(metadata={"description": "masked unless ?sensitive=true"})
    complainant_phone = fields.String(
        allow_none=True, metadata={"description": "masked unless ?sensitive=true"}
    )
    complainant_email = fields.String(
        allow_none=True, metadata={"description": "masked unless ?sensitive=true"}
    )
    filed_at = fields.DateTime()
    status = fields.String(metadata={"description": STATUS_TEXT})
    block_request_id = fields.UUID(allow_none=True)
    linked_by = fields.String(allow_none=True, metadata={"description": "the officer, or `system` at filing"})
    linked_at = fields.DateTime(allow_none=True)
    answer = fields.String(allow_none=True)
    answered_by = fields.String(allow_none=True)
    answered_agency = AgencyCode(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    appeal_id = fields.UUID(allow_none=True)

    @pre_dump(pass_collection=True)
    def _decrypt(self, data: Any, many: bool, **_: Any) -> Any:
        output = current()
        for complaint in data if many else [data]:
            output.loaded["contact", complaint.id] = contact(output.cipher, complaint)
        return data


class BlockComplaintQuery(PageQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in ComplaintStatus]))
    block_request_id = fields.UUID()
    unlinked = fields.Boolean(metadata={"description": "only complaints not yet linked to a block request"})
    sensitive = SensitiveFlag()


class BlockComplaintSensitiveQuery(Schema):
    sensitive = SensitiveFlag()


class BlockComplaintLink(Schema):
    block_request_id = fields.UUID(required=True)


class BlockComplaintAnswer(Schema):
    outcome = fields.String(
        required=True, validate=validate.OneOf(ANSWERS), metadata={"description": " | ".join(ANSWERS)}
    )
    answer = Text(required=True, validate=validate.Length(min=10, max=4000))


BlockComplaintPage = page_of(BlockComplaintRead, "BlockComplaintPage")
