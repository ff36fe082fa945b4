"""GET /api/v1/reports: each figure against a hand-computed data set (tests/reports.py), its link's
list total, scopes and visibility, CSV/XLSX, charts, presets and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reports import DN, HCM, HN, PERIOD, report_data

URL = "/api/v1/reports"
# For tests/test_permission_matrix.py::test_every_route_is_covered.
COVERED_CALLS = [("GET", URL), ("GET", f"{URL}/charts/cases.png")]
OFFICE = ["reports:read", "registry:read"]


@pytest.fixture
def data(db):  # type: ignore[no-untyped-def]
    return report_data(db)


def figures(answer: Any, section: str | None = None) -> dict[tuple[str, str], int]:
    return {
        (s["key"], f["key"]): f["value"]
        for s in answer.json["sections"]
        if section is None or s["key"] == section
        for f in s["figures"]
    }


def get(client, headers, **query):  # type: ignore[no-untyped-def]
    answer = client.get(URL, query_string={**PERIOD, **query}, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer


def test_the_nationwide_figures_are_the_hand_counted_ones(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    answer = get(client, actors.headers("NSC389", scopes=OFFICE))
    assert answer.json["scope"] == {"kind": "nationwide", "agency": None, "province": None}
    assert answer.json["period"] == {"from": "2026-01-01", "to": "2026-06-30"}
    got = figures(answer)
    # v1, v2, v3, v6 (v4 is MOF-CUSTOMS's own; v5 the day before; v6 its last minute); v1, v3 sanctioned
    assert got["cases", "detected"] == 4 and got["cases", "handled"] == 2
    assert {k[1]: n for k, n in got.items() if k[0] == "cases" and k[1].startswith("by_")} == {
        "by_category.COUNTERFEIT.detected": 2, "by_category.COUNTERFEIT.handled": 1,
        "by_category.IP_INFRINGING.detected": 1, "by_category.IP_INFRINGING.handled": 1,
        "by_category.SMUGGLED.detected": 1, "by_category.SMUGGLED.handled": 1,
        "by_category.PROHIBITED.detected": 1, "by_category.PROHIBITED.handled": 0,
        "by_goods_group.cosmetics.detected": 2, "by_goods_group.cosmetics.handled": 1,
        "by_goods_group.fashion.detected": 1, "by_goods_group.fashion.handled": 0,
        "by_goods_group.alcohol.detected": 1, "by_goods_group.alcohol.handled": 1,
    }  # fmt: skip
    assert got["amounts", "fines_vnd"] == 10_000_000 + 30_000_000
    assert got["amounts", "tax_recovered_vnd"] == 2_000_000 + 5_000_000 + 7_000_000  # with MOF-TAX's addition
    assert got["amounts", "goods_value_vnd"] == 50_000_000 + 20_000_000 + 100_000_000 + 1_000_000
    assert got["referrals", "cases_referred"] == 2 and got["referrals", "referrals"] == 2
    assert {k[1]: n for k, n in got.items() if k[0] == "blocks"} == {
        "block_at_isp.effective": 1, "block_at_isp.domain.effective": 1, "block_at_isp.url.effective": 0,
        "block_at_isp.ip.effective": 1, "block_at_isp.ip_range.effective": 0, "block_at_isp.lifted": 1,
        "suspend_domain.effective": 1, "suspend_domain.domain.effective": 1, "suspend_domain.lifted": 1,
    }  # fmt: skip
    assert {k[1]: n for k, n in got.items() if k[0] == "removals"} == {
        "remove_listing.effective": 1, "remove_listing.url.effective": 1,
        "remove_listing.marketplace_shop.effective": 1, "remove_listing.lifted": 0,
    }  # fmt: skip
    assert {k[1]: n for k, n in got.items() if k[0] == "freezes"} == {
        "orders": 1, "accounts": 2, "frozen_vnd": 150_000_000, "delays": 1, "delayed_vnd": 20_000_000,
    }  # fmt: skip
    assert got["overdue", "steps"] == 0


def _follow_every_link(client, headers, answer) -> int:  # type: ignore[no-untyped-def]
    followed = 0
    for section in answer.json["sections"]:
        for figure in section["figures"]:
            if not figure["counts"]:
                continue
            listed = client.get(figure["link"], headers=headers)
            assert listed.status_code == 200, (figure, listed.json)
            assert (listed.json["total"], listed.json["total_exact"]) == (figure["value"], True), figure
            followed += 1
    return followed


@pytest.mark.parametrize(
    ("agency", "scopes", "query"),
    [
        ("NSC389", OFFICE, {}),
        ("NSC389", OFFICE, {"scope": "province", "province": HN}),
        ("NSC389", OFFICE, {"scope": "agency", "agency": "MOIT-DMS"}),
        ("MOF-CUSTOMS", None, {}),
        ("PROV-HN", None, {}),
    ],
)
def test_following_a_figure_s_link_lists_as_many_records(client, actors, data, agency, scopes, query) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(agency, scopes=scopes)
    answer = get(client, headers, **query)
    assert _follow_every_link(client, headers, answer) > 10


def test_an_agency_counts_its_own_records_even_owner_only(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    customs = get(client, actors.headers("MOF-CUSTOMS"))
    assert customs.json["scope"] == {"kind": "agency", "agency": "MOF-CUSTOMS", "province": None}
    got = figures(customs)
    assert got["cases", "detected"] == 2 and got["cases", "handled"] == 2  # v3 and its owner-only v4
    assert got["amounts", "fines_vnd"] == 70_000_000 and got["amounts", "tax_recovered_vnd"] == 12_000_000
    # The Standing Office asking for MOF-CUSTOMS does not see v4.
    office = get(client, actors.headers("NSC389", scopes=OFFICE), scope="agency", agency="MOF-CUSTOMS")
    assert figures(office)["cases", "detected"] == 1
    assert figures(office)["blocks", "block_at_isp.lifted"] == 1  # its request lifted in the period
    # A client of MOF-CUSTOMS without a freeze scope reads no freeze orders: the section is there, not
    # available, without figures.
    reader = get(client, actors.headers("MOF-CUSTOMS", scopes=["reports:read", "registry:read"]))
    section = next(s for s in reader.json["sections"] if s["key"] == "freezes")
    assert section["available"] is False and section["figures"] == [] and section["chart"] is None


def test_a_province_counts_only_its_province(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    office = figures(get(client, actors.headers("NSC389", scopes=OFFICE), scope="province", province=HN))
    assert office["cases", "detected"] == 2 and office["cases", "handled"] == 2  # v1, v3 (v4 is owner-only)
    assert office["blocks", "block_at_isp.effective"] == 1 and office["blocks", "block_at_isp.lifted"] == 1
    assert office["blocks", "suspend_domain.effective"] == 0  # b.vn answers v2, in TP Hồ Chí Minh
    assert office["removals", "remove_listing.effective"] == 1
    assert office["freezes", "orders"] == 1 and office["freezes", "frozen_vnd"] == 100_000_000
    assert office["freezes", "delays"] == 1
    hcm = figures(get(client, actors.headers("NSC389", scopes=OFFICE), scope="province", province=HCM))
    assert hcm["cases", "detected"] == 1 and hcm["freezes", "frozen_vnd"] == 50_000_000
    dn = figures(get(client, actors.headers("NSC389", scopes=OFFICE), scope="province", province=DN))
    assert dn["cases", "detected"] == 1 and dn["amounts", "goods_value_vnd"] == 1_000_000
    hanoi = get(client, actors.headers("PROV-HN"))  # its own province by default
    assert hanoi.json["scope"]["province"] == HN
    # The Hanoi office sees the state cases in Hanoi, not the block requests of others (their submitters').
    assert (
        figures(hanoi)["cases", "detected"] == 2 and figures(hanoi)["blocks", "block_at_isp.effective"] == 0
    )
