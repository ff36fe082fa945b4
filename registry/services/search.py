"""Ranked, diacritic-insensitive name search on the folded name column.

Both databases match a substring of `subject.name_folded` (fold_name: no marks, đ as d, casefolded) and
rank exact > prefix > substring. PostgreSQL, when no visible name contains the query, finds near
spellings with pg_trgm (`<%`, word similarity, GIN-indexed by migration 0009), and breaks ties by
trigram similarity; SQLite breaks ties
by the shorter name, where the query is the larger part of the name. unaccent() is not used: the
folded column is computed by the same Python function on both databases, which also folds đ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_
from sqlalchemy.orm import Session

from registry.models import Subject

# A query this short matches too many names by trigrams to be useful; it gets substring matching only.
MIN_FUZZY_LENGTH = 4


@dataclass(frozen=True)
class NameMatch:
    condition: ColumnElement[bool]
    rank: list[Any]  # ORDER BY terms, best first


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fuzzy_possible(session: Session, folded: str) -> bool:
    """Near spellings are for PostgreSQL (pg_trgm), and only for queries long enough to mean something.

    Callers try them only when the plain substring search found nothing: word similarity over every
    name sharing trigrams with a common Vietnamese name costs far more than the substring match.
    """
    return session.get_bind().dialect.name == "postgresql" and len(folded) >= MIN_FUZZY_LENGTH


def name_match(session: Session, folded: str, *, fuzzy: bool = True) -> NameMatch:
    """Condition and ranking for a folded query (see fold_name); `fuzzy` adds near spellings on PostgreSQL."""
    column = Subject.name_folded
    escaped = escape_like(folded)
    substring = column.like(f"%{escaped}%", escape="\\")
    tier = case(
        (column == folded, 0),
        (column.like(f"{escaped}%", escape="\\"), 1),
        (substring, 2),
        else_=3,
    )
    if session.get_bind().dialect.name == "postgresql":
        condition = substring
        if fuzzy and len(folded) >= MIN_FUZZY_LENGTH:
            # `q <% name`: some word run of the name is similar to q (pg_trgm.word_similarity_threshold).
            condition = or_(substring, literal(folded).op("<%")(column))
        return NameMatch(condition, [tier, func.similarity(column, folded).desc()])
    return NameMatch(substring, [tier, func.length(column)])
