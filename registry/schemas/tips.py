"""Tips from the public: the challenge, the filing and its receipt, the status by receipt code, and the
routed agency's view (services/tips)."""

from __future__ import annotations

from typing import Any, ClassVar

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, pre_dump, validate

from registry.models import CATEGORIES, GOODS_GROUPS, TIP_CLOSED, Tip, TipStatus
from registry.schemas.common import PageQuery, SensitiveFlag, page_of
from registry.schemas.decisions import Text, text
from registry.schemas.output import AgencyCode, Compute, Output, OutputSchema, current, loaded
from registry.services.tips import filing
from registry.services.tips.files import MAX_FILES

STATUS_TEXT = " | ".join(s.value for s in TipStatus)


class TipChallengeRead(Schema):
    challenge = fields.String(
        metadata={"description": "send it back with the tip, with a `solution` of your own"}
    )
    bits = fields.Integer(
        metadata={
            "description": "the solution is decimal digits such that SHA-256 of `<challenge>:<solution>` "
            "(UTF-8) starts with this many zero bits"
        }
    )
    expires_at = fields.DateTime(
        metadata={"description": "file the tip before then; each challenge files one"}
    )


class TipCreate(Schema):
    """The filing, as multipart/form-data fields (files under `attachments`)."""

    kind = fields.String(
        required=True,
        validate=validate.OneOf(filing.KINDS),
        metadata={
            "description": "what is reported: `website` (a domain, or a URL with a path), `domain`, `url`, "
            "`marketplace_shop`, `social_account`, `app`, `bank_account` (`<BIN or bank code>:<number>`), "
            "`phone`, `email`"
        },
    )
    value = text(2048, required=True, metadata={"description": "the website, shop, account or number"})
    category = fields.String(
        required=True,
        validate=validate.OneOf(CATEGORIES),
        metadata={"description": "the violation: " + ", ".join(CATEGORIES)},
    )
    goods_group = fields.String(
        load_default=None, validate=validate.OneOf(GOODS_GROUPS), metadata={"description": "optional"}
    )
    province = text(64, load_default=None, metadata={"description": "where the seller operates, optional"})
    description = Text(
        required=True,
        validate=validate.Length(min=10, max=8000),
        metadata={"description": "what happened: what was sold, when, how you paid"},
    )
    contact_name = text(200, load_default=None, metadata={"description": "optional; stored encrypted"})
    contact_phone = text(40, load_default=None, metadata={"description": "optional; stored encrypted"})
    contact_email = text(254, load_default=None, metadata={"description": "optional; stored encrypted"})
    challenge = text(
        200, required=True, metadata={"description": "from `GET /api/v1/tips/challenge`, unused"}
    )
    solution = text(20, required=True, metadata={"description": "the proof of work (decimal digits)"})
    attachments = fields.List(
        Upload(),
        load_default=list,
        metadata={
            "description": f"up to {MAX_FILES} files (PDF, JPEG or PNG, recognised by their bytes), each "
            "at most `REGISTRY_TIP_ATTACHMENT_BYTES` (5 MiB by default)"
        },
    )


class TipLookup(Schema):
    receipt_code = text(64, required=True, metadata={"description": "the code the filing answered with"})


class TipStatusRead(OutputSchema):
    """What the reporter reads with the receipt code, and nothing else."""

    computed: ClassVar[dict[str, Compute]] = {"since": lambda t, _: filing.status_since(t)}

    status = fields.String(metadata={"description": STATUS_TEXT})
    since = fields.Date(metadata={"description": "the day (Vietnam time) the tip reached this status"})


class TipReceipt(TipStatusRead):
    """The answer to the filing: the receipt code, shown this once (only its keyed hash is kept)."""

    computed: ClassVar[dict[str, Compute]] = {
        **TipStatusRead.computed,
        "receipt_code": loaded("receipt_code"),
    }

    receipt_code = fields.String(
        metadata={"description": "keep it: it is shown only now, and is the only way to read the status"}
    )


def _mask(value: str) -> str:
    local, at, domain = value.partition("@")
    if at:
        return f"{local[:1]}•••@{domain}"
    return value[:1] + "•••" + (value[-3:] if value[:1] == "+" else "")


def _contact(name: str) -> Compute:
    def compute(tip: Tip, output: Output) -> str | None:
        value = (output.loaded.get(("contact", tip.id)) or {}).get(name)
        if value is None or output.revealed:
            return value
        return _mask(value)

    return compute


