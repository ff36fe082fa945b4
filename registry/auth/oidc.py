"""Officers' identity providers (OpenID Connect) for the web console, and what a login grants.

Configured like the trusted issuers of auth.external: a JSON list (`REGISTRY_IDENTITY_PROVIDERS`), each
entry naming the provider's issuer, the console's client registration with it, the agencies it speaks
for and a table of its roles to registry scopes. A login grants the session one agency and the scopes
of the officer's roles in the ID token, never more than the agency's ceiling (auth.scopes): an unknown
role grants nothing, and a login whose roles grant nothing is refused (deny by default).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.auth.scopes import Scope

OFFICER = re.compile(r"^[A-Za-z0-9._@:+-]{1,200}$")  # as the jwt-bearer grant's officer (auth.server)
_NAME = re.compile(r"^[a-z0-9-]{1,32}$")


class IdentityProviderError(ValueError):
    """An identity providers file that cannot be used."""


class LoginRefused(Exception):
    """An ID token that opens no console session; the message is safe to show (no claim values)."""


@dataclass(frozen=True)
class IdentityProvider:
    name: str  # in the console's URLs: /console/login/<name>
    title: str  # on the login page
    issuer: str
    client_id: str
    agencies: tuple[str, ...]  # one: the provider speaks for it; several: `agency_claim` chooses
    roles: dict[str, frozenset[str]]  # role -> the scopes it grants
    client_secret: str | None = field(default=None, repr=False)
    agency_claim: str = "agency"
    roles_claim: str = "roles"
    metadata_url: str | None = None  # default: the issuer's /.well-known/openid-configuration

    @property
    def discovery_url(self) -> str:
        return self.metadata_url or f"{self.issuer}/.well-known/openid-configuration"

    def grant(self, claims: dict[str, Any]) -> tuple[str, str, frozenset[str]]:
        """(officer, agency code, scopes) of verified ID token claims, or LoginRefused."""
        officer = claims.get("sub")
        if not isinstance(officer, str) or not OFFICER.match(officer):
            raise LoginRefused("The identity provider did not name the officer in a form the registry keeps.")
        agency: Any = self.agencies[0]
        if len(self.agencies) > 1:
            agency = claims.get(self.agency_claim)
            if agency not in self.agencies:
                raise LoginRefused("The identity provider does not speak for the officer's agency.")
        raw = claims.get(self.roles_claim, [])
        roles = raw.split() if isinstance(raw, str) else raw if isinstance(raw, list) else []
        scopes = frozenset().union(
            *(self.roles.get(role, frozenset()) for role in roles if isinstance(role, str))
        )
        if not scopes:
            raise LoginRefused("The officer's roles grant no access to the registry.")
        return officer, str(agency), scopes


def _scopes(role: str, values: Any) -> frozenset[str]:
    known = {scope.value for scope in Scope}
    if not isinstance(values, list) or not all(isinstance(v, str) and v in known for v in values):
        raise IdentityProviderError(f"role {role!r} must list known scopes")
    return frozenset(values)


def provider_from(entry: dict[str, Any]) -> IdentityProvider:
    try:
        entry = dict(entry)
        secret_env = entry.pop("client_secret_env", None)
        if secret_env:  # the secret stays in the environment, not in the file
            entry["client_secret"] = os.environ.get(secret_env)
            if not entry["client_secret"]:
                raise IdentityProviderError(
                    f"{secret_env} (the client secret of {entry.get('name')}) is not set"
                )
        entry["agencies"] = tuple(entry["agencies"])
        entry["roles"] = {role: _scopes(role, scopes) for role, scopes in entry["roles"].items()}
        provider = IdentityProvider(**entry)
    except (TypeError, KeyError, AttributeError) as exc:
        raise IdentityProviderError(f"bad identity provider entry: {exc}") from exc
    if not _NAME.match(provider.name) or not provider.agencies:
        raise IdentityProviderError(f"provider {provider.name!r}: a short lower-case name and its agencies")
    if not provider.issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise IdentityProviderError(f"the issuer of {provider.name} must be https")
    return provider


def load_providers(path: str | Path | None) -> list[IdentityProvider]:
    if not path:
        return []
    try:
        entries = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise IdentityProviderError(f"cannot read identity providers from {path}: {exc}") from exc
    if not isinstance(entries, list):
        raise IdentityProviderError("the identity providers file must hold a JSON list")
    providers = [provider_from(entry) for entry in entries]
    names = [provider.name for provider in providers]
    if len(set(names)) != len(names):
        raise IdentityProviderError("identity provider names must be unique")
    return providers
