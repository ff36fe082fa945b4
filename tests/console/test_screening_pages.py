"""The screening pages: a list uploaded as CSV or XLSX and answered as POST /api/v1/screenings answers
it (at once, or as a job whose page follows its progress), its answer paged and downloaded as XLSX, each
audited as the API audits it, with the officer and the case."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from registry.db import utcnow
from registry.models import JobStatus, ScreeningJob
from tests.console.helpers import csrf_of, local
from tests.factories import create_link, create_subject, create_violation
from tests.screening.helpers import SCREENINGS, audit_entries

TAX = "0100109106"
BANK = "VCB:0011001234567"
CASE = "12/QĐ-QLTT"


@pytest.fixture
def seller(client, actors):  # type: ignore[no-untyped-def]
    """A state-visible seller with a tax code, a bank account and two violations (as the API's tests)."""
    dms = actors.headers("MOIT-DMS")
    found = create_subject(client, dms, tax_code=TAX)
    create_link(client, dms, found["id"], "bank_account", BANK)
    create_violation(client, dms, [found["id"]], categories=["COUNTERFEIT", "TAX_EVASION"])
    create_violation(client, dms, [found["id"]], categories=["COUNTERFEIT"])
    return found


CSV = f"Giá trị;Loại\n{TAX};tax_code\nkhong-ai-biet.vn;\n{BANK};bank_account\nnot an identifier\n"
ITEMS = [
    {"kind": "tax_code", "value": TAX},
    {"value": "khong-ai-biet.vn"},
    {"kind": "bank_account", "value": BANK},
    {"value": "not an identifier"},
]


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, content: bytes, filename: str, **form: str):  # type: ignore[no-untyped-def]
    page = client.get("/console/screenings")
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_of(page.text), "file": (io.BytesIO(content), filename), **form}
    return client.post("/console/screenings", data=data, content_type="multipart/form-data")


