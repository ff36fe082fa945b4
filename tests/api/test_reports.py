"""GET /api/v1/reports: each figure against a hand-computed data set (tests/reports.py), its link's
list total, scopes and visibility, CSV/XLSX, charts, presets and bad input."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from registry.services.reports import charts
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


def test_csv_and_xlsx_hold_the_json_s_figures(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers("NSC389", scopes=OFFICE)
    answer = get(client, headers)
    expected = [
        [
            s["key"],
            f["group"] or "",
            f["item"] or "",
            f["key"],
            f["label"],
            str(f["value"]),
            f["unit"],
            f["link"] or "",
        ]
        for s in answer.json["sections"]
        for f in s["figures"]
    ]
    by_param = get(client, headers, format="csv")
    by_accept = get(client, {**headers, "Accept": "text/csv"})
    for download in (by_param, by_accept):
        assert download.mimetype == "text/csv" and "attachment" in download.headers["Content-Disposition"]
        lines = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
        assert lines[:3] == [
            ["period", "2026-01-01", "2026-06-30"],
            ["scope", "nationwide", ""],
            ["preset", ""],
        ]
        assert lines[4] == ["section", "group", "item", "key", "label", "value", "unit", "link"]
        assert lines[5:] == expected
    xlsx = get(client, headers, format="xlsx")
    assert xlsx.mimetype.endswith("spreadsheetml.sheet") and xlsx.data[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = [
        ["" if c is None else str(c) for c in row] for row in sheet.iter_rows(min_row=6, values_only=True)
    ]
    assert rows == expected
    assert isinstance(next(sheet.iter_rows(min_row=6, values_only=True))[5], int)  # numbers, not text


def test_each_chart_is_a_png_of_the_report_s_figures(client, actors, data, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers("NSC389", scopes=OFFICE)
    answer = get(client, headers)
    plotted: list[charts.ChartData] = []
    real = charts.render
    monkeypatch.setattr(charts, "render", lambda d: plotted.append(d) or real(d))
    for section in answer.json["sections"]:
        if section["chart"] is None:
            continue
        png = client.get(section["chart"], query_string=PERIOD, headers=headers)
        assert png.status_code == 200 and png.mimetype == "image/png"
        assert png.data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(png.data[16:20], "big"), int.from_bytes(png.data[20:24], "big")
        assert (width, height) == (800, 450)
        data_ = plotted[-1]
        shown = {f["key"]: f["value"] for f in section["figures"]}
        if section["key"] == "cases":
            groups = [
                (f["group"], f["item"])
                for f in section["figures"]
                if f["key"].endswith(".detected") and f["group"]
            ]
            assert data_.labels == [item for _, item in groups]
            assert data_.series == [
                ("detected", [shown[f"{g}.{i}.detected"] for g, i in groups]),
                ("handled", [shown[f"{g}.{i}.handled"] for g, i in groups]),
            ]
            assert sum(data_.series[0][1]) == 2 + 1 + 1 + 1 + 2 + 1 + 1
        else:
            assert data_.series == [
                (section["key"], [f["value"] for f in section["figures"] if f["unit"] == data_.unit])
            ]
    assert {d.title for d in plotted} >= {
        "Cases detected and handled",
        "Accounts frozen and transactions delayed",
    }
    assert real(plotted[0]) == real(plotted[0])  # the same figures draw the same picture


@pytest.mark.parametrize(
    ("preset", "on", "period"),
    [
        ("urgent", "2026-12-03", ("2026-11-27", "2026-12-03")),
        ("quick", "2026-12-03", ("2026-11-04", "2026-12-03")),
        ("six_month", "2026-12-03", ("2026-07-01", "2026-12-31")),
        ("six_month", "2026-03-01", ("2026-01-01", "2026-06-30")),
        ("year_1", "2026-12-03", ("2020-11-01", "2021-10-31")),
        ("year_2", "2026-12-03", ("2020-11-01", "2022-10-31")),
        ("year_3", "2026-12-03", ("2020-11-01", "2023-10-31")),  # the plan's whole term (IV.1)
    ],
)
def test_presets_compute_the_plan_s_periods(client, actors, preset, on, period) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(
        URL,
        query_string={"preset": preset, "on": on, "sections": "cases"},
        headers=actors.headers("NSC389", scopes=OFFICE),
    )
    assert answer.status_code == 200, answer.json
    assert (answer.json["period"]["from"], answer.json["period"]["to"]) == period
    assert answer.json["preset"] == preset and [s["key"] for s in answer.json["sections"]] == ["cases"]


def test_without_a_period_the_current_half_year(client, actors) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(URL, query_string={"sections": "amounts"}, headers=actors.headers("MOIT-DMS"))
    today = date.today()
    assert answer.json["period"]["from"] == date(today.year, 1 if today.month <= 6 else 7, 1).isoformat()


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-06-30", "to": "2026-01-01"},
        {"from": "2026-01-01"},
        {"preset": "monthly"},
        {"preset": "quick", "from": "2026-01-01", "to": "2026-02-01"},
        {"sections": "cases,tipsy"},
        {"scope": "galaxy"},
        {"scope": "agency", "agency": "NOPE"},
        {"format": "pdf"},
        {"from": "2026-13-01", "to": "2026-12-01"},
        {"from": "0001-01-01", "to": "2026-12-01"},  # an instant before the calendar's start in UTC
        {"from": "2026-01-01", "to": "9999-12-31"},
        {"preset": "six_month", "on": "9999-12-31"},
    ],
)
def test_bad_input_is_a_422_problem(client, actors, db, query) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(URL, query_string=query, headers=actors.headers("NSC389", scopes=OFFICE))
    assert answer.status_code == 422, answer.json
    assert answer.mimetype == "application/problem+json" and answer.json["detail"]


def test_an_unknown_chart_is_a_422_problem(client, actors) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(f"{URL}/charts/nonsense.png", headers=actors.headers("NSC389", scopes=OFFICE))
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"


def test_the_overdue_figures_are_the_overdue_list_s(client, actors, db) -> None:  # type: ignore[no-untyped-def]
    from tests.overdue import late_steps_of_both_workflows

    late_steps_of_both_workflows(client, actors, db)
    office = actors.headers("NSC389", scopes=OFFICE)
    answer = client.get(URL, query_string={"sections": "overdue"}, headers=office)
    assert figures(answer) == {
        ("overdue", "steps"): 4, ("overdue", "block_request.steps"): 2, ("overdue", "freeze_order.steps"): 2
    }  # fmt: skip
    assert _follow_every_link(client, office, answer) == 3
    hanoi = client.get(
        URL, query_string={"sections": "overdue", "scope": "province", "province": HN}, headers=office
    )
    assert figures(hanoi)[("overdue", "steps")] == 1 and _follow_every_link(client, office, hanoi) == 3
    most = client.get(URL, query_string={"sections": "overdue"}, headers=actors.headers("MOST"))
    # MOST sees both late requests (it submitted them); its own scope counts the step that is its move.
    assert figures(most) == {("overdue", "steps"): 1, ("overdue", "block_request.steps"): 1}
    assert _follow_every_link(client, actors.headers("MOST"), most) == 2


# Who may ask for which scope.
@pytest.mark.parametrize(
    ("agency", "query", "status"),
    [
        ("NSC389", {}, 200),
        ("NSC389", {"scope": "province", "province": HCM}, 200),
        ("NSC389", {"scope": "agency", "agency": "MOIT-DMS"}, 200),
        ("AUDIT", {}, 200),  # an oversight agency: nationwide
        ("MOIT-DMS", {}, 200),  # its own agency
        ("MOIT-DMS", {"scope": "nationwide"}, 403),
        ("MOIT-DMS", {"scope": "agency", "agency": "MOF-CUSTOMS"}, 403),
        ("MOIT-DMS", {"scope": "province", "province": HN}, 403),
        ("PROV-HN", {"scope": "province", "province": HN}, 200),
        ("PROV-HN", {"scope": "agency"}, 200),
        ("PROV-HN", {"scope": "province", "province": HCM}, 403),
        ("PROV-HCM", {}, 200),
    ],
)
def test_who_may_ask_for_which_scope(client, actors, agency, query, status) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(URL, query_string={"sections": "cases", **query}, headers=actors.headers(agency))
    assert answer.status_code == status, answer.json


# Who may ask at all (reports:read), for the report and a chart; without a token, 401.
@pytest.mark.parametrize(
    ("agency", "scopes", "status"),
    [
        ("NSC389", ["reports:read"], 200),
        ("MOIT-DMS", None, 200),
        ("PROV-HN", None, 200),
        ("VECOM", None, 200),  # an association: its own agency, the public records it may see
        ("MOIT-DMS", ["registry:read"], 403),
        ("ISP-VNPT", None, 403),
        ("BANK-970436", None, 403),
        (None, None, 401),
    ],
)
@pytest.mark.parametrize("path", [URL, f"{URL}/charts/cases.png"])
def test_permission_matrix(client, actors, agency, scopes, status, path) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(agency, scopes=scopes) if agency else {}
    assert client.get(path, headers=headers).status_code == status


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/violations", {"goods_group": "spaceships"}),
        (
            "/api/v1/violations",
            {"referred_from": "2026-06-01T00:00:00+07:00", "referred_to": "2026-01-01T00:00:00+07:00"},
        ),
        ("/api/v1/violations", {"referred_from": "yesterday"}),
        ("/api/v1/block-requests", {"target_kind": "phone"}),
        ("/api/v1/block-requests", {"effective_from": "2026-01-01"}),  # a time with its offset
        ("/api/v1/block-requests", {"submitted_by": ""}),
        ("/api/v1/freeze-orders", {"executed_to": "soon"}),
        ("/api/v1/transaction-delays", {"delayed_from": "2026-13-01T00:00:00+07:00"}),
    ],
)
def test_the_lists_refuse_bad_report_filters(client, actors, path, query) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(path, query_string=query, headers=actors.headers("NSC389", scopes=OFFICE))
    assert answer.status_code == 422, answer.json
    assert answer.mimetype == "application/problem+json"


def test_the_tips_figures_are_the_hand_counted_ones(client, actors, db) -> None:  # type: ignore[no-untyped-def]
    """Received in the period; resolved in it, whenever received; by the reporter's province and the
    agency a tip is routed to. Counts without a list behind them: only the routed agency reads a tip."""
    from registry.app import create_app  # noqa: F401 - the app fixture made the cipher
    from registry.services.tips.filing import record_tip
    from tests.reports import at

    cipher = client.application.extensions["registry"].cipher

    def tip(when: str, province: str, value: str):  # type: ignore[no-untyped-def]
        data = {"kind": "website", "value": value, "category": "COUNTERFEIT", "goods_group": "cosmetics",
                "province": province, "description": "Bán mỹ phẩm giả, không có hóa đơn."}  # fmt: skip
        made, _code = record_tip(db, cipher=cipher, data=data, uploads=[], max_bytes=0, now=at(when))
        return made

    before = tip("2025-12-31T23:59:00+07:00", HN, "truoc-ky.vn")  # received before the period
    first = tip("2026-02-01T09:00:00+07:00", HN, "mot.vn")
    second = tip("2026-03-01T09:00:00+07:00", HN, "hai.vn")
    third = tip("2026-06-30T23:59:00+07:00", DN, "ba.vn")
    before.status, before.closed_at = "handled", at("2026-01-10T10:00:00+07:00")  # resolved in the period
    first.status, first.closed_at = "dismissed", at("2026-04-01T10:00:00+07:00")
    second.status, second.closed_at = "handled", at("2026-07-01T10:00:00+07:00")  # resolved after it
    db.flush()
    office = actors.headers("NSC389", scopes=OFFICE)
    assert figures(get(client, office), "tips") == {
        ("tips", "received"): 3, ("tips", "resolved"): 2, ("tips", "handled"): 1,
    }  # fmt: skip
    assert figures(get(client, office, scope="province", province=HN), "tips") == {
        ("tips", "received"): 2, ("tips", "resolved"): 2, ("tips", "handled"): 1,
    }  # fmt: skip
    routed = db.get(type(third), third.id).agency_id
    from registry.models import Agency

    code = db.get(Agency, routed).code
    assert figures(get(client, office, scope="agency", agency=code), "tips")[("tips", "received")] == 3
    section = next(s for s in get(client, office).json["sections"] if s["key"] == "tips")
    assert all(figure["link"] is None and not figure["counts"] for figure in section["figures"])
