"""Who does what, as the plan's roles run it: market surveillance and provincial forces submit on their
own sanction decision; the telecom authority (MIC until 2025-02-28, then MOST) decides ISP and .vn
blocks; the e-commerce agency (MOIT-ECOM) decides marketplace takedowns."""

from __future__ import annotations

from datetime import date

from tests.blocking.helpers import APPROVER, body
from tests.factories import make_decision, make_violation


def test_the_telecom_authority_is_most_since_2025_and_mic_is_its_predecessor(walker):
    mic = walker.client.get("/api/v1/agencies/MIC", headers=walker.h("MOIT-DMS"))
    assert mic.status_code == 200, mic.json
    assert (mic.json["valid_to"], mic.json["successor"]) == ("2025-02-28", "MOST")
    # a retired agency's clients are refused: MIC no longer acts
    assert walker.client.get("/api/v1/block-requests", headers=walker.h("MIC")).status_code == 401


def test_market_surveillance_submits_on_its_own_sanction_decision_and_most_decides(walker, db):
    for agency in ("MOIT-DMS", "PROV-HN"):
        decision = make_decision(db, issuer=agency, owner=agency, number=f"12/QĐ-XPHC-{agency}")
        violation = make_violation(db, owner=agency)
        created = walker.submit_ok(body(decision, violation), agency=agency, officer="dms.officer")
        assert created["submitted_by_agency"] == agency and created["decision"]["issuer"] == agency
        # the submitter does not decide; the telecom authority does
        assert walker.act(created["id"], "review", agency=agency).status_code == 403
        walker.ok(created["id"], "review", agency="MOST")
        approved = walker.ok(created["id"], "approve", agency="MOST", officer=APPROVER)
        assert approved["state"] == "approved"


def test_a_mic_decision_issued_before_the_reorganisation_still_grounds_a_block(walker, db):
    """History keeps MIC: its decision of January 2025 grounds a block that MOST approves today."""
    before = make_decision(
        db, issuer="MIC", owner="MOST", issued_on=date(2025, 1, 15), effective_from=date(2025, 1, 15)
    )
    violation = make_violation(db)
    approved = walker.approved(body(before, violation))
    assert approved["state"] == "approved" and approved["decision"]["issuer"] == "MIC"


def test_a_decision_dated_after_its_issuer_ceased_is_refused(walker, db):
    after = make_decision(db, issuer="MIC", owner="MOST", issued_on=date(2025, 3, 3))
    response = walker.create(body(after, make_violation(db)))
    assert response.status_code == 422, response.json
    assert response.json["errors"]["decision_id"] == [
        "MIC ceased to exist on 2025-02-28; its successor is MOST"
    ]


def test_marketplace_takedowns_are_decided_by_the_ecommerce_agency_only(walker, db, grounds):
    listing = walker.submit_ok(
        body(
            *grounds,
            action="remove_listing",
            executors=[],
            targets=[{"kind": "marketplace_shop", "value": "shopee:445566"}],
        )
    )
    refused = walker.act(listing["id"], "review", agency="MOST")
    assert refused.status_code == 403 and "MOIT-ECOM" in refused.json["detail"]
    walker.ok(listing["id"], "review", agency="MOIT-ECOM")
    # and the e-commerce agency does not decide ISP blocks
    isp = walker.submit_ok(body(*grounds))
    assert walker.act(isp["id"], "review", agency="MOIT-ECOM").status_code == 403
