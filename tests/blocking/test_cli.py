"""`registry blocking ...`: the guard's lists are data with their date, updatable without a code change."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from registry.cli import blocking as cli_blocking
from registry.cli import main
from registry.models import SharedInfrastructure
from registry.services import ranges
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
    rows = {row["domain"]: row for row in read_protected_csv(PROTECTED_FILE)}
    for entry in protected:  # its own source and date, or the file's (2026-11-28)
        own = rows[entry["domain"]]
        assert entry["source"] == (own["source"] or "registry/data/protected-domains.csv")
        assert entry["listed_on"] == (own["listed_on"] or date(2026, 11, 28)).isoformat()
    assert len(protected) == len(rows)
    assert rows["chinhphu.vn"]["source"] and rows["chinhphu.vn"]["listed_on"] == date(2026, 12, 3)
    shared = json.loads(run("shared-infra", "list", "--json"))
    assert len(shared) == len(read_shared_csv(SHARED_FILE))
    assert next(s for s in shared if s["cidr"] == "104.16.0.0/13")["listed_on"] == "2026-11-28"
    resolver = next(s for s in shared if s["cidr"] == "1.1.1.0/24")
    assert resolver["kind"] == "dns_resolver" and resolver["source"].startswith(
        "https://developers.cloudflare.com/"
    )


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


def _ranges(db, provider: str) -> set[str]:  # type: ignore[no-untyped-def]
    rows = db.scalars(select(SharedInfrastructure.cidr).where(SharedInfrastructure.provider == provider))
    return set(rows)


def test_every_shipped_file_is_seeded_with_its_source_and_date(run, db):
    listed = {row["provider"]: row for row in json.loads(run("ranges", "list", "--json"))}
    for entry in ranges.shipped():
        parsed = entry.provider.parse(entry.file.read_text(encoding="utf-8"))
        assert _ranges(db, entry.provider.name) == {row.cidr for row in parsed.rows}, entry.provider.name
        row = listed[entry.provider.name]
        assert row["listed_on"] == entry.published.isoformat()
        assert row["source"].startswith(entry.provider.url) and row["ranges"] == len(parsed.rows)
        if parsed.published:  # a file that states its date agrees with sources.json
            assert parsed.published == entry.published
    assert listed["aws-cloudfront"]["ranges"] > 100 and listed["azure"]["ranges"] > 1000


def test_loading_a_provider_file_replaces_that_provider_only(run, db, tmp_path: Path):
    cloudflare = _ranges(db, "local")
    published = {
        "syncToken": "1",
        "createDate": "2026-12-01-10-00-00",
        "prefixes": [
            {"ip_prefix": "203.0.113.0/24", "region": "GLOBAL", "service": "CLOUDFRONT",
             "network_border_group": "GLOBAL"},
            {"ip_prefix": "198.51.100.0/24", "region": "GLOBAL", "service": "EC2",
             "network_border_group": "GLOBAL"},
        ],
        "ipv6_prefixes": [{"ipv6_prefix": "2001:db8:cf::/48", "region": "GLOBAL", "service": "CLOUDFRONT",
                           "network_border_group": "GLOBAL"}],
    }  # fmt: skip
    file = tmp_path / "ip-ranges.json"
    file.write_text(json.dumps(published))
    output = CliRunner().invoke(main, ["blocking", "ranges", "load", "aws-cloudfront", str(file)])
    assert output.exit_code == 0, output.output
    assert "2 ranges published 2026-12-01" in output.output and "2/2 written" in output.output
    assert _ranges(db, "aws-cloudfront") == {"203.0.113.0/24", "2001:db8:cf::/48"}  # EC2 left out
    assert _ranges(db, "local") == cloudflare
    reason = Guard.load(db).protection("ip", "203.0.113.7")
    assert "203.0.113.0/24" in reason and "Amazon CloudFront" in reason
    assert "https://ip-ranges.amazonaws.com/ip-ranges.json, published 2026-12-01" in reason
    assert Guard.load(db).protection("ip", "198.51.100.7") is None

    trimmed = run("ranges", "trim", "aws-cloudfront", str(file))
    assert [p["ip_prefix"] for p in json.loads(trimmed)["prefixes"]] == ["203.0.113.0/24"]


def test_a_file_without_a_date_needs_one_and_a_bad_file_changes_nothing(run, db, tmp_path: Path):
    before = _ranges(db, "fastly")
    fastly = tmp_path / "public-ip-list"
    fastly.write_text(json.dumps({"addresses": ["192.0.2.0/24"], "ipv6_addresses": []}))
    undated = CliRunner().invoke(main, ["blocking", "ranges", "load", "fastly", str(fastly)])
    assert undated.exit_code != 0 and "--date" in undated.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"addresses": ["192.0.2.0/24", "not-a-range"]}))
    refused = CliRunner().invoke(
        main, ["blocking", "ranges", "load", "fastly", str(bad), "--date", "2026-12-01"]
    )
    assert refused.exit_code != 0 and "not a CIDR range" in refused.output
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"addresses": []}))
    emptied = CliRunner().invoke(
        main, ["blocking", "ranges", "load", "fastly", str(empty), "--date", "2026-12-01"]
    )
    assert emptied.exit_code != 0 and "no ranges" in emptied.output
    assert _ranges(db, "fastly") == before
    assert (
        "1 ranges published 2026-12-01"
        in CliRunner()
        .invoke(main, ["blocking", "ranges", "load", "fastly", str(fastly), "--date", "2026-12-01"])
        .output
    )
    assert _ranges(db, "fastly") == {"192.0.2.0/24"}


def test_azure_keeps_front_door_and_aggregated_azure_cloud():
    published = {
        "changeNumber": 1,
        "cloud": "Public",
        "values": [
            {"name": "AzureCloud", "id": "AzureCloud",
             "properties": {"addressPrefixes": ["20.0.0.0/25", "20.0.0.128/25", "2603:1000::/40"]}},
            {"name": "AzureFrontDoor.Frontend", "id": "AzureFrontDoor.Frontend",
             "properties": {"addressPrefixes": ["13.107.246.0/24"]}},
            {"name": "Storage", "id": "Storage", "properties": {"addressPrefixes": ["52.0.0.0/16"]}},
        ],
    }  # fmt: skip
    parsed = ranges.parse_azure(json.dumps(published))
    assert {(r.cidr, r.operator, r.kind) for r in parsed.rows} == {
        ("20.0.0.0/24", "Microsoft Azure", "cloud"),
        ("2603:1000::/40", "Microsoft Azure", "cloud"),
        ("13.107.246.0/24", "Microsoft Azure Front Door", "cdn"),
    }
    assert [v["name"] for v in json.loads(ranges.trim_azure(json.dumps(published)))["values"]] == [
        "AzureCloud",
        "AzureFrontDoor.Frontend",
    ]


def test_load_shipped_puts_every_shipped_file_back(run, db):
    db.execute(delete(SharedInfrastructure).where(SharedInfrastructure.provider == "google"))
    output = run("ranges", "load-shipped")
    for entry in ranges.shipped():
        assert f"{entry.provider.name}: " in output
    expected = ranges.PROVIDERS["google"].parse((ranges.RANGES_DIR / "google-goog.json").read_text())
    assert _ranges(db, "google") == {row.cidr for row in expected.rows}
    assert "8.8.8.0/24" in Guard.load(db).protection("ip", "8.8.8.8")
