"""Metadata, JWKS and key rotation, introspection, revocation, and who may call each OAuth endpoint."""

from __future__ import annotations

import time

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.auth.clients import set_enabled
from tests.factories import make_client


@pytest.fixture
def system(db):  # type: ignore[no-untyped-def]
    return make_client(db)


def get_token(client, system, scope: str = "registry:read") -> str:  # type: ignore[no-untyped-def]
    response = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": scope}, headers=system.basic()
    )
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_metadata_document(client, app):
    issuer = app.extensions["registry"].settings.issuer
    response = client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    data = response.json
    AuthorizationServerMetadata(data).validate()  # what a standard client checks, every key
    # No authorization endpoint: the one response type declared is "none", which issues nothing.
    assert data["response_types_supported"] == ["none"]
    assert "authorization_endpoint" not in data
    assert data["issuer"] == issuer
    assert data["token_endpoint"] == issuer + "/oauth/token"
    assert data["jwks_uri"] == issuer + "/oauth/jwks"
    assert data["introspection_endpoint"] == issuer + "/oauth/introspect"
    assert data["revocation_endpoint"] == issuer + "/oauth/revoke"
    assert data["grant_types_supported"] == [
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ]
    assert data["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "private_key_jwt"]
    assert data["token_endpoint_auth_signing_alg_values_supported"] == ["ES256"]
    assert "registry:read" in data["scopes_supported"] and "admin" in data["scopes_supported"]


def test_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/oauth/token",
        "/oauth/jwks",
        "/oauth/introspect",
        "/oauth/revoke",
        "/.well-known/oauth-authorization-server",
    ):
        assert path in paths, path


def test_jwks_has_the_active_and_previous_key_after_rotation(client, app, db, system):
    tokens = app.extensions["registry"].tokens
    old_token = get_token(client, system)
    old_kid = tokens.active_key(db).kid
    new_key, retired = tokens.rotate(db)
    assert old_kid in [key.kid for key in retired]
    keys = client.get("/oauth/jwks").json["keys"]
    kids = [key["kid"] for key in keys]
    assert old_kid in kids and new_key.kid in kids
    assert all("d" not in key and key["alg"] == "ES256" for key in keys)
    assert client.get("/api/v1/identifiers", headers=bearer(old_token)).status_code == 200
    new_token = get_token(client, system)
    assert tokens.decode(db, new_token) and _kid(new_token) == new_key.kid


def _kid(token: str) -> str:
    import base64
    import json

    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]


def test_retired_key_stops_verifying_once_its_tokens_have_expired(client, app, db, system):
    from datetime import timedelta

    from registry.db import utcnow

    tokens = app.extensions["registry"].tokens
    old_token = get_token(client, system)
    _new, retired = tokens.rotate(db)
    for key in retired:
        key.expires_at = utcnow() - timedelta(seconds=1)
    db.flush()
    assert _kid(old_token) not in [key["kid"] for key in client.get("/oauth/jwks").json["keys"]]
    assert client.get("/api/v1/identifiers", headers=bearer(old_token)).status_code == 401


def test_introspection(client, db, system):
    token = get_token(client, system)
    active = client.post("/oauth/introspect", data={"token": token}, headers=system.basic())
    assert active.status_code == 200
    assert active.json["active"] is True
    assert active.json["client_id"] == system.client_id and active.json["scope"] == "registry:read"
    assert active.json["agency"] == "MOIT-DMS" and active.json["token_type"] == "Bearer"
    for junk in ("garbage", token[:-4] + "AAAA"):
        assert client.post("/oauth/introspect", data={"token": junk}, headers=system.basic()).json == {
            "active": False
        }
    other = make_client(db)
    foreign = client.post("/oauth/introspect", data={"token": token}, headers=other.basic())
    assert foreign.json == {"active": False}
    unauthenticated = client.post("/oauth/introspect", data={"token": token})
    assert unauthenticated.status_code == 401 and unauthenticated.json["error"] == "invalid_client"


def test_admin_client_may_introspect_any_token(client, db, system):
    token = get_token(client, system)
    admin = make_client(db, "NSC389", "registry:read admin")
    assert (
        client.post("/oauth/introspect", data={"token": token}, headers=admin.basic()).json["active"] is True
    )


