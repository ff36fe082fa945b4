"""Vietnamese first, English second; dates in Asia/Ho_Chi_Minh; VND with thousands separators."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import render_template_string

from registry.console import i18n

CATALOGUES = Path(i18n.__file__).parent / "translations"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_compiled_catalogue_is_the_po_file_compiled(lang: str) -> None:
    folder = CATALOGUES / lang / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    with (folder / "messages.mo").open("rb") as handle:
        stored = {m.id: m.string for m in read_mo(handle) if m.id}
    compiled.seek(0)
    assert stored == {m.id: m.string for m in read_mo(compiled) if m.id}, "run pybabel compile"


def test_every_vietnamese_message_is_translated() -> None:
    with (CATALOGUES / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="vi")
    assert [m.id for m in catalogue if m.id and not m.string] == []


def test_login_page_is_vietnamese_by_default_english_on_request_and_by_the_switch(client) -> None:  # type: ignore[no-untyped-def]
    assert "Đăng nhập" in client.get("/console/login").text
    assert '<html lang="vi">' in client.get("/console/login").text
    english = client.get("/console/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert "Log in with your agency" in english and '<html lang="en">' in english
    client.set_cookie("lang", "vi")  # the switch wins over the browser's languages
    assert "Đăng nhập" in client.get("/console/login", headers={"Accept-Language": "en"}).text


def test_language_switch_sets_the_cookie_only_with_the_forms_token(client) -> None:  # type: ignore[no-untyped-def]
    refused = client.post("/console/lang", data={"lang": "en", "next": "/console/login"})
    assert refused.status_code == 403
    page = client.get("/console/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/console/lang", data={"lang": "en", "next": "/console/login", "csrf_token": token})
    assert answer.status_code == 302
    assert "lang=en" in answer.headers["Set-Cookie"] and "HttpOnly" in answer.headers["Set-Cookie"]


def test_dates_read_in_vietnam_and_dong_with_thousands_separators(app) -> None:  # type: ignore[no-untyped-def]
    moment = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # 00:30 on 1 January in Hà Nội
    with app.test_request_context("/console/", headers={"Accept-Language": "vi"}):
        assert i18n.when(moment) == "01/01/2027 00:30"
        assert i18n.vnd(1234567) == "1.234.567\xa0₫"
    with app.test_request_context("/console/", headers={"Accept-Language": "en"}):
        assert i18n.vnd(1234567) == "₫1,234,567"
        assert i18n.when(moment) == "1 Jan 2027, 00:30"


def test_codes_read_as_words_in_the_officers_language(app) -> None:  # type: ignore[no-untyped-def]
    """An action, a kind or a reason is shown by its words, not its code; an unknown code as it is."""
    template = "{{ code_label('block_at_isp') }}|{{ code_label('organisation') }}|{{ code_label('MIC') }}"
    with app.test_request_context("/console/", headers={"Accept-Language": "vi"}):
        assert render_template_string(template) == "chặn tại nhà mạng|tổ chức|MIC"
    with app.test_request_context("/console/", headers={"Accept-Language": "en"}):
        assert render_template_string(template) == "block at the ISPs|organisation|MIC"


def test_a_case_refused_says_why_in_the_officers_language(officer) -> None:  # type: ignore[no-untyped-def]
    from tests.console.helpers import csrf_of

    client = officer("customs.hoa")
    form = client.get("/console/case")
    refused = client.post("/console/case", data={"case": "ab", "csrf_token": csrf_of(form.text)})
    assert refused.status_code == 422 and "Mục đích dài từ 3 đến 300 ký tự" in refused.text
    client.set_cookie("lang", "en")
    refused = client.post("/console/case", data={"case": "ab", "csrf_token": csrf_of(form.text)})
    assert refused.status_code == 422 and "A purpose is 3-300 characters" in refused.text
