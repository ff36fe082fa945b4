"""Turning records into response data, with sensitive values only where the caller may see them."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from registry.api.context import app_state, caller, db
from registry.auth.scopes import Scope
from registry.errors import PermissionDenied
from registry.models import Identifier, Link, Subject
from registry.services import agencies
from registry.services import identifiers as identifier_service
from registry.services import subjects as subject_service


def as_json(payload: Any, status: int = 200) -> Response:
    """A presenter's output as the response, without a schema's dump: only for payloads that already
    have their documented schema's shape, with a test that compares the two."""
    return current_app.response_class(current_app.json.dumps(payload), status, mimetype="application/json")


def json_text(text: str, status: int = 200) -> Response:
    """JSON the database wrote already (services.history_json), as the response."""
    return current_app.response_class(text, status, mimetype="application/json")


def agency_code(agency_id: int | None) -> str | None:
    """Agency codes for output, loaded once per request (a few dozen rows)."""
    return agencies.code(db(), agency_id)


def reveal(requested: bool) -> bool:
    """Full sensitive values need the scope; the access guard has already required a purpose."""
    if requested and not caller().has(Scope.REGISTRY_READ_SENSITIVE):
        raise PermissionDenied("Sensitive values need the scope registry:read_sensitive.")
    return requested


def identifier(record: Identifier, revealed: bool = False) -> dict[str, Any]:
    return identifier_service.present(record, app_state().cipher, reveal=revealed)


def subject(record: Subject, revealed: bool = False) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record.kind,
        "name": record.name,
        "tax_code": record.tax_code,
        "personal_id": subject_service.personal_id(record, app_state().cipher) if revealed else None,
        "has_personal_id": record.personal_id_hash is not None,
        "business_registration": record.business_registration,
        "addresses": record.addresses,
        "province": record.province,
        "created_by": agency_code(record.owner_agency_id),
        "visibility": record.visibility,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def link(record: Link, revealed: bool = False) -> dict[str, Any]:
    return {
        "id": record.id,
        "subject_id": record.subject_id,
        "identifier_id": record.identifier_id,
        "identifier": identifier(record.identifier, revealed),
        "asserted_by": agency_code(record.owner_agency_id),
        "confidence": record.confidence,
        "source": record.source,
        "first_seen": record.first_seen,
        "last_seen": record.last_seen,
        "note": record.note,
        "visibility": record.visibility,
        "created_at": record.created_at,
    }
