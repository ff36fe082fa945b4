"""The development identity provider: the registry's own authorization server logs in demo officers.

Only outside production (Settings.development_idp; the HTTP layer answers 404 in production). It is an
OpenID Connect provider for one public client, the console (`registry-console`), with the authorization
code flow and PKCE (S256, required): the login page lists the demo officers of
`registry/data/dev-officers.json`; the code is sealed with the registry's data key (no table) and
redeemed once (its id is consumed like a client assertion's); the ID token is an ES256 JWT signed with
the registry's token signing key (published at /oauth/jwks). This module knows no web framework.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cryptography.exceptions import InvalidTag
from sqlalchemy.orm import Session

from registry.auth import assertions
from registry.auth.oidc import IdentityProvider
from registry.auth.scopes import Scope
from registry.auth.tokens import TokenService
from registry.fieldcrypt import FieldCipher

NAME = "dev"
CLIENT_ID = "registry-console"
CALLBACK_PATH = "/console/auth/callback"
AUTHORIZE_PATH = "/oauth/authorize"
DISCOVERY_PATH = "/.well-known/openid-configuration"
CODE_LIFETIME = 120  # seconds between the officer's choice and the console redeeming the code
ID_TOKEN_LIFETIME = 300
OFFICERS_FILE = Path(__file__).resolve().parent.parent / "data" / "dev-officers.json"
_CODE_CONTEXT = "devidp:code"

# The development provider's roles. A deployment's providers bring their own table (auth.oidc).
ROLES: dict[str, frozenset[str]] = {
    "reader": frozenset({Scope.REGISTRY_READ}),
    "sensitive_reader": frozenset({Scope.REGISTRY_READ_SENSITIVE}),
    "writer": frozenset({Scope.REGISTRY_WRITE}),
    "block_submitter": frozenset({Scope.BLOCKING_SUBMIT}),
    "block_decider": frozenset({Scope.BLOCKING_DECIDE}),
    "block_executor": frozenset({Scope.BLOCKING_EXECUTE}),
    "freeze_submitter": frozenset({Scope.FREEZE_SUBMIT}),
    "freeze_processor": frozenset({Scope.FREEZE_PROCESS}),
    "freeze_executor": frozenset({Scope.FREEZE_EXECUTE}),
    "auditor": frozenset({Scope.AUDIT_READ}),
    "reports": frozenset({Scope.REPORTS_READ}),
}


class AuthorizationError(Exception):
    """An OAuth error (RFC 6749 4.1.2.1 / 5.2): `error` and a description safe to show."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


@dataclass(frozen=True)
class DemoOfficer:
    sub: str
    name: str
    agency: str
    roles: tuple[str, ...]


@cache
def officers() -> tuple[DemoOfficer, ...]:
    entries = json.loads(OFFICERS_FILE.read_text(encoding="utf-8"))["officers"]
    return tuple(DemoOfficer(e["sub"], e["name"], e["agency"], tuple(e["roles"])) for e in entries)


def officer(sub: str) -> DemoOfficer | None:
    return next((one for one in officers() if one.sub == sub), None)


def provider(issuer: str) -> IdentityProvider:
    """The console's configuration for this provider, as an entry of REGISTRY_IDENTITY_PROVIDERS reads."""
    return IdentityProvider(
        name=NAME,
        title="Development identity provider (demo officers)",
        issuer=issuer,
        client_id=CLIENT_ID,
        agencies=tuple(sorted({one.agency for one in officers()})),
        roles=ROLES,
    )


