"""Which scopes an agency's clients may hold follows its kind, checked when tokens are used too."""

from __future__ import annotations

import pytest

from registry.auth.scopes import Scope, allowed_scopes
from registry.models import AgencyKind


def test_banks_never_read_sensitive_and_associations_only_read():
    assert Scope.FREEZE_EXECUTE in allowed_scopes(AgencyKind.EXECUTOR_BANK)
    assert Scope.REGISTRY_READ_SENSITIVE not in allowed_scopes(AgencyKind.EXECUTOR_BANK)
    assert allowed_scopes(AgencyKind.ASSOCIATION) == {Scope.REGISTRY_READ, Scope.REPORTS_READ}
    assert Scope.AUDIT_READ not in allowed_scopes(AgencyKind.STATE_BODY, "MOIT-DMS")
    assert Scope.AUDIT_READ in allowed_scopes(AgencyKind.STATE_BODY, "NSC389")
    assert Scope.AUDIT_READ in allowed_scopes(AgencyKind.OVERSIGHT, "AUDIT")


def test_partners_only_pull_the_exchange_which_the_standing_office_may_check():
    assert allowed_scopes(AgencyKind.PARTNER, "ANY-PARTNER") == {Scope.EXCHANGE_READ}
    assert Scope.EXCHANGE_READ in allowed_scopes(AgencyKind.STATE_BODY, "NSC389")
    assert Scope.EXCHANGE_READ not in allowed_scopes(AgencyKind.STATE_BODY, "MOIT-DMS")
    assert Scope.EXCHANGE_READ not in allowed_scopes(AgencyKind.ASSOCIATION, "VECOM")


@pytest.mark.parametrize(
    ("agency", "scope"),
    [
        ("ISP-VNPT", "registry:read"),
        ("BANK-970436", "registry:read_sensitive"),
        ("MOIT-DMS", "audit:read"),
        ("VECOM", "registry:write"),
    ],
)
def test_scope_beyond_the_agency_ceiling_does_not_work_even_if_registered(client, actors, agency, scope):
    # A client row carrying a scope its agency may not hold (an old row, or one written by hand) gets no
    # use of it: tokens are bounded by the agency's ceiling when they are verified.
    headers = actors.headers(agency, scopes=[scope])
    url = {
        "registry:read": "/api/v1/subjects",
        "registry:read_sensitive": "/api/v1/subjects?sensitive=true",
        "audit:read": "/api/v1/audit/search?agency=SBV",
        "registry:write": "/api/v1/subjects",
    }[scope]
    method = "post" if scope == "registry:write" else "get"
    kwargs = {"json": {"kind": "organisation", "name": "X"}} if method == "post" else {}
    assert getattr(client, method)(url, headers=headers, **kwargs).status_code == 403
