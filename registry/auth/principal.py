"""Who is calling: the verified facts of an access token, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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

    def as_caller(self) -> dict[str, Any]:
        """The caller as a job keeps it (JSON), to act as it without the request (registry/jobs.py)."""
        return {
            "client_id": self.client_id,
            "agency": self.agency,
            "agency_id": self.agency_id,
            "agency_kind": self.agency_kind,
            "scopes": sorted(self.scopes),
            "officer": self.officer,
            "issuer": self.issuer,
        }

    @classmethod
    def from_caller(cls, caller: dict[str, Any]) -> Principal:
        return cls(**{**caller, "scopes": frozenset(caller["scopes"])})
