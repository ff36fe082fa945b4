"""Small factories for test data and callers with real access tokens."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.scopes import allowed_scopes
from registry.models import Agency, OAuthClient


class Actors:
    """Mints real ES256 access tokens for clients of seeded agencies."""

    def __init__(self, app: Any, session: Session) -> None:
        self.app = app
        self.session = session
        self._clients: dict[tuple[str, tuple[str, ...]], OAuthClient] = {}

    def agency(self, code: str) -> Agency:
        return self.session.scalars(select(Agency).where(Agency.code == code)).one()

    def oauth_client(self, agency: str, scopes: list[str] | None = None) -> OAuthClient:
        found = self.agency(agency)
        scopes = sorted(scopes if scopes is not None else allowed_scopes(found.kind, found.code))
        key = (agency, tuple(scopes))
        if key not in self._clients:
            client = OAuthClient(
                client_id=f"test-{agency.lower()}-{secrets.token_hex(4)}",
                agency_id=found.id,
                name=f"test client of {agency}",
                scopes=scopes,
            )
            self.session.add(client)
            self.session.flush()
            self._clients[key] = client
        return self._clients[key]

    def token(self, agency: str, scopes: list[str] | None = None, officer: str | None = None) -> str:
        client = self.oauth_client(agency, scopes)
        tokens = self.app.extensions["registry"].tokens
        return tokens.issue(
            self.session, client=client, scopes=list(client.scopes), officer=officer
        ).access_token

    def headers(
        self,
        agency: str,
        scopes: list[str] | None = None,
        officer: str | None = None,
        purpose: str | None = "CASE-1",
    ) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token(agency, scopes, officer)}"}
        if purpose:
            headers["X-Purpose"] = purpose
        return headers
