"""The development identity provider: PKCE required, codes once, ID tokens, and never in production."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest

from registry.app import create_app
from registry.auth import devidp
from registry.auth.oidc import IdentityProvider, LoginRefused, provider_from
from registry.config import Settings
from tests.console.helpers import csrf_of
from tests.factories import DATA_KEY, LOOKUP_KEY

ISSUER = "http://127.0.0.1:5000"  # the test settings' issuer
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def _authorize(**overrides: str) -> dict[str, str]:
    params = {
        "client_id": devidp.CLIENT_ID,
        "redirect_uri": ISSUER + devidp.CALLBACK_PATH,
        "response_type": "code",
        "scope": "openid",
        "state": "s" * 20,
        "nonce": "n" * 20,
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value}


def _code(client, officer: str = "most.binh", **overrides: str) -> str:  # type: ignore[no-untyped-def]
    params = _authorize(**overrides)
    page = client.get("/oauth/authorize", query_string=params)
    assert page.status_code == 200, page.text
    chosen = client.post(
        "/oauth/authorize", data={**params, "csrf_token": csrf_of(page.text), "officer": officer}
    )
    assert chosen.status_code == 302
    return parse_qs(urlsplit(chosen.headers["Location"]).query)["code"][0]


def _redeem(client, code: str, verifier: str = VERIFIER):  # type: ignore[no-untyped-def]
    return client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": devidp.CLIENT_ID,
            "redirect_uri": ISSUER + devidp.CALLBACK_PATH,
            "code_verifier": verifier,
        },
    )


@pytest.mark.parametrize(
    "overrides",
    [{"code_challenge": ""}, {"code_challenge_method": "plain"}, {"code_challenge_method": ""}],
    ids=["no-challenge", "plain", "no-method"],
)
def test_authorization_without_s256_pkce_is_refused(client, overrides) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/oauth/authorize", query_string=_authorize(**overrides))
    assert answer.status_code == 400
    assert "PKCE" in answer.text


def test_another_redirect_uri_is_refused_not_followed(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/oauth/authorize", query_string=_authorize(redirect_uri="https://evil.example/cb"))
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_the_code_needs_the_verifier_and_serves_once(client, app) -> None:  # type: ignore[no-untyped-def]
    code = _code(client)
    wrong = _redeem(client, code, verifier="w" * 64)
    assert wrong.status_code == 400 and wrong.json["error"] == "invalid_grant"
    assert "PKCE" in wrong.json["error_description"]
    first = _redeem(client, code)
    assert first.status_code == 200, first.json
    assert "access_token" not in first.json
    again = _redeem(client, code)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"


def test_the_id_token_names_the_officer_and_is_no_access_token(client) -> None:  # type: ignore[no-untyped-def]
    from joserfc import jwt
    from joserfc.jwk import KeySet

    id_token = _redeem(client, _code(client, "vnpt.dung")).json["id_token"]
    keys = KeySet.import_key_set(client.get("/oauth/jwks").json)
    claims = jwt.decode(id_token, keys, algorithms=["ES256"]).claims
    assert (claims["sub"], claims["agency"], claims["aud"], claims["iss"]) == (
        "vnpt.dung",
        "ISP-VNPT",
        devidp.CLIENT_ID,
        ISSUER,
    )
    refused = client.get("/api/v1/block-requests", headers={"Authorization": f"Bearer {id_token}"})
    assert refused.status_code == 401


def test_the_discovery_document_announces_code_and_s256_only(client) -> None:  # type: ignore[no-untyped-def]
    found = client.get("/.well-known/openid-configuration").json
    assert found["code_challenge_methods_supported"] == ["S256"]
    assert found["response_types_supported"] == ["code"]
    assert found["authorization_endpoint"] == ISSUER + "/oauth/authorize"


def test_production_has_no_development_provider_and_no_console_without_providers(
    database_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.from_env(
        {"REGISTRY_ISSUER": "https://registry.example.gov.vn"},
        env="production",
        database_url="postgresql://registry@db/registry",
        var_dir=tmp_path,
        data_key=DATA_KEY,
        lookup_key=LOOKUP_KEY,
    )
    # The suite's database, SQLite included (production refuses SQLite when reading its settings).
    settings = dataclasses.replace(settings, database_url=database_url)
    assert not settings.development_idp and settings.session_key == b""
    client = create_app(settings).test_client()
    assert client.get("/oauth/authorize", query_string=_authorize()).status_code == 404
    assert client.get("/.well-known/openid-configuration").status_code == 404
    assert client.get("/console/login").status_code == 404
    token = client.post("/oauth/token", data={"grant_type": "authorization_code", "code": "x"})
    assert token.status_code == 400 and token.json["error"] == "unsupported_grant_type"


def test_production_with_providers_requires_a_session_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from registry.config import ConfigError

    providers = tmp_path / "idp.json"
    providers.write_text("[]")
    with pytest.raises(ConfigError, match="REGISTRY_SESSION_KEY"):
        Settings.from_env(
            {
                "REGISTRY_ISSUER": "https://registry.example.gov.vn",
                "REGISTRY_DATABASE_URL": "postgresql://x/y",
                "REGISTRY_IDENTITY_PROVIDERS": str(providers),
            },
            env="production",
            var_dir=tmp_path,
            data_key=DATA_KEY,
            lookup_key=LOOKUP_KEY,
        )


MIC_IDP = {
    "name": "mic",
    "title": "MIC SSO",
    "issuer": "https://sso.mic.gov.vn",
    "client_id": "registry",
    "agencies": ["MIC"],
    "roles": {"reviewer": ["blocking:decide", "registry:read"]},
}


def test_roles_grant_scopes_and_unknown_roles_grant_nothing() -> None:
    provider: IdentityProvider = provider_from(MIC_IDP)
    assert provider.grant({"sub": "nguyen.a", "roles": ["reviewer", "admin"]}) == (
        "nguyen.a",
        "MIC",
        frozenset({"blocking:decide", "registry:read"}),
    )
    with pytest.raises(LoginRefused):
        provider.grant({"sub": "nguyen.a", "roles": ["admin"]})
    with pytest.raises(LoginRefused):
        provider.grant({"sub": "nguyen a <script>", "roles": ["reviewer"]})


def test_a_provider_of_several_agencies_must_name_one_of_them() -> None:
    provider = provider_from({**MIC_IDP, "agencies": ["MIC", "MOST"]})
    assert provider.grant({"sub": "a", "agency": "MOST", "roles": "reviewer"})[1] == "MOST"
    with pytest.raises(LoginRefused):
        provider.grant({"sub": "a", "agency": "SBV", "roles": "reviewer"})


def test_a_role_naming_an_unknown_scope_stops_start_up() -> None:
    from registry.auth.oidc import IdentityProviderError

    with pytest.raises(IdentityProviderError):
        provider_from({**MIC_IDP, "roles": {"reviewer": ["blocking:everything"]}})


def test_the_example_providers_file_loads(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from registry.auth.oidc import load_providers

    monkeypatch.setenv("REGISTRY_IDP_MOST_SECRET", "s3cret")
    example = Path(__file__).resolve().parents[2] / "deploy" / "identity-providers.example.json"
    providers = load_providers(example)
    assert [p.name for p in providers] == ["most", "vnpt"]
    assert providers[0].client_secret == "s3cret" and providers[1].client_secret is None
