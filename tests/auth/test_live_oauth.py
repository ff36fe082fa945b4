"""Off-the-shelf OAuth clients (authlib, requests-oauthlib) against the registry served over real HTTP."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import JWTBearerGrant, PrivateKeyJWT
from sqlalchemy import select

from registry.audit.models import AuditEntry
from tests.auth.helpers import JWT_BEARER


def payload(access_token: str) -> dict:
    part = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def session_for(live_server, system, method: str, scope: str) -> OAuth2Session:  # type: ignore[no-untyped-def]
    if method == "client_secret_basic":
        return OAuth2Session(system.client_id, system.secret, token_endpoint_auth_method=method, scope=scope)
    session = OAuth2Session(system.client_id, system.key, token_endpoint_auth_method=method, scope=scope)
    session.register_client_auth_method(
        PrivateKeyJWT(live_server.token_url, headers={"kid": system.kid}, alg="ES256")
    )
    return session


@pytest.mark.parametrize("method", ["client_secret_basic", "private_key_jwt"])
def test_client_credentials_grant_then_call_the_api(live_server, method):
    system = live_server.client()
    session = session_for(live_server, system, method, "registry:read")
    token = session.fetch_token(live_server.token_url, grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and token["scope"] == "registry:read"
    assert payload(token["access_token"])["client_id"] == system.client_id
    response = session.get(live_server.url + "/api/v1/identifiers")
    assert response.status_code == 200, response.text
    created = session.post(
        live_server.url + "/api/v1/identifiers",
        json={"kind": "domain", "value": "x.vn"},
        headers={"X-Purpose": "CASE-1"},
    )
    assert created.status_code == 403  # the token holds registry:read only


@pytest.mark.parametrize("method", ["client_secret_basic", "private_key_jwt"])
def test_jwt_bearer_grant_for_an_officer_then_call_the_api(live_server, method):
    system = live_server.client()
    session = session_for(live_server, system, method, "registry:read registry:write")
    assertion = JWTBearerGrant.sign(
        system.key,
        issuer=system.client_id,
        audience=live_server.token_url,
        subject="officer-live-1",
        header={"alg": "ES256", "kid": system.kid},
        expires_in=300,
    )
    token = session.fetch_token(live_server.token_url, grant_type=JWT_BEARER, assertion=assertion)
    claims = payload(token["access_token"])
    assert claims["officer"] == "officer-live-1" and claims["client_id"] == system.client_id
    created = session.post(
        live_server.url + "/api/v1/identifiers",
        json={"kind": "domain", "value": f"live-{system.kid}.vn"},
        headers={"X-Purpose": "CASE-LIVE-1"},
    )
    assert created.status_code == 201, created.text
    with live_server.session() as db:
        entry = db.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "identifier:create", AuditEntry.client_id == system.client_id
            )
        ).one()
        assert entry.officer == "officer-live-1"
        issued = db.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "token:issue", AuditEntry.client_id == system.client_id
            )
        ).one()
        assert issued.officer == "officer-live-1"
    again = requests.post(
        live_server.token_url,
        data={"grant_type": JWT_BEARER, "assertion": assertion},
        auth=(system.client_id, system.secret),
        timeout=10,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_invalid_scope_reaches_the_client_library_as_an_oauth_error(live_server):
    from authlib.integrations.base_client.errors import OAuthError

    system = live_server.client()
    session = session_for(live_server, system, "client_secret_basic", "registry:read admin")
    with pytest.raises(OAuthError) as raised:
        session.fetch_token(live_server.token_url, grant_type="client_credentials")
    assert raised.value.error == "invalid_scope"


def test_requests_oauthlib_backend_application_client(live_server, monkeypatch):
    from oauthlib.oauth2 import BackendApplicationClient
    from requests.auth import HTTPBasicAuth
    from requests_oauthlib import OAuth2Session as OAuthlibSession

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # oauthlib refuses plain HTTP, even on loopback
    system = live_server.client(scopes="registry:read")
    session = OAuthlibSession(client=BackendApplicationClient(client_id=system.client_id))
    token = session.fetch_token(live_server.token_url, auth=HTTPBasicAuth(system.client_id, system.secret))
    assert token["scope"] == ["registry:read"]
    assert session.get(live_server.url + "/api/v1/identifiers").status_code == 200


def test_metadata_and_jwks_over_http(live_server):
    metadata = requests.get(live_server.url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert metadata["issuer"] == live_server.url and metadata["token_endpoint"] == live_server.token_url
    keys = requests.get(metadata["jwks_uri"], timeout=10).json()["keys"]
    assert keys and all(key["kty"] == "EC" and "d" not in key for key in keys)


def test_revocation_over_http_refuses_the_next_request(live_server):
    system = live_server.client(scopes="registry:read")
    session = session_for(live_server, system, "client_secret_basic", "registry:read")
    token = session.fetch_token(live_server.token_url, grant_type="client_credentials")
    assert session.get(live_server.url + "/api/v1/identifiers").status_code == 200
    session.revoke_token(
        live_server.url + "/oauth/revoke", token["access_token"], token_type_hint="access_token"
    )
    assert session.get(live_server.url + "/api/v1/identifiers").status_code == 401


def test_oauth_endpoints_called_with_a_bearer_token_answer_promptly(live_server):
    """The rate limiter opens the request's session to identify a bearer caller; the OAuth endpoints
    must work in that same session (on SQLite a second one waited for the first: 500 after 10 s)."""
    system = live_server.client()
    session = session_for(live_server, system, "client_secret_basic", "registry:read")
    token = session.fetch_token(live_server.token_url, grant_type="client_credentials")["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    for method, path in (
        ("GET", "/oauth/jwks"),
        ("POST", "/oauth/token"),
        ("POST", "/oauth/introspect"),
        ("POST", "/oauth/revoke"),
    ):
        response = requests.request(
            method,
            live_server.url + path,
            headers=bearer,
            timeout=5,
            data={"grant_type": "client_credentials"} if method == "POST" else None,
        )
        assert response.status_code < 500, (path, response.status_code, response.text)
