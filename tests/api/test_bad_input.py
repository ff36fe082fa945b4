"""Input no field type can hold (issue #14): refused as a problem before any view runs, changing nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from registry.models import Decision
from tests.factories import create_decision, decision_body

URL = "/api/v1/decisions"
PROBLEM = "application/problem+json"
BASE = "https://registry.nsc389.gov.vn/problems/"


def decision_count(db) -> int:
    return db.scalar(select(func.count()).select_from(Decision))


def post_raw(client, headers, text: str | bytes, url: str = URL):
    return client.post(url, data=text, headers={**headers, "Content-Type": "application/json"})


def test_nul_in_a_body_field_is_422_naming_it(client, actors, db):
    response = client.post(URL, json=decision_body(place="Hà\u0000Nội"), headers=actors.headers("MOIT-DMS"))
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert response.json["type"] == BASE + "invalid-characters"
    assert "place" in response.json["errors"]
    assert decision_count(db) == 0


def test_nul_in_a_nested_list_item_names_its_path(client, actors, db):
    body = decision_body(legal_bases=["ok", "bad\u0000"])
    response = client.post(URL, json=body, headers=actors.headers("MOIT-DMS"))
    assert response.status_code == 422
    assert "legal_bases.1" in response.json["errors"]
    assert decision_count(db) == 0


def test_nul_in_a_key_is_refused(client, actors, db):
    body = {**decision_body(), "pla\u0000ce": "x"}
    response = client.post(URL, json=body, headers=actors.headers("MOIT-DMS"))
    assert response.status_code == 422
    assert response.json["type"] == BASE + "invalid-characters"


def test_lone_surrogate_escaped_or_raw_is_422(client, actors, db):
    headers = actors.headers("MOIT-DMS")
    text = json.dumps(decision_body(place="PLACE")).replace('"PLACE"', '"H\\ud800"')
    assert "\\ud800" in text
    response = post_raw(client, headers, text)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert "place" in response.json["errors"]
    raw = json.dumps(decision_body(place="H\ud800"), ensure_ascii=False).encode("utf-8", "surrogatepass")
    response = post_raw(client, headers, raw)
    assert response.status_code == 422
    assert decision_count(db) == 0


def test_body_that_is_not_utf8_is_400(client, actors, db):
    response = post_raw(client, actors.headers("MOIT-DMS"), b'{"place": "\xff\xfe"}')
    assert response.status_code == 400
    assert response.mimetype == PROBLEM


def test_nul_in_a_query_filter_is_422_naming_the_parameter(client, actors):
    create_decision(client, actors)
    response = client.get(URL + "?number=12%003", headers=actors.headers("MOF-TAX"))
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert response.json["type"] == BASE + "invalid-characters"
    assert "number" in response.json["errors"]


def test_nul_in_a_path_segment_is_refused(client, actors):
    response = client.get("/api/v1/agencies/MIC%00", headers=actors.headers("MOF-TAX"))
    assert response.status_code in (404, 422)
    assert response.mimetype == PROBLEM


def test_deeply_nested_json_is_400(client, actors, db):
    for depth in (1_000, 100_000):
        text = '{"place": ' + "[" * depth + "]" * depth + "}"
        response = post_raw(client, actors.headers("MOIT-DMS"), text)
        assert response.status_code == 400
        assert response.mimetype == PROBLEM
        assert response.json["type"] == BASE + "json-too-deep"
    assert decision_count(db) == 0


def test_brackets_inside_strings_do_not_count_as_depth(client, actors, db):
    response = client.post(URL, json=decision_body(reason="[" * 5000), headers=actors.headers("MOIT-DMS"))
    assert response.status_code == 201


def test_huge_integers_are_422_naming_the_field(client, actors, db):
    headers = actors.headers("MOIT-DMS")
    for digits in (4_301, 20_000):
        text = '{"fine_vnd": ' + "9" * digits + ', "summary": "x"}'
        response = post_raw(client, headers, text, url="/api/v1/violations")
        assert response.status_code == 422
        assert response.mimetype == PROBLEM
        assert "fine_vnd" in response.json["errors"]
    text = '{"subject": "00000000-0000-0000-0000-000000000000", "confidence": ' + "1" * 5000 + "}"
    response = post_raw(client, headers, text, url="/api/v1/links")
    assert response.status_code == 422
    assert "confidence" in response.json["errors"]
