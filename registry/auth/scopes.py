"""Permissions as data: scopes, what each grants, and which scopes each kind of agency may hold."""

from __future__ import annotations

import enum

from registry.models.agency import AgencyKind


class Scope(enum.StrEnum):
    REGISTRY_READ = "registry:read"
    REGISTRY_WRITE = "registry:write"
    REGISTRY_READ_SENSITIVE = "registry:read_sensitive"
    BLOCKING_SUBMIT = "blocking:submit"
    BLOCKING_DECIDE = "blocking:decide"
    BLOCKING_EXECUTE = "blocking:execute"
    FREEZE_SUBMIT = "freeze:submit"
    FREEZE_PROCESS = "freeze:process"
    FREEZE_EXECUTE = "freeze:execute"
    AUDIT_READ = "audit:read"
    REPORTS_READ = "reports:read"
    EXCHANGE_READ = "exchange:read"  # the partner exchange: STIX bundle, MISP feed, TAXII collection
    ADMIN = "admin"


ALL_SCOPES = frozenset(Scope)

_STATE_WORK = {
    Scope.REGISTRY_READ,
    Scope.REGISTRY_WRITE,
    Scope.REGISTRY_READ_SENSITIVE,
    Scope.BLOCKING_SUBMIT,
    Scope.BLOCKING_DECIDE,
    Scope.FREEZE_SUBMIT,
    Scope.FREEZE_PROCESS,
    Scope.REPORTS_READ,
}

# The ceiling for every client of an agency of that kind. A bank may execute freezes but never read
# sensitive registry data; associations see public records only; auditors read the audit log.
SCOPES_BY_AGENCY_KIND: dict[str, frozenset[Scope]] = {
    AgencyKind.STATE_BODY: frozenset(_STATE_WORK),
    AgencyKind.PROVINCE: frozenset(_STATE_WORK - {Scope.FREEZE_PROCESS, Scope.BLOCKING_DECIDE}),
    AgencyKind.EXECUTOR_ISP: frozenset({Scope.BLOCKING_EXECUTE}),
    AgencyKind.DOMAIN_REGISTRY: frozenset({Scope.REGISTRY_READ, Scope.BLOCKING_EXECUTE}),
    AgencyKind.EXECUTOR_BANK: frozenset({Scope.FREEZE_EXECUTE}),
    AgencyKind.ASSOCIATION: frozenset({Scope.REGISTRY_READ, Scope.REPORTS_READ}),
    AgencyKind.OVERSIGHT: frozenset({Scope.REGISTRY_READ, Scope.AUDIT_READ, Scope.REPORTS_READ, Scope.ADMIN}),
    # Foreign partners and CERT-style platforms pull the exchange feeds and nothing else.
    AgencyKind.PARTNER: frozenset({Scope.EXCHANGE_READ}),
}


# Beyond its kind: the Standing Office coordinates the registry (admin), follows who accessed what, and
# pulls the partner exchange (it answers for international cooperation; it sees what it exports).
EXTRA_SCOPES_BY_AGENCY: dict[str, frozenset[Scope]] = {
    "NSC389": frozenset({Scope.ADMIN, Scope.AUDIT_READ, Scope.EXCHANGE_READ}),
}


def allowed_scopes(agency_kind: str, agency_code: str | None = None) -> frozenset[Scope]:
    """The scopes any client of this agency may hold: its kind's ceiling plus named exceptions."""
    return SCOPES_BY_AGENCY_KIND.get(agency_kind, frozenset()) | EXTRA_SCOPES_BY_AGENCY.get(
        agency_code or "", frozenset()
    )


def parse_scope_string(text: str | None) -> list[str]:
    return sorted({part for part in (text or "").split() if part})
