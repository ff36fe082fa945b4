from __future__ import annotations

from tests.factories import create_subject

LINKS = "/api/v1/links"


def test_link_by_kind_and_value_registers_identifier_and_finds_it_back(client, actors):
    headers = actors.headers("MOIT-DMS")
    owner = create_subject(client, headers)
    created = client.post(
        LINKS,
        json={
            "subject_id": owner["id"],
            "source": "platform_data",
            "confidence": 95,
            "identifier": {"kind": "url", "value": "https://shopee.vn/shop/123456789"},
        },
        headers=headers,
    )
    assert created.status_code == 201, created.json
    assert created.json["identifier"]["value"] == "https://shopee.vn/shop/123456789"
    assert created.json["asserted_by"] == "MOIT-DMS"
    shop = client.get(
        "/api/v1/identifiers/lookup",
        query_string={"kind": "marketplace_shop", "value": "shopee:123456789"},
        headers=headers,
    )
    assert shop.status_code == 200, "a shop URL also registers the platform shop identifier"
    listed = client.get(LINKS, query_string={"subject_id": owner["id"]}, headers=headers)
    assert [item["id"] for item in listed.json["items"]] == [created.json["id"]]


def test_same_agency_same_pair_is_409_other_agency_may_assert_it_too(client, actors):
    dms, tax = actors.headers("MOIT-DMS"), actors.headers("MOF-TAX")
    owner = create_subject(client, dms)
    body = {
        "subject_id": owner["id"],
        "source": "tip",
        "identifier": {"kind": "phone", "value": "+84 912 345 678"},
    }
    first = client.post(LINKS, json=body, headers=dms)
    again = client.post(
        LINKS, json={**body, "identifier": {"kind": "phone", "value": "0912345678"}}, headers=dms
    )
    assert again.status_code == 409 and again.json["existing"] == first.json["id"]
    assert client.post(LINKS, json=body, headers=tax).status_code == 201


def test_link_validation_errors_write_nothing(client, actors):
    headers = actors.headers("MOIT-DMS")
    owner = create_subject(client, headers)
    cases = [
        ({"subject_id": owner["id"], "source": "tip"}, "identifier_id"),
        (
            {
                "subject_id": owner["id"],
                "source": "rumour",
                "identifier": {"kind": "phone", "value": "0912345678"},
            },
            "source",
        ),
        (
            {"subject_id": owner["id"], "source": "tip", "identifier": {"kind": "phone", "value": "12"}},
            "identifier.value",
        ),
        (
            {
                "subject_id": owner["id"],
                "source": "tip",
                "confidence": 101,
                "identifier": {"kind": "phone", "value": "0912345678"},
            },
            "confidence",
        ),
        (
            {
                "subject_id": owner["id"],
                "source": "tip",
                "first_seen": "2026-05-02T00:00:00Z",
                "last_seen": "2026-05-01T00:00:00Z",
                "identifier": {"kind": "phone", "value": "0912345678"},
            },
            "last_seen",
        ),
    ]
    for body, field in cases:
        response = client.post(LINKS, json=body, headers=headers)
        assert response.status_code == 422, (field, response.json)
        assert field in response.json["errors"], (field, response.json)
    assert client.get(LINKS, headers=headers).json["total"] == 0
    # the subject's own tax-code-less creation made no identifiers, and the failed links made none either
    assert client.get("/api/v1/identifiers", headers=headers).json["total"] == 0


def test_link_to_subject_caller_cannot_see_is_404(client, actors):
    hidden = create_subject(client, actors.headers("MPS-C03"), visibility="owner")
    response = client.post(
        LINKS,
        json={
            "subject_id": hidden["id"],
            "source": "tip",
            "identifier": {"kind": "phone", "value": "0912345678"},
        },
        headers=actors.headers("MOIT-DMS"),
    )
    assert response.status_code == 404


def test_update_by_asserting_agency_only(client, actors):
    dms = actors.headers("MOIT-DMS")
    owner = create_subject(client, dms)
    link = client.post(
        LINKS,
        json={
            "subject_id": owner["id"],
            "source": "tip",
            "identifier": {"kind": "email", "value": "Ban@Shop.VN"},
        },
        headers=dms,
    ).json
    url = f"{LINKS}/{link['id']}"
    assert client.patch(url, json={"confidence": 40}, headers=actors.headers("MOF-TAX")).status_code == 403
    updated = client.patch(url, json={"confidence": 40, "note": "seen again"}, headers=dms)
    assert updated.status_code == 200 and updated.json["confidence"] == 40


def test_sensitive_identifier_masked_unless_revealed(client, actors):
    mps = actors.headers("MPS-C03")
    owner = create_subject(client, mps)
    link = client.post(
        LINKS,
        json={
            "subject_id": owner["id"],
            "source": "decision",
            "identifier": {"kind": "bank_account", "value": "VCB:0011 0012 3456"},
        },
        headers=mps,
    ).json
    assert link["identifier"]["value"] is None
    assert "3456" in link["identifier"]["display"] and "00110012" not in link["identifier"]["display"]
    reader = actors.headers("MOF-CUSTOMS", scopes=["registry:read"])
    masked = client.get(f"{LINKS}/{link['id']}", headers=reader).json
    assert masked["identifier"]["value"] is None
    revealed = client.get(f"{LINKS}/{link['id']}", query_string={"sensitive": "true"}, headers=mps).json
    assert revealed["identifier"]["value"] == "970436:001100123456"
