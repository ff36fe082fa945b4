"""The /check page and the look-ups' per-address limit, on the API and on the pages."""

from __future__ import annotations

import dataclasses

from registry.app import create_app
from tests.public import seed


def test_the_check_page_answers_a_website_in_vietnamese_first(client, db, cipher):
    seed.violation(db, cipher, [("domain", "trang-gia.vn")])
    seed.violation(db, cipher, [("domain", "an-di.vn")], visibility="state")
    page = client.get("/check", query_string={"value": "https://trang-gia.vn/"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="website-flagged"' in text and "hàng giả" in text
    assert "Cục QLTT Hà Nội" in text
    for secret in (seed.SECRET_NAME, seed.SECRET_SUMMARY, seed.SECRET_PERSONAL_ID):
        assert secret not in text
    hidden = client.get("/check", query_string={"value": "an-di.vn"}).get_data(as_text=True)
    assert 'id="website-clear"' in hidden and 'id="website-flagged"' not in hidden
    english = client.get("/check", query_string={"value": "trang-gia.vn"}, headers={"Accept-Language": "en"})
    assert "counterfeit goods" in english.get_data(as_text=True)


def test_the_check_page_says_what_is_wrong_with_a_value(client):
    page = client.get("/check", query_string={"value": "khong phai ten mien"})
    assert page.status_code == 422 and 'id="website-error"' in page.get_data(as_text=True)


def test_the_number_forms_send_nothing_by_themselves(client):
    """The bank account and phone fields have no name: a form submitted without the page's script sends
    no number; the script sends only the hash prefix (tests/public/browser)."""
    text = client.get("/check").get_data(as_text=True)
    for field in ('id="account"', 'id="phone"', 'id="bank"'):
        tag = text.split(field, 1)[0].rsplit("<", 1)[1] + text.split(field, 1)[1].split(">", 1)[0]
        assert "name=" not in tag
    assert "/public/static/lookup.js" in text and "/api/v1/public/ranges/KIND/PREFIX" in text


def test_the_start_page_and_menu_lead_to_the_look_ups(client):
    text = client.get("/").get_data(as_text=True)
    assert 'id="tile-check"' in text and 'id="tile-violators"' in text
    assert 'id="nav-check"' in text and 'id="nav-violators"' in text


def test_the_look_ups_are_limited_per_address_on_the_api_and_the_pages(app, db):
    settings = dataclasses.replace(
        app.extensions["registry"].settings, public_lookup_rate_limit="3 per minute"
    )
    small = create_app(settings)
    small.extensions["registry"].sessionmaker = app.extensions["registry"].sessionmaker
    try:
        client = small.test_client()
        answers = [
            client.get("/api/v1/public/check?value=mot.vn").status_code,
            client.get("/api/v1/public/ranges/phone/abcde").status_code,
            client.get("/violators").status_code,
        ]
        assert answers == [200, 200, 200]
        api = client.get("/api/v1/public/violators")
        assert api.status_code == 429 and api.mimetype == "application/problem+json"
        assert 1 <= int(api.headers["Retry-After"]) <= 60
        page = client.get("/check")
        assert page.status_code == 429 and page.mimetype == "text/html"
        assert "Retry-After" in page.headers
        feed = client.get("/violators.atom")
        assert feed.status_code == 429
        other = client.get("/api/v1/public/violators", environ_base={"REMOTE_ADDR": "192.0.2.9"})
        assert other.status_code == 200  # counted per address
        forms = client.post("/api/v1/block-complaints/status", json={"receipt_code": "KN-AAAA"})
        assert forms.status_code != 429  # the forms count against their own limit
    finally:
        small.extensions["registry"].engine.dispose()
