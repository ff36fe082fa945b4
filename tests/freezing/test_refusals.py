"""Every refusal of the freeze workflow, each with its status and what it says."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from registry.models import FreezeOrder, Identifier
from tests.freezing.helpers import ORDERS, TCB, VCB


def orders(db) -> int:
    return db.scalar(select(func.count()).select_from(FreezeOrder))


@pytest.mark.parametrize("issuer", ["MOIT-DMS", "MOIT", "VECOM"])
def test_incompetent_issuer_is_422(freeze, db, issuer):
    """Market surveillance, the trade ministry and associations cannot order a freeze."""
    submitter = issuer if issuer != "VECOM" else "MPS-C03"
    refused = freeze.submit(agency=submitter, decision_id=freeze.decision(issuer), expect=422)
    assert refused["errors"]["decision_id"] == [f"{issuer} is not competent to order freeze account"]
    assert orders(db) == 0


@pytest.mark.parametrize(
    ("issuer", "basis", "ground"),
    [
        ("MPS-A05", "Bộ luật Tố tụng hình sự 2015, Điều 128", "criminal_procedure"),
        ("SPP", "Bộ luật Tố tụng hình sự 2015, Điều 128", "criminal_procedure"),
        ("SPC", "Bộ luật Tố tụng hình sự 2015, Điều 128", "criminal_procedure"),
        ("MOJ-THADS", "Luật Thi hành án dân sự, Điều 67", "judgment_enforcement"),
        ("MOF-TAX", "Luật Quản lý thuế 2019, Điều 125", "tax_enforcement"),
    ],
)
def test_competent_issuers_may_submit_under_their_ground(freeze, issuer, basis, ground):
    body = freeze.body(
        freeze.decision(issuer), procuracy_notified_at=None, procuracy_reference=None, legal_bases=[basis]
    )
    if issuer.startswith("MPS"):
        body |= {"procuracy_notified_at": "2026-11-01T08:00:00+07:00", "procuracy_reference": "1/TB"}
    order = freeze.submit(body, agency=issuer)
    assert order["state"] == "submitted" and order["legal_ground"] == ground


def test_tax_orders_only_under_the_grounds_it_holds(freeze, db):
    """Tax enforces tax debts (Law on Tax Administration 2019, art. 125); it cannot order a freeze under
    criminal procedure, by naming that ground or by citing its law."""
    decision = freeze.decision("MOF-TAX")
    tax = {"procuracy_notified_at": None, "procuracy_reference": None}
    named = freeze.submit(
        freeze.body(
            decision, legal_ground="criminal_procedure", legal_bases=["Luật Quản lý thuế 2019"], **tax
        ),
        agency="MOF-TAX",
        expect=422,
    )
    assert "MOF-TAX does not order a freeze on criminal_procedure" in named["errors"]["legal_ground"][0]
    cited = freeze.submit(freeze.body(decision, **tax), agency="MOF-TAX", expect=422)  # cites art. 128 CPC
    assert cited["errors"]["legal_bases.0"] == [
        "cites criminal_procedure, a ground MOF-TAX does not hold (it holds tax_enforcement)"
    ]
    unknown = freeze.submit(freeze.body(decision, legal_ground="whim", **tax), agency="MOF-TAX", expect=422)
    assert "unknown ground" in unknown["errors"]["legal_ground"][0]
    assert orders(db) == 0
    order = freeze.submit(
        freeze.body(decision, legal_bases=["Luật Quản lý thuế 2019, Điều 125 khoản 1"], **tax),
        agency="MOF-TAX",
    )
    assert order["legal_ground"] == "tax_enforcement"


def test_missing_or_unusable_decision_is_422(freeze, client, actors, db):
    body = freeze.body()
    del body["decision_id"]
    missing = freeze.submit(body, expect=422)
    assert "decision_id" in missing["errors"]
    unknown = freeze.submit(decision_id=str(uuid.uuid4()), expect=422)
    assert unknown["errors"]["decision_id"] == ["unknown decision"]
    hidden = freeze.submit(decision_id=freeze.decision("MPS-C03", owner="SPP", vis="owner"), expect=422)
    assert hidden["errors"]["decision_id"] == ["unknown decision"]  # not visible to the caller
    others = freeze.submit(decision_id=freeze.decision("SPC"), expect=422)
    assert others["errors"]["decision_id"] == ["issued by SPC, not by MPS-C03"]
    assert orders(db) == 0


def test_a_decision_without_its_document_grounds_no_order(freeze, db):
    refused = freeze.submit(decision_id=freeze.decision(document=False), expect=422)
    assert refused["type"].endswith("/decision-not-grounding")
    assert "document has not been uploaded" in refused["errors"]["decision_id"][0]
    assert orders(db) == 0


def test_criminal_path_needs_the_procuracy_notification(freeze, db):
    refused = freeze.submit(procuracy_notified_at=None, procuracy_reference=None, expect=422)
    assert "procuracy_notified_at" in refused["errors"]
    court = freeze.decision("SPC")
    accepted = freeze.submit(
        agency="SPC", decision_id=court, procuracy_notified_at=None, procuracy_reference=None
    )
    assert accepted["procuracy_notified_at"] is None


def test_submission_needs_an_officer_the_scope_and_a_key(freeze, client, actors, db):
    assert freeze.submit(officer=None, expect=403)["status"] == 403
    bank = freeze.submit(agency="BANK-970436", expect=403)
    assert bank["required_scope"] == "freeze:submit"
    reader = actors.headers("MPS-C03", scopes=["registry:read"], officer="inv-1")
    assert (
        client.post(ORDERS, json=freeze.body(), headers={**reader, "Idempotency-Key": "k" * 10}).status_code
        == 403
    )
    no_key = client.post(ORDERS, json=freeze.body(), headers=freeze.headers("MPS-C03", "inv-1"))
    assert no_key.status_code == 422 and "Idempotency-Key" in no_key.json["errors"]
    key = uuid.uuid4().hex
    freeze.submit(key=key)
    reused = freeze.submit(key=key, amount_vnd=1, expect=409)
    assert "different request" in reused["detail"]
    assert orders(db) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount_vnd": None}, "amount_vnd"),
        ({"whole_balance": True}, "amount_vnd"),
        ({"amount_vnd": 0}, "amount_vnd"),
        ({"amount_vnd": "500000000"}, "amount_vnd"),
        ({"amount_vnd": 1.5}, "amount_vnd"),
        ({"valid_until": "2020-01-01", "valid_from": "2020-01-01"}, "valid_until"),
        ({"valid_from": "2027-01-02", "valid_until": "2027-01-01"}, "valid_until"),
        ({"legal_bases": []}, "legal_bases"),
        ({"accounts": []}, "accounts"),
        ({"accounts": [{"account": VCB}, {"account": "970436:001-100-123-4567"}]}, "accounts.1.account"),
        ({"accounts": [{"account": "0011001234567"}]}, "accounts.0.account"),
        ({"accounts": [{"account": "XYZ:0011001234567"}]}, "accounts.0.account"),
        ({"accounts": [{"account": "OCB:0011001234567"}]}, "accounts.0.account"),  # no registry client
        ({"accounts": [{"account": VCB, "subject_id": str(uuid.uuid4())}]}, "accounts.0.subject_id"),
    ],
)
def test_invalid_terms_are_422_and_write_nothing(freeze, db, fields, field):
    refused = freeze.submit(expect=422, **fields)
    assert field in refused["errors"] or field in str(refused["errors"]), refused
    assert "0011001234567" not in str(refused)  # errors never echo an account number
    assert orders(db) == 0
    assert db.scalar(select(func.count()).select_from(Identifier)) == 0


def test_invalid_transitions_are_409_with_current_and_allowed(freeze):
    order = freeze.submit()
    for action, agency, officer in (
        ("check", "SBV", "sbv-b"),
        ("dispatch", "SBV", "sbv-b"),
        ("close", "SBV", "sbv-b"),
    ):
        refused = freeze.step(order, action, agency, officer, expect=409)
        assert refused["current_state"] == "submitted"
        assert refused["allowed"] == ["dispatch_urgent", "expire", "lift", "receive", "resubmit", "withdraw"]
    amend = freeze.step(
        order, "amend", "MPS-C03", "inv-1", expect=409, decision_id=freeze.decision(), amount_vnd=1, note="x"
    )
    assert amend["current_state"] == "submitted"
    freeze.step(order, "receive")
    twice = freeze.step(order, "receive", officer="sbv-c", expect=409)
    assert twice["current_state"] == "received"
    assert twice["allowed"] == ["check", "expire", "lift", "resubmit", "withdraw"]


def test_only_the_state_bank_processes_and_only_the_issuer_follows_up(freeze):
    order = freeze.submit()
    assert "State Bank" in freeze.step(order, "receive", "NSC389", "nsc-1", expect=403)["detail"]
    assert freeze.step(order, "receive", "MPS-C03", "inv-1", expect=403)["status"] == 403
    assert freeze.step(order, "receive", "SBV", None, expect=403)["status"] == 403  # a named officer
    assert freeze.step(order, "receive", "MOIT-DMS", "x", expect=404)["status"] == 404  # cannot see it
    order = freeze.in_effect()
    refused = freeze.step(order, "lift", "SBV", "sbv-a", expect=403, decision_id=freeze.decision(), note="x")
    assert "issuing agency" in refused["detail"]
    freeze.step(order, "lift", "MPS-C03", None, expect=403, decision_id=freeze.decision(), note="x")
    dms = freeze.step(
        order, "lift", "MPS-C03", "inv-1", expect=422, decision_id=freeze.decision("MOIT-DMS"), note="x"
    )
    assert "not competent" in dms["errors"]["decision_id"][0]


def test_bank_reports_are_checked(freeze):
    order = freeze.dispatched()
    account = freeze.account_of(order, "970436")
    too_much = freeze.report(
        order,
        "BANK-970436",
        account["id"],
        expect=422,
        outcome="executed",
        amount_frozen_vnd=500_000_001,
        bank_reference="R",
    )
    assert "amount_frozen_vnd" in too_much["errors"]
    no_reason = freeze.report(order, "BANK-970436", account["id"], expect=422, outcome="not_executable")
    assert "reason" in no_reason["errors"]
    no_ref = freeze.report(
        order, "BANK-970436", account["id"], expect=422, outcome="executed", amount_frozen_vnd=1
    )
    assert "bank_reference" in no_ref["errors"]
    future = freeze.report(
        order,
        "BANK-970436",
        account["id"],
        expect=422,
        outcome="executed",
        amount_frozen_vnd=1,
        bank_reference="R",
        executed_at="2099-01-01T00:00:00+07:00",
    )
    assert "executed_at" in future["errors"]
    unknown = freeze.report(
        order,
        "BANK-970436",
        str(uuid.uuid4()),
        expect=404,
        outcome="executed",
        amount_frozen_vnd=1,
        bank_reference="R",
    )
    assert unknown["status"] == 404
    not_addressed = freeze.report(
        order,
        "BANK-970407",
        account["id"],
        expect=404,
        outcome="executed",
        amount_frozen_vnd=1,
        bank_reference="R",
    )
    assert not_addressed["status"] == 404


def test_a_bank_sees_nothing_before_dispatch(freeze):
    order = freeze.submit(accounts=[VCB, TCB])
    freeze.get(order, "BANK-970436", expect=404)
    freeze.step(order, "receive")
    freeze.step(order, "check", officer="sbv-b")
    freeze.get(order, "BANK-970436", expect=404)
    freeze.step(order, "dispatch", officer="sbv-b")
    assert freeze.get(order, "BANK-970436")["state"] == "dispatched"


def test_nothing_to_execute_once_lifted(freeze):
    order = freeze.dispatched()
    freeze.step(
        order, "lift", "MPS-C03", "inv-1", decision_id=freeze.decision(), note="Hủy trước khi thực hiện"
    )
    late = freeze.execute(order, "970436", 1_000, expect=409)
    assert late["current_state"] == "lifted" and late["allowed"] == ["close"]


def test_every_step_resting_on_a_decision_needs_a_grounded_one(freeze, db):
    """Order, correction, amendment, extension, lift, conversion and the State Bank's dispatch all go
    through decisions.require_grounding."""
    from registry.models import Decision

    ungrounded = freeze.decision(document=False)
    order = freeze.submit()
    refused = freeze.step(order, "resubmit", "MPS-C03", "inv-1", expect=422, decision_id=ungrounded, note="x")
    assert refused["type"].endswith("/decision-not-grounding")
    freeze.step(order, "receive")
    freeze.step(order, "check", officer="sbv-b")
    # The order's decision loses its grounding before dispatch (e.g. its document found wanting).
    decision = db.get(Decision, uuid.UUID(order["decision"]["id"]))
    document_id, decision.document_id = decision.document_id, None
    db.flush()
    held = freeze.step(order, "dispatch", officer="sbv-b", expect=422)
    assert held["type"].endswith("/decision-not-grounding")
    decision.document_id = document_id
    db.flush()
    freeze.step(order, "dispatch", officer="sbv-b")
    freeze.execute(order, "970436", 1_000)
    bodies = {
        "amend": {"amount_vnd": 1_000_000},
        "extend": {"valid_until": "2030-01-01"},
        "lift": {},
        "convert": {"kind": "deduction"},
    }
    for action, body in bodies.items():
        refused = freeze.step(
            order, action, "MPS-C03", "inv-1", expect=422, decision_id=ungrounded, note="x", **body
        )
        assert refused["type"].endswith("/decision-not-grounding"), action
