from __future__ import annotations


def test_create_returns_canonical_value_and_lookup_finds_any_spelling(client, actors):
    headers = actors.headers("MOIT-DMS")
    created = client.post(
        "/api/v1/identifiers", json={"kind": "domain", "value": "WWW.Bücher.VN."}, headers=headers
    )
    assert created.status_code == 201, created.json
    assert created.json["value"] == "www.xn--bcher-kva.vn"
    found = client.get(
        "/api/v1/identifiers/lookup",
        query_string={"kind": "domain", "value": "www.bücher.vn"},
        headers=headers,
    )
    assert found.status_code == 200
    assert found.json["id"] == created.json["id"]


def test_duplicate_is_409_pointing_to_existing(client, actors):
    headers = actors.headers("MOIT-DMS")
    first = client.post(
        "/api/v1/identifiers", json={"kind": "tax_code", "value": "0100109106"}, headers=headers
    )
    again = client.post(
        "/api/v1/identifiers", json={"kind": "tax_code", "value": "0100 109 106"}, headers=headers
    )
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert again.json["existing"] == first.json["id"]


def test_invalid_value_is_422_with_field_error_and_nothing_written(client, actors):
    headers = actors.headers("MOIT-DMS")
    response = client.post(
        "/api/v1/identifiers", json={"kind": "tax_code", "value": "0101245487"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json["errors"]["value"] == ["tax code 0101245487: check digit should be 6"]
    listed = client.get("/api/v1/identifiers", headers=headers)
    assert listed.json["total"] == 0


def test_no_token_is_401(client):
    response = client.get("/api/v1/identifiers")
    assert response.status_code == 401
    assert response.json["type"].endswith("/unauthenticated")
