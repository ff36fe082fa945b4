"""Filing a tip without a token: receipt code and status, validation, files, proof of work, the limit,
and what is (not) stored, logged or audited."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from hashlib import sha256

import pikepdf
import pytest
from sqlalchemy import func, select

from registry.app import create_app
from registry.audit.models import AuditEntry
from registry.models import Tip, TipAttachment, TipChallenge
from registry.services.tips import challenge
from tests.factories import pdf_bytes
from tests.tips.helpers import JPEG, PNG, TIPS, file_tip, post_tip, solved

ACCOUNT = "VCB:0011 0012 3456"


def count(db, model=Tip) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model)) or 0


def status(client, code: str):  # type: ignore[no-untyped-def]
    return client.post(f"{TIPS}/status", json={"receipt_code": code})


def test_a_tip_is_filed_without_a_token_and_its_status_read_with_the_receipt_code(client, db) -> None:
    receipt = file_tip(client)
    assert set(receipt) == {"receipt_code", "status", "since"}
    assert receipt["status"] == "received" and receipt["receipt_code"].startswith("TB-")
    answer = status(client, receipt["receipt_code"])
    assert answer.status_code == 200
    assert answer.json == {"status": "received", "since": receipt["since"]}  # and nothing else
    # the code is read however it is typed: lower case, without hyphens
    assert status(client, receipt["receipt_code"].lower().replace("-", "")).status_code == 200
    wrong = status(client, "TB-AAAA-AAAA-AAAA-AAAA-AAAA")
    assert wrong.status_code == 404 and wrong.mimetype == "application/problem+json"
    assert count(db) == 1


def test_the_challenge_is_signed_and_good_for_one_tip(client, db, app) -> None:
    proof = solved(client)
    first = post_tip(client, proof=proof)
    assert first.status_code == 201, first.json
    again = post_tip(client, proof=proof, value="khac.vn")
    assert again.status_code == 409 and again.json["type"].endswith("/challenge-used")
    missing = client.post(
        TIPS, data={"kind": "website", "value": "khac.vn"}, content_type="multipart/form-data"
    )
    assert missing.status_code == 422 and {"challenge", "solution"} <= set(missing.json["errors"])
    token = client.get(f"{TIPS}/challenge").json["challenge"]
    wrong = next(
        str(n)
        for n in range(100)
        if challenge.leading_zero_bits(sha256(f"{token}:{n}".encode()).digest()) < 4
    )
    unsolved = post_tip(client, proof={"challenge": token, "solution": wrong})
    assert unsolved.status_code == 422 and unsolved.json["type"].endswith("/proof-of-work")
    parts = token.split(".")
    easier = ".".join([parts[0], parts[1], "0", parts[3], parts[4]])  # the bits are under the MAC
    assert post_tip(client, proof={"challenge": easier, "solution": "0"}).status_code == 422
    cipher = app.extensions["registry"].cipher
    old = challenge.issue(cipher, bits=4, lifetime=60, now=datetime.now(UTC) - timedelta(minutes=5))
    expired = post_tip(client, proof={"challenge": old.token, "solution": challenge.solve(old.token, 4)})
    assert expired.status_code == 422 and "expired" in expired.json["detail"]
    assert count(db) == 1 and count(db, TipChallenge) == 1


def test_refused_filings_store_nothing_and_leave_the_challenge_unspent(client, db) -> None:
    proof = solved(client)
    refusals = {
        "kind": {"kind": "tax_code"},
        "value": {"kind": "bank_account", "value": "not an account"},
        "category": {"category": "BAD"},
        "goods_group": {"goods_group": "spaceships"},
        "description": {"description": "ngắn"},
        "contact_phone": {"contact_phone": "09-not-a-phone-77"},
        "contact_email": {"contact_email": "no at sign"},
    }
    for field, change in refusals.items():
        answer = post_tip(client, proof=proof, **change)
        assert answer.status_code == 422, (field, answer.json)
        assert field in answer.json["errors"], (field, answer.json)
        assert "not-a-phone" not in answer.get_data(as_text=True)
    big = post_tip(client, proof=proof, files=[(PNG, "a.png")] * 4)
    assert big.status_code == 422 and "attachments" in big.json["errors"]
    assert (count(db), count(db, TipAttachment), count(db, TipChallenge)) == (0, 0, 0)
    assert post_tip(client, proof=proof).status_code == 201  # the same challenge, still unspent


def test_attachments_are_pdf_jpeg_or_png_by_their_bytes_and_limited_in_size(client, db, app, actors) -> None:
    receipt = file_tip(
        client, files=[(PNG, "ảnh chụp.png"), (JPEG, "../../etc/x.jpg"), (pdf_bytes(), "hoá đơn.pdf")]
    )
    assert receipt["status"] == "received"
    headers = actors.headers("MOIT-DMS")
    tip = client.get(TIPS, headers=headers).json["items"][0]
    assert [(a["filename"], a["content_type"]) for a in tip["attachments"]] == [
        ("ảnh chụp.png", "image/png"), ("x.jpg", "image/jpeg"), ("hoá đơn.pdf", "application/pdf"),
    ]  # fmt: skip
    download = client.get(f"{TIPS}/{tip['id']}/attachments/{tip['attachments'][2]['id']}", headers=headers)
    assert download.status_code == 200 and download.data == pdf_bytes()
    assert download.mimetype == "application/pdf" and download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")

    def refused(content: bytes, name: str) -> dict:  # type: ignore[type-arg]
        answer = post_tip(client, files=[(PNG, "ok.png"), (content, name)])
        assert answer.status_code == 422, answer.json
        assert list(answer.json["errors"]["attachments"]) == ["2"]
        return answer.json

    assert "not a PDF, JPEG or PNG" in refused(b"<html><script>alert(1)</script>", "anh.png")["detail"]
    assert "empty" in refused(b"", "empty.png")["detail"]
    limit = app.extensions["registry"].settings.tip_attachment_bytes
    assert "larger than" in refused(PNG + b"\x00" * limit, "big.png")["detail"]

    def with_script(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))

    assert refused(pdf_bytes(with_script), "x.pdf")["type"].endswith("/unsafe-document")
    assert count(db) == 1 and count(db, TipAttachment) == 3


def test_only_hashes_and_ciphertext_of_personal_data_are_stored_logged_or_audited(
    client, db, actors, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    receipt = file_tip(
        client,
        kind="bank_account",
        value=ACCOUNT,
        category="MISLEADING_INFO",
        contact_name="Nguyễn Thị Hoa",
        contact_phone="0912 345 678",
        contact_email="hoa.nguyen@example.vn",
    )
    row = db.scalars(select(Tip)).one()
    assert row.value is None and row.value_enc and row.contact_enc
    stored = b" ".join(
        value if isinstance(value, bytes) else str(value).encode()
        for value in (getattr(row, column.key) for column in Tip.__table__.columns)
    )
    audited = b" ".join(db.scalars(select(AuditEntry.body)))
    logged = "\n".join(record.getMessage() for record in caplog.records).encode()
    code = receipt["receipt_code"]
    secrets = (
        code,
        code.replace("-", ""),
        "001100123456",
        "0011 0012 3456",
        "Nguyễn",
        "345678",
        "hoa.nguyen",
    )
    for place, text in (("stored", stored), ("audited", audited), ("logged", logged)):
        for secret in secrets:
            assert secret.encode() not in text, (place, secret)

    headers = actors.headers("MOIT-DMS")
    masked = client.get(f"{TIPS}/{row.id}", headers=headers).json
    assert (masked["value"], masked["display"]) == ("VCB ••••3456", "VCB ••••3456")
    assert (masked["contact_name"], masked["contact_phone"], masked["contact_email"]) == (
        "N•••", "+•••678", "h•••@example.vn",
    )  # fmt: skip
    revealed = client.get(f"{TIPS}/{row.id}?sensitive=true", headers=headers).json
    assert revealed["value"] == "970436:001100123456"
    assert (revealed["contact_name"], revealed["contact_phone"]) == ("Nguyễn Thị Hoa", "+84912345678")
    no_scope = actors.headers("MOIT-DMS", scopes=["registry:write"])
    assert client.get(f"{TIPS}/{row.id}?sensitive=true", headers=no_scope).status_code == 403


def test_a_phone_is_kept_encrypted_and_shown_masked(client, db, actors) -> None:
    file_tip(client, kind="phone", value="0912 345 678")
    row = db.scalars(select(Tip)).one()
    assert row.value is None and row.display == "+849•••678"


def test_a_tip_is_matched_to_a_known_identifier(client, db, actors) -> None:
    from tests.factories import create_identifier

    known = create_identifier(client, actors, "cuahang-gia.vn")
    file_tip(client, value="https://cuahang-gia.vn/san-pham/1")
    file_tip(client, value="khong-biet.vn")
    found = {t.group_display: t.identifier_id for t in db.scalars(select(Tip))}
    assert {k: (str(v) if v else None) for k, v in found.items()} == {
        "cuahang-gia.vn": known, "khong-biet.vn": None,
    }  # fmt: skip


def test_the_public_forms_are_limited_per_address(app, db) -> None:
    settings = dataclasses.replace(app.extensions["registry"].settings, public_rate_limit="3 per minute")
    small = create_app(settings)
    small.extensions["registry"].sessionmaker = app.extensions["registry"].sessionmaker
    try:
        client = small.test_client()
        assert post_tip(client).status_code == 201  # a challenge and a filing: 2 of 3
        limited = client.get(f"{TIPS}/challenge")
        assert limited.status_code == 200
        refused = status(client, "TB-AAAA")
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
        other = client.get(f"{TIPS}/challenge", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert other.status_code == 200  # counted per address
    finally:
        small.extensions["registry"].engine.dispose()


@pytest.mark.parametrize("body", [b"kind=website", b'{"kind": "website"}'])
def test_the_form_is_multipart_only(client, body: bytes) -> None:
    typed = "application/x-www-form-urlencoded" if body.startswith(b"kind") else "application/json"
    answer = client.post(TIPS, data=body, content_type=typed)
    assert answer.status_code == 415
