"""A case's sanction decision by its number, Tax's additions of tax recovered, and criminal referrals:
in the case's Read and in the seller history (on PostgreSQL both history paths, compared)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from registry.models import VisibilityChange
from tests.databases import PG_URL
from tests.factories import create_subject, create_violation, make_decision, vn_date

URL = "/api/v1/violations"


@pytest.fixture
def case(client, actors):
    """A case of market surveillance (MOIT-DMS) against a seller, both visible to state bodies."""
    dms = actors.headers("MOIT-DMS")
    seller = create_subject(client, dms, name="Công ty Mỹ phẩm Hoa Sen")
    violation = create_violation(client, dms, [seller["id"]], tax_recovered_vnd=1_000_000)
    return {"seller": seller["id"], "id": violation["id"]}


def history(client, actors, subject_id, agency="MOF-CUSTOMS"):
    """The seller history as `agency` with registry:read only: it reads no freeze orders, so on PostgreSQL
    the history is the one statement of services.history_json (compared with the ORM path)."""
    headers = actors.headers(agency, ["registry:read"])
    response = client.get(f"/api/v1/subjects/{subject_id}/history", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


# -- the sanction decision by its number -------------------------------------------------------------
def test_a_case_shows_its_sanction_decisions_number_issuer_and_date(client, actors, db, history_paths_agree):
    dms = actors.headers("MOIT-DMS")
    decision = make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS", number="45/QĐ-XPHC")
    seller = create_subject(client, dms, name="Cửa hàng Thanh Tâm")
    case = create_violation(
        client, dms, [seller["id"]], status="sanctioned", sanction_decision_id=str(decision.id)
    )
    expected = {
        "id": str(decision.id),
        "number": "45/QĐ-XPHC",
        "issued_on": decision.issued_on.isoformat(),
        "issuer": "MOIT-DMS",
        "issuing_body": decision.issuing_body,
    }
    assert case["sanction_decision"] == expected
    read = client.get(f"{URL}/{case['id']}", headers=actors.headers("MOF-TAX")).json
    assert read["sanction_decision"] == expected and read["sanction_decision_id"] == str(decision.id)
    (in_history,) = history(client, actors, seller["id"])["violations"]
    assert in_history["sanction_decision"] == expected
    assert history_paths_agree or not PG_URL  # both history paths compared on PostgreSQL


def test_a_decision_the_caller_may_not_see_is_not_named(client, actors, db):
    dms = actors.headers("MOIT-DMS")
    decision = make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS", visibility="owner")
    seller = create_subject(client, dms, name="Cửa hàng Minh Khai")
    case = create_violation(client, dms, [seller["id"]], sanction_decision_id=str(decision.id))
    assert case["sanction_decision"]["id"] == str(decision.id)  # the owner sees it
    read = client.get(f"{URL}/{case['id']}", headers=actors.headers("MOF-TAX")).json
    assert read["sanction_decision"] is None and read["sanction_decision_id"] is None
    (in_history,) = history(client, actors, seller["id"], agency="MOF-TAX")["violations"]
    assert in_history["sanction_decision"] is None


# -- Tax's additions ---------------------------------------------------------------------------------
def add_tax(client, headers, case_id, **body):
    body = {"amount_vnd": 250_000_000, **body}
    return client.post(f"{URL}/{case_id}/tax-recoveries", json=body, headers=headers)


def test_tax_adds_the_tax_it_recovered_to_another_agencys_case(client, actors, case):
    tax = actors.headers("MOF-TAX", officer="thu.lt")
    added = add_tax(client, tax, case["id"], reference="12/QĐ-CT", note="Truy thu thuế TNCN 2025")
    assert added.status_code == 201, added.json
    assert added.json["agency"] == "MOF-TAX" and added.json["recorded_by"] == "thu.lt"
    assert added.json["amount_vnd"] == 250_000_000 and added.json["reference"] == "12/QĐ-CT"
    assert added.json["recorded_at"]
    assert add_tax(client, tax, case["id"], amount_vnd=5_000).status_code == 201

    read = client.get(f"{URL}/{case['id']}", headers=actors.headers("MOIT-DMS")).json
    assert read["tax_recovered_vnd"] == 1_000_000  # the owner's own figure is untouched
    assert [(t["agency"], t["amount_vnd"]) for t in read["tax_recoveries"]] == [
        ("MOF-TAX", 250_000_000), ("MOF-TAX", 5_000),
    ]  # fmt: skip
    assert read["tax_recovered_total_vnd"] == 1_000_000 + 250_000_000 + 5_000
    (in_history,) = history(client, actors, case["seller"])["violations"]
    assert in_history["tax_recovered_total_vnd"] == 251_005_000
    assert in_history["tax_recoveries"] == read["tax_recoveries"]
    listed = client.get(URL, query_string={"subject_id": case["seller"]}, headers=tax).json["items"]
    assert listed[0]["tax_recovered_total_vnd"] == 251_005_000


def test_tax_cannot_edit_the_case_itself(client, actors, case):
    tax = actors.headers("MOF-TAX")
    edited = client.patch(f"{URL}/{case['id']}", json={"tax_recovered_vnd": 9}, headers=tax)
    assert edited.status_code == 403


def test_only_a_tax_authority_that_sees_the_case_adds_tax(client, actors, case):
    assert add_tax(client, actors.headers("MOF-CUSTOMS"), case["id"]).status_code == 403
    assert add_tax(client, actors.headers("MOIT-DMS"), case["id"]).status_code == 403
    dms = actors.headers("MOIT-DMS")
    hidden_seller = create_subject(client, dms, name="Hộ kinh doanh Kín", visibility="owner")
    hidden = create_violation(client, dms, [hidden_seller["id"]], visibility="owner")
    assert add_tax(client, actors.headers("MOF-TAX"), hidden["id"]).status_code == 404
    for bad in (0, -5, "100", 10**16):
        assert add_tax(client, actors.headers("MOF-TAX"), case["id"], amount_vnd=bad).status_code == 422
    read = client.get(f"{URL}/{case['id']}", headers=dms).json
    assert read["tax_recoveries"] == [] and read["tax_recovered_total_vnd"] == 1_000_000
    # Additions total at most 10^15 VND a case, so the total stays exact in JSON (below 2^53).
    assert add_tax(client, actors.headers("MOF-TAX"), case["id"], amount_vnd=10**15).status_code == 201
    over = add_tax(client, actors.headers("MOF-TAX"), case["id"], amount_vnd=1)
    assert over.status_code == 422 and "amount_vnd" in over.json["errors"]


# -- criminal referral -------------------------------------------------------------------------------
EVIDENCE = [
    {"description": "Biên bản kiểm tra số 15/BB-QLTT", "sha256": "ab" * 32},
    {"description": "Mẫu hàng tạm giữ: 120 hộp mỹ phẩm"},
]


@pytest.fixture
def hidden_case(client, actors, db):
    """A case only market surveillance sees, and its own grounded referral decision (owner-only too)."""
    dms = actors.headers("MOIT-DMS")
    seller = create_subject(client, dms, name="Công ty Hàng Giả Bí Mật", visibility="state")
    violation = create_violation(client, dms, [seller["id"]], visibility="owner")
    decision = make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS", number="7/QĐ-CHS", visibility="owner")
    return {"seller": seller["id"], "id": violation["id"], "decision": decision}


def refer(client, headers, case_id, decision_id, **body):
    payload = {"police_agency": "MPS-C03", "decision_id": str(decision_id), "evidence": EVIDENCE, **body}
    return client.post(f"{URL}/{case_id}/referrals", json=payload, headers=headers)


def test_a_case_is_referred_to_the_police_who_see_it_and_acknowledge_it(
    client, actors, db, hidden_case, history_paths_agree
):
    police = actors.headers("MPS-C03", officer="dieu.tra")
    case_url = f"{URL}/{hidden_case['id']}"
    assert client.get(case_url, headers=police).status_code == 404  # not before the referral

    referred = refer(client, actors.headers("MOIT-DMS", officer="an.nv"), hidden_case["id"],
                     hidden_case["decision"].id, note="Dấu hiệu tội phạm")  # fmt: skip
    assert referred.status_code == 201, referred.json
    referral = referred.json
    assert referral["police_agency"] == "MPS-C03" and referral["referred_by_agency"] == "MOIT-DMS"
    assert referral["referred_by"] == "an.nv" and referral["acknowledgement"] is None
    assert referral["decision"]["number"] == "7/QĐ-CHS" and referral["decision"]["issuer"] == "MOIT-DMS"
    assert referral["evidence"] == [EVIDENCE[0], {**EVIDENCE[1], "sha256": None}]
    # The police see the case (and its decision) from now on, by a share kept as a visibility change.
    seen = client.get(case_url, headers=police)
    assert seen.status_code == 200 and seen.json["shared_with"] == ["MPS-C03"]
    assert seen.json["referrals"][0]["decision"]["number"] == "7/QĐ-CHS"
    change = db.query(VisibilityChange).filter_by(record_id=uuid.UUID(hidden_case["id"])).one()
    assert change.new_visibility == "named" and "MPS-C03" in change.reason
    assert client.get(f"{URL}/{hidden_case['id']}", headers=actors.headers("MPS-A05")).status_code == 404

    received_on = vn_date(seen.json["referrals"][0]["referred_at"])
    ack_url = f"{case_url}/referrals/{referral['id']}/acknowledgement"
    ack = client.post(ack_url, json={"reference": "112/C03-P2", "received_on": received_on}, headers=police)
    assert ack.status_code == 200, ack.json
    assert ack.json["acknowledgement"]["reference"] == "112/C03-P2"
    assert ack.json["acknowledgement"]["received_on"] == received_on
    assert ack.json["acknowledgement"]["acknowledged_by"] == "dieu.tra"
    again = client.post(ack_url, json={"reference": "113/C03-P2", "received_on": received_on}, headers=police)
    assert again.status_code == 409

    # The case's Read and the seller history show it (the referring agency reads its history).
    read = client.get(case_url, headers=actors.headers("MOIT-DMS")).json
    assert read["referrals"] == [ack.json]
    answer = history(client, actors, hidden_case["seller"], agency="MOIT-DMS")
    (in_history,) = answer["violations"]
    assert in_history["referrals"] == [ack.json]
    events = [(e["kind"], e["agency"], e["summary"]) for e in answer["timeline"] if e["id"] == referral["id"]]
    assert events == [
        ("criminal_referral", "MOIT-DMS", "case referred to MPS-C03"),
        ("referral_acknowledged", "MPS-C03", "received by MPS-C03 as 112/C03-P2"),
    ]
    police_history = history(client, actors, hidden_case["seller"], agency="MPS-C03")
    assert [v["id"] for v in police_history["violations"]] == [hidden_case["id"]]
    assert len(history_paths_agree) == 2 or not PG_URL


def test_a_referral_needs_the_owner_a_police_body_and_a_grounded_decision_of_its_own(
    client, actors, db, hidden_case
):
    dms = actors.headers("MOIT-DMS")
    decision = hidden_case["decision"].id
    # Not the owner: another state agency cannot even see the owner-only case.
    assert refer(client, actors.headers("MOF-TAX"), hidden_case["id"], decision).status_code == 404
    shared = create_violation(client, dms, [hidden_case["seller"]])
    assert refer(client, actors.headers("MOF-TAX"), shared["id"], decision).status_code == 403
    # Not a police body.
    wrong = refer(client, dms, hidden_case["id"], decision, police_agency="SBV")
    assert wrong.status_code == 422 and "police_agency" in wrong.json["errors"]
    # A decision without its document grounds nothing; another agency's decision is not the referral's.
    unfiled = make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS", document=False)
    ungrounded = refer(client, dms, hidden_case["id"], unfiled.id)
    assert ungrounded.status_code == 422 and ungrounded.json["type"].endswith("decision-not-grounding")
    foreign = make_decision(db, issuer="MIC", owner="MIC")
    assert refer(client, dms, hidden_case["id"], foreign.id).status_code == 422
    missing = refer(client, dms, hidden_case["id"], "00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 422
    assert refer(client, dms, hidden_case["id"], decision, evidence=[]).status_code == 422
    bad_hash = [{"description": "x", "sha256": "not-a-hash"}]
    assert refer(client, dms, hidden_case["id"], decision, evidence=bad_hash).status_code == 422
    # None of these shared the case with the police.
    police = actors.headers("MPS-C03")
    assert client.get(f"{URL}/{hidden_case['id']}", headers=police).status_code == 404
    # Once, per receiving body.
    assert refer(client, dms, hidden_case["id"], decision).status_code == 201
    twice = refer(client, dms, hidden_case["id"], decision)
    assert twice.status_code == 409 and twice.json["existing"]


def test_only_the_receiving_body_acknowledges_with_a_sensible_date(client, actors, hidden_case):
    dms = actors.headers("MOIT-DMS")
    referral = refer(client, dms, hidden_case["id"], hidden_case["decision"].id).json
    url = f"{URL}/{hidden_case['id']}/referrals/{referral['id']}/acknowledgement"
    today = vn_date(referral["referred_at"])
    body = {"reference": "9/C03", "received_on": today}
    assert client.post(url, json=body, headers=dms).status_code == 403  # the referring agency
    assert client.post(url, json=body, headers=actors.headers("MPS-A05")).status_code == 404  # cannot see
    police = actors.headers("MPS-C03")
    earlier = (date.fromisoformat(today) - timedelta(days=3)).isoformat()
    assert client.post(url, json={**body, "received_on": earlier}, headers=police).status_code == 422
    later = (date.fromisoformat(today) + timedelta(days=3)).isoformat()
    assert client.post(url, json={**body, "received_on": later}, headers=police).status_code == 422
    other = f"{URL}/{hidden_case['id']}/referrals/00000000-0000-4000-8000-000000000000/acknowledgement"
    assert client.post(other, json=body, headers=police).status_code == 404
    assert client.post(url, json=body, headers=police).status_code == 200
