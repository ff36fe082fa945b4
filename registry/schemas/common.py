"""Schemas shared by every resource: pagination and visibility."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from registry.models import Visibility

MAX_PAGE_SIZE = 100


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class PageMeta(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=name,
    )


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


class VisibilityRead(Schema):
    visibility = fields.String()
    shared_with = fields.List(fields.String())
    owner = fields.String()
