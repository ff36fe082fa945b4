"""The public site's frame: Vietnamese first, the language switch, no open redirect."""

from __future__ import annotations

import pytest


def test_the_start_page_is_vietnamese_first_and_english_on_request(client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.content_type.startswith("text/html")
    assert "Kiểm tra trước khi mua" in page.get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en"})
    assert "Check before you buy" in english.get_data(as_text=True)


def test_the_language_switch_remembers_the_choice(client) -> None:
    switched = client.get("/language?lang=en&next=/")
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/"
    assert "lang=en" in switched.headers["Set-Cookie"]
    assert "Check before you buy" in client.get("/").get_data(as_text=True)
    client.get("/language?lang=vi&next=/")
    assert "Kiểm tra trước khi mua" in client.get("/", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", ""])
def test_the_language_switch_goes_nowhere_else(client, target: str) -> None:
    switched = client.get("/language", query_string={"lang": "en", "next": target})
    assert switched.headers["Location"] == "/"


def test_an_unknown_language_changes_nothing(client) -> None:
    switched = client.get("/language?lang=fr&next=/")
    assert "Set-Cookie" not in switched.headers


def test_public_pages_run_only_our_scripts_and_cannot_be_framed(client) -> None:
    page = client.get("/")
    policy = page.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy
        and "frame-ancestors 'none'" in policy
        and "default-src 'none'" in policy
    )
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/public/static/public.css").headers["Content-Security-Policy"] == policy


def test_the_public_pages_share_the_console_s_stylesheet(client) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "/public/base.css" in page and "/public/static/public.css" in page
    shared = client.get("/public/base.css")
    assert shared.status_code == 200 and shared.mimetype == "text/css"
    assert b"--accent" in shared.data
