from __future__ import annotations

import pytest

from tests.factories import create_subject, make_subject
from tests.screening.helpers import SUBJECTS


def names(client, headers, q, **query):
    response = client.get(SUBJECTS, query_string={"q": q, **query}, headers=headers)
    assert response.status_code == 200, response.json
    return [item["name"] for item in response.json["items"]], response.json["total"]


def test_exact_then_prefix_then_substring(client, actors):
    dms = actors.headers("MOIT-DMS")
    for name in ("Công ty TNHH Minh Đức", "Đức Anh", "Đức", "Nhà thuốc Đức Thịnh Phát"):
        create_subject(client, dms, name=name)
    found, total = names(client, dms, "DUC")
    assert total == 4
    assert found[:2] == ["Đức", "Đức Anh"]
    assert set(found[2:]) == {"Công ty TNHH Minh Đức", "Nhà thuốc Đức Thịnh Phát"}


def test_identifier_match_ranks_first_and_pages_are_stable(client, actors):
    dms = actors.headers("MOIT-DMS")
    for n in range(5):
        create_subject(client, dms, name=f"Cửa hàng 0100109106 số {n}")
    by_tax = create_subject(client, dms, name="Công ty Zeta", tax_code="0100109106")
    found, total = names(client, dms, "0100-109-106")
    assert total == 1 and found == ["Công ty Zeta"]  # a dashed spelling is no name substring
    found, total = names(client, dms, "0100109106")
    assert total == 6 and found[0] == by_tax["name"]
    first, _ = names(client, dms, "0100109106", per_page=3, page=1)
    second, _ = names(client, dms, "0100109106", per_page=3, page=2)
    assert len(set(first) | set(second)) == 6


def test_near_spellings_on_postgresql_substrings_only_on_sqlite(client, actors, is_postgres):
    dms = actors.headers("MOIT-DMS")
    create_subject(client, dms, kind="individual", name="Nguyễn Văn Đức")
    create_subject(client, dms, name="Công ty khác hẳn")
    found, _ = names(client, dms, "nguyen van dcu")
    # pg_trgm finds the misspelling; SQLite, the small embedded database, matches substrings only.
    assert found == (["Nguyễn Văn Đức"] if is_postgres else [])
    assert names(client, dms, "van duc")[0] == ["Nguyễn Văn Đức"]  # a substring: on both


def _subjects(db, names, owner="MOIT-DMS", visibility="state"):
    """Subjects straight into the database (faster than the API for many)."""
    return [str(make_subject(db, name=name, owner=owner, visibility=visibility).id) for name in names]


def walk(client, headers, q, per_page, **query):
    """Every page of a search, in order, until has_more is false: (ids, the pages' JSON)."""
    ids, pages, page = [], [], 1
    while True:
        response = client.get(SUBJECTS, query_string={"q": q, "per_page": per_page, "page": page, **query},
                              headers=headers)  # fmt: skip
        assert response.status_code == 200, response.json
        pages.append(response.json)
        ids += [item["id"] for item in response.json["items"]]
        if not response.json["has_more"]:
            return ids, pages
        page += 1


def test_pages_read_every_match_once_with_honest_totals(client, actors, db):
    # Whole-word matches, matches inside a word, exact names and non-matches: on PostgreSQL each page is
    # a nearest-first index scan with a larger limit than the last, and still continues it exactly.
    made = _subjects(db, [f"Cửa hàng Minh Anh số {n}" for n in range(9)])
    made += _subjects(db, [f"Minh Anhh {n}" for n in range(3)] + ["Minh Anh", "Minh Anh"])
    _subjects(db, ["Cửa hàng Minh Hà", "Anh Minh"])
    ids, pages = walk(client, actors.headers("MOF-CUSTOMS"), "minh anh", per_page=4)
    assert sorted(ids) == sorted(made) and len(ids) == 14
    assert [page["total_exact"] for page in pages] == [False, False, False, True]
    assert [page["total"] for page in pages] == [5, 9, 13, 14]  # before, this page and one more
    assert pages[0]["items"][0]["name"] == pages[0]["items"][1]["name"] == "Minh Anh"


def test_exact_name_first_among_many_names_containing_it(client, actors, db):
    _subjects(db, [f"Nguyễn Minh Anh {n}" for n in range(30)])
    exact = _subjects(db, ["Minh Anh"])  # the newest, among 30 whole-word matches
    found, total = names(client, actors.headers("MOF-CUSTOMS"), "MINH ANH", per_page=5)
    assert found[0] == "Minh Anh" and len(found) == 5 and total == 6
    first = client.get(SUBJECTS, query_string={"q": "minh anh", "per_page": 1}, headers=actors.headers("MPS"))
    assert [item["id"] for item in first.json["items"]] == exact and first.json["has_more"] is True


def test_search_counts_and_pages_only_what_the_caller_may_see(client, actors, db):
    _subjects(db, [f"Kappa hidden {n}" for n in range(6)], owner="MPS-C03", visibility="owner")
    public = _subjects(db, ["Kappa public 1", "Kappa public 2"], owner="MPS-C03", visibility="public")
    state = _subjects(db, ["Kappa state"], owner="MPS-C03", visibility="state")
    for agency, expected in (("VECOM", public), ("MOF-CUSTOMS", public + state)):
        ids, pages = walk(client, actors.headers(agency), "kappa", per_page=2)
        assert sorted(ids) == sorted(expected)
        assert pages[-1]["total"] == len(expected) and pages[-1]["total_exact"] is True
    owner, _ = walk(client, actors.headers("MPS-C03"), "kappa", per_page=100)
    assert len(owner) == 9


