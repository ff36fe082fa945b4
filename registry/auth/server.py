"""The OAuth 2.0 authorization server, built from authlib's components and bound to one session.

Grants: client_credentials, and jwt-bearer (RFC 7523) for an agency system acting for a named officer.
Client authentication: client_secret_basic and private_key_jwt (ES256). Endpoints: token, introspection
(RFC 7662), revocation (RFC 7009). This module knows no web framework: the API layer hands it a
`FormRequest` and turns its `(status, body, headers)` answers into responses.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientCredentialsGrant,
    ClientMixin,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Request,
    TokenMixin,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion, JWTBearerGrant
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth import assertions
from registry.auth.credentials import verify_secret
from registry.auth.scopes import Scope, allowed_scopes
from registry.auth.tokens import CLOCK_SKEW, TokenService, agency_retired
from registry.errors import Unauthenticated
from registry.models import Agency, OAuthClient

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRANT_TYPES = ("client_credentials", JWT_BEARER)
AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]
ASSERTION_ALGORITHMS = ["ES256"]
MAX_ASSERTION_LIFETIME = 3600  # authlib's and most libraries' default for a client assertion
TOKEN_PATH, JWKS_PATH = "/oauth/token", "/oauth/jwks"
INTROSPECTION_PATH, REVOCATION_PATH = "/oauth/introspect", "/oauth/revoke"
METADATA_PATH = "/.well-known/oauth-authorization-server"
_OFFICER = re.compile(r"^[A-Za-z0-9._@:+-]{1,200}$")


def metadata(issuer: str) -> dict[str, Any]:
    """RFC 8414 authorization server metadata."""
    methods = list(AUTH_METHODS)
    return {
        "issuer": issuer,
        "token_endpoint": issuer + TOKEN_PATH,
        "jwks_uri": issuer + JWKS_PATH,
        "introspection_endpoint": issuer + INTROSPECTION_PATH,
        "revocation_endpoint": issuer + REVOCATION_PATH,
        "grant_types_supported": list(GRANT_TYPES),
        # REQUIRED by RFC 8414 and non-empty for its validators (authlib's refuses []), yet the registry
        # has no authorization endpoint. "none" (IANA's OAuth Authorization Endpoint Response Types
        # registry) is the one response type that issues nothing, so it is the only truthful entry;
        # no authorization_endpoint and no authorization_code or implicit grant say the rest.
        "response_types_supported": ["none"],
        "scopes_supported": sorted(Scope),
        "token_endpoint_auth_methods_supported": methods,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "introspection_endpoint_auth_methods_supported": methods,
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "revocation_endpoint_auth_methods_supported": methods,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "service_documentation": issuer + "/api/v1/docs",
    }


class FormRequest(OAuth2Request):
    """An OAuth request as parsed by the web layer: method, URL, headers and single-valued form fields."""

    def __init__(self, method: str, uri: str, headers: Any, form: dict[str, str]) -> None:
        super().__init__(method, uri, headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(dict(form))

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


@dataclass
class RegisteredClient(ClientMixin):
    """authlib's view of an enabled client: how it may authenticate and what it may ask for."""

    model: OAuthClient
    agency: Agency

    def get_client_id(self) -> str:
        return self.model.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        return verify_secret(client_secret, self.model.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if method == "client_secret_basic":
            return self.model.secret_hash is not None
        if method == "private_key_jwt":
            return bool(self.model.keys)
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES

    def allowed_scopes(self) -> frozenset[str]:
        return frozenset(self.model.scopes) & allowed_scopes(self.agency.kind, self.agency.code)

    def keyset(self) -> KeySet:
        return KeySet.import_key_set({"keys": [key.public_jwk for key in self.model.keys]})


def _decode_assertion(assertion: str, keys: KeySet) -> dict[str, Any]:
    if not keys.keys:
        raise JoseError("the client has no registered key")
    return dict(jwt.decode(assertion, keys, algorithms=ASSERTION_ALGORITHMS).claims)


def _check_lifetime(claims: dict[str, Any], error: Callable[..., Exception]) -> None:
    if (
        not isinstance(claims.get("exp"), int)
        or claims["exp"] > time.time() + MAX_ASSERTION_LIFETIME + CLOCK_SKEW
    ):
        raise error(description=f"The assertion must expire within {MAX_ASSERTION_LIFETIME} seconds.")


class PrivateKeyJWT(JWTBearerClientAssertion):
    """private_key_jwt (RFC 7523 section 2.2): ES256 only, keys registered per client, each jti once."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, server: RegistryAuthorizationServer) -> None:
        super().__init__(leeway=CLOCK_SKEW)
        self.server = server

    def get_audiences(self) -> list[str]:
        return self.server.audiences

    def resolve_client_public_key(self, client: RegisteredClient) -> KeySet:
        return client.keyset()

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            claims = _decode_assertion(assertion, resolve_key)
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidClientError(description="The client assertion is not valid.") from exc
        _check_lifetime(claims, InvalidClientError)
        self.verify_claims(claims)
        return claims

    def validate_jti(self, claims: Any, jti: str) -> bool:
        return self.server.consume(claims["sub"], jti, claims["exp"])


class _ScopeRule:
    """A scope the client may not hold is refused (authlib would drop it silently)."""

    request: FormRequest

    def validate_requested_scope(self) -> None:
        client: RegisteredClient = self.request.client
        requested = set(scope_to_list(self.request.payload.scope) or [])
        refused = sorted(requested - client.allowed_scopes())
        if refused:
            raise InvalidScopeError(description=f"This client may not have: {' '.join(refused)}")


class RegistryClientCredentialsGrant(_ScopeRule, ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS


class OfficerAssertionGrant(_ScopeRule, JWTBearerGrant):
    """jwt-bearer: an authenticated agency system asserts, with its own key, which officer it acts for."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    CLAIMS_OPTIONS = {  # noqa: RUF012 - authlib reads this class attribute
        "iss": {"essential": True},
        "sub": {"essential": True},
        "aud": {"essential": True},
        "exp": {"essential": True},
        "jti": {"essential": True},
    }
    LEEWAY = CLOCK_SKEW
    server: RegistryAuthorizationServer

    def validate_token_request(self) -> None:
        assertion = self.request.form.get("assertion")
        if not assertion:
            raise InvalidRequestError("Missing 'assertion' in request")
        client: RegisteredClient = self.authenticate_token_endpoint_client()
        self.request.client = client
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(f"The client may not use grant_type={self.GRANT_TYPE}")
        claims = self.process_assertion_claims(assertion)
        officer = claims["sub"]
        if not isinstance(officer, str) or not _OFFICER.match(officer) or officer == client.get_client_id():
            raise InvalidGrantError(description="The assertion's sub must name an officer, not the client.")
        if not self.server.consume(client.get_client_id(), str(claims["jti"]), claims["exp"]):
            raise InvalidGrantError(description="The assertion was used before.")
        self.validate_requested_scope()
        self.request.user = officer

    def process_assertion_claims(self, assertion: str) -> dict[str, Any]:
        client: RegisteredClient = self.request.client
        _headers, unverified = self.extract_assertion(assertion)
        if unverified.get("iss") != client.get_client_id():
            raise InvalidGrantError(description="The assertion's iss must be the authenticated client.")
        try:
            claims = _decode_assertion(assertion, client.keyset())
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidGrantError(description="The assertion is not valid.") from exc
        _check_lifetime(claims, InvalidGrantError)
        self.verify_claims(claims)
        return claims

    def get_audiences(self) -> list[str]:
        return self.server.audiences


