"""Bulk screening counts the running freeze orders on an account, for the parties who may see them."""

from __future__ import annotations

from tests.freezing.helpers import VCB

SCREENINGS = "/api/v1/screenings"


def freeze_count(client, headers) -> int:  # type: ignore[no-untyped-def]
    response = client.post(
        SCREENINGS, json={"items": [{"kind": "bank_account", "value": VCB}]}, headers=headers
    )
    assert response.status_code == 200, response.json
    result = response.json["results"][0]
    assert result["status"] == "match"
    return result["open_orders"]["freeze_orders"]


def test_running_order_counted_for_its_parties_only_and_not_once_lifted(client, freeze):
    order = freeze.in_effect()
    assert freeze_count(client, freeze.headers("SBV")) == 1
    assert freeze_count(client, freeze.headers("MPS-C03")) == 1
    # Customs may screen the account but is no party to the order: it learns nothing of it.
    assert freeze_count(client, freeze.headers("MOF-CUSTOMS")) == 0

    lifting = freeze.decision("MPS-C03")
    freeze.post(
        f"/api/v1/freeze-orders/{order['id']}/lift",
        "MPS-C03",
        "inv-1",
        decision_id=lifting,
        note="cancellation decision",
    )
    assert freeze_count(client, freeze.headers("SBV")) == 0
