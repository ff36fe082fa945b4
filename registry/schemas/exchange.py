"""The partner exchange's query parameters (its answers are STIX, MISP and TAXII documents)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from registry.schemas.common import moment
from registry.services.exchange.taxii import DEFAULT_LIMIT, MAX_LIMIT


class StixQuery(Schema):
    since = moment(
        metadata={"description": "only objects modified after this time (an incremental pull: send the "
                  "`modified` of the newest object of the previous pull)"}
    )  # fmt: skip


class TaxiiObjectsQuery(Schema):
    added_after = moment(metadata={"description": "only objects added after this time (TAXII 2.1)"})
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"objects per page (at most {MAX_LIMIT})"},
    )
    next = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the `next` of the previous page: the page after it"},
    )
    match_type = fields.String(
        data_key="match[type]",
        validate=validate.Length(min=1, max=500),
        metadata={"description": "STIX types, comma-separated"},
    )
    match_id = fields.String(
        data_key="match[id]",
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "STIX ids, comma-separated"},
    )
    match_spec_version = fields.String(
        data_key="match[spec_version]",
        validate=validate.OneOf(["2.1"]),
        metadata={"description": "every object is STIX 2.1"},
    )
    match_version = fields.String(
        data_key="match[version]",
        validate=validate.Length(min=1, max=100),
        metadata={"description": "`last`, `first`, `all` or a version: each object has one version"},
    )


class ExportCreate(Schema):
    since = moment(
        metadata={"description": "only objects modified after this time (all without it), as /stix takes it"}
    )


class ExportRead(Schema):
    """A partner export: a job of the job queue, then a STIX bundle to fetch (`bundle_url`)."""

    id = fields.UUID()
    url = fields.String(metadata={"description": "where to follow its progress"})
    status = fields.String(metadata={"description": "queued | running | done | failed"})
    since = fields.DateTime(allow_none=True)
    total = fields.Integer(
        allow_none=True, metadata={"description": "identifiers, cases and blocks to go through, once counted"}
    )
    processed = fields.Integer(metadata={"description": "of those, gone through"})
    objects = fields.Integer(metadata={"description": "STIX objects in the bundle, once done"})
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(
        allow_none=True, metadata={"description": "when a finished export is deleted"}
    )
    error = fields.String(allow_none=True)
    bundle_url = fields.String(allow_none=True, metadata={"description": "the STIX bundle, once done"})
