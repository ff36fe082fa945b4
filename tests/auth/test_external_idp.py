"""Tokens of a trusted external identity provider, verified against its JWKS served over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from registry.db import utcnow
from registry.models import RevokedToken
from registry.services import agencies

ISSUER = "https://idp.mps.example"
AUDIENCE = "nsc389-registry"
PROTECTED = "/api/v1/identifiers"


class JwksServer:
    """A tiny identity provider: serves a JWKS the test controls and counts the fetches."""

    def __init__(self) -> None:
        self.keys: list[ECKey | RSAKey] = []
        self.hits = 0
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wsgi(self, environ, start_response):  # type: ignore[no-untyped-def]
        Request(environ)
        self.hits += 1
        body = KeySet(self.keys).as_dict(private=False)
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)

    def add_key(self, kid: str, kind: str = "EC") -> ECKey | RSAKey:
        params = {"kid": kid}
        key = (
            ECKey.generate_key("P-256", params, private=True)
            if kind == "EC"
            else RSAKey.generate_key(2048, params, private=True)
        )
        self.keys.append(key)
        return key


@pytest.fixture
def idp() -> Iterator[JwksServer]:
    server = JwksServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.thread.join(5)


@pytest.fixture
def external_app(app_with, idp, tmp_path):  # type: ignore[no-untyped-def]
    config = tmp_path / "issuers.json"
    config.write_text(
        json.dumps(
            [
                {
                    "issuer": ISSUER,
                    "jwks_uri": idp.url,
                    "audience": AUDIENCE,
                    "agency": "VECOM",
                    "scopes_claim": "scp",
                }
            ]
        )
    )
    return app_with(trusted_issuers_file=str(config))


def idp_token(key, kid: str, alg: str = "ES256", header: dict | None = None, **changes):  # type: ignore[no-untyped-def]
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "officer-vecom-3",
        "azp": "vecom-portal",
        "scp": ["registry:read", "registry:write", "admin"],
        "iat": now,
        "exp": now + 300,
        **changes,
    }
    return jwt.encode({"alg": alg, "kid": kid, **(header or {})}, claims, key, algorithms=[alg])


def call(app, token: str, method: str = "get", **kwargs):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": "CASE-9"}
    return getattr(app.test_client(), method)(PROTECTED, headers=headers, **kwargs)


def test_token_of_a_trusted_issuer_is_accepted_with_its_agency_and_capped_scopes(external_app, idp):
    key = idp.add_key("idp-1")
    token = idp_token(key, "idp-1")
    assert call(external_app, token).status_code == 200
    principal = external_app.extensions["registry"].external.authenticate(
        external_app.extensions["registry"].sessionmaker(),
        token,
        external_app.extensions["registry"].external.issuers[ISSUER],
    )
    assert principal.agency == "VECOM" and principal.officer == "officer-vecom-3"
    assert principal.scopes == {"registry:read"}  # an association may not write nor administer
    assert principal.client_id == "vecom-portal" and principal.issuer == ISSUER
    denied = call(external_app, token, "post", json={"kind": "domain", "value": "x.vn"})
    assert denied.status_code == 403


def test_rsa_keys_are_accepted_too(external_app, idp):
    key = idp.add_key("idp-rsa", kind="RSA")
    assert call(external_app, idp_token(key, "idp-rsa", alg="RS256")).status_code == 200


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "someone-else"},
        {"exp": -600},  # seconds from when the test runs (not from collection: a slow run passed it)
        {"nbf": 600},
        {"sub": None},
    ],
)
def test_wrong_audience_or_time_is_refused(external_app, idp, changes):
    key = idp.add_key("idp-1")
    now = int(time.time())
    claims = {k: now + v if k in ("exp", "nbf") else v for k, v in changes.items() if v is not None}
    token = idp_token(key, "idp-1", **claims)
    if "sub" in changes:
        token = jwt.encode(
            {"alg": "ES256", "kid": "idp-1"},
            {"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 300},
            key,
            algorithms=["ES256"],
        )
    assert call(external_app, token).status_code == 401


def test_unknown_issuer_is_refused(external_app, idp):
    key = idp.add_key("idp-1")
    assert call(external_app, idp_token(key, "idp-1", iss="https://stranger.example")).status_code == 401
    assert idp.hits == 0


def test_hs256_with_the_idp_public_key_is_refused(external_app, idp):
    import hashlib
    import hmac

    from tests.auth.helpers import b64

    key = idp.add_key("idp-1")
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "x",
        "scp": ["registry:read"],
        "exp": int(time.time()) + 300,
    }
    signing_input = b64({"alg": "HS256", "kid": "idp-1"}) + "." + b64(claims)
    signature = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    assert call(external_app, signing_input + "." + b64(signature)).status_code == 401


def test_unknown_kid_triggers_one_refetch_rate_limited(external_app, idp, monkeypatch):
    from registry.auth import external

    clock = [1000.0]
    monkeypatch.setattr(external_app.extensions["registry"].external, "clock", lambda: clock[0])
    first = idp.add_key("idp-1")
    assert call(external_app, idp_token(first, "idp-1")).status_code == 200
    assert idp.hits == 1
    assert call(external_app, idp_token(first, "idp-1")).status_code == 200
    assert idp.hits == 1  # cached
    rotated = idp.add_key("idp-2")  # the IdP rotates: an unknown kid makes the registry look again, once
    assert call(external_app, idp_token(rotated, "idp-2")).status_code == 401  # not within the interval
    assert idp.hits == 1
    clock[0] += external.REFETCH_INTERVAL
    assert call(external_app, idp_token(rotated, "idp-2")).status_code == 200
    assert idp.hits == 2
    stranger = ECKey.generate_key("P-256", private=True)
    for _ in range(3):  # unknown kids do not hammer the IdP: at most one refetch per interval
        assert call(external_app, idp_token(stranger, "idp-3")).status_code == 401
    assert idp.hits == 2


def test_jku_in_the_token_is_never_followed(external_app, idp):
    idp.add_key("idp-1")
    attacker = JwksServer()
    attacker.thread.start()
    try:
        evil = attacker.add_key("idp-1")  # same kid, the attacker's key
        token = idp_token(evil, "idp-1", header={"jku": attacker.url})
        assert call(external_app, token).status_code == 401
        assert attacker.hits == 0
    finally:
        attacker.server.shutdown()


def test_bad_trusted_issuers_file_stops_start_up(tmp_path):
    from registry.auth.external import TrustedIssuerError, load_trusted_issuers

    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            [{"issuer": ISSUER, "jwks_uri": "http://idp.example/jwks", "audience": "a", "agency": "VECOM"}]
        )
    )
    with pytest.raises(TrustedIssuerError, match="https"):
        load_trusted_issuers(path)
    path.write_text(json.dumps({"issuer": ISSUER}))
    with pytest.raises(TrustedIssuerError):
        load_trusted_issuers(path)


def test_a_retired_agency_s_issuer_is_refused_from_the_next_request(external_app, idp, db):
    key = idp.add_key("idp-1")
    token = idp_token(key, "idp-1", jti="ext-retired-1")
    assert call(external_app, token).status_code == 200
    agencies.retire(db, code="VECOM", last_day=date.today() - timedelta(days=1))
    assert call(external_app, token).status_code == 401


def test_a_revoked_external_token_is_refused_from_the_next_request(external_app, idp, db):
    key = idp.add_key("idp-1")
    token = idp_token(key, "idp-1", jti="ext-revoked-1")
    assert call(external_app, token).status_code == 200
    db.add(RevokedToken(jti="ext-revoked-1", expires_at=utcnow() + timedelta(hours=1)))
    db.flush()
    assert call(external_app, token).status_code == 401
