"""The token endpoint in-process: both grants, both client auth methods, refusals, audit."""

from __future__ import annotations

import pytest
from joserfc import jwt
from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.auth import assertions
from registry.models.auth import UsedAssertion
from tests.auth.helpers import JWT_BEARER
from tests.factories import make_client

TOKEN = "/oauth/token"


@pytest.fixture
def system(db):  # type: ignore[no-untyped-def]
    return make_client(db)


@pytest.fixture
def issuer(app) -> str:  # type: ignore[no-untyped-def]
    return app.extensions["registry"].settings.issuer


def claims_of(app, db, access_token: str) -> dict:  # type: ignore[no-untyped-def]
    return app.extensions["registry"].tokens.decode(db, access_token)


def test_client_credentials_with_secret_issues_rfc9068_token(client, app, db, system):
    response = client.post(
        TOKEN, data={"grant_type": "client_credentials", "scope": "registry:read"}, headers=system.basic()
    )
    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["token_type"] == "Bearer" and body["scope"] == "registry:read"
    assert 300 <= body["expires_in"] <= 900
    header = jwt.decode(body["access_token"], _keyset(app, db)).header
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256" and header["kid"]
    claims = claims_of(app, db, body["access_token"])
    assert claims["client_id"] == system.client_id == claims["sub"]
    assert claims["agency"] == "MOIT-DMS" and "officer" not in claims
    listed = client.get("/api/v1/identifiers", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert listed.status_code == 200


def _keyset(app, db):  # type: ignore[no-untyped-def]
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(app.extensions["registry"].tokens.jwks(db))


def test_no_scope_asked_gives_all_the_clients_scopes(client, system):
    response = client.post(TOKEN, data={"grant_type": "client_credentials"}, headers=system.basic())
    assert response.json["scope"] == "registry:read registry:write"


def test_client_credentials_with_private_key_jwt(client, app, db, system, issuer):
    form = {"grant_type": "client_credentials", **system.private_key_jwt(issuer + TOKEN)}
    response = client.post(TOKEN, data=form)
    assert response.status_code == 200, response.json
    assert claims_of(app, db, response.json["access_token"])["client_id"] == system.client_id


@pytest.mark.parametrize("method", ["client_secret_basic", "private_key_jwt"])
def test_jwt_bearer_grant_names_the_officer(client, app, db, system, issuer, method):
    form = {
        "grant_type": JWT_BEARER,
        "assertion": system.assertion(issuer + TOKEN, subject="officer-17"),
        "scope": "registry:read",
    }
    headers = {}
    if method == "client_secret_basic":
        headers = system.basic()
    else:
        form.update(system.private_key_jwt(issuer))  # the issuer is an accepted audience too
    response = client.post(TOKEN, data=form, headers=headers)
    assert response.status_code == 200, response.json
    claims = claims_of(app, db, response.json["access_token"])
    assert claims["officer"] == "officer-17" == claims["sub"]
    assert claims["client_id"] == system.client_id
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "token:issue").order_by(AuditEntry.id.desc())
    ).first()
    assert (
        entry.outcome == "allowed" and entry.officer == "officer-17" and entry.client_id == system.client_id
    )
    assert response.json["access_token"].encode() not in entry.body


def test_scope_the_client_may_not_have_is_invalid_scope(client, db, system):
    response = client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "registry:read admin"},
        headers=system.basic(),
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_scope"
    assert response.mimetype == "application/json"
    unknown = client.post(
        TOKEN, data={"grant_type": "client_credentials", "scope": "everything"}, headers=system.basic()
    )
    assert unknown.json["error"] == "invalid_scope"
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "token:refuse").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.outcome == "denied" and entry.client_id == system.client_id and entry.status_code == 400


def test_scope_beyond_the_agency_kind_is_refused_even_if_stored_on_the_client(client, db, system):
    from registry.auth.clients import get_client

    get_client(db, system.client_id).scopes = ["registry:read", "freeze:execute"]  # not for a state body
    db.flush()
    response = client.post(
        TOKEN, data={"grant_type": "client_credentials", "scope": "freeze:execute"}, headers=system.basic()
    )
    assert response.json["error"] == "invalid_scope"


def test_wrong_secret_and_unknown_client_are_invalid_client(client, system):
    system.secret = "not-the-secret"
    response = client.post(TOKEN, data={"grant_type": "client_credentials"}, headers=system.basic())
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
    system.client_id = "nobody"
    response = client.post(TOKEN, data={"grant_type": "client_credentials"}, headers=system.basic())
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
    response = client.post(TOKEN, data={"grant_type": "client_credentials"})
    assert response.json["error"] == "invalid_client"


def test_disabled_client_gets_no_token(client, db, system):
    from registry.auth.clients import set_enabled

    set_enabled(db, system.client_id, False)
    response = client.post(TOKEN, data={"grant_type": "client_credentials"}, headers=system.basic())
    assert response.status_code == 401 and response.json["error"] == "invalid_client"


