"""Written decisions of competent bodies: what is accepted, what is shown, how they are filtered."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from registry.models import DocumentType
from registry.schemas.common import PageQuery, SharedRead, SharingFields, page_of
from registry.schemas.output import AgencyCode, Compute, OutputSchema

# Decisions are dated in Vietnam (UTC+7, no daylight saving): "today" there, whatever the server's zone.
VIETNAM = timezone(timedelta(hours=7))


def today_in_vietnam() -> date:
    return datetime.now(UTC).astimezone(VIETNAM).date()


class Text(fields.String):
    """A string as typed on a document: NFC-normalised and trimmed; blank is refused."""

    default_error_messages = {"blank": "Must not be blank."}  # noqa: RUF012 - marshmallow merges this

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = unicodedata.normalize("NFC", super()._deserialize(value, attr, data, **kwargs)).strip()
        if not text:
            raise self.make_error("blank")
        return text


def text(max_length: int, **kwargs: Any) -> Text:
    return Text(validate=validate.Length(max=max_length), **kwargs)


SHA256_HEX = validate.Regexp(
    r"^[0-9a-fA-F]{64}$", error="Must be a SHA-256 digest: 64 hexadecimal characters."
)


class DecisionCreate(SharingFields):
    document_type = fields.String(
        required=True, validate=validate.OneOf([t.value for t in DocumentType]),
        metadata={"description": "decision (quyết định) | order (lệnh) | request (văn bản yêu cầu)"},
    )  # fmt: skip
    number = text(100, required=True, metadata={"description": "number and symbol, e.g. 123/QĐ-CSKT"})
    place = text(200, required=True)
    issued_on = fields.Date(required=True)
    issuer = text(
        64, load_default=None,
        metadata={"description": "code of the issuing agency, e.g. MPS-C03; by default the caller's. Another "
                  "body's decision recorded on its behalf waits for that body's confirmation."},
    )  # fmt: skip
    issuing_body = text(300, required=True, metadata={"description": "the body as named on the document"})
    signer_name = text(200, required=True)
    signer_title = text(200, required=True)
    signer_capacity = text(
        100, load_default=None, allow_none=True, metadata={"description": "e.g. KT. (on behalf of)"}
    )
    legal_bases = fields.List(text(500), required=True, validate=validate.Length(min=1, max=50))
    targets = fields.List(
        text(500), load_default=list, validate=validate.Length(max=500),
        metadata={"description": "subjects and targets named in the document"},
    )  # fmt: skip
    reason = text(10_000, required=True)
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(load_default=None, allow_none=True)
    executing_party = text(300, load_default=None, allow_none=True)
    document_sha256 = fields.String(
        required=True, validate=SHA256_HEX,
        metadata={"description": "SHA-256 of the document (PDF); the upload must match it"},
    )  # fmt: skip

    @validates("issued_on")
    def _not_in_future(self, value: date, **_: Any) -> None:
        if value > today_in_vietnam():
            raise ValidationError("Must not be in the future.")

    @validates_schema
    def _effective_period(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            raise ValidationError("Must not be before effective_from.", field_name="effective_to")


class SignatureRead(Schema):
    """One digital signature of the document, as the check found it."""

    signer = fields.String(metadata={"description": "common name of the signer's certificate"})
    signer_subject = fields.String()
    certificate_issuer = fields.String()
    certificate_serial = fields.String(metadata={"description": "hexadecimal"})
    certificate_valid_from = fields.String()
    certificate_valid_to = fields.String()
    signed_at = fields.String(allow_none=True, metadata={"description": "signing time the signer reported"})
    coverage = fields.String(allow_none=True, metadata={"description": "entire_file | entire_revision | ..."})
    verified = fields.Boolean()
    problems = fields.List(fields.String())


class SignatureOverrideRead(Schema):
    reason = fields.String(attribute="signature_override_reason")
    officer = fields.String(attribute="signature_override_by")
    agency = AgencyCode(attribute="signature_override_agency_id")
    at = fields.DateTime(attribute="signature_override_at")


class DecisionTrust(OutputSchema):
    """What makes a decision trustworthy, shown wherever the decision is: the issuer's confirmation of a
    record made on its behalf, and the check of the document's digital signatures."""

    computed: ClassVar[dict[str, Compute]] = {
        "signature_override": lambda d, _: d if d.signature_override_at is not None else None,
    }

    issuer_confirmation = fields.String(
        metadata={"description": "own (recorded by the issuer) | pending | confirmed | refused"}
    )
    signature_status = fields.String(
        metadata={"description": "unchecked | unsigned (a scan) | verified | failed (grounds nothing "
                  "unless overridden)"}
    )  # fmt: skip
    signatures = fields.List(fields.Nested(SignatureRead))
    signature_override = fields.Nested(SignatureOverrideRead, allow_none=True)


