"""Subjects listed by name in Vietnamese alphabetical order, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import random

from registry.identifiers.collation import sort_key
from tests.factories import create_subject

SUBJECTS = "/api/v1/subjects"
# As a Vietnamese reader orders them: Ă and Â after A, Đ after D, Ê after E, Ô and Ơ after O, Ư after U;
# a shorter name before its continuations; tones (none, huyền, hỏi, ngã, sắc, nặng) and then case only
# break ties.
EXPECTED = [
    "An",
    "An Bình",
    "Anh",
    "Ánh",
    "Ăn",
    "Âu",
    "Bà",
    "Bả",
    "Bã",
    "Bá",
    "Bạ",
    "Ban",
    "Bàn",
    "Bình",
    "Dung",
    "dũng",
    "Dương",
    "Đặng",
    "Đinh",
    "Em",
    "Ê",
    "Hoa",
    "Hòa",
    "On",
    "Ôn",
    "Ơn",
    "Uy",
    "Ư",
    "Ưng",
]


def test_sort_key_orders_as_a_vietnamese_reader_does() -> None:
    shuffled = EXPECTED[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=sort_key) == EXPECTED
    assert sort_key("Ðinh") == sort_key("Đinh")  # the Icelandic eth, typed for Đ


def _listed(client, headers, **query) -> list[str]:  # type: ignore[no-untyped-def]
    names: list[str] = []
    page = 1
    while True:
        answer = client.get(SUBJECTS, query_string={**query, "page": page, "per_page": 10}, headers=headers)
        assert answer.status_code == 200, answer.json
        names += [item["name"] for item in answer.json["items"]]
        if not answer.json["has_more"]:
            return names
        page += 1


def test_list_by_name_in_vietnamese_order_across_pages(client, actors) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers("MOIT-DMS")
    shuffled = EXPECTED[:]
    random.Random(11).shuffle(shuffled)
    for name in shuffled:
        create_subject(client, headers, kind="individual", name=name, province="Hà Giang")
    assert _listed(client, headers, sort="name", province="Hà Giang") == EXPECTED
    oldest_first = _listed(client, headers, province="Hà Giang")
    assert oldest_first == shuffled  # the default order is unchanged


def test_the_database_orders_generated_names_as_sort_key_does(client, actors) -> None:  # type: ignore[no-untyped-def]
    """ICU's collation on PostgreSQL and sort_key on SQLite: the same order for names of every shape."""
    headers = actors.headers("MOIT-DMS")
    rng = random.Random(2026)
    surnames = ["Nguyễn", "Trần", "Lê", "Phạm", "Đặng", "Đỗ", "Âu", "Ưng", "Ông", "Bùi", "Dương", "Đàm"]
    middles = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Quang", "Thu"]
    givens = ["An", "Ân", "Ấn", "Anh", "Ánh", "Bảo", "Cường", "Dũng", "Đạt", "Hà", "Hạ", "Hải", "Hoa", "Hòa"]
    names = {f"{rng.choice(surnames)} {rng.choice(middles)} {rng.choice(givens)}" for _ in range(40)}
    names |= {"Công ty TNHH Ánh Dương", "CÔNG TY TNHH ÂU VIỆT", "Công ty 3A", "Công ty A-Z", "công ty an"}
    for name in names:
        create_subject(client, headers, kind="individual", name=name, province="Cao Bằng")
    assert _listed(client, headers, sort="name", province="Cao Bằng") == sorted(names, key=sort_key)


def test_a_search_is_ordered_by_relevance_only(client, actors) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers("MOIT-DMS")
    answer = client.get(SUBJECTS, query_string={"q": "an", "sort": "name"}, headers=headers)
    assert answer.status_code == 422 and "sort" in answer.json["errors"]
    answer = client.get(SUBJECTS, query_string={"sort": "size"}, headers=headers)
    assert answer.status_code == 422 and "sort" in answer.json["errors"]
