from __future__ import annotations

from click.testing import CliRunner

from registry.cli import main


def run(env, *args):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env=env)


def test_add_and_retire_an_agency(cli_env):
    added = run(
        cli_env,
        "agencies",
        "add",
        "PROV-HP",
        "--kind",
        "province",
        "--name-vi",
        "Ban Chỉ đạo 389 thành phố Hải Phòng",
        "--name-en",
        "Hai Phong 389 Steering Committee",
        "--valid-from",
        "2020-01-01",
    )
    assert added.exit_code == 0, added.output
    listed = run(cli_env, "agencies", "list", "--json")
    assert "PROV-HP" in listed.output

    created = run(cli_env, "clients", "create", "--agency", "PROV-HP", "--scopes", "registry:read", "--json")
    assert created.exit_code == 0, created.output

    retired = run(
        cli_env, "agencies", "retire", "PROV-HP", "--last-day", "2025-01-31", "--successor", "PROV-HN"
    )
    assert retired.exit_code == 0, retired.output
    assert "successor PROV-HN" in retired.output


def test_operator_mistakes_are_one_line_errors_not_tracebacks(cli_env):
    duplicate = run(
        cli_env, "agencies", "add", "SBV", "--kind", "state_body", "--name-vi", "x", "--name-en", "x"
    )
    assert duplicate.exit_code == 1 and "SBV exists already" in duplicate.output
    assert "Traceback" not in duplicate.output
    bank_without_bin = run(
        cli_env, "agencies", "add", "BANK-1", "--kind", "executor_bank", "--name-vi", "x", "--name-en", "x"
    )
    assert bank_without_bin.exit_code == 1 and "BIN" in bank_without_bin.output
    unknown = run(cli_env, "agencies", "retire", "NOPE", "--last-day", "2025-01-31")
    assert unknown.exit_code == 1 and "No agency NOPE" in unknown.output


def test_a_retired_agency_token_is_refused(client, actors, db):
    from datetime import date

    from registry.models import Agency

    headers = actors.headers("PROV-DN", scopes=["registry:read"])
    assert client.get("/api/v1/subjects", headers=headers).status_code == 200
    db.query(Agency).filter_by(code="PROV-DN").one().valid_to = date(2025, 6, 30)
    db.flush()
    refused = client.get("/api/v1/subjects", headers=headers)
    assert refused.status_code == 401
    assert "no longer exists" in refused.json["detail"]
