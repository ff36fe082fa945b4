"""`registry blocking ...`: the guard's lists are data with their date, updatable without a code change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli import blocking as cli_blocking
from registry.cli import main
from registry.services.protected import (
    PROTECTED_FILE,
    SHARED_FILE,
    Guard,
    read_protected_csv,
    read_shared_csv,
)


@pytest.fixture
def run(db, monkeypatch):  # type: ignore[no-untyped-def]
    class Scope:
        def __enter__(self):  # type: ignore[no-untyped-def]
            return db

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            db.flush()
            return False

    monkeypatch.setattr(cli_blocking, "session_scope", lambda: Scope())

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(main, ["blocking", *args])
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def test_seeded_lists_carry_their_date_and_source(run):
    protected = json.loads(run("protected", "list", "--json"))
    assert {"domain": "gov.vn", "category": "government"}.items() <= next(
        p for p in protected if p["domain"] == "gov.vn"
    ).items()
    assert all(
        p["listed_on"] == "2026-11-28" and p["source"].endswith("protected-domains.csv") for p in protected
    )
    assert len(protected) == len(read_protected_csv(PROTECTED_FILE))
    shared = json.loads(run("shared-infra", "list", "--json"))
    assert len(shared) == len(read_shared_csv(SHARED_FILE)) and shared[0]["listed_on"] == "2026-11-28"


def test_add_remove_and_load(run, db, tmp_path: Path):
    assert Guard.load(db).protection("domain", "shop.example-bank.vn") is None
    assert "added" in run("protected", "add", "Example-Bank.VN", "--category", "bank", "--date", "2026-12-01")
    assert "under example-bank.vn" in Guard.load(db).protection("domain", "shop.example-bank.vn")
    assert "removed" in run("protected", "remove", "example-bank.vn")
    assert Guard.load(db).protection("domain", "shop.example-bank.vn") is None

    csv_file = tmp_path / "more.csv"
    csv_file.write_text("domain,category,operator\nshopee.vn,platform,Shopee\nnew-cdn.net,cdn,New CDN\n")
    assert run("protected", "load", str(csv_file), "--date", "2026-12-02") == "1 added, 1 updated\n"
    entry = next(p for p in json.loads(run("protected", "list", "--json")) if p["domain"] == "new-cdn.net")
    assert (entry["listed_on"], entry["source"]) == ("2026-12-02", "more.csv")

    ranges = tmp_path / "ranges.csv"
    ranges.write_text("cidr,operator,kind\n198.51.100.0/24,Shared host,shared_hosting\n")
    assert run("shared-infra", "load", str(ranges), "--date", "2026-12-02", "--source", "hosting survey") == (
        "1 added, 0 updated\n"
    )
    assert "Shared host" in Guard.load(db).protection("ip", "198.51.100.9")


def test_a_bad_file_changes_nothing(db, monkeypatch, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("cidr,operator,kind\nnot-a-range,X,cdn\n")
    result = CliRunner().invoke(main, ["blocking", "shared-infra", "load", str(bad), "--date", "2026-12-02"])
    assert result.exit_code != 0 and "not a CIDR range" in result.output
