"""The public check of a website, URL or shop: published violations and blocks in effect, nothing else."""

from __future__ import annotations

import json

from sqlalchemy import select

from registry.audit.models import AuditEntry
from tests.blocking.helpers import APPROVER, body
from tests.factories import make_decision, make_violation
from tests.public import seed

CHECK = "/api/v1/public/check"
SECRETS = (seed.SECRET_NAME, seed.SECRET_PERSONAL_ID, seed.SECRET_SUMMARY, "12345678", "Phố Bí Mật")


def _no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_a_published_violation_answers_with_its_decision_and_nothing_else(client, db, cipher):
    published = seed.violation(
        db, cipher, [("domain", "hanggia-mypham.vn")], categories=("COUNTERFEIT", "SMUGGLED")
    )
    answer = client.get(CHECK, query_string={"value": "HangGia-MyPham.vn"})
    assert answer.status_code == 200
    assert answer.json["flagged"] is True and answer.json["blocks"] == []
    (found,) = answer.json["violations"]
    assert found["matched"] == {
        "kind": "domain",
        "value": "hanggia-mypham.vn",
        "display": "hanggia-mypham.vn",
    }
    assert found["categories"] == ["COUNTERFEIT", "SMUGGLED"] and found["status"] == "sanctioned"
    assert found["decision"]["issuing_body"] == "Cục QLTT Hà Nội"
    assert set(found) == {"matched", "categories", "goods_groups", "status", "detected_on", "decision"}
    assert set(found["decision"]) == {"number", "issued_on", "issuing_body"}
    _no_secrets(answer.get_data(as_text=True))
    assert str(published.id) not in answer.get_data(as_text=True)


def test_what_is_not_published_is_never_answered(client, db, cipher):
    seed.violation(db, cipher, [("domain", "chi-noi-bo.vn")], visibility="state")
    seed.violation(db, cipher, [("domain", "chi-chu-so-huu.vn")], visibility="owner")
    seed.violation(db, cipher, [("domain", "nghi-ngo.vn")], status="suspected")
    seed.violation(db, cipher, [("domain", "da-bac-bo.vn")], status="dismissed")
    for value in ("chi-noi-bo.vn", "chi-chu-so-huu.vn", "nghi-ngo.vn", "da-bac-bo.vn", "chua-tung-thay.vn"):
        answer = client.get(CHECK, query_string={"value": value})
        assert answer.status_code == 200
        assert answer.json["flagged"] is False, value
        assert answer.json["violations"] == [] and answer.json["blocks"] == []


def test_a_url_matches_its_host_and_parent_domain_and_a_shop_url_its_shop(client, db, cipher):
    seed.violation(db, cipher, [("domain", "myphamgia.vn")])
    seed.violation(db, cipher, [("marketplace_shop", "shopee:88990011")], categories=("EXPIRED",))
    by_url = client.get(CHECK, query_string={"value": "https://www.myphamgia.vn/san-pham?id=1"})
    assert by_url.json["query"]["kind"] == "url"
    assert [v["matched"]["value"] for v in by_url.json["violations"]] == ["myphamgia.vn"]
    shop = client.get(CHECK, query_string={"value": "https://shopee.vn/shop/88990011"})
    assert [v["matched"]["value"] for v in shop.json["violations"]] == ["shopee:88990011"]
    by_key = client.get(CHECK, query_string={"value": "shopee:88990011"})
    assert by_key.json["query"]["kind"] == "marketplace_shop" and by_key.json["flagged"] is True
    unrelated = client.get(CHECK, query_string={"value": "https://shopee.vn/shop/11"})
    assert unrelated.json["flagged"] is False


def test_a_block_in_effect_answers_until_it_is_lifted(client, db, walker):
    decision, violation = make_decision(db), make_violation(db)
    blocked = walker.in_effect(
        body(decision, violation, targets=[{"kind": "domain", "value": "chan-ngay.vn"}])
    )
    answer = client.get(CHECK, query_string={"value": "http://shop.chan-ngay.vn/"})
    (block,) = answer.json["blocks"]
    assert block["matched"]["value"] == "chan-ngay.vn" and block["action"] == "block_at_isp"
    assert block["decision"] == {
        "number": decision.number,
        "issued_on": decision.issued_on.isoformat(),
        "issuing_body": decision.issuing_body,
    }
    assert answer.json["violations"] == []  # the block's own case is state-only: not shown
    assert violation.summary not in answer.get_data(as_text=True)
    walker.ok(blocked["id"], "lift", officer=APPROVER, reason="Đã khắc phục", decision_id=walker.decision())
    assert client.get(CHECK, query_string={"value": "chan-ngay.vn"}).json["flagged"] is False


def test_bad_values_are_a_problem_naming_the_field(client):
    answer = client.get(CHECK, query_string={"value": "not a domain"})
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert "value" in answer.json["errors"]
    assert client.get(CHECK).status_code == 422
    assert client.get(CHECK, query_string={"value": "x.vn", "kind": "bank_account"}).status_code == 422


def test_the_check_is_audited_without_a_caller(client, db, cipher):
    seed.violation(db, cipher, [("domain", "kiem-toan.vn")])
    assert client.get(CHECK, query_string={"value": "kiem-toan.vn"}).status_code == 200
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "public:check").order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None and entry.outcome == "allowed" and entry.agency is None
    assert json.loads(entry.body)["detail"] == {"kind": "domain", "flagged": True}
