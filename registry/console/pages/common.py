"""What every page shares: reading input through the API's own schemas, and the caller."""

from __future__ import annotations

from typing import Any

from flask import g, render_template
from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from registry.auth.principal import Principal
from registry.errors import ValidationFailed


def load(schema: Schema, data: MultiDict | dict[str, Any]) -> dict[str, Any]:
    """Input checked by the API's schema for the same operation: one rule for both (422 otherwise)."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed("Some fields are not valid.", errors=exc.messages_dict) from None


def caller() -> Principal:
    return g.principal


def render(template: str, **context: Any) -> str:
    return render_template(template, principal=g.get("principal") or g.get("console_principal"), **context)
