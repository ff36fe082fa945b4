"""The public's tip pages: the form files a tip with its files and shows the receipt code once; the status
page shows the status and nothing else; a refused form stores nothing and keeps what was typed."""

from __future__ import annotations

import html
import io
import re

from sqlalchemy import func, select

from registry.models import Tip, TipAttachment
from registry.services.tips.challenge import solve
from tests.tips.helpers import PNG, tip_form


def challenge_of(page: str) -> tuple[str, int]:
    token = re.search(r'data-challenge="([^"]+)"', page)
    bits = re.search(r'data-bits="(\d+)"', page)
    assert token and bits, page
    return html.unescape(token.group(1)), int(bits.group(1))


def send(client, **overrides):  # type: ignore[no-untyped-def]
    page = client.get("/tips/new")
    assert page.status_code == 200
    token, bits = challenge_of(page.get_data(as_text=True))
    form = {**tip_form(**overrides), "challenge": token, "solution": solve(token, bits)}
    form["attachments"] = [(io.BytesIO(PNG), "anh.png")]
    return client.post("/tips/new", data=form, content_type="multipart/form-data")


def count(db, model=Tip) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_the_form_is_vietnamese_first_and_linked_from_the_start_page(client) -> None:
    home = client.get("/").get_data(as_text=True)
    assert 'href="/tips/new"' in home and "Báo cáo vi phạm" in home
    page = client.get("/tips/new")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Báo cáo vi phạm" in text and "tips.js" in text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>" not in text  # no inline script
    english = client.get("/tips/new", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Report a violation" in english


def test_the_form_files_a_tip_and_shows_the_receipt_code_once(client, db) -> None:
    sent = send(client)
    text = sent.get_data(as_text=True)
    assert sent.status_code == 200, text
    assert sent.headers["Cache-Control"] == "no-store"
    code = re.search(r'id="receipt-code">([^<]+)<', text)
    assert code and code.group(1).startswith("TB-")
    assert (count(db), count(db, TipAttachment)) == (1, 1)
    status = client.post("/tips/status", data={"receipt_code": code.group(1)})
    answer = status.get_data(as_text=True)
    assert status.status_code == 200 and 'data-status="received"' in answer
    assert "hanggia-mypham.vn" not in answer and "kem dưỡng" not in answer  # the status, nothing else
    wrong = client.post("/tips/status", data={"receipt_code": "TB-AAAA-AAAA-AAAA-AAAA-AAAA"})
    assert wrong.status_code == 404 and 'id="problem"' in wrong.get_data(as_text=True)
    assert client.get("/tips/status").status_code == 200


def test_a_refused_form_stores_nothing_and_keeps_what_was_typed(client, db) -> None:
    short = send(client, description="ngắn", value="giu-lai.vn")
    text = short.get_data(as_text=True)
    assert short.status_code == 422 and 'id="description-error"' in text and 'value="giu-lai.vn"' in text
    bad = send(client, kind="bank_account", value="không phải số")
    assert bad.status_code == 422 and 'id="problem"' in bad.get_data(as_text=True)
    unsolved = client.post("/tips/new", data={**tip_form(), "challenge": "v1.x.4.1.y", "solution": "1"},
                           content_type="multipart/form-data")  # fmt: skip
    assert unsolved.status_code == 422
    assert (count(db), count(db, TipAttachment)) == (0, 0)
