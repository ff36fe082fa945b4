"""The public list of violating websites and shops, as JSON, as a page and as an Atom feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.blocking.helpers import APPROVER, body
from tests.factories import make_decision, make_violation
from tests.public import seed

LIST = "/api/v1/public/violators"
ATOM = "{http://www.w3.org/2005/Atom}"
SECRETS = (seed.SECRET_NAME, seed.SECRET_PERSONAL_ID, seed.SECRET_SUMMARY, "Phố Bí Mật")


def _records(db, cipher, walker):  # type: ignore[no-untyped-def]
    """Three published websites, one block in effect, one lifted, and what must never be listed."""
    seed.violation(db, cipher, [("domain", "mot.vn"), ("bank_account", "VCB:0011001234567")], days_ago=5)
    seed.violation(db, cipher, [("url", "https://hai.vn/gia")], days_ago=4)
    seed.violation(db, cipher, [("marketplace_shop", "shopee:7777")], days_ago=3)
    seed.violation(db, cipher, [("domain", "noi-bo.vn")], visibility="state")
    seed.violation(db, cipher, [("domain", "nghi-ngo.vn")], status="suspected")
    grounds = make_decision(db), make_violation(db)
    walker.in_effect(body(*grounds, targets=[{"kind": "domain", "value": "dang-chan.vn"}]))
    lifted = walker.in_effect(body(*grounds, targets=[{"kind": "domain", "value": "da-go.vn"}]))
    lifting = make_decision(db, number="77/QĐ-CVT", issuing_body="Cục Viễn thông")
    walker.ok(lifted["id"], "lift", officer=APPROVER, reason="Đã khắc phục", decision_id=str(lifting.id))
    never = walker.dispatched(body(*grounds, targets=[{"kind": "domain", "value": "chua-hieu-luc.vn"}]))
    return grounds[0], lifting, never


def _all(client) -> list[dict]:  # type: ignore[no-untyped-def]
    return client.get(LIST, query_string={"per_page": 100}).json["items"]


def test_the_list_holds_published_websites_and_blocks_with_their_decisions(client, db, cipher, walker):
    block_decision, lifting, _ = _records(db, cipher, walker)
    items = {item["website"]["value"]: item for item in _all(client)}
    assert set(items) == {"mot.vn", "https://hai.vn/gia", "shopee:7777", "dang-chan.vn", "da-go.vn"}
    assert items["mot.vn"]["categories"] == ["COUNTERFEIT"]
    assert items["mot.vn"]["violations"][0]["decision"]["issuing_body"] == "Cục QLTT Hà Nội"
    (in_effect,) = items["dang-chan.vn"]["blocks"]
    assert in_effect["state"] == "in_effect" and in_effect["ended"] is None
    assert in_effect["decision"]["number"] == block_decision.number
    (ended,) = items["da-go.vn"]["blocks"]
    assert ended["state"] == "lifted"
    assert ended["ended"]["how"] == "lifted"
    assert ended["ended"]["decision"] == {
        "number": "77/QĐ-CVT", "issued_on": lifting.issued_on.isoformat(), "issuing_body": "Cục Viễn thông"
    }  # fmt: skip
    text = client.get(LIST).get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in text


def test_the_list_is_paginated(client, db, cipher, walker):
    _records(db, cipher, walker)
    first = client.get(LIST, query_string={"per_page": 2}).json
    assert len(first["items"]) == 2 and first["has_more"] is True and first["total"] == 5
    pages = [first] + [client.get(LIST, query_string={"per_page": 2, "page": n}).json for n in (2, 3)]
    seen = [item["website"]["value"] for page in pages for item in page["items"]]
    assert len(seen) == 5 == len(set(seen))
    assert pages[2]["has_more"] is False and pages[2]["total"] == 5 and pages[2]["total_exact"] is True
    updated = [item["updated"] for page in pages for item in page["items"]]
    assert updated == sorted(updated, reverse=True)
    assert client.get(LIST, query_string={"per_page": 101}).status_code == 422


def test_the_atom_feed_is_valid_and_says_the_lifting(client, db, cipher, walker):
    _records(db, cipher, walker)
    response = client.get("/violators.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)  # noqa: S314 - the registry's own feed
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    entries = {entry.findtext(f"{ATOM}title"): entry for entry in feed.findall(f"{ATOM}entry")}
    assert set(entries) == {"mot.vn", "https://hai.vn/gia", "Shopee 7777", "dang-chan.vn", "da-go.vn"}
    ids = [entry.findtext(f"{ATOM}id") for entry in entries.values()]
    assert len(set(ids)) == 5 and all(ids)
    for entry in entries.values():
        assert entry.findtext(f"{ATOM}updated") and entry.find(f"{ATOM}content") is not None
    lifted = entries["da-go.vn"].findtext(f"{ATOM}content") or ""
    assert "đã gỡ bỏ ngày" in lifted and "quyết định 77/QĐ-CVT" in lifted and "của Cục Viễn thông" in lifted
    english_feed = client.get("/violators.atom", headers={"Accept-Language": "en"}).data
    english = ET.fromstring(english_feed)  # noqa: S314 - the registry's own feed
    (gone,) = [e for e in english.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == "da-go.vn"]
    assert "lifted on" in (gone.findtext(f"{ATOM}content") or "")
    assert [c.get("term") for c in entries["mot.vn"].findall(f"{ATOM}category")] == ["COUNTERFEIT"]
    for secret in SECRETS:
        assert secret not in response.get_data(as_text=True)


def test_the_page_lists_them_and_links_the_feed(client, db, cipher, walker):
    _records(db, cipher, walker)
    page = client.get("/violators")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Website và gian hàng vi phạm" in text
    assert 'type="application/atom+xml"' in text and "da-go.vn" in text and "77/QĐ-CVT" in text
    assert "noi-bo.vn" not in text and "nghi-ngo.vn" not in text and "chua-hieu-luc.vn" not in text
    for secret in SECRETS:
        assert secret not in text
