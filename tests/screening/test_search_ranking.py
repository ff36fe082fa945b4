from __future__ import annotations

import pytest

from tests.screening.helpers import SUBJECTS, subject


def names(client, headers, q, **query):
    response = client.get(SUBJECTS, query_string={"q": q, **query}, headers=headers)
    assert response.status_code == 200, response.json
    return [item["name"] for item in response.json["items"]], response.json["total"]


def test_exact_then_prefix_then_substring(client, actors):
    dms = actors.headers("MOIT-DMS")
    for name in ("Công ty TNHH Minh Đức", "Đức Anh", "Đức", "Nhà thuốc Đức Thịnh Phát"):
        subject(client, dms, name=name)
    found, total = names(client, dms, "DUC")
    assert total == 4
    assert found[:2] == ["Đức", "Đức Anh"]
    assert set(found[2:]) == {"Công ty TNHH Minh Đức", "Nhà thuốc Đức Thịnh Phát"}


def test_identifier_match_ranks_first_and_pages_are_stable(client, actors):
    dms = actors.headers("MOIT-DMS")
    for n in range(5):
        subject(client, dms, name=f"Cửa hàng 0100109106 số {n}")
    by_tax = subject(client, dms, name="Công ty Zeta", tax_code="0100109106")
    found, total = names(client, dms, "0100-109-106")
    assert total == 1 and found == ["Công ty Zeta"]  # a dashed spelling is no name substring
    found, total = names(client, dms, "0100109106")
    assert total == 6 and found[0] == by_tax["name"]
    first, _ = names(client, dms, "0100109106", per_page=3, page=1)
    second, _ = names(client, dms, "0100109106", per_page=3, page=2)
    assert len(set(first) | set(second)) == 6


def test_near_spellings_on_postgresql(client, actors, is_postgres):
    if not is_postgres:
        pytest.skip("trigram similarity is PostgreSQL only; SQLite matches substrings")
    dms = actors.headers("MOIT-DMS")
    subject(client, dms, kind="individual", name="Nguyễn Văn Đức")
    subject(client, dms, name="Công ty khác hẳn")
    found, _ = names(client, dms, "nguyen van dcu")
    assert found == ["Nguyễn Văn Đức"]