def test_revocation_makes_the_token_inactive_and_refused(client, app, db, system):
    token = get_token(client, system)
    assert client.get("/api/v1/identifiers", headers=bearer(token)).status_code == 200
    other = make_client(db)
    foreign = client.post("/oauth/revoke", data={"token": token}, headers=other.basic())
    assert foreign.status_code == 200 and foreign.json == {}  # RFC 7009 2.2: nothing revoked, no hint
    assert client.get("/api/v1/identifiers", headers=bearer(token)).status_code == 200
    assert client.post("/oauth/introspect", data={"token": token}, headers=system.basic()).json["active"]
    assert b"token_id" not in last_revocation(db).body  # the audit says nothing was revoked
    revoked = client.post(
        "/oauth/revoke", data={"token": token, "token_type_hint": "access_token"}, headers=system.basic()
    )
    assert revoked.status_code == 200
    jti = app.extensions["registry"].tokens.decode(db, token)["jti"]
    assert jti.encode() in last_revocation(db).body
    assert client.get("/api/v1/identifiers", headers=bearer(token)).status_code == 401
    assert client.post("/oauth/introspect", data={"token": token}, headers=system.basic()).json == {
        "active": False
    }
    assert (
        client.post("/oauth/revoke", data={"token": "not-a-token"}, headers=system.basic()).status_code == 200
    )
    entry = last_revocation(db)
    assert entry.client_id == system.client_id and entry.outcome == "allowed"


def last_revocation(db) -> AuditEntry:  # type: ignore[no-untyped-def]
    return db.scalars(
        select(AuditEntry).where(AuditEntry.action == "token:revoke").order_by(AuditEntry.id.desc())
    ).first()


def test_disabled_client_token_is_inactive_and_refused(client, db, system):
    token = get_token(client, system)
    set_enabled(db, system.client_id, False)
    assert client.get("/api/v1/identifiers", headers=bearer(token)).status_code == 401
    admin = make_client(db, "NSC389", "registry:read admin")
    assert client.post("/oauth/introspect", data={"token": token}, headers=admin.basic()).json == {
        "active": False
    }


def test_tokens_of_a_disabled_client_stay_dead_when_it_is_enabled_again(client, db, system):
    token = get_token(client, system)
    assert client.get("/api/v1/identifiers", headers=bearer(token)).status_code == 200  # now kept verified
    set_enabled(db, system.client_id, False)
    set_enabled(db, system.client_id, True)
    refused = client.get("/api/v1/identifiers", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json["detail"] == "the access token was issued before its client was last disabled"
    admin = make_client(db, "NSC389", "registry:read admin")
    for who in (system, admin):
        introspected = client.post("/oauth/introspect", data={"token": token}, headers=who.basic())
        assert introspected.json == {"active": False}
    fresh = get_token(client, system)  # a token issued after the re-enable works
    assert client.get("/api/v1/identifiers", headers=bearer(fresh)).status_code == 200
    assert client.post("/oauth/introspect", data={"token": fresh}, headers=system.basic()).json["active"]


def test_a_token_issued_in_the_second_of_a_disable_is_not_born_refused(client, app, db, system):
    """iat is in whole seconds: a token of the same second as the last disable is dated the next one."""
    from datetime import UTC, datetime

    from registry.auth.clients import get_client

    now = time.time()
    get_client(db, system.client_id).disabled_at = datetime.fromtimestamp(int(now) + 0.999, UTC)
    db.flush()
    token = get_token(client, system)
    assert app.extensions["registry"].tokens.decode(db, token)["iat"] == int(now) + 1
    assert client.get("/api/v1/identifiers", headers=bearer(token)).status_code == 200


# Who may call each OAuth endpoint. Columns: no credentials, wrong secret, disabled client, the token's
# own client, another client of the same agency. Cells: status code, and for 200 on introspection
# whether the token shows as active.
MATRIX = {
    "/oauth/token": {"none": 401, "wrong": 401, "disabled": 401, "own": 200, "other": 200},
    "/oauth/introspect": {
        "none": 401,
        "wrong": 401,
        "disabled": 401,
        "own": (200, True),
        "other": (200, False),
    },
    "/oauth/revoke": {"none": 401, "wrong": 401, "disabled": 401, "own": 200, "other": 200},
}


@pytest.mark.parametrize("endpoint", list(MATRIX))
@pytest.mark.parametrize("caller", ["none", "wrong", "disabled", "own", "other"])
def test_permission_matrix(client, db, system, endpoint, caller):
    token = get_token(client, system)
    who = {"own": system, "other": make_client(db), "disabled": make_client(db), "wrong": make_client(db)}
    headers = {}
    if caller != "none":
        chosen = who[caller]
        if caller == "disabled":
            set_enabled(db, chosen.client_id, False)
        if caller == "wrong":
            chosen.secret = "wrong"
        headers = chosen.basic()
    form = {"grant_type": "client_credentials"} if endpoint == "/oauth/token" else {"token": token}
    response = client.post(endpoint, data=form, headers=headers)
    expected = MATRIX[endpoint][caller]
    status, active = expected if isinstance(expected, tuple) else (expected, None)
    assert response.status_code == status, response.json
    assert response.mimetype == "application/json"
    if active is not None:
        assert response.json["active"] is active


def test_get_on_token_endpoint_is_405(client):
    assert client.get("/oauth/token").status_code == 405