def test_replayed_client_assertion_is_refused(client, system, issuer):
    form = {"grant_type": "client_credentials", **system.private_key_jwt(issuer + TOKEN)}
    assert client.post(TOKEN, data=form).status_code == 200
    again = client.post(TOKEN, data=form)
    assert again.json["error"] == "invalid_client"


def test_replayed_grant_assertion_is_refused_even_after_a_refusal(client, system, issuer):
    assertion = system.assertion(issuer + TOKEN, subject="officer-1")
    refused = client.post(
        TOKEN,
        data={"grant_type": JWT_BEARER, "assertion": assertion, "scope": "admin"},
        headers=system.basic(),
    )
    assert refused.json["error"] == "invalid_scope"
    again = client.post(
        TOKEN, data={"grant_type": JWT_BEARER, "assertion": assertion}, headers=system.basic()
    )
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"subject": "SELF"}, "invalid_grant"),  # sub must be an officer, not the client itself
        ({"aud": "https://elsewhere.example/token"}, "invalid_grant"),
        ({"iss": "someone-else"}, "invalid_grant"),
        ({"exp": 1}, "invalid_grant"),
        ({"exp": 4102444800}, "invalid_grant"),  # far-future assertions are not accepted
        ({"foreign_key": True}, "invalid_grant"),
        ({"drop_jti": True}, "invalid_grant"),
    ],
)
def test_bad_grant_assertions(client, system, issuer, change, expected):
    from joserfc.jwk import ECKey

    from tests.factories import sign_assertion

    subject = system.client_id if change.get("subject") == "SELF" else "officer-2"
    claims = {k: v for k, v in change.items() if k in ("aud", "iss", "exp")}
    key = ECKey.generate_key("P-256", private=True) if change.get("foreign_key") else system.key
    payload = {
        "issuer": claims.pop("iss", system.client_id),
        "subject": subject,
        "audience": claims.pop("aud", issuer + TOKEN),
    }
    if change.get("drop_jti"):
        claims["jti"] = None
    assertion = sign_assertion(key, system.kid, **payload, **claims)
    response = client.post(
        TOKEN, data={"grant_type": JWT_BEARER, "assertion": assertion}, headers=system.basic()
    )
    assert response.status_code in (400, 401)
    assert response.json["error"] == expected


def test_assertion_with_hs256_or_none_is_refused_as_client_auth(client, system, issuer):
    from tests.auth.helpers import b64
    from tests.factories import ASSERTION_TYPE

    unsigned = (
        b64({"alg": "none"})
        + "."
        + b64(
            {
                "iss": system.client_id,
                "sub": system.client_id,
                "aud": issuer + TOKEN,
                "exp": 4102444800,
                "jti": "x",
            }
        )
        + "."
    )
    response = client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": unsigned,
        },
    )
    assert response.json["error"] == "invalid_client"


def test_repeated_parameter_is_invalid_request(client, system):
    response = client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": ["registry:read", "admin"]},
        headers=system.basic(),
    )
    assert response.status_code == 400 and response.json["error"] == "invalid_request"


def test_unsupported_grant_type(client, system):
    response = client.post(
        TOKEN, data={"grant_type": "password", "username": "a", "password": "b"}, headers=system.basic()
    )
    assert response.json["error"] == "unsupported_grant_type"


def test_expired_assertion_ids_are_purged(db, system):
    assert assertions.consume(db, client_id=system.client_id, jti="old", expires_at=1)
    assert not assertions.consume(db, client_id=system.client_id, jti="old", expires_at=1)
    assert assertions.purge_expired(db) >= 1
    assert db.get(UsedAssertion, "x") is None


@pytest.mark.parametrize(
    ("grant", "auth"),
    [
        ("client_credentials", "client_secret_basic"),
        ("client_credentials", "private_key_jwt"),
        (JWT_BEARER, "client_secret_basic"),
        (JWT_BEARER, "private_key_jwt"),
    ],
)
def test_a_retired_agency_s_client_gets_no_token(client, db, system, issuer, grant, auth):
    from datetime import date, timedelta

    from registry.services import agencies

    def ask():  # type: ignore[no-untyped-def]
        form = {"grant_type": grant}
        if grant == JWT_BEARER:
            form["assertion"] = system.assertion(issuer + TOKEN, subject="officer-9")
        if auth == "private_key_jwt":
            form.update(system.private_key_jwt(issuer + TOKEN))
        return client.post(TOKEN, data=form, headers=system.basic() if auth == "client_secret_basic" else {})

    agencies.retire(db, code="MOIT-DMS", last_day=date.today())  # its last day: still an agency
    assert ask().status_code == 200
    agencies.retire(db, code="MOIT-DMS", last_day=date.today() - timedelta(days=1))
    response = ask()
    # RFC 6749 5.2: 401 when the client authenticated with the Authorization header, else 400 or 401.
    status = 401 if auth == "client_secret_basic" else 400
    assert response.status_code == status, response.json
    assert response.json["error"] == "invalid_client"
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "token:refuse").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.outcome == "denied" and entry.status_code == status
