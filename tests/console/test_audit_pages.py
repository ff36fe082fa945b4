"""The console's audit pages: the auditor finds who read a seller and why (the API's search and CSV
export), an agency without audit:read sees only its own entries, and the log's state is checked."""

from __future__ import annotations

import csv
import html
import io
import re

from registry.api.audit import audit_log
from registry.audit.note import Checkpoint, CosignatureSigner, generate_cosigner, parse_note
from tests.console.helpers import choose_case
from tests.factories import make_subject


def _rows(html: str) -> list[str]:
    body = html.split('id="audit-hits"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)


def test_the_auditor_finds_who_read_a_seller_and_why(officer, db) -> None:  # type: ignore[no-untyped-def]
    subject = make_subject(db, owner="MOST")
    reader = officer("customs.hoa", "77/QĐ-HQ")
    assert reader.get(f"/console/subjects/{subject.id}/history").status_code == 200
    other = make_subject(db, owner="MOST", name="Hộ kinh doanh Khác")
    assert reader.get(f"/console/subjects/{other.id}/history").status_code == 200

    auditor = officer("audit.minh")
    found = auditor.get("/console/audit", query_string={"resource": f"subject:{subject.id}"})
    assert found.status_code == 200, found.text
    rows = _rows(found.text)
    assert len(rows) == 1, rows  # the other seller's read is not an access to this one
    assert "customs.hoa" in rows[0] and "77/QĐ-HQ" in rows[0] and "subject:history" in rows[0]
    assert "MOF-CUSTOMS" in rows[0]

    # The CSV needs a purpose, like the API's export; then it lists the same access.
    link = re.search(r'id="accesses-csv" href="([^"]+)"', found.text).group(1)
    assert auditor.get(link).status_code == 302  # to the case form first
    choose_case(auditor, "AUD-2026/12")
    exported = auditor.get(link)
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    reads = [row for row in table if row["action"] == "subject:history"]
    assert [(r["officer"], r["purpose"], r["agency"]) for r in reads] == [
        ("customs.hoa", "77/QĐ-HQ", "MOF-CUSTOMS")
    ]


def test_without_audit_read_an_agency_sees_only_its_own_entries(officer, db) -> None:  # type: ignore[no-untyped-def]
    subject = make_subject(db, owner="MOST")
    officer("customs.hoa", "77/QĐ-HQ").get(f"/console/subjects/{subject.id}/history")
    most = officer("most.binh", "12/QĐ-BKHCN")
    assert most.get(f"/console/subjects/{subject.id}/history").status_code == 200

    found = most.get("/console/audit", query_string={"resource": f"subject:{subject.id}"})
    assert found.status_code == 200
    rows = _rows(found.text)
    assert len(rows) == 1 and "most.binh" in rows[0], rows
    assert "accesses-csv" not in found.text  # the export is the auditors'
    refused = most.get("/console/audit", query_string={"agency": "MOF-CUSTOMS"})
    assert refused.status_code == 403


def test_the_log_state_page_checks_the_signature_and_the_cosignatures(app, officer, db) -> None:  # type: ignore[no-untyped-def]
    auditor = officer("audit.minh")
    first = auditor.get("/console/audit/log")
    assert first.status_code == 200, first.text
    latest = first.text.split('id="latest"', 1)[1].split("</section>", 1)[0]
    assert 'class="ok verified"' in latest
    assert "Chưa có bên chứng kiến nào đồng ký điểm kiểm tra nào." in first.text  # the default language
    note = html.unescape(re.search(r'<pre class="note">(.*?)</pre>', latest, flags=re.S).group(1))
    body, _ = parse_note(note)
    size = Checkpoint.parse(body).size

    skey, vkey = generate_cosigner("witness.mps.gov.vn")
    with app.app_context():
        log = audit_log()
    log.add_witness(db, "witness.mps.gov.vn", vkey)
    log.add_cosignature(db, size, CosignatureSigner(skey).cosign(body))
    db.flush()

    again = auditor.get("/console/audit/log")
    witnessed = again.text.split('id="witnessed"', 1)[1].split("</section>", 1)[0]
    assert f"Kích thước: {size} bản ghi" in witnessed
    assert 'class="ok verified"' in witnessed
    row = re.search(r"<tr><td>witness\.mps\.gov\.vn</td><td>[^<]+</td><td>([^<]+)</td></tr>", witnessed)
    assert row, witnessed
    assert row.group(1) == "có"
