"""Forged, stale and withdrawn access tokens are refused with 401 at a protected endpoint."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from registry.auth.clients import set_enabled
from tests.auth.helpers import b64, sign_token

PROTECTED = "/api/v1/identifiers"


@pytest.fixture
def forge(app, db, actors):  # type: ignore[no-untyped-def]
    """Valid claims for a real client, and a signer with the registry's own key."""
    state = app.extensions["registry"]
    client = actors.oauth_client("MOIT-DMS", ["registry:read"])
    now = int(time.time())
    claims = {
        "iss": state.tokens.issuer,
        "aud": state.tokens.audience,
        "sub": client.client_id,
        "client_id": client.client_id,
        "agency": "MOIT-DMS",
        "scope": "registry:read",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": f"j-{now}-{id(client)}",
    }

    def sign(header: dict | None = None, **changes: object) -> str:
        return sign_token(db, state.tokens, state.cipher, {**claims, **changes}, header)

    sign.claims = claims  # type: ignore[attr-defined]
    sign.client = client  # type: ignore[attr-defined]
    return sign


def call(client, token: str):  # type: ignore[no-untyped-def]
    return client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"})


def test_a_well_formed_token_is_accepted(client, forge):
    assert call(client, forge()).status_code == 200


def test_alg_none(client, forge):
    header = {"alg": "none", "typ": "at+jwt", "kid": _kid_of(forge())}
    token = b64(header) + "." + b64(forge.claims) + "."
    assert call(client, token).status_code == 401


def test_hs256_signed_with_the_public_key(client, app, db, forge):
    tokens = app.extensions["registry"].tokens
    key = tokens.active_key(db)
    public_pem = ECKey.import_key(key.public_jwk).as_pem(private=False)
    signing_input = b64({"alg": "HS256", "typ": "at+jwt", "kid": key.kid}) + "." + b64(forge.claims)
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert call(client, signing_input + "." + b64(signature)).status_code == 401


def test_expired(client, forge):
    now = int(time.time())
    assert call(client, forge(iat=now - 1000, nbf=now - 1000, exp=now - 120)).status_code == 401


def test_not_yet_valid(client, forge):
    assert call(client, forge(nbf=int(time.time()) + 300)).status_code == 401


def test_wrong_audience(client, forge):
    assert call(client, forge(aud="some-other-api")).status_code == 401


def test_wrong_issuer(client, forge):
    assert call(client, forge(iss="https://evil.example")).status_code == 401


def test_unknown_kid_signed_by_a_stranger(client, forge):
    stranger = ECKey.generate_key("P-256", private=True)
    token = jwt.encode(
        {"alg": "ES256", "typ": "at+jwt", "kid": "stranger"}, forge.claims, stranger, algorithms=["ES256"]
    )
    assert call(client, token).status_code == 401


def test_our_kid_but_a_strangers_signature(client, forge):
    stranger = ECKey.generate_key("P-256", private=True)
    header = {"alg": "ES256", "typ": "at+jwt", "kid": _kid_of(forge())}
    token = jwt.encode(header, forge.claims, stranger, algorithms=["ES256"])
    assert call(client, token).status_code == 401


def _kid_of(token: str) -> str:
    import base64
    import json

    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]


def test_tampered_payload(client, forge):
    header, _payload, signature = forge().split(".")
    tampered = b64({**forge.claims, "scope": "registry:read registry:write admin"})
    assert call(client, f"{header}.{tampered}.{signature}").status_code == 401


def test_not_an_access_token_typ(client, forge):
    assert call(client, forge(header={"typ": "JWT"})).status_code == 401


def test_revoked(client, app, db, forge):
    token = forge()
    assert call(client, token).status_code == 200
    tokens = app.extensions["registry"].tokens
    tokens.revoke(db, tokens.decode(db, token))
    assert call(client, token).status_code == 401


def test_client_disabled(client, db, forge):
    token = forge()
    assert call(client, token).status_code == 200
    set_enabled(db, forge.client.client_id, False)
    response = call(client, token)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_agency_claim_not_matching_the_client(client, forge):
    assert call(client, forge(agency="MOF-TAX")).status_code == 401


def test_garbage(client):
    for token in ("x", "a.b.c", "....", b64({"alg": "ES256"}) + ".."):
        assert call(client, token).status_code == 401
