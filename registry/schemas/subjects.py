from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, pre_dump, validate, validates_schema

from registry.models import LinkSource, SubjectKind
from registry.schemas.blocking import BlockRequestHistoryItem
from registry.schemas.common import PageQuery, SensitiveFlag, SharingFields, as_list, page_fields, page_of
from registry.schemas.freezing import DelayHistoryItem, FreezeOrderHistoryItem
from registry.schemas.identifiers import IdentifierRead
from registry.schemas.output import AgencyCode, Compute, OutputSchema, current
from registry.schemas.violations import ViolationRead
from registry.services import subjects
from registry.services.pagination import LIST_WINDOW
from registry.services.search import SEARCH_WINDOW

_SOURCES = [s.value for s in LinkSource]


class SubjectCreate(SharingFields):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in SubjectKind]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=500))
    tax_code = fields.String(validate=validate.Length(max=32))
    personal_id = fields.String(
        validate=validate.Length(max=32), metadata={"description": "CCCD/CMND; sensitive"}
    )
    business_registration = fields.String(validate=validate.Length(max=64))
    addresses = fields.List(
        fields.String(validate=validate.Length(max=500)), load_default=list, validate=validate.Length(max=20)
    )
    province = fields.String(validate=validate.Length(max=64))
    source = fields.String(
        load_default=LinkSource.INSPECTION,
        validate=validate.OneOf(_SOURCES),
        metadata={"description": "source of the tax code / personal ID links"},
    )


class SubjectUpdate(Schema):
    name = fields.String(validate=validate.Length(min=1, max=500))
    business_registration = fields.String(allow_none=True, validate=validate.Length(max=64))
    addresses = fields.List(
        fields.String(validate=validate.Length(max=500)), validate=validate.Length(max=20)
    )
    province = fields.String(allow_none=True, validate=validate.Length(max=64))


class SubjectRead(OutputSchema):
    computed: ClassVar[dict[str, Compute]] = {
        "personal_id": lambda subject, output: (
            subjects.personal_id(subject, output.cipher) if output.revealed else None
        ),
        "has_personal_id": lambda subject, _: subject.personal_id_hash is not None,
    }

    @pre_dump(pass_collection=True)
    def _reach(self, records: Any, **_: Any) -> Any:
        current().reach(subject.id for subject in as_list(records))
        return records

    id = fields.UUID()
    kind = fields.String()
    name = fields.String()
    tax_code = fields.String(allow_none=True)
    personal_id = fields.String(
        allow_none=True, metadata={"description": "only when revealed (?sensitive=true)"}
    )
    has_personal_id = fields.Boolean()
    business_registration = fields.String(allow_none=True)
    addresses = fields.List(fields.String())
    province = fields.String(allow_none=True)
    created_by = AgencyCode(attribute="owner_agency_id")
    visibility = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SubjectQuery(PageQuery):
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "name (diacritics ignored) or any identifier spelling; a search pages through "
            f"its first {SEARCH_WINDOW} results"
        },
    )
    kind = fields.String(validate=validate.OneOf([k.value for k in SubjectKind]))
    province = fields.String()
    tax_code = fields.String()
    sort = fields.String(
        load_default="created",
        validate=validate.OneOf(("created", "name")),
        metadata={
            "description": "without `q`: `created` (oldest first) or `name` (Vietnamese alphabetical order: "
            "Ă and Â after A, Đ after D, tones then case break ties); a search is ordered by relevance"
        },
    )
    sensitive = SensitiveFlag()

    @validates_schema
    def _sort_without_search(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("q") and data.get("sort") != "created":
            raise ValidationError("A search is ordered by relevance: leave out `sort`.", "sort")


# A list without `q`, a search with it (services.pagination says how far each reads and counts).
SubjectPage = Schema.from_dict(
    {
        "items": fields.Nested(SubjectRead, many=True),
        **page_fields(
            reach=f"{LIST_WINDOW} results without `q`, {SEARCH_WINDOW} with it",
            beyond=f"without `q`, the list counts no further than {LIST_WINDOW} (there are more); with "
            "`q`, a lower bound: the results before this page, this page and one more",
        ),
    },
    name="SubjectPage",
)


class LinkIdentifierSpec(Schema):
    kind = fields.String(required=True)
    value = fields.String(required=True, validate=validate.Length(min=1, max=2048))


class LinkCreate(SharingFields):
    subject_id = fields.UUID(required=True)
    identifier_id = fields.UUID()
    identifier = fields.Nested(LinkIdentifierSpec, metadata={"description": "instead of identifier_id"})
    confidence = fields.Integer(load_default=80, strict=True, validate=validate.Range(min=0, max=100))
    source = fields.String(required=True, validate=validate.OneOf(_SOURCES))
    first_seen = fields.AwareDateTime()
    last_seen = fields.AwareDateTime()
    note = fields.String(validate=validate.Length(max=2000))


class LinkUpdate(Schema):
    confidence = fields.Integer(strict=True, validate=validate.Range(min=0, max=100))
    source = fields.String(validate=validate.OneOf(_SOURCES))
    first_seen = fields.AwareDateTime()
    last_seen = fields.AwareDateTime()
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class LinkRead(OutputSchema):
    @pre_dump(pass_collection=True)
    def _reach(self, records: Any, **_: Any) -> Any:
        current().reach(link.subject_id for link in as_list(records))
        return records

    id = fields.UUID()
    subject_id = fields.UUID()
    identifier_id = fields.UUID()
    identifier = fields.Nested(IdentifierRead)
    asserted_by = AgencyCode(attribute="owner_agency_id")
    confidence = fields.Integer()
    source = fields.String()
    first_seen = fields.DateTime()
    last_seen = fields.DateTime()
    note = fields.String(allow_none=True)
    visibility = fields.String()
    created_at = fields.DateTime()


class LinkQuery(PageQuery):
    subject_id = fields.UUID()
    identifier_id = fields.UUID()
    sensitive = SensitiveFlag()


LinkPage = page_of(LinkRead, "LinkPage")


class EventRead(Schema):
    at = fields.DateTime()
    kind = fields.String()
    id = fields.UUID()
    agency = fields.String(allow_none=True)
    summary = fields.String()


class OrdersRead(Schema):
    """The workflows' sections of a seller history (services.history.SECTIONS), as far as visible."""

    block_requests = fields.Nested(BlockRequestHistoryItem, many=True)
    freeze_orders = fields.Nested(FreezeOrderHistoryItem, many=True)
    transaction_delays = fields.Nested(DelayHistoryItem, many=True)


class HistoryRead(Schema):
    """A seller's history across agencies, as far as the caller may see it."""

    subject = fields.Nested(SubjectRead)
    identifiers = fields.Nested(
        LinkRead, many=True, attribute="links", metadata={"description": "visible links, oldest first"}
    )
    violations = fields.Nested(ViolationRead, many=True)
    orders = fields.Nested(
        OrdersRead,
        attribute="sections",
        metadata={"description": "block requests and freeze orders touching the subject's identifiers"},
    )
    timeline = fields.Nested(
        EventRead, many=True, metadata={"description": "everything above, in time order"}
    )
