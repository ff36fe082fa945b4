"""Schemas shared by every resource: pagination and visibility."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from marshmallow import INCLUDE, Schema, ValidationError, fields, pre_dump, validate

from registry.models import Visibility
from registry.schemas.output import AgencyCode, Compute, OutputSchema, current, loaded
from registry.services import visibility
from registry.services.pagination import LIST_WINDOW

MAX_PAGE_SIZE = 100
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def moment(**kwargs: Any) -> fields.AwareDateTime:
    """A point in time (UTC when it names no offset) between 2000 and 2100: dates and deadlines computed
    from it stay within what Python's datetime can hold (9999-12-31T23:59:59Z overflowed in local dates)."""
    bounded = validate.Range(
        min=EARLIEST,
        max=LATEST,
        error=f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}",
    )
    extra = kwargs.pop("validate", None)
    checks = [bounded, *([extra] if callable(extra) else (extra or []))]
    return fields.AwareDateTime(default_timezone=UTC, validate=checks, **kwargs)


class SensitiveFlag(fields.Boolean):
    """`?sensitive=`: ask for sensitive values in full. The one parser of the flag: the guard
    (api.context.wants_sensitive) asks it too, so whatever it calls true (marshmallow's truthy set:
    `true`, `on`, `t`, `y`, `1`, ... in their usual cases) requires a purpose; anything neither true
    nor false is a 422."""

    def __init__(self, **kwargs: Any) -> None:
        description = "Sensitive values in full: needs scope registry:read_sensitive and an X-Purpose header."
        super().__init__(load_default=False, metadata={"description": description}, **kwargs)


def sensitive_requested(raw: str | None) -> bool:
    """Whether a raw `sensitive` query value asks for sensitive values, as the query schemas read it.
    A value they refuse asks for nothing (the schema answers 422 before anything is shown)."""
    if raw is None:
        return False
    try:
        return bool(SensitiveFlag().deserialize(raw))
    except ValidationError:
        return False


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def page_fields(*, reach: str, beyond: str) -> dict[str, fields.Field]:
    """The fields every page has besides its items (see services.pagination): `reach` is how far pages
    go, `beyond` what an inexact `total` means."""
    return {
        "page": fields.Integer(),
        "per_page": fields.Integer(),
        "total": fields.Integer(
            metadata={"description": f"number of results: exact when `total_exact` is true, else {beyond}"}
        ),
        "total_exact": fields.Boolean(metadata={"description": "whether `total` is exact"}),
        "has_more": fields.Boolean(
            metadata={"description": f"whether the next page has results (pages reach the first {reach})"}
        ),
    }


LIST_PAGE_FIELDS = page_fields(
    reach=f"{LIST_WINDOW} results", beyond=f"a list counts no further than {LIST_WINDOW}: there are more"
)


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.Nested(item_schema, many=True), **LIST_PAGE_FIELDS}, name=name)


class SharingFields(Schema):
    """Visibility on creation: fixed then, changed later only by the owner through /visibility."""

    visibility = fields.String(
        load_default=Visibility.STATE,
        validate=validate.OneOf([v.value for v in Visibility]),
        metadata={"description": "owner | named | state | public"},
    )
    shared_with = fields.List(
        fields.String(), load_default=list, metadata={"description": "agency codes, for visibility 'named'"}
    )


class VisibilityChangeArgs(SharingFields):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


def as_list(records: Any) -> list[Any]:
    """What a `pre_dump(pass_collection=True)` hook receives, as a list (one record or a page)."""
    return list(records) if isinstance(records, list | tuple) else [records]


class SharedRead(OutputSchema):
    """Base of a shared record's Read schema with a `shared_with` field (declared by the schema itself,
    in its place): for `named` records the agencies it is shared with, loaded in one query a page."""

    computed: ClassVar[dict[str, Compute]] = {"shared_with": loaded("shared_with", [])}

    @pre_dump(pass_collection=True)
    def _load_shares(self, records: Any, **_: Any) -> Any:
        output = current()
        for record_id, codes in visibility.shared_with_many(output.session, as_list(records)).items():
            output.loaded["shared_with", record_id] = codes
        return records


class VisibilityRead(SharedRead):
    """Who may see a record (any shared record)."""

    visibility = fields.String()
    shared_with = fields.List(fields.String())
    owner = AgencyCode(attribute="owner_agency_id")


class Problem(Schema):
    """An error answer: an RFC 9457 problem document (`application/problem+json`, api/problems.py).
    Members beyond these are extensions of a problem type (e.g. `existing` on a duplicate)."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(metadata={"description": "stable URI of the problem type"})
    title = fields.String(metadata={"description": "the problem type's name, in the Accept-Language"})
    status = fields.Integer()
    detail = fields.String(
        metadata={
            "description": "what went wrong, for a person, in the Accept-Language (vi, en; else English)"
        }
    )
    request_id = fields.String(metadata={"description": "as in the X-Request-Id header and the audit log"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "validation problems: field (or header, or parameter) -> messages"},
    )
    existing = fields.String(metadata={"description": "duplicate: the id of the record that exists"})
    current_state = fields.String(metadata={"description": "invalid transition: the record's state"})
    allowed = fields.List(fields.String(), metadata={"description": "invalid transition: actions allowed"})
    required_scope = fields.Raw(metadata={"description": "forbidden for want of a scope: the scope(s)"})
