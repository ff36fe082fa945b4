"""Helpers for the OAuth tests: clients with secrets and keys, assertions, hand-made tokens."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy.orm import Session

from registry.auth import clients
from registry.auth.server import JWT_BEARER
from registry.auth.tokens import TokenService
from registry.fieldcrypt import FieldCipher

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
__all__ = [
    "ASSERTION_TYPE",
    "JWT_BEARER",
    "AgencySystem",
    "b64",
    "make_client",
    "sign_assertion",
    "sign_token",
]


@dataclass
class AgencySystem:
    client_id: str
    secret: str
    key: ECKey  # private; its public half is registered
    kid: str

    def basic(self) -> dict[str, str]:
        raw = f"{self.client_id}:{self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def assertion(self, audience: str, *, subject: str | None = None, **claims: Any) -> str:
        return sign_assertion(
            self.key,
            self.kid,
            issuer=self.client_id,
            subject=subject or self.client_id,
            audience=audience,
            **claims,
        )

    def private_key_jwt(self, audience: str, **claims: Any) -> dict[str, str]:
        return {
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(audience, **claims),
        }


def make_client(
    session: Session, agency: str = "MOIT-DMS", scopes: str = "registry:read registry:write"
) -> AgencySystem:
    created = clients.create_client(session, agency_code=agency, scopes=scopes, name="test system")
    key = ECKey.generate_key("P-256", private=True)
    kid = f"k-{secrets.token_hex(4)}"
    clients.add_key(session, created.client.client_id, {**key.as_dict(private=False), "kid": kid})
    return AgencySystem(created.client.client_id, created.secret, key, kid)


def sign_assertion(key: ECKey, kid: str, *, issuer: str, subject: str, audience: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(12),
        **claims,
    }
    return jwt.encode({"alg": "ES256", "kid": kid}, payload, key, algorithms=["ES256"])


def b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def sign_token(
    session: Session,
    tokens: TokenService,
    cipher: FieldCipher,
    claims: dict[str, Any],
    header: dict[str, Any] | None = None,
) -> str:
    """A token signed with the registry's own active key, with whatever claims a test needs."""
    key = tokens.active_key(session)
    private = ECKey.import_key(cipher.decrypt(key.private_key_enc, f"signing_key:{key.kid}"))
    return jwt.encode(
        {"alg": "ES256", "typ": "at+jwt", "kid": key.kid, **(header or {})},
        claims,
        private,
        algorithms=["ES256"],
    )
