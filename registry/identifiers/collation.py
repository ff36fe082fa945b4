"""Vietnamese alphabetical order of names, the same on both databases.

The Vietnamese alphabet puts ă and â after a, đ after d, ê after e, ô and ơ after o, ư after u: these
are letters of their own (a primary difference), so "Đặng" comes after every name in D. The five tone
marks only break ties (a secondary difference, in the order of the CLDR: none, huyền, hỏi, ngã, sắc,
nặng), and so does case, after them (tertiary): An < Anh < Ánh < Ăn < Âu < Bình.

PostgreSQL sorts by ICU's Vietnamese collation (`vi-x-icu`, shipped with PostgreSQL's ICU build);
SQLite, which has none, by `sort_key` below, registered on each connection as the collation `vi`
(db.make_engine). `by_name(column)` is the ORDER BY term for either. tests/api/test_name_order.py holds
the two to the same order.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement as _Element
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import String

POSTGRESQL = "vi-x-icu"
SQLITE = "vi"

# Letters in alphabetical order, as NFD spells them (a base letter, then the mark that makes it another
# letter). f, j, w and z are not Vietnamese but occur in names and brands: they keep Latin order.
_LETTERS = [
    "a", "a\u0306", "a\u0302", "b", "c", "d", "đ", "e", "e\u0302", "f", "g", "h", "i", "j", "k", "l",
    "m", "n", "o", "o\u0302", "o\u031b", "p", "q", "r", "s", "t", "u", "u\u031b", "v", "w", "x", "y", "z",
]  # fmt: skip
_PRIMARY = {letter: 1000 + rank for rank, letter in enumerate(_LETTERS)}
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
# Tone marks, secondary, in CLDR's order (no tone sorts first).
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_DIGIT, _OTHER = 500, 0


def _elements(text: str) -> list[tuple[int, int, int]]:
    """(primary, secondary, tertiary) of each letter, digit or other character of `text`."""
    out: list[tuple[int, int, int]] = []
    chars = unicodedata.normalize("NFD", " ".join(text.split()).replace("\u00d0", "Đ"))
    i = 0
    while i < len(chars):
        ch = chars[i]
        lower = ch.lower()
        i += 1
        if lower.isalpha():
            if i < len(chars) and chars[i] in _LETTER_MARKS and lower + chars[i] in _PRIMARY:
                lower += chars[i]
                i += 1
            tone = 0
            while i < len(chars) and unicodedata.combining(chars[i]):
                tone = max(tone, _TONES.get(chars[i], 0))
                i += 1
            primary = _PRIMARY.get(lower, 2000 + ord(lower[0]))
            out.append((primary, tone, 1 if ch.isupper() else 0))
        elif ch.isdigit():
            out.append((_DIGIT + unicodedata.digit(ch, 0), 0, 0))
        elif not unicodedata.combining(ch):
            out.append((_OTHER + min(ord(ch), 499), 0, 0))
    return out


@functools.lru_cache(maxsize=65536)
def sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """The order of names: letters first (the Vietnamese alphabet), then tones, then case."""
    elements = _elements(text)
    return (
        tuple(e[0] for e in elements),
        tuple(e[1] for e in elements),
        tuple(e[2] for e in elements),
    )


def compare(left: str, right: str) -> int:
    """SQLite's collation function: negative, zero or positive as `left` sorts before, with or after."""
    a, b = sort_key(left), sort_key(right)
    return (a > b) - (a < b)


class _ByName(_Element[Any]):
    inherit_cache = True
    type = String()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column


def by_name(column: Any) -> ColumnElement[Any]:
    """`column` in Vietnamese alphabetical order (an ORDER BY term) on either database."""
    return _ByName(column)


@compiles(_ByName, "postgresql")
def _postgresql(element: _ByName, compiler: Any, **kw: Any) -> str:
    return f'{compiler.process(element.column, **kw)} COLLATE "{POSTGRESQL}"'


@compiles(_ByName)
def _sqlite(element: _ByName, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} COLLATE {SQLITE}"
