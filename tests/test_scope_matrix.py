"""Deny by default, scope by scope: every /api/v1 operation refuses a token that lacks its scope.

Each view declares its scope through `@blp.access(action, scope)`; this test reads that declaration
back from the URL map and calls every operation with a token holding each other scope alone (from an
agency that may hold that scope). The answer must be 403 before the view touches any data. The
allow side, and the object-level rules, are in the matrices written out per resource.
"""

from __future__ import annotations

import pytest

from registry.auth.scopes import Scope

# An agency that may hold each scope, so the token is real and only the scope differs.
HOLDER = {
    Scope.REGISTRY_READ: "MOIT-DMS",
    Scope.REGISTRY_WRITE: "MOIT-DMS",
    Scope.REGISTRY_READ_SENSITIVE: "MOIT-DMS",
    Scope.BLOCKING_SUBMIT: "MOST",
    Scope.BLOCKING_DECIDE: "MOST",
    Scope.BLOCKING_EXECUTE: "ISP-VNPT",
    Scope.FREEZE_SUBMIT: "MPS-C03",
    Scope.FREEZE_PROCESS: "SBV",
    Scope.FREEZE_EXECUTE: "BANK-970436",
    Scope.AUDIT_READ: "AUDIT",
    Scope.REPORTS_READ: "MOIT-DMS",
    Scope.ADMIN: "NSC389",
    Scope.EXCHANGE_READ: "NSC389",
}
EXAMPLE_ID = "00000000-0000-4000-8000-000000000000"


def scoped_operations(app) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        scope = getattr(view, "required_scope", None)
        if scope is None:
            continue
        path = rule.rule
        for argument in rule.arguments:
            for converter in ("uuid:", "string:", ""):
                path = path.replace(f"<{converter}{argument}>", EXAMPLE_ID if converter != "string:" else "X")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path, scope))
    return found


def test_every_api_operation_declares_its_scope_or_is_open_to_any_token(app):
    open_to_any_token = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and not rule.endpoint.startswith("api-docs")
        and getattr(app.view_functions[rule.endpoint], "required_scope", None) is None
        and not getattr(app.view_functions[rule.endpoint], "public", False)
    }
    # Reading the agency list and the audit log's public commitments needs a token but no scope.
    assert all(
        path.startswith(("/api/v1/agencies", "/api/v1/audit/", "/api/v1/blocklists/", "/api/v1/screenings/"))
        for path in open_to_any_token
    ), sorted(open_to_any_token)
    assert len(scoped_operations(app)) > 60


def test_the_only_operations_without_a_token_are_the_public_forms(app):
    public = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "public", False)
    }
    # A blocked site's owner files a complaint and reads its status with the receipt code; anyone checks
    # a website, shop, bank account or phone and reads the list of violators (tests/public).
    expected = {
        "/api/v1/block-complaints",
        "/api/v1/block-complaints/status",
        "/api/v1/public/check",
        "/api/v1/public/ranges/<kind>/<prefix>",
        "/api/v1/public/violators",
    }
    # Anyone files a tip (with a challenge solved) and reads its status with the receipt code.
    expected |= {"/api/v1/tips/challenge", "/api/v1/tips", "/api/v1/tips/status"}
    assert public == expected


def test_a_token_without_the_operation_scope_is_refused(app, client, actors):
    refused_wrongly = []
    for method, path, scope in scoped_operations(app):
        accepted = {scope} if isinstance(scope, str) else set(scope)
        for other in Scope:
            if other in accepted:
                continue
            headers = actors.headers(HOLDER[other], scopes=[other])
            response = client.open(path, method=method, json={}, headers=headers)
            if response.status_code != 403:
                refused_wrongly.append(f"{method} {path} with {other}: {response.status_code}")
    assert refused_wrongly == []


@pytest.mark.parametrize("scope", list(Scope))
def test_each_scope_has_a_holder_that_may_hold_it(actors, scope):
    client = actors.oauth_client(HOLDER[scope], [scope])
    assert client.scopes == [scope]
