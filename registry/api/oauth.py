"""The OAuth 2.0 authorization server's HTTP endpoints (outside /api/v1, as RFC 8414 places them).

Errors here are OAuth JSON errors (RFC 6749 section 5.2), not problem documents: off-the-shelf OAuth
clients read `error`. Each endpoint runs in its own transaction, committed also when it refuses: a
refusal must keep its audit entry and the assertion ids it consumed, so a refused assertion cannot be
replayed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from flask import Response, g, json, request
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from registry.api.context import app_state, db
from registry.audit.recorder import AuditEvent, record
from registry.auth import assertions, devidp
from registry.auth.server import (
    INTROSPECTION_PATH,
    JWKS_PATH,
    METADATA_PATH,
    REVOCATION_PATH,
    TOKEN_PATH,
    FormRequest,
    RegistryAuthorizationServer,
    metadata,
)

blp = Blueprint(
    "oauth", __name__, description="OAuth 2.0 authorization server (RFC 6749, 7523, 7662, 7009, 8414, 9068)."
)

_FORM = "application/x-www-form-urlencoded"
_OAUTH_ERROR = {"description": "OAuth error (RFC 6749 section 5.2)", "content": {"application/json": {}}}
_AUTH_TEXT = (
    "The client authenticates with `client_secret_basic` (HTTP Basic) or `private_key_jwt` "
    "(`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, an ES256 JWT "
    "signed with a key registered for the client; `iss` = `sub` = client id, `aud` = the token endpoint "
    "or the issuer, a fresh `jti`)."
)


def _form_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {_FORM: {"schema": {"type": "object", "properties": properties, "required": required}}},
    }


_CLIENT_AUTH_FIELDS = {
    "client_assertion_type": {"type": "string"},
    "client_assertion": {"type": "string", "description": "for private_key_jwt"},
}
_TOKEN_FIELDS = {
    "token": {"type": "string"},
    "token_type_hint": {"type": "string", "enum": ["access_token"]},
    **_CLIENT_AUTH_FIELDS,
}


@contextlib.contextmanager
def _transaction() -> Iterator[Session]:
    """The request's own session, committed here even when the endpoint refuses (see the docstring).

    Never a second session: the rate limiter may already have opened the request's one, and on
    SQLite a second writer would wait for the first, which waits for the request to end.
    """
    session = db()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _oauth_request(path: str) -> tuple[FormRequest | None, tuple[int, dict[str, Any], list[Any]] | None]:
    """The request for authlib, or an invalid_request answer if a parameter is repeated (RFC 6749 3.2)."""
    repeated = sorted(key for key in request.form if len(request.form.getlist(key)) > 1)
    if repeated:
        body = {"error": "invalid_request", "error_description": f"Repeated parameter: {', '.join(repeated)}"}
        return None, (400, body, [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
    # The configured URL, not the Host header: audiences and the transport check depend on it.
    oauth_request = FormRequest(
        request.method, app_state().settings.issuer + path, request.headers, request.form.to_dict()
    )
    return oauth_request, None


def _response(status: int, body: Any, headers: list[Any]) -> Response:
    response = Response(json.dumps(body) if isinstance(body, dict) else body, status=status)
    for name, value in headers:
        response.headers[name] = value
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _short(value: Any) -> str | None:
    return str(value)[:100] if value else None


def _audit(
    session: Session, server: RegistryAuthorizationServer, action: str, status: int, body: Any, **detail: Any
) -> None:
    client = server.outcome.client
    facts = {key: value for key, value in detail.items() if value}
    if isinstance(body, dict) and body.get("error"):
        facts["error"] = _short(body["error"])
    record(
        session,
        AuditEvent(
            action=action,
            outcome="allowed" if status < 400 else "denied",
            agency=client.agency.code if client else None,
            client_id=client.get_client_id() if client else None,
            officer=server.outcome.officer,
            request_id=g.get("request_id"),
            status_code=status,
            detail=facts or None,
        ),
    )


@blp.route(METADATA_PATH, methods=["GET"])
@blp.doc(summary="Authorization server metadata (RFC 8414)", security=[])
def server_metadata() -> Response:
    response = _response(200, metadata(app_state().settings.issuer), [("Content-Type", "application/json")])
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@blp.route(JWKS_PATH, methods=["GET"])
@blp.doc(
    summary="Public keys that verify access tokens (JWKS), the active and the still-valid retired ones",
    security=[],
)
def jwks() -> Response:
    tokens = app_state().tokens
    with _transaction() as session:
        tokens.active_key(session)  # a fresh registry publishes its first key before the first token
        keys = tokens.jwks(session)
    response = _response(200, keys, [("Content-Type", "application/jwk-set+json")])
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@blp.route(TOKEN_PATH, methods=["POST"])
@blp.doc(
    summary="Token endpoint: client_credentials and jwt-bearer (RFC 7523) grants",
    description=(
        "Issues an RFC 9068 access token (ES256 JWT, 5-15 minutes). `grant_type=client_credentials`, or "
        "`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with an `assertion`: an ES256 JWT "
        "signed with the client's registered key, `iss` = client id, `sub` = the officer the system acts "
        "for, `aud` = the token endpoint or the issuer, a fresh `jti`. A scope the client may not hold is "
        "refused with `invalid_scope`; no scope means all the client's scopes. A disabled client, and a "
        "client of a retired agency (past its last day), is refused with `invalid_client`. " + _AUTH_TEXT
    ),
    security=[],
    requestBody=_form_body(
        {
            "grant_type": {
                "type": "string",
                "enum": ["client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
            },
            "scope": {"type": "string"},
            "assertion": {"type": "string"},
            **_CLIENT_AUTH_FIELDS,
        },
        ["grant_type"],
    ),
    responses={
        "200": {"description": "Access token response (RFC 6749 section 5.1)"},
        "400": _OAUTH_ERROR,
        "401": _OAUTH_ERROR,
    },
)
def token() -> Response:
    if request.form.get("grant_type") == "authorization_code" and app_state().settings.development_idp:
        return _development_code()
    with _transaction() as session:
        assertions.purge_expired(session)
        server = RegistryAuthorizationServer(session, app_state().tokens)
        oauth_request, refused = _oauth_request(TOKEN_PATH)
        status, body, headers = refused or server.create_token_response(oauth_request)
        _audit(
            session,
            server,
            "token:issue" if status == 200 else "token:refuse",
            status,
            body,
            grant_type=_short(request.form.get("grant_type")),
            scope=_short(server.outcome.scope or request.form.get("scope")),
            token_id=server.outcome.extra.get("jti"),
        )
    return _response(status, body, headers)


def _development_code() -> Response:
    """An authorization code of the development identity provider (auth.devidp), for an ID token."""
    with _transaction() as session:
        state = app_state()
        try:
            status, body = 200, devidp.redeem(session, state.cipher, state.tokens, request.form.to_dict())
        except devidp.AuthorizationError as error:
            status, body = 400, {"error": error.error, "error_description": error.description}
        record(
            session,
            AuditEvent(
                action="token:issue" if status == 200 else "token:refuse",
                outcome="allowed" if status == 200 else "denied",
                client_id=devidp.CLIENT_ID,
                request_id=g.get("request_id"),
                status_code=status,
                detail={"grant_type": "authorization_code", "error": body.get("error")},
            ),
        )
    return _response(status, body, [("Content-Type", "application/json")])


def _token_endpoint(name: str, path: str, action: str) -> Response:
    with _transaction() as session:
        server = RegistryAuthorizationServer(session, app_state().tokens)
        oauth_request, refused = _oauth_request(path)
        status, body, headers = refused or server.create_endpoint_response(name, oauth_request)
        if action:  # token_id: the token actually revoked, if any
            _audit(session, server, action, status, body, token_id=server.outcome.extra.get("jti"))
    return _response(status, body, headers)


@blp.route(INTROSPECTION_PATH, methods=["POST"])
@blp.doc(
    summary="Token introspection (RFC 7662)",
    description=(
        "`active` is false for a token that is expired, revoked, of a disabled client, issued before "
        "its client was last disabled, not issued by this registry, or of another client (a client with "
        "scope `admin` may introspect any token). " + _AUTH_TEXT
    ),
    security=[],
    requestBody=_form_body(_TOKEN_FIELDS, ["token"]),
    responses={"200": {"description": "Introspection response"}, "400": _OAUTH_ERROR, "401": _OAUTH_ERROR},
)
def introspect() -> Response:
    return _token_endpoint("introspection", INTROSPECTION_PATH, "")


@blp.route(REVOCATION_PATH, methods=["POST"])
@blp.doc(
    summary="Token revocation (RFC 7009)",
    description=(
        "A client revokes one of its own access tokens; it is refused from its next use. The answer is "
        "200 with `{}` also for a token that is not one of the client's own (another client's, expired, "
        "or not issued by this registry): nothing is revoked then (RFC 7009 section 2.2). "
    )
    + _AUTH_TEXT,
    security=[],
    requestBody=_form_body(_TOKEN_FIELDS, ["token"]),
    responses={
        "200": {"description": "Revoked, or nothing to revoke (not a valid token of this client)"},
        "400": _OAUTH_ERROR,
        "401": _OAUTH_ERROR,
    },
)
def revoke() -> Response:
    return _token_endpoint("revocation", REVOCATION_PATH, "token:revoke")