def test_filters_apply_inside_the_search(client, actors, db):
    _subjects(db, [f"Sigma shop {n}" for n in range(5)])
    person = create_subject(client, actors.headers("MOIT-DMS"), kind="individual", name="Sigma Nguyễn")
    found = client.get(SUBJECTS, query_string={"q": "sigma", "kind": "individual", "per_page": 2},
                       headers=actors.headers("MOF-CUSTOMS"))  # fmt: skip
    assert [item["id"] for item in found.json["items"]] == [person["id"]]
    assert found.json["total"] == 1 and found.json["total_exact"] is True


def test_a_search_pages_through_its_first_results_only(client, actors):
    headers = actors.headers("MOF-CUSTOMS")
    last = client.get(SUBJECTS, query_string={"q": "x", "per_page": 100, "page": 10}, headers=headers)
    assert last.status_code == 200 and last.json["items"] == []
    beyond = client.get(SUBJECTS, query_string={"q": "x", "per_page": 100, "page": 11}, headers=headers)
    assert beyond.status_code == 422 and beyond.mimetype == "application/problem+json"
    assert "page" in beyond.json["errors"]
    listing = client.get(SUBJECTS, query_string={"per_page": 100, "page": 11}, headers=headers)
    assert listing.status_code == 422  # without q, a list stops at its first 1,000 as well


def test_listing_without_q_keeps_the_exact_total(client, actors, db):
    _subjects(db, [f"Omega {n}" for n in range(3)])
    listed = client.get(SUBJECTS, query_string={"per_page": 2, "page": 1}, headers=actors.headers("MOIT-DMS"))
    assert (
        listed.json["total"] == 3 and listed.json["total_exact"] is True and listed.json["has_more"] is True
    )
    second = client.get(SUBJECTS, query_string={"per_page": 2, "page": 2}, headers=actors.headers("MOIT-DMS"))
    assert second.json["total"] == 3 and second.json["has_more"] is False


def test_a_query_shorter_than_three_letters_matches_whole_names_only(client, actors, db):
    exact = _subjects(db, ["An", "An"])
    _subjects(db, ["Trần Văn An", "Lan Anh"])
    found = client.get(SUBJECTS, query_string={"q": "AN"}, headers=actors.headers("MOF-CUSTOMS")).json
    assert sorted(item["id"] for item in found["items"]) == sorted(exact)
    assert found["total"] == 2 and found["total_exact"] is True
    longer, total = names(client, actors.headers("MOF-CUSTOMS"), "van an")
    assert longer == ["Trần Văn An"] and total == 1


def test_near_spellings_page_through_on_postgresql(client, actors, db, is_postgres):
    made = _subjects(db, [f"Nguyễn Văn Đức {n}" for n in range(5)])
    ids, pages = walk(client, actors.headers("MOF-CUSTOMS"), "nguyen van dcu", per_page=2)
    expected = made if is_postgres else []  # SQLite offers no near spellings (substrings only)
    assert sorted(ids) == sorted(expected)
    assert pages[-1]["total"] == len(expected) and pages[-1]["total_exact"] is True


@pytest.mark.parametrize(
    ("sizes", "page", "per_page", "expected", "total", "exact", "more"),
    [
        ((2, 0, 5), 1, 3, [(0, 0), (0, 1), (2, 0)], 4, False, True),
        ((2, 0, 5), 2, 3, [(2, 1), (2, 2), (2, 3)], 7, False, True),
        ((2, 0, 5), 3, 3, [(2, 4)], 7, True, False),
        ((2, 0, 5), 5, 2, [], 7, True, False),
        ((2, 0, 5), 3, 2, [(2, 2), (2, 3)], 7, False, True),
        ((0, 0), 1, 3, [], 0, True, False),
        ((4,), 2, 2, [(0, 2), (0, 3)], 4, True, False),
        ((20,), 5, 2, [(0, 8), (0, 9)], 11, False, False),  # the window's last page: more, but no next page
    ],
)
def test_window_page_reads_parts_end_to_end(sizes, page, per_page, expected, total, exact, more):
    from registry.services.pagination import Part, window_page

    reads = []

    def part(index, size):
        def rows(offset, limit):
            reads.append(offset + limit)
            return [(index, n) for n in range(size)][offset : offset + limit]

        def count(limit):
            reads.append(limit)
            return min(size, limit)

        return Part(rows, count)

    found = window_page([part(i, n) for i, n in enumerate(sizes)], page=page, per_page=per_page, window=10)
    assert [row for _, row in found["items"]] == expected
    assert (found["total"], found["total_exact"], found["has_more"]) == (total, exact, more)
    assert max(reads) <= page * per_page + 1  # never more than the page and one row beyond it


def test_window_page_refuses_pages_beyond_the_window_and_falls_back_when_nothing_matched():
    from registry.errors import ValidationFailed
    from registry.services.pagination import Part, window_page

    nothing = Part(lambda offset, limit: [], lambda limit: 0)
    with pytest.raises(ValidationFailed):
        window_page([nothing], page=6, per_page=2, window=10)
    near = Part(lambda offset, limit: ["near"][offset : offset + limit], lambda limit: min(1, limit))
    found = window_page([nothing], fallback=[near], page=1, per_page=2, window=10)
    assert found["items"] == [(0, "near")] and found["total"] == 1 and found["total_exact"] is True
