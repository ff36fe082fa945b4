"""Amendments, lifts and expiry reach the banks as release instructions that each bank confirms; the
order shows what is still frozen where."""

from __future__ import annotations

from tests.freezing.helpers import ORDERS


def confirm(freeze, order, bank_bin, expect=200, **body):
    account = freeze.account_of(order, bank_bin)
    path = f"{ORDERS}/{order['id']}/accounts/{account['id']}/confirm-release"
    return freeze.post(path, f"BANK-{bank_bin}", None, expect=expect, **{"release_reference": "REL", **body})


def test_an_amendment_lowering_the_amount_releases_the_excess_from_the_last_accounts(freeze):
    order = freeze.dispatched()  # 500,000,000 on VCB (first) and BIDV (second)
    freeze.execute(order, "970436", 300_000_000)
    freeze.execute(order, "970418", 200_000_000)
    assert confirm(freeze, order, "970436", expect=409)["current_state"] == "executed"  # nothing to release
    amended = freeze.step(
        order, "amend", "MPS-C03", "inv-1", decision_id=freeze.decision(), amount_vnd=250_000_000, note="x"
    )
    where = {
        a["bank_bin"]: (a["state"], a["amount_frozen_vnd"], a["release_pending_vnd"])
        for a in amended["accounts"]
    }
    assert where == {
        "970418": ("release_pending", 200_000_000, 200_000_000),  # named last: released first
        "970436": ("release_pending", 300_000_000, 50_000_000),
    }
    assert amended["executed_total_vnd"] == 500_000_000 and amended["outstanding_vnd"] == 0  # still frozen
    # Another bank cannot confirm for it; each bank confirms its own.
    vcb = freeze.account_of(amended, "970436")
    wrong = freeze.post(
        f"{ORDERS}/{order['id']}/accounts/{vcb['id']}/confirm-release", "BANK-970418", None, expect=404,
        release_reference="X",
    )  # fmt: skip
    assert wrong["status"] == 404
    partial = confirm(freeze, amended, "970436", release_reference="VCB-REL-7")
    vcb = freeze.account_of(partial, "970436")
    assert (vcb["state"], vcb["amount_frozen_vnd"], vcb["released_vnd"], vcb["release_pending_vnd"]) == (
        "executed",
        250_000_000,
        50_000_000,
        None,
    )
    assert vcb["release_reference"] == "VCB-REL-7" and vcb["released_at"]
    whole = confirm(freeze, amended, "970418")
    assert freeze.account_of(whole, "970418")["state"] == "released"
    sbv = freeze.get(order, "SBV")
    assert sbv["executed_total_vnd"] == 250_000_000 and sbv["outstanding_vnd"] == 0
    # The bank sees its own release; the other bank's stays hidden.
    bidv = freeze.get(order, "BANK-970418")
    assert [(a["bank_bin"], a["released_vnd"]) for a in bidv["accounts"]] == [("970418", 200_000_000)]


def test_a_release_not_confirmed_in_time_is_overdue_for_its_bank(freeze, db):
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from registry.models import FreezeAccount

    order = freeze.in_effect()
    lifted = freeze.step(order, "lift", "MPS-C03", "inv-1", decision_id=freeze.decision(), note="x")
    vcb = freeze.account_of(lifted, "970436")
    assert vcb["due_at"]
    past = datetime.now(UTC) - timedelta(hours=1)
    db.execute(
        update(FreezeAccount).where(FreezeAccount.id == uuid.UUID(vcb["id"])).values(state_due_at=past)
    )
    overdue = freeze.client.get(f"{ORDERS}/overdue", headers=freeze.headers("SBV")).json["items"]
    late = next(o["late"] for o in overdue if o["id"] == order["id"])
    assert [(s["step"], s["party"], s["account_id"]) for s in late] == [("release", "BANK-970436", vcb["id"])]


def test_a_lift_after_a_partial_release_releases_everything(freeze):
    order = freeze.in_effect()  # VCB froze 300,000,000 of 500,000,000
    freeze.step(
        order, "amend", "MPS-C03", "inv-1", decision_id=freeze.decision(), amount_vnd=100_000_000, note="x"
    )
    lifted = freeze.step(order, "lift", "MPS-C03", "inv-1", decision_id=freeze.decision(), note="x")
    vcb = freeze.account_of(lifted, "970436")
    assert (vcb["state"], vcb["release_pending_vnd"]) == (
        "release_pending",
        300_000_000,
    )  # not just 200,000,000
    done = confirm(freeze, lifted, "970436")
    vcb = freeze.account_of(done, "970436")
    assert (vcb["state"], vcb["amount_frozen_vnd"], vcb["released_vnd"]) == ("released", 0, 300_000_000)
    assert freeze.step(order, "close", officer="sbv-c")["state"] == "closed"


def test_a_bank_lists_the_orders_with_a_release_for_it_to_confirm(freeze):
    """?account_state=release_pending: the orders where the caller sees an account in that state (a bank:
    one of its own), e.g. the releases a bank has to confirm."""
    lifted = freeze.dispatched()
    freeze.execute(lifted, "970436", 300_000_000)
    freeze.execute(lifted, "970418", 100_000_000)
    kept = freeze.in_effect()
    freeze.step(lifted, "lift", "MPS-C03", "inv-1", decision_id=freeze.decision(), note="Đình chỉ")

    def listed(agency, **query):
        response = freeze.client.get(ORDERS, query_string=query, headers=freeze.headers(agency))
        assert response.status_code == 200, response.json
        return {item["id"] for item in response.json["items"]}

    assert listed("BANK-970436", account_state="release_pending") == {lifted["id"]}
    assert listed("BANK-970436") == {lifted["id"], kept["id"]}
    assert listed("SBV", account_state="release_pending") == {lifted["id"]}
    confirm(freeze, lifted, "970436")  # VCB confirms; BIDV has yet to
    assert listed("BANK-970436", account_state="release_pending") == set()
    assert listed("BANK-970418", account_state="release_pending") == {lifted["id"]}
    assert listed("SBV", account_state="release_pending") == {lifted["id"]}
    response = freeze.client.get(
        ORDERS, query_string={"account_state": "frozen"}, headers=freeze.headers("SBV")
    )
    assert response.status_code == 422