def _sheet(response) -> list[list[object]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_a_csv_list_is_answered_at_once_as_the_api_answers_it(  # type: ignore[no-untyped-def]
    officer, client, actors, db, seller, screening_dumps_agree
) -> None:  # type: ignore[no-untyped-def]
    customs = officer("customs.hoa", CASE)
    answer = _upload(customs, CSV.encode("utf-8-sig"), "danh-sach.csv")
    assert answer.status_code == 200, answer.text
    page = answer.text
    assert re.search(r'id="screening-total">4<', page) and re.search(r'id="screening-matches">2<', page)
    statuses = re.findall(r'<tr class="outcome-(\w+)" id="result-(\d+)"', page)
    assert statuses == [("match", "1"), ("no_match", "2"), ("match", "3"), ("invalid", "4")]
    assert f'href="/console/subjects/{seller["id"]}/history"' in page
    assert "khớp" in page and "không hợp lệ" in page  # outcomes in Vietnamese
    # The bank account: matched, its value and (without registry:read_sensitive) its seller not shown.
    row3 = page.split('id="result-3"', 1)[1].split("</tr>", 1)[0]
    assert "ẩn (nhạy cảm)" in row3 and seller["id"] not in row3
    assert "0011001234567" not in page

    # One audit entry, as the API's: the list hash as the change, items and matches, the officer, the case.
    (entry,) = [e for e in audit_entries(db, "screening:run") if e["officer"] == "customs.hoa"]
    assert entry["outcome"] == "allowed" and entry["purpose"] == CASE and entry["client_id"] == "console:dev"
    assert entry["detail"]["items"] == 4 and entry["detail"]["matches"] == 2
    api = client.post(SCREENINGS, json={"items": ITEMS}, headers=actors.headers("MOF-CUSTOMS")).json
    assert entry["detail"]["list_sha256"] == entry["change_hash"] == api["list_sha256"]
    assert seller["id"] in entry["subjects"]
    assert TAX not in str(entry) and "0011001234567" not in str(entry)
    assert len(screening_dumps_agree) == 2  # the page's answer and the API's, each as ScreeningRead dumps it


def test_a_sensitive_reader_sees_the_seller_but_never_the_value(officer, db, seller) -> None:  # type: ignore[no-untyped-def]
    dms = officer("dms.an", CASE)
    page = _upload(dms, f"{BANK},bank_account\n".encode(), "list.csv").text
    row = page.split('id="result-1"', 1)[1].split("</tr>", 1)[0]
    assert "outcome-match" in page and seller["id"] in row
    assert "0011001234567" not in page and "ẩn (nhạy cảm)" in row


def test_an_xlsx_list_answered_at_once_as_an_xlsx_download(officer, db, seller) -> None:  # type: ignore[no-untyped-def]
    customs = officer("customs.hoa", CASE)
    content = _xlsx([["Định danh", "Loại"], [TAX, "tax_code"], [None, None], [BANK, "bank_account"]])
    rows = _sheet(_upload(customs, content, "Danh sách.xlsx", answer="xlsx"))
    assert rows[0] == [
        "STT", "Kết quả", "Loại", "Giá trị (chuẩn hoá)", "Lý do không hợp lệ", "Người bán khớp",
        "Vi phạm theo nhóm", "Yêu cầu chặn đang mở", "Lệnh phong tỏa đang mở",
    ]  # fmt: skip
    assert rows[1] == [
        1,
        "khớp",
        "mã số thuế",
        TAX,
        None,
        seller["id"],
        "COUNTERFEIT: 2; TAX_EVASION: 1",
        0,
        0,
    ]
    assert rows[2][:4] == [2, "khớp", "tài khoản ngân hàng", "ẩn (nhạy cảm)"] and rows[2][5] is None
    assert len(rows) == 3
    (entry,) = [e for e in audit_entries(db, "screening:run") if e["officer"] == "customs.hoa"]
    assert entry["detail"]["items"] == 2 and entry["detail"]["matches"] == 2


def test_a_long_list_runs_as_the_api_job_then_pages_and_downloads(  # type: ignore[no-untyped-def]
    officer, db, seller, monkeypatch, screening_dumps_agree
) -> None:  # type: ignore[no-untyped-def]
    from registry.console.pages import screening as pages
    from registry.services import screening

    monkeypatch.setattr(screening, "MAX_ITEMS", 2)  # 3 identifiers: a job (run in the request under testing)
    monkeypatch.setattr(pages, "PER_PAGE", 2)
    customs = officer("customs.hoa", CASE)
    submitted = _upload(customs, f"{TAX}\nkhong-ai-biet.vn\n{BANK},bank_account\n".encode(), "list.txt")
    assert submitted.status_code == 303, submitted.text
    path = local(submitted.headers["Location"])
    job_id = path.rsplit("/", 1)[1]
    job = db.get(ScreeningJob, uuid.UUID(job_id))
    assert job.total == 3 and job.officer == "customs.hoa"

    first = customs.get(path)
    assert first.status_code == 200, first.text
    assert 'http-equiv="refresh"' not in first.text  # done: no more reloading
    assert "đã xong" in first.text and re.search(r'id="screening-matches">2<', first.text)
    assert re.findall(r'id="result-(\d+)"', first.text) == ["1", "2"]
    assert f'href="/console/subjects/{seller["id"]}/history"' in first.text
    assert f'href="{path}?page=2"' in first.text
    second = customs.get(f"{path}?page=2").text
    assert re.findall(r'id="result-(\d+)"', second) == ["3"] and "0011001234567" not in second

    assert len(screening_dumps_agree) == 2  # each page as ScreeningRead dumps it
    rows = _sheet(customs.get(f"{path}/results.xlsx"))
    assert [row[:2] for row in rows[1:]] == [[1, "khớp"], [2, "không khớp"], [3, "khớp"]]
    assert rows[3][3] == "ẩn (nhạy cảm)"

    run = [e for e in audit_entries(db, "screening:run") if e["officer"] == "customs.hoa"]
    assert [(e["resource_id"], e["detail"], e["purpose"]) for e in run] == [
        (job_id, {"items": 3, "job": True}, CASE)
    ]
    reads = [e for e in audit_entries(db, "screening:read") if e["officer"] == "customs.hoa"]
    assert [(e["path"], e["outcome"], e["purpose"]) for e in reads] == [
        (path, "allowed", CASE), (path, "allowed", CASE), (f"{path}/results.xlsx", "allowed", CASE),
    ]  # fmt: skip
    assert all(e["detail"] == {"list_sha256": job.list_sha256, "matches": 2, "items": 3} for e in reads)

    # Another agency's officer: not found, page and download alike (and audited as denied).
    other = officer("most.binh", CASE)
    assert other.get(path).status_code == 404
    assert other.get(f"{path}/results.xlsx").status_code == 404
    denied = [e for e in audit_entries(db, "screening:read") if e["officer"] == "most.binh"]
    assert [(e["outcome"], e["resource_id"]) for e in denied] == [("denied", job_id)] * 2


def test_a_running_job_shows_its_progress_and_reloads_itself(officer, actors, db) -> None:  # type: ignore[no-untyped-def]
    customs = officer("customs.hoa", CASE)
    job = ScreeningJob(
        agency_id=actors.agency("MOF-CUSTOMS").id,
        client_id="console:dev",
        officer="customs.hoa",
        status=JobStatus.RUNNING,
        total=20_000,
        processed=10_000,
        list_sha256="",
    )
    db.add(job)
    db.flush()
    page = customs.get(f"/console/screenings/{job.id}")
    assert page.status_code == 200, page.text
    assert '<meta http-equiv="refresh" content="3">' in page.text
    assert 'max="20000" value="10000"' in page.text and "10000 / 20000" in page.text
    assert "screening-download" not in page.text and "screening-results" not in page.text
    assert customs.get(f"/console/screenings/{job.id}/results.xlsx").status_code == 409

    job.updated_at = utcnow() - timedelta(minutes=11)  # its process was lost: shown failed, no reload
    db.flush()
    lost = customs.get(f"/console/screenings/{job.id}").text
    assert 'http-equiv="refresh"' not in lost and 'id="screening-error"' in lost


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("report.pdf", b"%PDF-1.7\n", "không phải tệp CSV hoặc XLSX"),
        ("list.csv", b"", "không có định danh nào"),
        ("list.csv", "Hà Nam\n".encode("cp1258"), "không đọc được"),
        ("list.xlsx", b"PK\x03\x04 broken", "không đọc được"),
        ("list.csv", b"a.vn\nb.vn\nc.vn\n", "nhiều hơn 2 định danh"),
        ("list.csv", f"{TAX},tax_code\nx.vn,nonsense\n".encode(), "dòng 2"),
        ("list.csv", ("x" * 2049 + "\n").encode(), "dòng 1"),
    ],
)
def test_a_bad_file_is_a_422_page_and_nothing_is_stored(
    officer, db, monkeypatch, filename, content, message
) -> None:  # type: ignore[no-untyped-def]
    from registry.services import screening

    monkeypatch.setattr(screening, "MAX_JOB_ITEMS", 2)
    monkeypatch.setattr(screening, "MAX_ITEMS", 1)  # a list that passes would become a job
    customs = officer("customs.hoa", CASE)
    jobs = db.scalar(select(func.count()).select_from(ScreeningJob))
    refused = _upload(customs, content, filename)
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert db.scalar(select(func.count()).select_from(ScreeningJob)) == jobs
    (entry,) = [e for e in audit_entries(db, "screening:run") if e["officer"] == "customs.hoa"]
    assert entry["outcome"] == "error" and entry["status_code"] == 422 and entry["purpose"] == CASE


