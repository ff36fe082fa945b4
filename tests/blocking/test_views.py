"""What each caller sees of a block request (the Read schemas in schemas/blocking.py dump the records),
and that a page of them costs the same number of statements however many records it holds."""

from __future__ import annotations

import pytest

from tests.blocking.helpers import APPROVER, URL, body
from tests.factories import make_decision

FULL = {
    "id",
    "view",
    "action",
    "measure",
    "state",
    "version",
    "state_due_at",
    "allowed_actions",
    "submitted_by_agency",
    "submitted_by",
    "approved_by",
    "decision",
    "mirror_of",
    "urgent",
    "valid_from",
    "valid_until",
    "reason",
    "targets",
    "executors",
    "violation_ids",
    "subject_ids",
    "appeals",
    "technically_infeasible",
    "pending_unblock",
    "transitions",
    "created_at",
}
ORDER = {
    "id",
    "view",
    "action",
    "measure",
    "state",
    "urgent",
    "decision",
    "valid_from",
    "valid_until",
    "targets",
    "executor",
}
EXECUTOR = {
    "executor",
    "platform",
    "dispatched_at",
    "due_at",
    "acknowledged",
    "overdue",
    "acknowledgements",
    "unblock",
}


def test_the_full_view_the_executors_view_and_list_items(walker, grounds):
    request = walker.in_effect(body(*grounds))
    assert set(request) == FULL and request["view"] == "full"
    assert set(request["decision"]) == {
        "id", "number", "document_type", "issuer", "issued_on", "effective_to", "issuer_confirmation",
        "signature_status", "signatures", "signature_override",
    }  # fmt: skip
    assert request["decision"]["signature_status"] == "unsigned"
    assert request["decision"]["issuer"] == "MOST" and request["submitted_by_agency"] == "MOST"
    assert [set(e) for e in request["executors"]] == [EXECUTOR, EXECUTOR]
    assert [e["executor"] for e in request["executors"]] == ["ISP-VNPT", "ISP-VIETTEL"]
    ack = request["executors"][0]["acknowledgements"][0]
    assert set(ack) == {"target_id", "outcome", "reason", "note", "recorded_by", "officer", "at"}
    assert ack["recorded_by"] == "ISP-VNPT"
    assert [t["action"] for t in request["transitions"]][-1] == "take_effect"
    assert request["transitions"][0]["agency"] == "MOST"

    order = walker.get(request["id"], agency="ISP-VNPT").json
    assert set(order) == ORDER and order["view"] == "executor"
    assert set(order["executor"]) == EXECUTOR and order["executor"]["executor"] == "ISP-VNPT"
    assert [set(t) for t in order["targets"]] == [{"id", "kind", "value", "display"}]

    listed = walker.client.get(URL, headers=walker.h("MOST")).json["items"]
    assert [set(i) for i in listed] == [FULL - {"transitions"}]
    mine = walker.client.get(f"{URL}?executor=me", headers=walker.h("ISP-VNPT")).json["items"]
    assert [set(i) for i in mine] == [ORDER]


def test_an_appeal_is_shown_with_its_decision_fields(walker, grounds):
    request = walker.in_effect(body(*grounds))
    filed = walker.client.post(
        f"{URL}/{request['id']}/appeals",
        json={"appellant": "Công ty A", "grounds": "Không vi phạm"},
        headers={**walker.h("MOST", APPROVER), "Idempotency-Key": "appeal-view-1"},
    )
    assert filed.status_code == 201, filed.json
    assert filed.json["status"] == "pending" and filed.json["decided_by"] is None


@pytest.mark.parametrize(("path", "agency"), [(URL, "MOST"), (f"{URL}?executor=me", "ISP-VNPT")])
def test_a_page_costs_the_same_statements_whatever_its_size(walker, db, grounds, statements, path, agency):
    def page_statements(expected: int) -> int:
        headers = walker.h(agency)  # minting the token is not the page's cost
        walker.client.get(path, headers=headers)  # caches warm (agency codes, verified token)
        statements.clear()
        answer = walker.client.get(path, headers=headers)
        assert answer.status_code == 200 and len(answer.json["items"]) == expected
        return len(statements)

    walker.in_effect(body(*grounds))
    one = page_statements(1)
    for value in ("hai.vn", "ba.vn"):
        decision = make_decision(db)  # each its own: no reference found in the session already
        walker.in_effect(body(decision, grounds[1], targets=[{"kind": "domain", "value": value}]))
    assert page_statements(3) == one
