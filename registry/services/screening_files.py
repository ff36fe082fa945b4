"""Screening lists as files: an uploaded CSV or XLSX read into the API's `items`, and an answer written
out as XLSX. No Flask here: the console's pages call these; the rules on the items themselves (kinds,
lengths, how many) stay the API's (schemas.screenings.ScreeningCreate, services.screening).

The accepted layout, one identifier a row:
- column A: the identifier (a tax code, phone number, e-mail, bank account `BANK:NUMBER`, domain, URL...);
- column B, optional: its kind, as the API names it (`tax_code`, `phone`, ...); empty: guessed;
- a first row whose column A reads `value`, `identifier`, `định danh` or `giá trị` (any case) is a
  header and is skipped; rows whose column A is empty are skipped.
A CSV is UTF-8 (with or without a byte order mark), its columns separated by commas or semicolons (as
Excel writes it under a Vietnamese locale); an XLSX is read from its first sheet.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from registry.services import screening

# What may be uploaded, before any parsing: the API's body limit for a list (api.screening_runs), and what
# an XLSX may unpack to (a zip bomb stops here, not in memory).
MAX_FILE_BYTES = 48 * 1024 * 1024
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
HEADER_WORDS = frozenset({"value", "identifier", "định danh", "giá trị", "mã định danh"})
SEPARATORS = (",", ";")
XLSX_TYPES = (".xlsx", ".xlsm")
CSV_TYPES = (".csv", ".txt")
_ZIP = b"PK\x03\x04"


class ScreeningFileError(ValueError):
    """Why a file cannot be read as a list: `problem` is one of PROBLEMS (the pages word it), `limit`
    the bound broken, if any. The message never quotes the file's content."""

    PROBLEMS = ("not_a_list_file", "empty", "too_many_rows", "too_large", "unreadable")

    def __init__(self, problem: str, limit: int | None = None) -> None:
        assert problem in self.PROBLEMS
        super().__init__(problem)
        self.problem, self.limit = problem, limit


@dataclass(frozen=True)
class ScreeningFile:
    """The items, in file order, and the file's row number (1-based) each came from."""

    items: list[dict[str, str]]
    rows: list[int]


def read_list(filename: str, content: bytes, *, max_items: int | None = None) -> ScreeningFile:
    """The uploaded file as the API's items: [{"value": ...}] or [{"value": ..., "kind": ...}].

    XLSX by its content (a zip) or its name; CSV by its name (.csv, .txt) or, without either, when it is
    text. ScreeningFileError for anything else, an empty list, more than `max_items` identifiers (the
    API's screening.MAX_JOB_ITEMS unless given) or a file that cannot be read."""
    if len(content) > MAX_FILE_BYTES:
        raise ScreeningFileError("too_large", MAX_FILE_BYTES)
    name = filename.lower().strip()
    if content.startswith(_ZIP) or name.endswith(XLSX_TYPES):
        rows: Iterable[tuple[int, Sequence[Any]]] = _xlsx_rows(content)
    elif name.endswith(CSV_TYPES) or "." not in name.rsplit("/", 1)[-1]:
        rows = _csv_rows(content)
    else:
        raise ScreeningFileError("not_a_list_file")
    return _items(rows, max_items or screening.MAX_JOB_ITEMS)


def _items(rows: Iterable[tuple[int, Sequence[Any]]], max_items: int) -> ScreeningFile:
    items: list[dict[str, str]] = []
    numbers: list[int] = []
    first = True
    for number, cells in rows:
        value = _text(cells[0]) if cells else ""
        if first and value and _folded(value) in HEADER_WORDS:
            first = False
            continue
        first = first and not value
        if not value:
            continue
        if len(items) == max_items:
            raise ScreeningFileError("too_many_rows", max_items)
        item = {"value": value}
        kind = _text(cells[1]) if len(cells) > 1 else ""
        if kind:
            item["kind"] = kind.lower()
        items.append(item)
        numbers.append(number)
    if not items:
        raise ScreeningFileError("empty")
    return ScreeningFile(items, numbers)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().lower()


def _text(cell: Any) -> str:
    """A cell as the text it shows: numbers without a spurious `.0` (a tax code typed as a number)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return str(cell).upper()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return str(cell).strip()


def _csv_rows(content: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    if b"\x00" in content:
        raise ScreeningFileError("not_a_list_file")  # binary (or UTF-16): not a text list
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScreeningFileError("unreadable") from None
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    separator = max(SEPARATORS, key=first_line.count)
    try:
        yield from enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=separator), 1)
    except csv.Error:
        raise ScreeningFileError("unreadable") from None


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    import openpyxl  # only for XLSX uploads and downloads

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(member.file_size for member in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise ScreeningFileError("too_large", MAX_UNPACKED_BYTES)
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except ScreeningFileError:
        raise
    except Exception:  # not a zip, not a workbook, a broken one: openpyxl raises many kinds
        raise ScreeningFileError("unreadable") from None
    try:
        if not book.worksheets:
            raise ScreeningFileError("empty")
        sheet = book.worksheets[0]
        yield from enumerate(sheet.iter_rows(max_col=2, values_only=True), 1)
    except ScreeningFileError:
        raise
    except Exception:
        raise ScreeningFileError("unreadable") from None
    finally:
        book.close()


# -- the answer as XLSX ---------------------------------------------------------------------------------

COLUMNS = (
    "number", "status", "kind", "canonical", "reason", "subjects", "violations", "block_requests",
    "freeze_orders",
)  # fmt: skip


def results_xlsx(
    results: Iterable[dict[str, Any]],
    *,
    header: dict[str, str],
    label: Callable[[str], str],
    hidden: str,
) -> bytes:
    """One row per input after a header row: the results as `schemas.screenings.present_results` shows
    them (so a sensitive canonical value left out there is left out here: `hidden` says so).

    `header` words each of COLUMNS, `label` words a code (an outcome, a kind), in the reader's language.
    Text is written as text: a value beginning with `=` is never a formula."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()

    def row(values: Sequence[Any]) -> list[Any]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        return cells

    sheet.append(row([header[name] for name in COLUMNS]))
    for result in results:
        orders = result.get("open_orders", {})
        violations = result.get("violations_by_category", {})
        canonical = result.get("canonical")
        if canonical is None and result.get("sensitive"):
            canonical = hidden
        sheet.append(
            row(
                [
                    result["input_index"] + 1,
                    label(result["status"]),
                    label(result["kind"]) if result.get("kind") else "",
                    canonical or "",
                    result.get("reason") or "",
                    "\n".join(str(subject) for subject in result.get("subjects", [])),
                    "; ".join(f"{category}: {count}" for category, count in violations.items()),
                    orders.get("block_requests", ""),
                    orders.get("freeze_orders", ""),
                ]
            )
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
