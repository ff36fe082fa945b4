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


def test_lookup_query_count_does_not_grow_with_links(client, actors, engine):
    from sqlalchemy import event

    headers = actors.headers("MOIT-DMS")
    phone = client.post(
        "/api/v1/identifiers", json={"kind": "phone", "value": "0912345678"}, headers=headers
    ).json

    def queries_for_lookup() -> int:
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            found = client.get(
                "/api/v1/identifiers/lookup",
                query_string={"kind": "phone", "value": "+84 91 234 5678"},
                headers=headers,
            )
            assert found.status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    def link_new_subject(n: int) -> None:
        subject = client.post(
            "/api/v1/subjects", json={"kind": "individual", "name": f"Người bán {n}"}, headers=headers
        ).json
        response = client.post(
            "/api/v1/links",
            json={"subject_id": subject["id"], "identifier_id": phone["id"], "source": "tip"},
            headers=headers,
        )
        assert response.status_code == 201

    link_new_subject(0)
    few = queries_for_lookup()
    for n in range(1, 9):
        link_new_subject(n)
    assert queries_for_lookup() == few


def test_lookup_lists_only_subjects_reached_through_links_and_subjects_the_caller_may_see(client, actors):
    """A hidden subject, or a visible subject behind a hidden link, stays out of another agency's answer."""
    dms = actors.headers("MOIT-DMS")
    phone = client.post(
        "/api/v1/identifiers", json={"kind": "phone", "value": "0912000222"}, headers=dms
    ).json

    def seller(name: str, visibility: str, link_visibility: str) -> str:
        created = client.post(
            "/api/v1/subjects",
            json={"kind": "individual", "name": name, "visibility": visibility},
            headers=dms,
        )
        assert created.status_code == 201, created.json
        link = client.post(
            "/api/v1/links",
            json={
                "subject_id": created.json["id"],
                "identifier_id": phone["id"],
                "source": "tip",
                "visibility": link_visibility,
            },
            headers=dms,
        )
        assert link.status_code == 201, link.json
        return created.json["id"]

    shown = seller("Người bán công khai", "public", "public")
    hidden_subject = seller("Người bán ẩn", "owner", "public")
    hidden_link = seller("Người bán liên kết ẩn", "public", "owner")

    def subjects_for(headers: dict[str, str]) -> list[str]:
        found = client.get(
            "/api/v1/identifiers/lookup",
            query_string={"kind": "phone", "value": "+84912000222"},
            headers=headers,
        )
        assert found.status_code == 200, found.json
        assert found.json["id"] == phone["id"]
        return found.json["subjects"]

    assert subjects_for(dms) == sorted([shown, hidden_subject, hidden_link])
    assert subjects_for(actors.headers("MOF-TAX")) == [shown]
