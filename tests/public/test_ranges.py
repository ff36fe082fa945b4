"""The k-anonymity range query: the registry receives a 5-character prefix and answers every flagged
suffix with it; what is not published is never among them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.models import PublicDigest, PublicDigestChange
from registry.services.public import ranges
from tests.public import seed

RANGES = "/api/v1/public/ranges"
ACCOUNT, ACCOUNT_CANONICAL = "VCB:0011 0012 34567", "970436:00110012345" + "67"
PHONE, PHONE_CANONICAL = "0912 345 678", "+84912345678"


def _range(client, kind: str, canonical: str):  # type: ignore[no-untyped-def]
    digest = seed.sha256(canonical)
    answer = client.get(f"{RANGES}/{kind}/{digest[:5]}")
    assert answer.status_code == 200, answer.json
    return digest, answer


def _suffixes(answer) -> list[str]:  # type: ignore[no-untyped-def]
    return [entry["suffix"] for entry in answer.json["suffixes"]]


@pytest.mark.parametrize(
    ("kind", "value", "canonical"),
    [("bank_account", ACCOUNT, ACCOUNT_CANONICAL), ("phone", PHONE, PHONE_CANONICAL)],
)
def test_a_flagged_value_is_among_the_suffixes_of_its_prefix(client, db, cipher, kind, value, canonical):
    seed.violation(db, cipher, [(kind, value)], categories=("TAX_EVASION",))
    digest, answer = _range(client, kind, canonical)
    assert answer.json["prefix"] == digest[:5] and answer.json["normalisation"] == "docs/public-lookup.md"
    (entry,) = [e for e in answer.json["suffixes"] if e["suffix"] == digest[5:]]
    assert entry["violations"] == 1 and entry["categories"] == ["TAX_EVASION"]
    assert entry["decisions"][0]["issuing_body"] == "Cục QLTT Hà Nội"
    text = answer.get_data(as_text=True)
    assert canonical not in text and canonical.split(":")[-1] not in text and seed.SECRET_NAME not in text


def test_values_not_published_are_not_flagged(client, db, cipher):
    accounts = {
        "state": "VCB:1111222233", "owner": "VCB:1111222244", "suspected": "VCB:1111222255",
        "dismissed": "VCB:1111222266",
    }  # fmt: skip
    seed.violation(db, cipher, [("bank_account", accounts["state"])], visibility="state")
    seed.violation(db, cipher, [("bank_account", accounts["owner"])], visibility="owner")
    seed.violation(db, cipher, [("bank_account", accounts["suspected"])], status="suspected")
    seed.violation(db, cipher, [("bank_account", accounts["dismissed"])], status="dismissed")
    for value in accounts.values():
        canonical = "970436:" + value.split(":")[1]
        digest, answer = _range(client, "bank_account", canonical)
        assert digest[5:] not in _suffixes(answer)
    assert db.scalar(select(func.count()).select_from(PublicDigest)) == 0  # no digest of them is kept


def test_unpublishing_removes_the_value_at_once(client, db, cipher, actors):
    case = seed.violation(db, cipher, [("phone", "0987 654 321")])
    digest, answer = _range(client, "phone", "+84987654321")
    assert digest[5:] in _suffixes(answer)
    hidden = client.post(
        f"/api/v1/violations/{case.id}/visibility",
        json={"visibility": "state", "reason": "Thu hồi công bố để xem xét lại"},
        headers=actors.headers("MOIT-DMS"),
    )
    assert hidden.status_code == 200, hidden.json
    assert db.scalar(select(func.count()).select_from(PublicDigestChange)) >= 1  # the change left its mark
    _, again = _range(client, "phone", "+84987654321")
    assert digest[5:] not in _suffixes(again)
    assert db.scalar(select(func.count()).select_from(PublicDigest)) == 0
    assert db.scalar(select(func.count()).select_from(PublicDigestChange)) == 0


def test_a_case_published_later_is_found_by_the_next_query(client, db, cipher, actors):
    ranges.bring_up_to_date(db, cipher)  # the migration's mark (everything) consumed: only targeted ones
    case = seed.violation(db, cipher, [("bank_account", "BIDV:21410000123456")], visibility="state")
    marks = db.execute(select(PublicDigestChange.violation_id, PublicDigestChange.identifier_id)).all()
    assert marks == [(case.id, None)]
    digest, answer = _range(client, "bank_account", "970418:21410000123456")
    assert digest[5:] not in _suffixes(answer)
    shown = client.post(
        f"/api/v1/violations/{case.id}/visibility",
        json={"visibility": "public", "reason": "Công bố theo quyết định xử phạt"},
        headers=actors.headers("MOIT-DMS"),
    )
    assert shown.status_code == 200, shown.json
    assert db.scalars(select(PublicDigestChange.violation_id)).all() == [case.id]
    _, again = _range(client, "bank_account", "970418:21410000123456")
    assert digest[5:] in _suffixes(again)
    assert db.scalar(select(func.count()).select_from(PublicDigest)) == 1


def test_the_audit_entry_records_the_prefix_only(client, db, cipher):
    seed.violation(db, cipher, [("bank_account", ACCOUNT)])
    digest, _ = _range(client, "bank_account", ACCOUNT_CANONICAL)
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "public:range").order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None and entry.outcome == "allowed" and entry.agency is None
    recorded = json.loads(entry.body)
    assert recorded["detail"] == {"kind": "bank_account", "prefix": digest[:5]}
    assert (
        digest[5:] not in entry.body.decode() and ACCOUNT_CANONICAL.split(":")[1] not in entry.body.decode()
    )


def test_the_prefix_and_kind_are_checked(client):
    assert client.get(f"{RANGES}/bank_account/abcd").status_code == 422
    assert client.get(f"{RANGES}/bank_account/abcdefg").status_code == 422
    refused = client.get(f"{RANGES}/phone/ghijk")
    assert refused.status_code == 422 and "prefix" in refused.json["errors"]
    assert client.get(f"{RANGES}/personal_id/abcde").status_code == 404
    upper = client.get(f"{RANGES}/phone/ABCDE")
    assert upper.status_code == 200 and upper.json["prefix"] == "abcde"


def test_padding_hides_whether_a_prefix_is_empty(client, db, cipher):
    seed.violation(db, cipher, [("phone", PHONE)])
    digest = seed.sha256(PHONE_CANONICAL)
    padded = client.get(f"{RANGES}/phone/{digest[:5]}", headers={"Add-Padding": "true"}).json["suffixes"]
    real = [entry for entry in padded if entry["violations"] > 0]
    assert [entry["suffix"] for entry in real] == [digest[5:]]
    assert 17 <= len(padded) <= 32 and [e["suffix"] for e in padded] == sorted(e["suffix"] for e in padded)
    assert all(len(entry["suffix"]) == 59 for entry in padded)
    empty = client.get(f"{RANGES}/phone/fffff", headers={"Add-Padding": "true"}).json["suffixes"]
    assert 16 <= len(empty) <= 31 and all(entry["violations"] == 0 for entry in empty)
    assert client.get(f"{RANGES}/phone/fffff").json["suffixes"] == []  # without the header, no padding
