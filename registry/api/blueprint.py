"""A flask-smorest Blueprint whose `access` decorator both enforces and documents the required scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema

from registry.api.context import (
    PURPOSE,
    PURPOSE_EXTENDED,
    WRITE_METHODS,
    ScopeRequirement,
    guard,
    public_guard,
    scopes_of,
)
from registry.api.idempotency import doc_parameter, idempotent
from registry.schemas.common import Problem

# Reads that answer with a person's data (a subject, its history or graph, a lookup, a search, a
# screening) need a purpose of access like writes do: Decree 13/2023/ND-CP on personal data protection
# wants every processing of personal data tied to a stated purpose, and the audit log records it.
PERSONAL_DATA = True

PROBLEM = {
    "description": "Problem document (RFC 9457); `title` and `detail` in the Accept-Language (vi, en)",
    "content": {"application/problem+json": {"schema": Problem}},
}
_CHALLENGE = {"schema": {"type": "string"}}
UNAUTHENTICATED = {
    **PROBLEM,
    "description": "No valid access token; problem document (RFC 9457)",
    "headers": {
        "WWW-Authenticate": {
            **_CHALLENGE,
            "description": 'RFC 6750 challenge: `Bearer realm="registry"` when no bearer token was sent; '
            'with `error="invalid_token"` and an `error_description` when the token is invalid, '
            "expired, revoked, of a disabled client or of a retired agency.",
        }
    },
}
FORBIDDEN = {
    **PROBLEM,
    "description": "Refused; problem document (RFC 9457)",
    "headers": {
        "WWW-Authenticate": {
            **_CHALLENGE,
            "description": "Only when the token lacks a scope (the body names `required_scope`): `Bearer "
            'realm="registry", error="insufficient_scope", error_description="...", scope="..."`, '
            "`scope` present when one scope is needed (not for a choice of scopes).",
        }
    },
}


def purpose_parameters(required: bool, *, when: str = "") -> list[dict[str, Any]]:
    """The purpose headers as the OpenAPI document describes them (see api.context.decode_purpose)."""
    need = "Required" if required else f"Required {when}" if when else "Optional"
    return [
        {
            "in": "header",
            "name": PURPOSE,
            "required": required,
            "schema": {"type": "string", "minLength": 3, "maxLength": 300},
            "description": f"{need}: the case or decision number this access serves, recorded in the "
            "audit log. Text with Vietnamese letters (which HTTP's Latin-1 headers cannot carry) is sent "
            "as an RFC 8187 ext-value: `UTF-8''` and the percent-encoded UTF-8 text, e.g. "
            "`UTF-8''123%2FQ%C4%90-CVT` for `123/QĐ-CVT`, in this header or in "
            f"`{PURPOSE_EXTENDED}` (which wins if both are sent). Other text is read as UTF-8 bytes "
            "(other bytes: 422). Control, bidirectional and zero-width characters are a 422.",
        },
    ]


class RegistryBlueprint(Blueprint):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_purpose_doc)

    @staticmethod
    def _prepare_purpose_doc(doc: dict[str, Any], doc_info: dict[str, Any], *, method: str, **_: Any) -> dict:
        """The purpose headers of an `access` view, required as the guard requires them for this method.

        Manual parameters (Idempotency-Key) join the list here: flask-smorest's merge of the manual doc
        would replace the list, dropping the query parameters and these."""
        if "purpose" not in doc_info:
            return doc
        parameters = doc.setdefault("parameters", [])
        parameters.extend(doc_info.get("manual_doc", {}).pop("parameters", []))
        purpose = doc_info["purpose"]
        if purpose is None and method.upper() not in WRITE_METHODS:
            parameters.extend(purpose_parameters(False, when="with `?sensitive=true` (any spelling of true)"))
        else:
            parameters.extend(purpose_parameters(purpose is not False))
        return doc

    def access(self, action: str, scope: ScopeRequirement, *, purpose: bool | None = None) -> Callable:
        """Deny by default: every view states its scope; the check and the OpenAPI text come from here."""

        def decorator(view: Callable) -> Callable:
            guarded = guard(action, scope, purpose=purpose)(view)
            accepted = scopes_of(scope)
            needs = (
                "Requires any valid access token."
                if not accepted
                else f"Requires scope `{accepted[0]}`."
                if len(accepted) == 1
                else "Requires one of the scopes " + ", ".join(f"`{one}`" for one in accepted) + "."
            )
            purpose_text = (
                " Needs an `X-Purpose` (or `X-Purpose*`) header."
                if purpose
                else " Writes and sensitive reads need an `X-Purpose` (or `X-Purpose*`) header."
                if purpose is None
                else ""
            )
            doc: dict[str, Any] = {
                "security": [{"oauth2": [one]} for one in accepted] or [{"oauth2": []}],
                "description": (getattr(view, "__doc__", "") or "").strip().split("\n", 1)[-1].strip()
                + f"\n\n{needs}{purpose_text}",
                "responses": {"401": UNAUTHENTICATED, "403": FORBIDDEN, "422": PROBLEM, "429": PROBLEM},
            }
            documented = self.doc(**doc)(guarded)
            documented._apidoc["purpose"] = purpose  # for _prepare_purpose_doc
            return documented

        return decorator

    def public(self, action: str, *, lookup: bool = False) -> Callable:
        """A form anyone may send without a token (context.public_guard), documented as such; `lookup`
        for a public read, limited by the look-ups' own setting."""
        limit = "REGISTRY_PUBLIC_LOOKUP_RATE_LIMIT" if lookup else "REGISTRY_PUBLIC_RATE_LIMIT"

        def decorator(view: Callable) -> Callable:
            doc: dict[str, Any] = {
                "security": [],
                "description": (getattr(view, "__doc__", "") or "").strip().split("\n", 1)[-1].strip()
                + f"\n\nPublic: no token. Limited per client address (`{limit}`).",
                "responses": {"422": PROBLEM, "429": PROBLEM},
            }
            return self.doc(**doc)(public_guard(action, lookup=lookup)(view))

        return decorator

    def alt_response(self, status_code: Any, response: Any = None, **kwargs: Any) -> Callable:
        """flask-smorest's, with an error answer documented as what is sent: a problem document."""
        if response is None and int(status_code) >= 400 and kwargs.get("schema") is None:
            kwargs.update(schema=Problem, content_type="application/problem+json")
        return super().alt_response(status_code, response, **kwargs)

    def arguments(self, schema: type[Schema] | Schema, *args: Any, **kwargs: Any) -> Callable:
        """flask-smorest's, with the schema made once: given a class, webargs makes a new instance on
        every request."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)

    def idempotent(self, view: Callable) -> Callable:
        """Submissions that a retry must not duplicate: they require an Idempotency-Key header."""
        return self.doc(parameters=[doc_parameter(required=True)])(idempotent(view))

    def idempotent_if_keyed(self, view: Callable) -> Callable:
        """Records a retry should not duplicate, from clients that existed before the header: with an
        Idempotency-Key a retry replays the first answer; without one, each request creates."""
        return self.doc(parameters=[doc_parameter(required=False)])(idempotent(view, required=False))


def accepts(*content_types: str) -> Callable:
    """Declare the request body types a write view takes (default: JSON). Put it below `access`."""

    def decorator(view: Callable) -> Callable:
        view.content_types = content_types  # type: ignore[attr-defined]
        return view

    return decorator
