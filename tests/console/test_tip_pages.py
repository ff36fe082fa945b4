"""The console's tip pages, as the routed agency's officer with registry:write (dms.thu, MOIT-DMS) uses
them: groups and list, a tip with its file, triage, a link, closing; re-routing hands it to another
agency; each step audited with the officer and the case. WRITER_MATRIX tries every route once."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from registry.audit.models import AuditEntry
from tests.console.helpers import csrf_of
from tests.console.test_accessibility import unlabelled
from tests.factories import make_subject
from tests.tips.helpers import PNG, file_tip

CASE = "TB-2026/15"
NO = uuid.uuid4()
WRITER_MATRIX = {
    ("GET", "/console/tips"): 200,
    ("GET", f"/console/tips/{NO}"): 404,
    ("GET", f"/console/tips/{NO}/attachments/{NO}"): 404,
    ("POST", f"/console/tips/{NO}/triage"): 404,
    ("POST", f"/console/tips/{NO}/links"): 422,
    ("POST", f"/console/tips/{NO}/reroute"): 422,
    ("POST", f"/console/tips/{NO}/close"): 422,
}


def test_the_writer_matrix(officer) -> None:  # type: ignore[no-untyped-def]
    clerk = officer("dms.thu", CASE)
    token = csrf_of(clerk.get("/console/").text)
    seen = {}
    for method, path in WRITER_MATRIX:
        sent = {"csrf_token": token} if method == "POST" else None
        seen[(method, path)] = clerk.open(path, method=method, data=sent).status_code
    assert seen == WRITER_MATRIX


def test_the_routed_agency_works_a_tip_in_the_console(officer, client, db) -> None:  # type: ignore[no-untyped-def]
    code = file_tip(client, value="https://kem-gia.vn/a", files=[(PNG, "anh.png")])["receipt_code"]
    file_tip(client, value="kem-gia.vn")
    clerk = officer("dms.thu", CASE)
    listed = clerk.get("/console/tips")
    assert listed.status_code == 200 and unlabelled(listed.text) == []
    assert "kem-gia.vn" in listed.text and 'id="tip-groups"' in listed.text
    tip_ids = re.findall(r'href="/console/tips/([0-9a-f-]{36})"', listed.text)
    assert len(tip_ids) == 2
    tip_id = tip_ids[0]
    shown = clerk.get(f"/console/tips/{tip_id}")
    assert shown.status_code == 200 and unlabelled(shown.text) == []
    token = csrf_of(shown.text)

    assert clerk.post(f"/console/tips/{tip_id}/triage", data={"csrf_token": token}).status_code == 302
    seller = make_subject(db, owner="MOIT-DMS", name="Công ty TNHH Kem Giả")
    link = {"csrf_token": token, "record_type": "subject", "record_id": str(seller.id)}
    linked = clerk.post(f"/console/tips/{tip_id}/links", data=link)
    assert linked.status_code == 302, linked.text
    closed = clerk.post(f"/console/tips/{tip_id}/close",
                        data={"csrf_token": token, "outcome": "handled", "note": "Đã xử phạt."})  # fmt: skip
    assert closed.status_code == 302, closed.text
    after = clerk.get(f"/console/tips/{tip_id}").text
    assert 'data-status="handled"' in after and str(seller.id) in after and 'id="close-tip"' not in after
    steps = [
        (e.action, e.officer, e.purpose)
        for e in db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.in_(["tip:triage", "tip:link", "tip:close"]))
            .order_by(AuditEntry.id)
        )
    ]
    assert steps == [(a, "dms.thu", CASE) for a in ("tip:triage", "tip:link", "tip:close")]
    statuses = {client.post("/api/v1/tips/status", json={"receipt_code": code}).json["status"]}
    assert statuses <= {"handled", "received"}  # the tip shown first is either of the two

    other = tip_ids[1]
    moved = clerk.post(f"/console/tips/{other}/reroute", data={"csrf_token": token, "agency": "MOST"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/console/tips")
    assert clerk.get(f"/console/tips/{other}").status_code == 404
