"""`registry audit verify --url` with a token that lacks audit:read says so, not "leaf index N is missing"
(issue #14): the API leaves other agencies' entries out for such a token, which must not read as tampering.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from registry.audit.note import Verifier
from registry.audit.verify import HttpError, HttpSource, verify_log
from registry.cli import audit as audit_cli
from registry.cli import main
from tests.audit.helpers import FlaskHttp

AUDITOR = "AUDIT"
REGISTRY_ONLY = ["registry:read", "registry:write"]


@pytest.fixture
def http(client, monkeypatch):  # type: ignore[no-untyped-def]
    adapter = FlaskHttp(client)
    monkeypatch.setattr(audit_cli, "http_session", lambda: adapter)
    return adapter


@pytest.fixture
def keys(client, actors) -> list[str]:  # type: ignore[no-untyped-def]
    for agency in ("MOIT-DMS", "VECOM", "MOIT-DMS"):  # entries of more than one agency
        client.get("/api/v1/identifiers", headers=actors.headers(agency, scopes=REGISTRY_ONLY))
    return (
        client.get("/api/v1/audit/verifier-key", headers=actors.headers(AUDITOR))
        .get_data(as_text=True)
        .split()
    )


def test_verify_over_http_without_audit_read_says_the_token_may_not_read_the_log(http, actors, keys):
    args = [
        "audit",
        "verify",
        "--url",
        "http://registry.test",
        *[a for k in keys for a in ("--verifier-key", k)],
    ]
    limited = CliRunner().invoke(main, [*args, "--token", actors.token("VECOM")])
    assert limited.exit_code == 1, limited.output
    assert "this token may not read the audit log" in limited.output
    assert "audit:read" in limited.output
    assert "missing" not in limited.output and "VERIFICATION FAILED" not in limited.output

    with pytest.raises(HttpError, match="this token may not read the audit log"):
        verify_log(
            HttpSource("http://registry.test", http, actors.token("VECOM")), [Verifier(k) for k in keys]
        )

    full = CliRunner().invoke(main, [*args, "--token", actors.token(AUDITOR)])
    assert full.exit_code == 0, full.output


def test_entries_page_says_whose_entries_it_is_limited_to(client, actors, keys):
    limited = client.get("/api/v1/audit/entries?start=0&end=100", headers=actors.headers("VECOM"))
    assert limited.status_code == 200 and limited.json["only_agency"] == "VECOM"
    full = client.get("/api/v1/audit/entries?start=0&end=100", headers=actors.headers(AUDITOR))
    assert full.status_code == 200 and full.json["only_agency"] is None


def test_a_refused_read_says_the_token_may_not_read_the_log(http) -> None:
    with pytest.raises(HttpError, match="this token may not read the audit log"):
        HttpSource("http://registry.test", http, "not-a-token").checkpoint_note()
