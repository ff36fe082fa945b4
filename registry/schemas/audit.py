"""Schemas of the audit log's HTTP API (`api/audit.py`), named by purpose."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from registry.audit.log import MAX_ENTRIES_PER_CALL
from registry.audit.recorder import OUTCOMES
from registry.schemas.common import PageQuery

# The largest value a BIGINT column holds: anything larger is refused as invalid, never sent on.
MAX_INT64 = 2**63 - 1


class CheckpointQuery(Schema):
    size = fields.Integer(
        validate=validate.Range(min=0, max=MAX_INT64), metadata={"description": "a signed tree size"}
    )
    witnessed = fields.Boolean(
        load_default=False, metadata={"description": "newest checkpoint with a cosignature"}
    )


class EntriesQuery(Schema):
    start = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_INT64))
    end = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=MAX_INT64),
        metadata={"description": f"exclusive; at most {MAX_ENTRIES_PER_CALL} entries are returned"},
    )

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["end"] < data["start"]:
            raise SchemaError("end must not be before start", "end")


class EntryRead(Schema):
    leaf_index = fields.Integer()
    body = fields.String(
        metadata={"description": "base64 of the exact RFC 8785 bytes; leaf hash = SHA-256(0x00 || body)"}
    )


class EntriesPage(Schema):
    tree_size = fields.Integer()
    start = fields.Integer()
    end = fields.Integer()
    only_agency = fields.String(
        allow_none=True,
        metadata={
            "description": "Set when the caller lacks `audit:read`: only entries about this agency's "
            "requests are served and the others left out, so the page cannot be verified against the root"
        },
    )
    entries = fields.List(fields.Nested(EntryRead))


class InclusionQuery(Schema):
    index = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_INT64))
    tree_size = fields.Integer(
        validate=validate.Range(min=1, max=MAX_INT64), metadata={"description": "default: latest"}
    )


class InclusionProof(Schema):
    index = fields.Integer()
    tree_size = fields.Integer()
    leaf_hash = fields.String()
    root_hash = fields.String()
    proof = fields.List(
        fields.String(), metadata={"description": "base64 hashes, leaf to root (RFC 9162 2.1.3)"}
    )


class ConsistencyQuery(Schema):
    first = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_INT64))
    second = fields.Integer(
        validate=validate.Range(min=0, max=MAX_INT64), metadata={"description": "default: latest"}
    )


class ConsistencyProof(Schema):
    first = fields.Integer()
    second = fields.Integer()
    second_root = fields.String()
    proof = fields.List(fields.String(), metadata={"description": "base64 hashes (RFC 9162 2.1.4)"})


class AuditSearchQuery(PageQuery):
    agency = fields.String()
    client = fields.String()
    officer = fields.String()
    resource = fields.String(
        metadata={
            "description": "`type` or `type:id`; `subject:<id>` finds every access that reached the subject "
            "(reads, histories, graphs, searches, lookups, screenings, cases and links showing it, lists "
            "filtered on it)"
        }
    )
    action = fields.String()
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    since = fields.AwareDateTime(data_key="from", default_timezone=UTC)
    until = fields.AwareDateTime(data_key="to", default_timezone=UTC)


class AuditHit(Schema):
    id = fields.Integer()
    leaf_index = fields.Integer(allow_none=True, metadata={"description": "null until sequenced"})
    occurred_at = fields.DateTime()
    agency = fields.String(allow_none=True)  # null: a caller not authenticated
    client_id = fields.String(allow_none=True)
    officer = fields.String(allow_none=True)
    action = fields.String()
    resource_type = fields.String(allow_none=True)
    resource_id = fields.String(allow_none=True)
    outcome = fields.String()
    status_code = fields.Integer(allow_none=True)
    purpose = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)


class AuditHits(Schema):
    items = fields.List(fields.Nested(AuditHit))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    archived_before = fields.DateTime(
        allow_none=True,
        metadata={
            "description": "Entries before this time were dropped from the database by retention and "
            "are only in the log's tlog-tiles archive (this search does not find them); null: none were."
        },
    )


class CosignatureCreate(Schema):
    size = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_INT64))
    cosignature = fields.String(
        required=True,
        validate=validate.Length(min=10, max=1000),
        metadata={"description": "one cosignature/v1 line (C2SP tlog-cosignature)"},
    )


class CosignatureRead(Schema):
    size = fields.Integer()
    witness = fields.String()
    timestamp = fields.Integer()