def test_a_body_over_the_apis_limit_is_a_413_page(officer, app, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from registry.api.screening_runs import MAX_SCREENING_BODY

    view = app.view_functions["console.run_screening"]
    assert view.max_body_bytes == MAX_SCREENING_BODY  # the API's limit for a list, not the default 2 MB
    monkeypatch.setattr(view, "max_body_bytes", 1000)
    customs = officer("customs.hoa", CASE)
    refused = _upload(customs, b"a.vn\n" * 400, "list.csv")
    assert refused.status_code == 413 and "<html" in refused.text
    assert db.scalar(select(func.count()).select_from(ScreeningJob)) == 0


def test_no_file_is_a_422_and_the_form_needs_a_case_first(officer) -> None:  # type: ignore[no-untyped-def]
    customs = officer("customs.hoa")
    asked = customs.get("/console/screenings")
    assert asked.status_code == 302 and "/console/case" in asked.headers["Location"]
    customs = officer("customs.hoa", CASE)
    form = customs.get("/console/screenings")
    assert 'type="file"' in form.text and 'for="screening-file"' in form.text and "tax_code" in form.text
    assert "Tối đa 10.000 định danh được trả lời ngay; tối đa 200.000" in form.text  # Vietnamese numbers
    sent = customs.post("/console/screenings", data={"csrf_token": csrf_of(form.text)})
    assert sent.status_code == 422 and "Chọn một tệp CSV hoặc XLSX" in sent.text


def test_an_upload_without_the_sessions_token_is_refused_and_runs_nothing(officer, db) -> None:  # type: ignore[no-untyped-def]
    customs = officer("customs.hoa", CASE)
    forged = customs.post(
        "/console/screenings",
        data={"csrf_token": "forged", "file": (io.BytesIO(TAX.encode()), "list.csv")},
        content_type="multipart/form-data",
    )
    assert forged.status_code == 403
    (entry,) = [e for e in audit_entries(db, "screening:run") if e["officer"] == "customs.hoa"]
    assert entry["outcome"] == "denied" and "detail" not in entry


def test_the_pages_are_linked_for_readers_only(officer) -> None:  # type: ignore[no-untyped-def]
    assert 'id="home-screening"' in officer("customs.hoa").get("/console/").text
    assert 'id="nav-screening"' in officer("customs.hoa").get("/console/").text
    executor = officer("vnpt.dung").get("/console/").text
    assert "home-screening" not in executor and "nav-screening" not in executor
