"""Screening lists as files (services.screening_files), without Flask: CSV and XLSX read into the API's
items, bad files refused with their reason, and an answer written out as XLSX and read back."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from registry.services.screening_files import ScreeningFileError, read_list, results_xlsx


def _xlsx(rows: list[list[object]], *, sheets: int = 1) -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "Danh sách"
    for row in rows:
        book.active.append(row)
    for n in range(1, sheets):
        book.create_sheet(f"Khác {n}").append(["other-sheet.vn"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


EXPECTED = [
    {"value": "0100109106", "kind": "tax_code"},
    {"value": "+84 912 345 678"},
    {"value": "Công-ty-Đức-Anh.vn", "kind": "domain"},
]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["utf-8", "utf-8 with BOM"])
@pytest.mark.parametrize("separator", [",", ";"])
def test_csv_with_header_kind_column_bom_and_either_separator(bom: bytes, separator: str) -> None:
    text = (
        f"Giá trị{separator}kind\r\n"
        f"0100109106{separator}tax_code\r\n"
        f"+84 912 345 678{separator}\r\n"
        f"{separator}\r\n"  # a blank row: skipped
        f"Công-ty-Đức-Anh.vn{separator} Domain \r\n"
    )
    read = read_list("danh-sach.csv", bom + text.encode("utf-8"))
    assert read.items == EXPECTED
    assert read.rows == [2, 3, 5]


def test_csv_of_one_column_without_header_and_quoted_commas() -> None:
    read = read_list("list.CSV", b'0100109106\n"https://shop.vn/a,b"\nVCB:0011001234567\n')
    assert read.items == [
        {"value": "0100109106"},
        {"value": "https://shop.vn/a,b"},
        {"value": "VCB:0011001234567"},
    ]
    assert read.rows == [1, 2, 3]


def test_a_first_row_that_is_an_identifier_is_kept() -> None:
    read = read_list("a.csv", b"value.vn\nsecond.vn\n")
    assert read.items == [{"value": "value.vn"}, {"value": "second.vn"}]


def test_xlsx_first_sheet_header_numbers_and_kinds() -> None:
    content = _xlsx(
        [
            ["Định danh", "Loại"],
            ["0100109106", "tax_code"],
            [100109106, None],  # a number typed as such: no ".0"
            [None, None],
            [912345678.0, "phone"],
            ["Công-ty-Đức-Anh.vn", "domain"],
        ],
        sheets=2,
    )
    read = read_list("Danh sách.xlsx", content)
    assert read.items == [
        {"value": "0100109106", "kind": "tax_code"},
        {"value": "100109106"},
        {"value": "912345678", "kind": "phone"},
        {"value": "Công-ty-Đức-Anh.vn", "kind": "domain"},
    ]
    assert read.rows == [2, 3, 5, 6]
    # By its content, whatever its name says.
    assert read_list("upload", content).items == read.items


@pytest.mark.parametrize(
    ("filename", "content", "problem"),
    [
        ("report.pdf", b"%PDF-1.7\n...", "not_a_list_file"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "not_a_list_file"),
        ("utf16.csv", "0100109106\n".encode("utf-16"), "not_a_list_file"),
        ("cp1258.csv", "Hà Nam\n".encode("cp1258"), "unreadable"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "unreadable"),
        ("renamed.xlsx", b"0100109106\n", "unreadable"),
        ("empty.csv", b"", "empty"),
        ("header-only.csv", "Giá trị;Loại\n;\n".encode(), "empty"),
        ("blank.xlsx", _xlsx([]), "empty"),
    ],
)
def test_bad_files_are_refused_with_their_reason(filename: str, content: bytes, problem: str) -> None:
    with pytest.raises(ScreeningFileError) as refused:
        read_list(filename, content)
    assert refused.value.problem == problem


def test_too_many_rows_is_refused_at_the_limit_not_after_reading_everything() -> None:
    content = "".join(f"shop{n}.vn\n" for n in range(11)).encode()
    assert len(read_list("a.csv", content, max_items=11).items) == 11
    with pytest.raises(ScreeningFileError) as refused:
        read_list("a.csv", content, max_items=10)
    assert refused.value.problem == "too_many_rows" and refused.value.limit == 10
    with pytest.raises(ScreeningFileError) as refused:
        read_list("a.xlsx", _xlsx([[f"shop{n}.vn"] for n in range(11)]), max_items=10)
    assert refused.value.problem == "too_many_rows"


def test_an_xlsx_that_unpacks_too_large_is_refused_before_it_is_read(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from registry.services import screening_files

    content = _xlsx([["a.vn"]])
    unpacked = sum(member.file_size for member in zipfile.ZipFile(io.BytesIO(content)).infolist())
    monkeypatch.setattr(screening_files, "MAX_UNPACKED_BYTES", unpacked - 1)
    with pytest.raises(ScreeningFileError) as refused:
        read_list("a.xlsx", content)
    assert refused.value.problem == "too_large"


def test_results_as_xlsx_one_row_per_input_sensitive_values_left_hidden() -> None:
    subject = "5f0c8a52-7d0e-4b7e-9a55-1f1f3c0b9a01"
    results = [
        {
            "input_index": 0,
            "status": "match",
            "kind": "tax_code",
            "canonical": "0100109106",
            "sensitive": False,
            "subjects": [subject],
            "violations_by_category": {"COUNTERFEIT": 2, "TAX_EVASION": 1},
            "open_orders": {"block_requests": 1, "freeze_orders": 0},
        },
        {
            "input_index": 1,
            "status": "match",
            "kind": "bank_account",
            "sensitive": True,
            "violations_by_category": {},
            "open_orders": {"block_requests": 0, "freeze_orders": 2},
        },
        {"input_index": 2, "status": "invalid", "kind": None, "reason": "not a valid identifier"},
        {"input_index": 3, "status": "no_match", "kind": "domain", "canonical": "=cmd|' /C calc'!A0"},
    ]
    header = {
        "number": "STT", "status": "Kết quả", "kind": "Loại", "canonical": "Giá trị", "reason": "Lý do",
        "subjects": "Người bán", "violations": "Vi phạm", "block_requests": "Yêu cầu chặn",
        "freeze_orders": "Lệnh phong tỏa",
    }  # fmt: skip
    content = results_xlsx(results, header=header, label=lambda code: code.upper(), hidden="(ẩn)")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(header.values())
    first = [1, "MATCH", "TAX_CODE", "0100109106", None, subject, "COUNTERFEIT: 2; TAX_EVASION: 1", 1, 0]
    assert rows[1] == first
    assert rows[2][:4] == [2, "MATCH", "BANK_ACCOUNT", "(ẩn)"] and rows[2][7:] == [0, 2]
    assert rows[3][:5] == [3, "INVALID", None, None, "not a valid identifier"]
    assert rows[4][3] == "=cmd|' /C calc'!A0"  # text, not a formula
    assert sheet.cell(row=5, column=4).data_type == "s"
    assert len(rows) == 5
