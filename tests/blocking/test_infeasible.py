"""An executor may answer `technically_infeasible` (an ISP cannot block an HTTPS URL path) with a reason;
the answer goes back to the deciding agency, which redispatches the order or ends it."""

from __future__ import annotations

from tests.blocking.helpers import APPROVER, URL, body

PATH = {"kind": "url", "value": "https://hanggia-mypham.vn/san-pham/kem-tri-nam"}


def test_technically_infeasible_needs_a_reason_and_leaves_that_executors_feed(walker, grounds):
    request = walker.dispatched(body(*grounds, targets=[PATH], executors=["ISP-VNPT", "ISP-VIETTEL"]))
    target = request["targets"][0]["id"]
    infeasible = {"target_id": target, "outcome": "not_executable", "reason": "technically_infeasible"}
    bare = walker.ack(request["id"], [infeasible])
    assert bare.status_code == 422 and "note" in str(bare.json["errors"]), bare.json
    why = "HTTPS: chỉ chặn được theo tên miền, không chặn được đường dẫn"
    answered = walker.ack(request["id"], [{**infeasible, "note": why}], officer="vnpt.noc")
    assert answered.status_code == 200, answered.json
    assert answered.json["state"] == "dispatched"
    feed = walker.client.get("/api/v1/blocklists/ISP-VNPT.json", headers=walker.h("ISP-VNPT")).json
    assert feed["entries"] == []  # it cannot act on it
    other = walker.client.get("/api/v1/blocklists/ISP-VIETTEL.json", headers=walker.h("ISP-VIETTEL")).json
    assert [e["value"] for e in other["entries"]] == [request["targets"][0]["value"]]


def test_the_decider_sees_lists_and_redispatches_an_infeasible_order(walker, grounds):
    request = walker.dispatched(body(*grounds, targets=[PATH], executors=["ISP-VNPT"]))
    other = walker.dispatched(body(*grounds, targets=[{"kind": "domain", "value": "khac.vn"}]))
    rid, target = request["id"], request["targets"][0]["id"]
    why = "HTTPS: không chặn được đường dẫn"
    item = {"target_id": target, "outcome": "not_executable", "reason": "technically_infeasible", "note": why}
    assert walker.ack(rid, [item]).status_code == 200

    full = walker.get(rid).json
    assert [(i["executor"], i["note"]) for i in full["technically_infeasible"]] == [("ISP-VNPT", why)]
    attention = {"attention": "technically_infeasible"}
    listed = walker.client.get(URL, query_string=attention, headers=walker.h("MOST")).json
    assert [i["id"] for i in listed["items"]] == [rid] and other["id"] != rid

    # the decider acts: the order goes to a further executor, with a reason (recorded as a step)
    refused = walker.act(rid, "executors", officer=APPROVER, executors=["ISP-VNPT"], reason="Lại")
    assert refused.status_code == 422 and "already addressed" in str(refused.json["errors"])
    not_isp = walker.act(rid, "executors", officer=APPROVER, executors=["VNNIC"], reason="Lại")
    assert not_isp.status_code == 422
    done = walker.ok(rid, "executors", officer=APPROVER, executors=["ISP-FPT"], reason="Chuyển FPT (lọc URL)")
    assert done["state"] == "dispatched" and [e["executor"] for e in done["executors"]] == [
        "ISP-VNPT",
        "ISP-FPT",
    ]
    fpt = done["executors"][1]
    assert fpt["dispatched_at"] and fpt["due_at"]
    step = done["transitions"][-1]
    assert (step["action"], step["from_state"], step["to_state"]) == (
        "redispatch",
        "dispatched",
        "dispatched",
    )
    assert step["officer"] == APPROVER and step["detail"] == {"executors": ["ISP-FPT"]}
    assert walker.client.get(URL, query_string=attention, headers=walker.h("MOST")).json["items"] == []
    feed = walker.client.get("/api/v1/blocklists/ISP-FPT.json", headers=walker.h("ISP-FPT")).json
    assert [e["request_id"] for e in feed["entries"]] == [rid]
    # and the new executor can answer
    executed = walker.ack(rid, [{"target_id": target, "outcome": "executed"}], agency="ISP-FPT")
    assert executed.status_code == 200 and executed.json["state"] == "in_effect"