def _value(tip: Tip, output: Output) -> str:
    if tip.value is not None:
        return tip.value
    return filing.reported_value(output.cipher, tip) if output.revealed else tip.display


class TipAttachmentRead(Schema):
    id = fields.UUID()
    filename = fields.String()
    content_type = fields.String(metadata={"description": "found from the bytes"})
    size = fields.Integer()
    sha256 = fields.String()


class TipLinkRead(Schema):
    subject_id = fields.UUID(allow_none=True)
    violation_id = fields.UUID(allow_none=True)
    linked_by = fields.String()
    linked_at = fields.DateTime()


class TipRead(OutputSchema):
    """The routed agency's view. The reporter's contact and a sensitive value (bank account, phone,
    e-mail) are masked unless `?sensitive=true` (registry:read_sensitive)."""

    computed: ClassVar[dict[str, Compute]] = {
        "value": _value,
        "agency": lambda t, _: t.agency_id,
        "group": lambda t, _: t.group_key,
        "contact_name": _contact("name"),
        "contact_phone": _contact("phone"),
        "contact_email": _contact("email"),
        "matched_identifier_id": lambda t, _: t.identifier_id,
    }

    id = fields.UUID()
    kind = fields.String()
    value = fields.String(metadata={"description": "masked for sensitive kinds unless ?sensitive=true"})
    display = fields.String()
    group = fields.String(metadata={"description": "the group's key: `?group=` lists its tips"})
    group_display = fields.String()
    matched_identifier_id = fields.UUID(
        allow_none=True, metadata={"description": "the registry's identifier it matched when filed"}
    )
    category = fields.String()
    goods_group = fields.String(allow_none=True)
    province = fields.String(allow_none=True)
    description = fields.String()
    contact_name = fields.String(allow_none=True, metadata={"description": "masked unless ?sensitive=true"})
    contact_phone = fields.String(allow_none=True, metadata={"description": "masked unless ?sensitive=true"})
    contact_email = fields.String(allow_none=True, metadata={"description": "masked unless ?sensitive=true"})
    status = fields.String(metadata={"description": STATUS_TEXT})
    agency = AgencyCode(metadata={"description": "the agency it is routed to"})
    routed_by = fields.String(
        metadata={"description": "`rule:<n>` or `default` of the routing table, or who re-routed it"}
    )
    received_at = fields.DateTime()
    updated_at = fields.DateTime()
    triaged_by = fields.String(allow_none=True)
    triaged_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    outcome_note = fields.String(allow_none=True)
    attachments = fields.List(fields.Nested(TipAttachmentRead))
    links = fields.List(fields.Nested(TipLinkRead))

    @pre_dump(pass_collection=True)
    def _decrypt(self, data: Any, many: bool, **_: Any) -> Any:
        output = current()
        for tip in data if many else [data]:
            output.loaded["contact", tip.id] = filing.contact(output.cipher, tip)
        return data


class TipQuery(PageQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in TipStatus]))
    group = fields.String(
        validate=validate.Regexp(r"^[0-9a-f]{64}$"), metadata={"description": "a group's key"}
    )
    sensitive = SensitiveFlag()


class TipGroupQuery(PageQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in TipStatus]))


class TipSensitiveQuery(Schema):
    sensitive = SensitiveFlag()


class TipGroupRead(Schema):
    group = fields.String(metadata={"description": "`GET /tips?group=` lists its tips"})
    display = fields.String(metadata={"description": "what the tips are about (masked if sensitive)"})
    tips = fields.Integer(metadata={"description": "tips in the group (of the status asked, if any)"})
    open = fields.Integer(metadata={"description": "of them, received or under review"})
    latest = fields.DateTime()


class TipGroupPage(Schema):
    items = fields.List(fields.Nested(TipGroupRead))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(metadata={"description": "number of groups (exact)"})
    has_more = fields.Boolean()


class TipLinkCreate(Schema):
    subject_id = fields.UUID(load_default=None, metadata={"description": "a subject, or"})
    violation_id = fields.UUID(load_default=None, metadata={"description": "a violation you may see"})


class TipReroute(Schema):
    agency = text(64, required=True, metadata={"description": "the code of a state agency in force"})


class TipClose(Schema):
    outcome = fields.String(
        required=True, validate=validate.OneOf(TIP_CLOSED), metadata={"description": " | ".join(TIP_CLOSED)}
    )
    note = Text(required=True, validate=validate.Length(min=3, max=4000))


TipPage = page_of(TipRead, "TipPage")
