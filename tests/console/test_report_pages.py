"""The reports page: the API's report drawn (same figures, charts, downloads) for officers with
reports:read; a scope the officer may not ask for is refused as the API refuses it."""

from __future__ import annotations

import re

from tests.reports import PERIOD, report_data


def _figures(html: str, section: str) -> dict[str, str]:
    body = html.split(f'id="section-{section}"', 1)[1].split("</section>", 1)[0]
    return dict(re.findall(r'data-key="([^"]+)">.*?<td class="figure">([^<]*)</td>', body, re.S))


def test_the_office_sees_the_report_with_its_charts_and_downloads(officer, db, client, actors) -> None:  # type: ignore[no-untyped-def]
    report_data(db)
    office = officer("nsc.lan")
    page = office.get("/console/reports", query_string=PERIOD)
    assert page.status_code == 200, page.text
    html = page.text
    api = client.get(
        "/api/v1/reports",
        query_string=PERIOD,
        headers=actors.headers("NSC389", scopes=["reports:read", "registry:read"]),
    ).json
    cases = next(s for s in api["sections"] if s["key"] == "cases")
    assert _figures(html, "cases") == {f["key"]: str(f["value"]) for f in cases["figures"]}
    assert "Các vụ việc phát hiện và xử lý" in html  # the section's title in Vietnamese
    charts = re.findall(r'<img class="chart" src="([^"]+)"', html)
    assert len(charts) >= 5
    png = office.get(charts[0].replace("&amp;", "&"))
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    csv_link = re.search(r'id="download-csv" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    download = office.get(csv_link)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "cases,,,detected,Cases detected,4,count," in download.get_data(as_text=True)
    xlsx = office.get(csv_link.replace("download.csv", "download.xlsx"))
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_a_scope_the_officer_may_not_ask_for_is_refused(officer) -> None:  # type: ignore[no-untyped-def]
    office = officer("nsc.lan")
    assert office.get("/console/reports", query_string={"preset": "weekly"}).status_code == 422
    assert (
        office.get("/console/reports", query_string={"scope": "province", "province": "Hà Nội"}).status_code
        == 200
    )
    assert office.get("/console/reports/charts/nonsense.png").status_code == 422


def test_a_figure_links_to_the_console_s_list_of_its_records(officer, db) -> None:  # type: ignore[no-untyped-def]
    report_data(db)
    office = officer("nsc.lan")
    html = office.get("/console/reports", query_string=PERIOD).text
    rows = re.findall(r'<tr data-counts="(yes|no)" data-key="([^"]+)">(.*?)</tr>', html, re.S)
    links = [
        (key, found.group(1), found.group(2) if counts == "yes" else None)
        for counts, key, row in rows
        if (found := re.search(r'<td class="figure"><a href="([^"]+)">([^<]*)</a>', row))
    ]
    assert {key for key, _, _ in links} >= {"block_at_isp.effective", "orders", "delays", "steps"}
    for key, link, value in links:
        listed = office.get(link.replace("&amp;", "&"))
        assert listed.status_code == 200, (key, link)
        if value is None:  # not a count of the list (an amount, accounts of orders)
            continue
        count = value.replace(".", "")
        assert f"{count} kết quả" in listed.text, (key, link, value)