@dataclass
class AccessToken(TokenMixin):
    claims: dict[str, Any]
    active: bool

    def check_client(self, client: RegisteredClient) -> bool:
        return self.claims.get("client_id") == client.get_client_id()

    def is_expired(self) -> bool:
        return self.claims.get("exp", 0) < time.time()

    def is_revoked(self) -> bool:
        return not self.active


class _TokenLookup:
    server: RegistryAuthorizationServer
    SUPPORTED_TOKEN_TYPES = ("access_token", "refresh_token")  # no refresh tokens exist; the hint is harmless
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> AccessToken | None:
        return self.server.find_token(token_string)


class Introspection(_TokenLookup, IntrospectionEndpoint):
    def check_permission(self, token: AccessToken, client: RegisteredClient, request: Any) -> bool:
        """A client may introspect its own tokens; an admin client any token of the registry."""
        return token.check_client(client) or Scope.ADMIN in client.allowed_scopes()

    def introspect_token(self, token: AccessToken) -> dict[str, Any]:
        claims = token.claims
        names = ("client_id", "scope", "sub", "aud", "iss", "exp", "iat", "nbf", "jti", "agency", "officer")
        return {"active": True, "token_type": "Bearer", **{k: claims[k] for k in names if k in claims}}


class Revocation(_TokenLookup, RevocationEndpoint):
    def authenticate_token(self, request: Any, client: RegisteredClient) -> AccessToken | None:
        """The token to revoke if it is the client's own; another client's is left alone, answered 200.

        authlib refuses another client's token with invalid_grant (400). RFC 7009 2.2 answers 200 for
        a token that is invalid for this client, and a 400 would tell any client that a string is a
        live token of someone else. So, as for a token that is not ours: nothing revoked, 200, `{}`.
        """
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        return token if token is not None and token.check_client(client) else None

    def revoke_token(self, token: AccessToken, request: Any) -> None:
        self.server.tokens.revoke(self.server.session, token.claims)
        self.server.outcome.extra["jti"] = token.claims["jti"]


