"""A report as rows, for CSV and XLSX: one row per figure, the same figures as the JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook

from registry.services.reports.model import Report

COLUMNS = ("section", "group", "item", "key", "label", "value", "unit", "link")


def rows(report: Report) -> Iterator[list[Any]]:
    for section in report.sections:
        for f in section.figures:
            yield [
                section.key,
                f.group or "",
                f.item or "",
                f.key,
                f.label,
                f.value,
                f.unit,
                f.link.url if f.link else "",
            ]


def _heading(report: Report) -> list[list[Any]]:
    scope = report.scope.agency or report.scope.province or ""
    return [
        ["period", report.period.start.isoformat(), report.period.end.isoformat()],
        ["scope", report.scope.kind, scope],
        ["preset", report.preset or ""],
    ]


def _safe(cell: Any) -> Any:
    """A text a spreadsheet would read as a formula starts with `'` (as the audit export does)."""
    return f"'{cell}" if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@") else cell


def as_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(_heading(report))
    writer.writerow([])
    writer.writerow(COLUMNS)
    writer.writerows([_safe(cell) for cell in row] for row in rows(report))
    return buffer.getvalue()


def as_xlsx(report: Report) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "report"
    for line in _heading(report):
        sheet.append(line)
    sheet.append([])
    sheet.append(list(COLUMNS))
    for row in rows(report):
        sheet.append([_safe(cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