def discovery(issuer: str) -> dict[str, Any]:
    """OpenID Provider metadata (OpenID Connect Discovery 1.0) of the development provider."""
    from registry.auth.server import JWKS_PATH, TOKEN_PATH

    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTHORIZE_PATH,
        "token_endpoint": issuer + TOKEN_PATH,
        "jwks_uri": issuer + JWKS_PATH,
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["openid"],
        "claims_supported": ["sub", "name", "agency", "roles"],
    }


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def check_authorization_request(issuer: str, args: dict[str, str]) -> dict[str, str]:
    """The parameters of a valid authorization request, or AuthorizationError.

    Only the console's client and its exact callback; PKCE with S256 is required (RFC 7636; OAuth 2.1)."""
    if args.get("client_id") != CLIENT_ID or args.get("redirect_uri") != issuer + CALLBACK_PATH:
        raise AuthorizationError("invalid_request", "Unknown client or redirect URI.")
    if args.get("response_type") != "code":
        raise AuthorizationError("unsupported_response_type", "Only response_type=code.")
    if "openid" not in args.get("scope", "").split():
        raise AuthorizationError("invalid_scope", "The scope must include openid.")
    if not args.get("code_challenge") or args.get("code_challenge_method") != "S256":
        raise AuthorizationError("invalid_request", "PKCE is required: code_challenge with method S256.")
    if not args.get("state") or not args.get("nonce"):
        raise AuthorizationError("invalid_request", "state and nonce are required.")
    names = ("client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge")
    return {name: args[name][:500] for name in names}


def authorization_redirect(cipher: FieldCipher, request: dict[str, str], sub: str) -> str:
    """Where the browser goes once the officer chose: the callback with a sealed one-time code."""
    if officer(sub) is None:
        raise AuthorizationError("access_denied", "Unknown demo officer.")
    sealed = {
        "sub": sub,
        "nonce": request["nonce"],
        "challenge": request["code_challenge"],
        "redirect_uri": request["redirect_uri"],
        "exp": int(time.time()) + CODE_LIFETIME,
        "jti": secrets.token_urlsafe(16),
    }
    code = base64.urlsafe_b64encode(cipher.encrypt(json.dumps(sealed), _CODE_CONTEXT)).decode()
    return f"{request['redirect_uri']}?{urlencode({'code': code, 'state': request['state']})}"


def redeem(
    session: Session, cipher: FieldCipher, tokens: TokenService, form: dict[str, str]
) -> dict[str, Any]:
    """The token response for an authorization code (grant_type=authorization_code), or AuthorizationError.

    An ID token only: the console needs the officer, not an access token to the API."""
    if form.get("client_id") != CLIENT_ID:
        raise AuthorizationError("invalid_client", "Unknown client.")
    try:
        sealed = json.loads(cipher.decrypt(base64.urlsafe_b64decode(form.get("code", "")), _CODE_CONTEXT))
    except (ValueError, TypeError, KeyError, InvalidTag):
        raise AuthorizationError("invalid_grant", "The code is not valid.") from None
    if sealed["exp"] < time.time():
        raise AuthorizationError("invalid_grant", "The code has expired.")
    if form.get("redirect_uri") != sealed["redirect_uri"]:
        raise AuthorizationError("invalid_grant", "The redirect URI differs from the authorization request.")
    verifier = form.get("code_verifier", "")
    if not 43 <= len(verifier) <= 128 or not secrets.compare_digest(
        _challenge(verifier), sealed["challenge"]
    ):
        raise AuthorizationError(
            "invalid_grant", "PKCE: the code_verifier does not match the code_challenge."
        )
    if not assertions.consume(session, client_id=CLIENT_ID, jti=sealed["jti"], expires_at=sealed["exp"]):
        raise AuthorizationError("invalid_grant", "The code was used before.")
    person = officer(sealed["sub"])
    if person is None:
        raise AuthorizationError("invalid_grant", "Unknown demo officer.")
    now = int(time.time())
    claims = {
        "iss": tokens.issuer,
        "aud": CLIENT_ID,
        "sub": person.sub,
        "name": person.name,
        "agency": person.agency,
        "roles": list(person.roles),
        "nonce": sealed["nonce"],
        "iat": now,
        "auth_time": now,
        "exp": now + ID_TOKEN_LIFETIME,
    }
    return {
        "token_type": "Bearer",
        "id_token": tokens.sign_id_token(session, claims),
        "expires_in": ID_TOKEN_LIFETIME,
    }
