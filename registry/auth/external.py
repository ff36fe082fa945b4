"""Optional mode: access tokens from agencies' own identity providers, listed as trusted issuers.

Each trusted issuer is configured with its JWKS URL, the audience its tokens must name and the agency
it speaks for. The key that verifies a token is found only through that configuration: never through
the token's own `jku`, `x5u` or the discovery document of its `iss`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import requests
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.util import to_bytes
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.auth.scopes import allowed_scopes
from registry.auth.tokens import CLOCK_SKEW, agency_retired
from registry.errors import Unauthenticated
from registry.models import Agency, RevokedToken

log = logging.getLogger(__name__)
ALGORITHMS = ["ES256", "RS256"]
REFETCH_INTERVAL = 60  # seconds: at most one JWKS refetch per issuer in this time, however many unknown kids


class TrustedIssuerError(ValueError):
    """A trusted-issuers file that cannot be used."""


@dataclass(frozen=True)
class TrustedIssuer:
    issuer: str
    jwks_uri: str
    audience: str
    agency: str
    scopes_claim: str = "scope"


def load_trusted_issuers(path: str | Path) -> list[TrustedIssuer]:
    try:
        entries = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise TrustedIssuerError(f"cannot read trusted issuers from {path}: {exc}") from exc
    if not isinstance(entries, list):
        raise TrustedIssuerError("the trusted issuers file must hold a JSON list")
    issuers = []
    for entry in entries:
        try:
            issuers.append(TrustedIssuer(**entry))
        except TypeError as exc:
            raise TrustedIssuerError(f"bad trusted issuer entry {entry!r}: {exc}") from exc
        if not issuers[-1].jwks_uri.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise TrustedIssuerError(f"the JWKS of {issuers[-1].issuer} must be fetched over https")
    return issuers


def fetch_jwks(url: str) -> dict[str, Any]:
    response = requests.get(url, timeout=5, allow_redirects=False)
    response.raise_for_status()
    return response.json()


@dataclass
class _CachedKeys:
    keys: KeySet | None = None
    fetched_at: float = float("-inf")
    fetches: int = 0


@dataclass
class ExternalVerifier:
    issuers: dict[str, TrustedIssuer]
    fetch: Callable[[str], dict[str, Any]] = fetch_jwks
    refetch_interval: float = REFETCH_INTERVAL
    clock: Callable[[], float] = time.monotonic
    _cache: dict[str, _CachedKeys] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_file(cls, path: str | Path | None) -> ExternalVerifier:
        return cls({entry.issuer: entry for entry in load_trusted_issuers(path)} if path else {})

    def handles(self, token: str) -> TrustedIssuer | None:
        """The configured issuer named by the token's (unverified) `iss`, if any: it only picks the config."""
        if not self.issuers:
            return None
        try:
            claims = json.loads(jws.extract_compact(to_bytes(token)).payload)
        except (JoseError, ValueError, TypeError):
            return None
        issuer = claims.get("iss") if isinstance(claims, dict) else None
        return self.issuers.get(issuer) if isinstance(issuer, str) else None

    def fetch_count(self, issuer: str) -> int:
        return self._cache.get(issuer, _CachedKeys()).fetches

    def _keys(self, trusted: TrustedIssuer, kid: str) -> KeySet:
        with self._lock:
            cached = self._cache.setdefault(trusted.issuer, _CachedKeys())
            known = cached.keys is not None and any(key.kid == kid for key in cached.keys.keys)
            if not known and self.clock() - cached.fetched_at >= self.refetch_interval:
                cached.fetched_at = self.clock()
                cached.fetches += 1
                try:
                    cached.keys = KeySet.import_key_set(cast(Any, self.fetch(trusted.jwks_uri)))
                except (requests.RequestException, JoseError, ValueError, TypeError) as exc:
                    log.warning("could not fetch the JWKS of %s: %s", trusted.issuer, exc)
            if cached.keys is None or not any(key.kid == kid for key in cached.keys.keys):
                raise Unauthenticated("the token's signing key is not known for its issuer")
            return cached.keys

    def authenticate(self, session: Session, token: str, trusted: TrustedIssuer) -> Principal:
        try:
            header = jws.extract_compact(to_bytes(token)).headers()
        except (JoseError, ValueError, TypeError) as exc:
            raise Unauthenticated("the access token is not valid") from exc
        kid = header.get("kid")
        if not isinstance(kid, str) or header.get("alg") not in ALGORITHMS:
            raise Unauthenticated("the access token needs a kid and an allowed algorithm")
        keys = self._keys(trusted, kid)
        try:
            claims = jwt.decode(token, keys, algorithms=ALGORITHMS).claims
            jwt.JWTClaimsRegistry(
                leeway=CLOCK_SKEW,
                iss={"essential": True, "value": trusted.issuer},
                aud={"essential": True, "value": trusted.audience},
                exp={"essential": True},
                nbf={"essential": False},
                sub={"essential": True},
            ).validate(claims)
        except (JoseError, ValueError, TypeError) as exc:
            raise Unauthenticated("the access token was refused by its issuer's rules") from exc
        if claims.get("jti") and session.get(RevokedToken, str(claims["jti"])[:64]) is not None:
            raise Unauthenticated("the access token was revoked")
        agency = session.scalars(select(Agency).where(Agency.code == trusted.agency)).first()
        if agency is None:
            raise Unauthenticated("the issuer's agency is not known to the registry")
        if agency_retired(agency):
            raise Unauthenticated("the issuer's agency no longer exists (merged or renamed)")
        raw = claims.get(trusted.scopes_claim, "")
        requested = set(raw.split() if isinstance(raw, str) else raw if isinstance(raw, list) else [])
        return Principal(
            client_id=str(claims.get("client_id") or claims.get("azp") or claims["sub"])[:64],
            agency=agency.code,
            agency_id=agency.id,
            agency_kind=agency.kind,
            scopes=frozenset(requested) & frozenset(allowed_scopes(agency.kind, agency.code)),
            officer=str(claims["sub"])[:200],
            token_id=str(claims["jti"]) if claims.get("jti") else None,
            issuer=trusted.issuer,
            expires_at=int(claims["exp"]),
        )
