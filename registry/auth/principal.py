"""Who is calling: the verified facts of an access token, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.models.agency import STATE_KINDS


@dataclass(frozen=True)
class Principal:
    client_id: str
    agency: str
    agency_id: int
    agency_kind: str
    scopes: frozenset[str]
    officer: str | None = None
    token_id: str | None = None
    issuer: str | None = None
    expires_at: int | None = None  # the token's `exp` (seconds since the epoch)
    purpose: str | None = field(default=None, compare=False)

    @property
    def is_state(self) -> bool:
        return self.agency_kind in STATE_KINDS

    @property
    def actor(self) -> str:
        """The name recorded as having acted: the officer where there is one, else the client."""
        return self.officer or self.client_id

    def has(self, scope: str) -> bool:
        return scope in self.scopes
