"""The console's seller list: every seller the officer may see, in Vietnamese alphabetical order."""

from __future__ import annotations

import re

from tests.factories import make_subject

NAMES = ["Đặng Văn Bình", "Âu Thị Hoa", "Dương Minh", "An Khang", "Ăn Uống Sạch", "Bùi Hữu"]  # fmt: skip


def _listed(text: str) -> list[str]:
    body = text.split('id="results"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'/history">([^<]+)</a>', body)


def test_sellers_listed_from_a_to_z_in_vietnamese_order(officer, db) -> None:  # type: ignore[no-untyped-def]
    for name in NAMES:
        make_subject(db, owner="MOST", name=name)
    make_subject(db, owner="MOST", name="Zeta Hidden", visibility="owner")  # not visible to Customs
    reader = officer("customs.hoa", "77/QĐ-HQ")
    page = reader.get("/console/subjects", query_string={"sort": "name"})
    assert page.status_code == 200, page.text
    assert _listed(page.text) == [
        "An Khang", "Ăn Uống Sạch", "Âu Thị Hoa", "Bùi Hữu", "Dương Minh", "Đặng Văn Bình",
    ]  # fmt: skip
    assert reader.get("/console/subjects", query_string={"sort": "size"}).status_code == 422
