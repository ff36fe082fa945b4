"""What every page shares: reading input through the API's own schemas, the caller, submission forms
sent once, and the spellings officers type (amounts with separators, local times)."""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import g, render_template
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from registry.api.context import db
from registry.auth import assertions
from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.errors import Conflict, ValidationFailed
from registry.messages import Message, msg
from registry.services.visibility import record_visible

FORM_LIFETIME = 86_400  # seconds a submission form's id is remembered once used
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


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


def form_id() -> str:
    """A new submission form's id (a hidden field), consumed by `once` when the form is sent."""
    return secrets.token_urlsafe(24)


def once(sent_id: str, listed_in: Message) -> None:
    """A submission form is sent once, as the API's Idempotency-Key makes a submission happen once: a
    second send of the same form (a double click, a reload) is refused, never a second record. The
    form's id is consumed in the request's transaction (auth.assertions), so a refused or failed first
    send leaves it usable. `listed_in`: where the first one is (the 409 says so)."""
    if not 16 <= len(sent_id) <= 100:
        raise ValidationFailed("Send the form from its page.", errors={"form_id": ["Missing."]})
    expires = int(time.time()) + FORM_LIFETIME
    if not assertions.consume(
        db(), client_id=f"console-form:{caller().officer}", jti=sent_id, expires_at=expires
    ):
        raise Conflict(msg("This form was sent already: see {where}.", where=listed_in))


def recent(model: Any) -> list[Any]:
    """The newest records of a kind the officer may see (as the API's lists: registry:read)."""
    if not caller().has(Scope.REGISTRY_READ):
        return []
    query = select(model).where(record_visible(model, caller())).order_by(model.created_at.desc()).limit(50)
    return list(db().scalars(query))


def whole_vnd(typed: str) -> int | str:
    """Whole đồng as typed, with or without thousands separators (1.500.000, 1,500,000, 1 500 000); what
    is not a number is passed on as typed, for the API's schema to refuse."""
    digits = "".join(ch for ch in typed if ch not in " .,\u00a0")
    return int(digits) if digits.isdigit() else typed


def local_time(typed: str) -> str:
    """A time typed in a form's datetime-local field, read in Vietnam's time, as ISO 8601 with its
    offset (what the API's AwareDateTime fields take); what does not parse is passed on as typed."""
    try:
        parsed = datetime.fromisoformat(typed)
    except ValueError:
        return typed
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)).isoformat()
