"""The console's protections: CSRF, visibility across agencies, the session's limits and its headers."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.models import BlockRequest
from tests.console.helpers import choose_case, csrf_of, local, login
from tests.factories import make_subject


def test_a_post_without_the_sessions_token_is_refused_and_changes_nothing(console, db) -> None:  # type: ignore[no-untyped-def]
    login(console, "most.cuong")
    choose_case(console)
    answer = console.post("/console/block-requests", data={"action": "block_at_isp", "reason": "x"})
    assert answer.status_code == 403
    assert "CSRF" in answer.text
    forged = console.post("/console/block-requests", data={"csrf_token": "forged", "reason": "x"})
    assert forged.status_code == 403
    assert db.scalars(select(BlockRequest)).first() is None
    denied = db.scalars(select(AuditEntry).where(AuditEntry.action == "block_request:create")).all()
    assert [(e.outcome, e.officer) for e in denied] == [("denied", "most.cuong")] * 2


def test_a_session_never_shows_another_agencys_records(console, db, unique) -> None:  # type: ignore[no-untyped-def]
    mine = make_subject(db, owner="MOIT-DMS", name=f"Cửa hàng Đông Á {unique} riêng", visibility="owner")
    shared = make_subject(db, owner="MOIT-DMS", name=f"Cửa hàng Đông Á {unique} chung", visibility="state")
    login(console, "customs.hoa")  # Customs: a state reader, not the owner
    choose_case(console)
    found = console.get(f"/console/subjects?q=cua hang dong a {unique}")  # no diacritics, đ as d
    assert found.status_code == 200
    assert str(shared.id) in found.text
    assert str(mine.id) not in found.text
    assert console.get(f"/console/subjects/{mine.id}/history").status_code == 404
    history = console.get(f"/console/subjects/{shared.id}/history")
    assert history.status_code == 200 and f"Cửa hàng Đông Á {unique} chung" in history.text


def test_the_purpose_is_asked_once_then_carried_and_audited(console, db, unique) -> None:  # type: ignore[no-untyped-def]
    subject = make_subject(db, owner="MOIT-DMS", name=f"Hộ kinh doanh {unique}")
    login(console, "customs.hoa")
    first = console.get(f"/console/subjects/{subject.id}/history")
    assert first.status_code == 302 and "/console/case" in first.headers["Location"]
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "subject:history")).first() is None
    choose_case(console, "Tờ trình 12/HQ-ĐTCBL")
    assert console.get(f"/console/subjects/{subject.id}/history").status_code == 200
    entry = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "subject:history", AuditEntry.resource_id == str(subject.id)
        )
    ).one()
    assert (entry.officer, entry.agency, entry.purpose, entry.client_id) == (
        "customs.hoa",
        "MOF-CUSTOMS",
        "Tờ trình 12/HQ-ĐTCBL",
        "console:dev",
    )


def test_an_idle_session_ends(console, app) -> None:  # type: ignore[no-untyped-def]
    login(console, "most.binh")
    assert console.get("/console/").status_code == 200
    with console.session_transaction() as session:
        session["seen"] -= app.extensions["registry"].settings.console_idle_timeout + 1
    ended = console.get("/console/block-requests")
    assert ended.status_code == 302 and "/console/login" in ended.headers["Location"]
    assert console.get("/console/").status_code == 302  # the session was cleared, not only refused once


def test_pages_without_a_session_go_to_the_login_page(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/console/block-requests")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/console/login?next=")


def test_cookies_and_headers(console) -> None:  # type: ignore[no-untyped-def]
    done = login(console, "most.binh")
    cookie = done.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain-http development issuer; https issuers get Secure
    page = console.get("/console/")
    policy = page.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    )
    assert "<script>" not in page.text and " style=" not in page.text and " onclick" not in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_logout_needs_the_token_and_ends_the_session(console) -> None:  # type: ignore[no-untyped-def]
    login(console, "most.binh")
    page = console.get("/console/")
    assert console.post("/console/logout").status_code == 403
    assert console.post("/console/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 302
    assert console.get("/console/").status_code == 302


def test_an_order_addressed_to_another_executor_is_not_found(console, db) -> None:  # type: ignore[no-untyped-def]
    login(console, "viettel.giang")
    choose_case(console)
    assert console.get(f"/console/orders/{uuid.uuid4()}").status_code == 404


def test_logins_are_audited_with_the_officer(console, db) -> None:  # type: ignore[no-untyped-def]
    login(console, "sbv.khanh")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "console:login")).one()
    assert (entry.outcome, entry.officer, entry.agency, entry.client_id) == (
        "allowed",
        "sbv.khanh",
        "SBV",
        "console:dev",
    )


def test_a_callback_without_a_valid_code_is_refused_and_audited(console, db) -> None:  # type: ignore[no-untyped-def]
    start = console.get("/console/login/dev")
    state = start.headers["Location"].split("state=", 1)[1].split("&", 1)[0]
    answer = console.get(f"/console/auth/callback?code=forged&state={state}")
    assert answer.status_code == 401
    assert console.get("/console/").status_code == 302  # no session
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "console:login")).one()
    assert (entry.outcome, entry.officer) == ("denied", None)


def test_an_unknown_console_address_is_a_page_not_a_problem_document(console) -> None:  # type: ignore[no-untyped-def]
    login(console, "most.binh")
    answer = console.get("/console/no-such-page")
    assert answer.status_code == 404
    assert answer.mimetype == "text/html" and "Content-Security-Policy" in answer.headers


def test_an_id_token_that_does_not_verify_opens_no_session(console, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from registry.auth import devidp

    real = devidp.redeem

    def tampered(*args, **kwargs):  # type: ignore[no-untyped-def]
        answer = real(*args, **kwargs)
        header, payload, signature = answer["id_token"].split(".")
        answer["id_token"] = f"{header}.{payload}.{signature[::-1]}"
        return answer

    monkeypatch.setattr(devidp, "redeem", tampered)
    start = console.get("/console/login/dev")
    page = console.get(local(start.headers["Location"]))
    params = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["Location"]).query).items()}
    chosen = console.post(
        "/oauth/authorize", data={**params, "csrf_token": csrf_of(page.text), "officer": "most.binh"}
    )
    answer = console.get(local(chosen.headers["Location"]))
    assert answer.status_code == 401
    assert console.get("/console/").status_code == 302


def test_a_provider_that_does_not_answer_is_said_so(console, app) -> None:  # type: ignore[no-untyped-def]
    import requests

    class Down(requests.adapters.BaseAdapter):
        def send(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise requests.ConnectionError("down")

        def close(self) -> None:
            pass

    state = app.extensions["registry.console"]
    issuer = app.extensions["registry"].settings.issuer
    client = state.client("dev")
    client.server_metadata.pop("_loaded_at", None)  # read the discovery document again
    state.adapters[issuer] = Down()
    answer = console.get("/console/login/dev")
    assert answer.status_code == 502 and "không phản hồi" in answer.text  # Vietnamese first
    english = console.get("/console/login/dev", headers={"Accept-Language": "en"})
    assert english.status_code == 502 and "does not answer" in english.text


def test_an_error_page_keeps_the_officers_menu_and_log_out(officer) -> None:  # type: ignore[no-untyped-def]
    """A refusal is a page of the console like any other: the officer can go on from it."""
    reader = officer("customs.hoa")
    page = reader.get("/console/orders")  # an executor's queue: not for Customs
    assert page.status_code == 403
    assert "/console/logout" in page.text and "/console/subjects" in page.text
    missing = reader.get("/console/no-such-page")
    assert missing.status_code == 404 and "/console/logout" in missing.text
