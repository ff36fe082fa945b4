from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, fields, missing, validate

from registry.identifiers import KINDS
from registry.schemas.common import PageQuery, SensitiveFlag, page_of
from registry.schemas.output import Compute, Output, OutputSchema, loaded
from registry.services.identifiers import canonical_value


def _value(identifier: Any, output: Output) -> str | None:
    """Sensitive kinds (stored only encrypted) in full only when revealed (scope and purpose)."""
    if identifier.value is not None:
        return identifier.value
    return canonical_value(identifier, output.cipher) if output.revealed else None


class IdentifierCreate(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    value = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2048),
        metadata={"description": "Any accepted spelling; bank accounts as `<BIN or bank code>:<number>`."},
    )


class IdentifierRead(OutputSchema):
    computed: ClassVar[dict[str, Compute]] = {
        "value": _value,
        "sensitive": lambda identifier, _: identifier.value is None,
    }

    id = fields.UUID()
    kind = fields.String()
    value = fields.String(
        allow_none=True,
        metadata={
            "description": "Canonical value; null for a sensitive kind unless revealed (?sensitive=true)."
        },
    )
    display = fields.String()
    sensitive = fields.Boolean()
    attributes = fields.Dict()
    created_at = fields.DateTime()


class IdentifierCreated(IdentifierRead):
    computed: ClassVar[dict[str, Compute]] = {**IdentifierRead.computed, "related": loaded("related", [])}

    related = fields.List(fields.Nested(IdentifierRead), metadata={"description": "identifiers it implies"})


class IdentifierQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(KINDS))
    sensitive = SensitiveFlag()


class IdentifierLookup(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    value = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    sensitive = SensitiveFlag()


class RevealQuery(Schema):
    sensitive = SensitiveFlag()


def _holders(identifier: Any, output: Output) -> Any:
    """The subjects linked to it; for a sensitive kind only with registry:read_sensitive (left out)."""
    if identifier.value is None and not output.shows_holders:
        return missing
    holders = output.loaded.get(("subjects", identifier.id), [])
    output.reach(holders)
    return holders


class IdentifierMatch(IdentifierRead):
    computed: ClassVar[dict[str, Compute]] = {**IdentifierRead.computed, "subjects": _holders}

    subjects = fields.List(
        fields.UUID(),
        metadata={
            "description": "visible subjects linked to it; left out for a sensitive identifier (bank "
            "account, personal ID) unless the caller has registry:read_sensitive"
        },
    )


IdentifierPage = page_of(IdentifierRead, "IdentifierPage")
