"""Helpers for the OAuth tests: the live server's handle and hand-made tokens (agency systems and
their assertions are in tests/factories.py: make_client, AgencySystem, sign_assertion)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from flask import Flask
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy.orm import Session

from registry.auth.server import JWT_BEARER
from registry.auth.tokens import TokenService
from registry.fieldcrypt import FieldCipher
from tests.factories import AgencySystem, make_client

__all__ = ["JWT_BEARER", "LiveServer", "b64", "sign_token"]


@dataclass
class LiveServer:
    """The app served over real HTTP (the live_server fixture), with agency systems made on its database."""

    app: Flask
    url: str

    @property
    def token_url(self) -> str:
        return self.url + "/oauth/token"

    def session(self) -> Session:
        return self.app.extensions["registry"].sessionmaker()

    def client(self, agency: str = "MOIT-DMS", scopes: str = "registry:read registry:write") -> AgencySystem:
        with self.session() as session:
            made = make_client(session, agency, scopes)
            session.commit()
        return made


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