class DecisionRef(DecisionTrust):
    """A decision as other records show it."""

    id = fields.UUID()
    number = fields.String()
    document_type = fields.String()
    issuer = AgencyCode(attribute="issuer_agency_id")
    issued_on = fields.Date()
    effective_to = fields.Date(allow_none=True)


class DecisionRead(SharedRead, DecisionTrust):
    computed: ClassVar[dict[str, Compute]] = {
        **SharedRead.computed,
        **DecisionTrust.computed,
        "document_uploaded": lambda decision, _: decision.document_id is not None,
    }

    id = fields.UUID()
    document_type = fields.String()
    number = fields.String()
    place = fields.String()
    issued_on = fields.Date()
    issuer = AgencyCode(attribute="issuer_agency_id", metadata={"description": "agency code"})
    issuing_body = fields.String()
    signer_name = fields.String()
    signer_title = fields.String()
    signer_capacity = fields.String(allow_none=True)
    legal_bases = fields.List(fields.String())
    targets = fields.List(fields.String())
    reason = fields.String()
    effective_from = fields.Date()
    effective_to = fields.Date(allow_none=True)
    executing_party = fields.String(allow_none=True)
    document_sha256 = fields.String()
    document_uploaded = fields.Boolean()
    owner = AgencyCode(
        attribute="owner_agency_id", metadata={"description": "agency code of the agency that recorded it"}
    )
    recorded_by = fields.String(allow_none=True)
    issuer_confirmed_by = fields.String(allow_none=True)
    issuer_confirmed_at = fields.DateTime(allow_none=True)
    issuer_confirmation_note = fields.String(allow_none=True)
    signature_checked_at = fields.DateTime(allow_none=True)
    visibility = fields.String()
    shared_with = fields.List(fields.String())
    created_at = fields.DateTime()


class DecisionQuery(PageQuery):
    issuer = fields.String(validate=validate.Length(max=64), metadata={"description": "agency code"})
    number = fields.String(
        validate=validate.Length(max=100), metadata={"description": "exact number and symbol"}
    )
    document_type = fields.String(validate=validate.OneOf([t.value for t in DocumentType]))
    issued_from = fields.Date()
    issued_to = fields.Date()

    @validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("issued_from"), data.get("issued_to")
        if start and end and end < start:
            raise ValidationError("Must not be before issued_from.", field_name="issued_to")


class DecisionDocumentRead(Schema):
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    uploaded_at = fields.DateTime(attribute="created_at")


class DecisionConfirmation(Schema):
    confirmed = fields.Boolean(
        required=True, metadata={"description": "true: the issuing body stands behind the record; false: it "
                                 "refuses it"}
    )  # fmt: skip
    note = text(2000, load_default=None, allow_none=True)


class SignatureOverride(Schema):
    reason = Text(required=True, validate=validate.Length(min=10, max=2000))


DecisionPage = page_of(DecisionRead, "DecisionPage")
