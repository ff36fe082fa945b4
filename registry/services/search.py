"""Ranked, diacritic-insensitive name search on the folded name column, bounded in cost.

Both databases search `subject.name_folded` (fold_name: no marks, đ as d, casefolded), in parts read one
after the other (subjects.search_page puts them together, pagination.window_page pages through them):

1. `exact`: the whole folded name equals the query, oldest first (b-tree on name, created_at, id);
2. `contains` (queries of MIN_SUBSTRING_LENGTH characters or more): the query is a substring of the
   name. On PostgreSQL these come nearest first by word similarity (`q <<-> name_folded`: 0 when the
   query's words are whole words of the name), read by a nearest-first scan of the GiST trigram index
   (migration 0012) that stops after the rows the page needs, however many names match. Names at equal
   distance come in the index's order. SQLite orders them prefix first, then shorter, then oldest (it
   is the small embedded database);
3. `near` (PostgreSQL only, only when nothing above matched and the query has MIN_FUZZY_LENGTH
   characters): near spellings, `q <% name_folded` (pg_trgm word similarity), nearest first, read the
   same way.

Within a page, the rows of a part are put exact > prefix > substring, then shorter names first
(`page_key`); across pages each part keeps its own order, so pages neither overlap nor skip.

Why not rank every match: a common query ("cong ty tnhh", a surname) matches hundreds of thousands of
names, and any order that needs all of them (a sort, or `count(*)`) reads all of them; a GIN trigram
index must moreover intersect posting lists of trigrams that most names share. The statements are
built once per shape with the query as parameters. unaccent() is not used: the folded column is
computed by the same Python function on both databases, which also folds đ.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, String, bindparam, func, literal, text
from sqlalchemy.orm import Session

from registry.models import Subject

# A search pages through this many results at most (pagination.window_page): reading further costs in
# proportion, and a person is better served by a narrower search.
SEARCH_WINDOW = 1000
# A query this short matches too many names by trigrams to be useful as a near spelling.
MIN_FUZZY_LENGTH = 4
# A shorter query has no trigram for the index to search by (a scan of the whole index on PostgreSQL,
# ~60 ms at 1M subjects when nothing matches), and as a substring it is in most names anyway: it matches
# whole names only.
MIN_SUBSTRING_LENGTH = 3

# The query, as parameters of statements built once (see query_params).
Q = bindparam("q", type_=String())
Q_CONTAINS = bindparam("q_contains", type_=String())
Q_PREFIX = bindparam("q_prefix", type_=String())


@dataclass(frozen=True, eq=False)
class Part:
    """One part of a name search: which names, in which order, and each row's word distance."""

    name: str
    condition: ColumnElement[bool]
    order: tuple[Any, ...]  # ORDER BY terms, deterministic for the plan the part runs with
    distance: ColumnElement[Any]  # word distance of the name (0 for exact matches and on SQLite)
    index_ordered: bool = False  # run as a nearest-first index scan (see index_ordered_plan)


def escape_like(text_: str) -> str:
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def query_params(folded: str) -> dict[str, str]:
    """Values of Q, Q_CONTAINS and Q_PREFIX for a folded query (see fold_name)."""
    escaped = escape_like(folded)
    return {"q": folded, "q_contains": f"%{escaped}%", "q_prefix": f"{escaped}%"}


def fuzzy_possible(dialect: str, folded: str) -> bool:
    """Near spellings are for PostgreSQL (pg_trgm), and only for queries long enough to mean something."""
    return dialect == "postgresql" and len(folded) >= MIN_FUZZY_LENGTH


def _word_distance() -> ColumnElement[Any]:
    # `q <<-> name`: 1 - word_similarity(q, name), an ordering operator of the GiST trigram index.
    return Q.op("<<->", return_type=Float())(Subject.name_folded)


def name_parts(dialect: str, folded: str) -> tuple[Part, ...]:
    """The exact and substring parts for a folded query, in the order they are read."""
    exact, contains = _name_parts(dialect)
    return (exact, contains) if len(folded) >= MIN_SUBSTRING_LENGTH else (exact,)


@functools.cache
def _name_parts(dialect: str) -> tuple[Part, Part]:
    column = Subject.name_folded
    exact = Part("exact", column == Q, (Subject.created_at, Subject.id), literal(0.0))
    contains = column.like(Q_CONTAINS, escape="\\") & (column != Q)
    if dialect != "postgresql":
        prefix_last = column.not_like(Q_PREFIX, escape="\\")
        order = (prefix_last, func.length(column), Subject.created_at, Subject.id)
        return exact, Part("contains", contains, order, literal(0.0))
    distance = _word_distance()
    return exact, Part("contains", contains, (distance,), distance, index_ordered=True)


def near_part(dialect: str, folded: str) -> Part | None:
    """Near spellings (PostgreSQL), for when no name contains the query; None where there are none."""
    return _near_part() if fuzzy_possible(dialect, folded) else None


@functools.cache
def _near_part() -> Part:
    distance = _word_distance()
    # `q <% name`: some run of words of the name is similar to q (pg_trgm.word_similarity_threshold).
    return Part("near", Q.op("<%")(Subject.name_folded), (distance,), distance, index_ordered=True)


def page_key(folded: str, part: int, subject: Subject, distance: float | None) -> tuple[Any, ...]:
    """Order within one page: part, word distance, exact > prefix > substring, shorter, oldest."""
    name = subject.name_folded
    tier = 0 if name == folded else 1 if name.startswith(folded) else 2
    return (part, distance or 0.0, tier, len(name), subject.created_at, str(subject.id))


@contextmanager
def index_ordered_plan(session: Session) -> Iterator[None]:
    """Plan the statements run inside as an ordered index scan (PostgreSQL): no sort may be used.

    `ORDER BY q <<-> name_folded LIMIT n` has two plans: the GiST index's nearest-first scan, which
    reads about n rows, and reading every match then sorting, which the planner picks when it believes
    there are few matches (its estimate for `LIKE '%...%'` is often far off, and pages further on have
    larger limits). The two order names at equal distance differently, so a page planned one way after
    a page planned the other could repeat or skip rows; and the sort reads every match. Every plan but
    the index scan needs a sort, so turning sorts off leaves that one. The setting is local to the
    transaction and put back at once.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    connection = session.connection()
    before = connection.execute(_SORT_OFF).scalar_one()
    try:
        yield
    finally:
        connection.execute(_SORT_BACK, {"previous": before})


_SORT_OFF = text(
    "SELECT s.previous, set_config('enable_sort', 'off', true) "
    "FROM (SELECT current_setting('enable_sort') AS previous OFFSET 0) AS s"
)
_SORT_BACK = text("SELECT set_config('enable_sort', :previous, true)")
