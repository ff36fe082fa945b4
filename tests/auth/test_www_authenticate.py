"""The bearer challenge (RFC 6750 section 3) on 401 and 403, next to the problem document."""

from __future__ import annotations

import re
import time

import pytest

from tests.factories import create_identifier, create_subject

PROTECTED = "/api/v1/identifiers"
# RFC 6750 section 3: auth-param values are quoted strings of %x20-21 / %x23-5B / %x5D-7E.
_PARAM = re.compile(r'([a-z_]+)="([\x20\x21\x23-\x5b\x5d-\x7e]*)"')


def challenge(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response.headers["WWW-Authenticate"]
    scheme, _, params = header.partition(" ")
    assert scheme == "Bearer", header
    parsed = dict(_PARAM.findall(params))
    assert ", ".join(f'{key}="{value}"' for key, value in parsed.items()) == params, header
    return parsed


def assert_problem(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status and response.json["detail"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer   "],
    ids=["none", "basic", "empty", "blank"],
)
def test_no_bearer_token_gets_a_bare_challenge(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get(PROTECTED, headers=headers)
    assert_problem(response, 401)
    assert challenge(response) == {"realm": "registry"}  # RFC 6750 3.1: no error code without credentials


def test_an_invalid_token_is_invalid_token(client):
    response = client.get(PROTECTED, headers={"Authorization": "Bearer not-a-token"})
    assert_problem(response, 401)
    params = challenge(response)
    assert params["realm"] == "registry" and params["error"] == "invalid_token"
    assert params["error_description"] == response.json["detail"]


def test_an_expired_token_is_invalid_token(client, actors, monkeypatch):
    headers = actors.headers("MOF-CUSTOMS")
    later = time.time() + 3 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get(PROTECTED, headers=headers)
    assert_problem(response, 401)
    assert challenge(response)["error"] == "invalid_token"


def test_a_revoked_token_is_invalid_token(client, actors, app, db):
    headers = actors.headers("MOF-CUSTOMS")
    tokens = app.extensions["registry"].tokens
    tokens.revoke(db, tokens.decode(db, headers["Authorization"].split()[1]))
    response = client.get(PROTECTED, headers=headers)
    assert_problem(response, 401)
    params = challenge(response)
    assert params["error"] == "invalid_token" and "revoked" in params["error_description"]


def test_a_missing_scope_is_insufficient_scope(client, actors):
    headers = actors.headers("MOIT-DMS", ["registry:read"])
    response = client.post("/api/v1/subjects", json={"kind": "organisation", "name": "X"}, headers=headers)
    assert_problem(response, 403)
    assert response.json["required_scope"] == "registry:write"
    assert challenge(response) == {
        "realm": "registry",
        "error": "insufficient_scope",
        "error_description": response.json["detail"],
        "scope": "registry:write",
    }


def test_a_sensitive_read_without_its_scope_is_insufficient_scope(client, actors):
    identifier = create_identifier(client, actors)
    headers = actors.headers("MOIT-DMS", ["registry:read"])
    response = client.get(f"{PROTECTED}/{identifier}?sensitive=true", headers=headers)
    assert_problem(response, 403)
    params = challenge(response)
    assert params["error"] == "insufficient_scope" and params["scope"] == "registry:read_sensitive"


def test_any_one_of_several_scopes_names_no_scope_attribute(client, actors):
    """`scope` lists scopes a token needs all of; for a choice the body's required_scope names them."""
    response = client.get(
        "/api/v1/blocklists/VNPT.json", headers=actors.headers("MOIT-DMS", ["registry:read"])
    )
    assert_problem(response, 403)
    assert " or " in response.json["required_scope"]
    params = challenge(response)
    assert params["error"] == "insufficient_scope" and "scope" not in params


def test_a_refusal_that_is_not_about_the_token_has_no_challenge(client, actors):
    """A 403 for the record (not the token's scope) names no error of the token."""
    subject = create_subject(client, actors.headers("MOIT-DMS"), visibility="state")
    response = client.patch(
        f"/api/v1/subjects/{subject['id']}", json={"name": "Khác"}, headers=actors.headers("MOF-CUSTOMS")
    )
    assert_problem(response, 403)
    assert "WWW-Authenticate" not in response.headers


def test_the_openapi_document_describes_the_challenge(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    operations = [
        op
        for path, item in paths.items()
        if path.startswith("/api/v1/")  # the OAuth endpoints answer OAuth errors to client authentication
        for op in item.values()
        if isinstance(op, dict)
    ]
    guarded = [op for op in operations if "401" in op.get("responses", {})]
    assert guarded
    for operation in guarded:
        for status in ("401", "403"):
            header = operation["responses"][status]["headers"]["WWW-Authenticate"]["description"]
            assert ("invalid_token" if status == "401" else "insufficient_scope") in header
