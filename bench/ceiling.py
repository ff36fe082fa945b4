"""The ceiling: the same reads as the registry's, through raw psycopg in a minimal Flask app.

No authentication, no authorisation, no visibility rules, no audit entry, no ORM: what the hardware,
Flask and PostgreSQL give for the same data. `gunicorn bench.ceiling:app` with BENCH_DATABASE_URL set.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import psycopg
from flask import Flask, abort, request

from bench.loader import DATA_KEY, LOOKUP_KEY
from registry.fieldcrypt import FieldCipher
from registry.identifiers import IdentifierError, parse

app = Flask(__name__)
cipher = FieldCipher(DATA_KEY, LOOKUP_KEY)
_local = threading.local()

# The same three reads as services.history: the subject, its links with identifiers, and every
# violation touching the subject or one of its identifiers. The last as a raw-SQL author writes it, a
# UNION of the two index lookups (the ORM's `id IN (...) OR id IN (...)` makes PostgreSQL scan every
# violation; see README).
SUBJECT = (
    "SELECT id, kind, name, tax_code, province, owner_agency_id, visibility, created_at "
    "FROM subject WHERE id = %s"
)
LINKS = (
    "SELECT l.id, l.identifier_id, i.kind, i.display, l.confidence, l.source, l.first_seen, l.last_seen "
    "FROM link l JOIN identifier i ON i.id = l.identifier_id "
    "WHERE l.subject_id = %s ORDER BY l.first_seen, l.id"
)
VIOLATIONS = (
    "SELECT id, categories, goods_groups, summary, status, detected_at, province, fine_vnd, "
    "tax_recovered_vnd "
    "FROM violation WHERE id IN (SELECT violation_id FROM violation_subject WHERE subject_id = %s "
    "UNION SELECT violation_id FROM violation_identifier WHERE identifier_id = ANY(%s)) "
    "ORDER BY detected_at, id"
)
IDENTIFIER = "SELECT id, kind, display FROM identifier WHERE kind = %s AND value_hash = %s"
SUBJECTS_OF = "SELECT DISTINCT subject_id FROM link WHERE identifier_id = %s"


def conn() -> psycopg.Connection:
    connection = getattr(_local, "conn", None)
    if connection is None or connection.closed:
        connection = _local.conn = psycopg.connect(os.environ["BENCH_DATABASE_URL"], autocommit=True)
    return connection


def _row(cursor: psycopg.Cursor, row: tuple) -> dict[str, Any]:
    return {column.name: value for column, value in zip(cursor.description or (), row, strict=False)}


@app.get("/history/<uuid:subject_id>")
def history(subject_id: Any) -> dict[str, Any]:
    with conn().cursor() as cursor:
        found = cursor.execute(SUBJECT, (subject_id,)).fetchone()
        if found is None:
            abort(404)
        subject = _row(cursor, found)
        links = [_row(cursor, r) for r in cursor.execute(LINKS, (subject_id,)).fetchall()]
        ids = [link["identifier_id"] for link in links]
        violations = [_row(cursor, r) for r in cursor.execute(VIOLATIONS, (subject_id, ids)).fetchall()]
    return {"subject": subject, "identifiers": links, "violations": violations}


@app.get("/lookup")
def lookup() -> dict[str, Any]:
    try:
        parsed = parse(request.args.get("kind", ""), request.args.get("value", ""))
    except IdentifierError:
        abort(422)
    with conn().cursor() as cursor:
        found = cursor.execute(
            IDENTIFIER, (parsed.kind, cipher.lookup_hash(parsed.kind, parsed.value))
        ).fetchone()
        if found is None:
            abort(404)
        identifier = _row(cursor, found)
        subjects = sorted(str(r[0]) for r in cursor.execute(SUBJECTS_OF, (identifier["id"],)).fetchall())
    return {**identifier, "subjects": subjects}