@dataclass
class Outcome:
    """What the token endpoint decided, for the audit entry (never the token or a secret)."""

    client: RegisteredClient | None = None
    officer: str | None = None
    scope: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class RegistryAuthorizationServer(AuthorizationServer):
    """One per request: authlib's grant and endpoint classes, bound to the request's session."""

    def __init__(self, session: Session, tokens: TokenService) -> None:
        super().__init__(scopes_supported=sorted(Scope))
        self.session = session
        self.tokens = tokens
        self.issuer = tokens.issuer
        self.audiences = [self.issuer, self.issuer + TOKEN_PATH]
        self.outcome = Outcome()
        self.register_token_generator("default", self._generate_token)
        self.register_client_auth_method("private_key_jwt", PrivateKeyJWT(self))
        self.register_grant(RegistryClientCredentialsGrant)
        self.register_grant(OfficerAssertionGrant)
        self.register_endpoint(Introspection)
        self.register_endpoint(Revocation)

    # -- authlib's hooks ----------------------------------------------------------------------------
    def query_client(self, client_id: str) -> RegisteredClient | None:
        """An enabled client of an agency that still exists; otherwise authlib answers invalid_client.

        A client of a retired agency (merged or renamed) is no client any more, exactly as a disabled
        one: RFC 6749 5.2 invalid_client ("unknown client"), 401, at every endpoint, with both grants.
        Not unauthorized_client, which says the client exists and only this grant type is not its own.
        """
        row = self.session.execute(
            select(OAuthClient, Agency)
            .join(Agency, OAuthClient.agency_id == Agency.id)
            .where(OAuthClient.client_id == client_id, OAuthClient.enabled.is_(True))
        ).first()
        if row is None or agency_retired(row[1]):
            return None
        return RegisteredClient(row[0], row[1])

    def authenticate_client(self, request: Any, methods: Any, endpoint: str = "token") -> RegisteredClient:
        client = super().authenticate_client(request, methods, endpoint)
        self.outcome.client = client
        return client

    def _generate_token(
        self,
        *,
        grant_type: str,
        client: RegisteredClient,
        user: str | None = None,
        scope: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        scopes = scope_to_list(scope) or sorted(client.allowed_scopes())
        issued = self.tokens.issue(self.session, client=client.model, scopes=scopes, officer=user)
        self.outcome.officer, self.outcome.scope = user, issued.scope
        self.outcome.extra["jti"] = issued.claims["jti"]
        return {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        }

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Nothing to store: access tokens are self-contained JWTs; revocation keeps its own list."""

    def create_oauth2_request(self, request: FormRequest) -> FormRequest:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, list(headers or [])

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    # -- registry specifics -------------------------------------------------------------------------
    def consume(self, client_id: str, jti: str, expires_at: int) -> bool:
        return assertions.consume(self.session, client_id=client_id, jti=jti, expires_at=int(expires_at))

    def find_token(self, token: str) -> AccessToken | None:
        """One of our access tokens; inactive if revoked or its client disabled; None if not ours."""
        try:
            claims = self.tokens.decode(self.session, token)
        except Unauthenticated:
            return None
        try:
            self.tokens.principal(self.session, claims)
        except Unauthenticated:
            return AccessToken(claims, active=False)
        return AccessToken(claims, active=True)
