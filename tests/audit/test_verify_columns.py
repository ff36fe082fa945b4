"""The searchable columns of `audit_entry` are held to the signed body they came from (issues #14, #16).

`GET /api/v1/audit/search` answers from these columns, so an administrator who rewrites one (to hide an
access from the auditors) must fail verification even though every body, hash and proof is intact. On
PostgreSQL the database refuses such a row (constraint `ck_audit_entry_signed`), so rewriting one takes
dropping or changing the constraint, which the verifier finds in the catalogue; on SQLite the verifier
compares every row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from registry.audit.models import AuditEntry
from registry.audit.note import Verifier
from registry.audit.verify import GUARD, GUARD_DEFINITION, DatabaseSource, VerificationFailed, verify_log
from registry.cli import main
from tests.audit.helpers import LiveDb

SIZE = 6
VICTIM = 4

# A value each column could be rewritten to; None where the signed body has one (hiding it).
FORGED = {
    "occurred_at": datetime(2020, 1, 1, tzinfo=UTC),
    "agency": "MPS-A05",
    "client_id": "someone-else",
    "officer": "officer-0",
    "action": "subject:list",
    "resource_type": "subject",
    "resource_id": "999",
    "outcome": "denied",
    "status_code": 403,
    "purpose": "routine check",
    "request_id": "req-forged",
}


def test_every_column_derived_from_the_body_is_verified() -> None:
    """A column added to the table later must be added to the verifier (or declared not signed)."""
    from registry.audit.recorder import SIGNED_COLUMNS

    not_from_body = {"id", "body", "leaf_hash", "xact"}
    assert set(AuditEntry.__table__.columns.keys()) - not_from_body == {*SIGNED_COLUMNS, "subjects"}
    assert set(FORGED) == set(SIGNED_COLUMNS)


GONE = [f"the constraint {GUARD} is missing"]


@pytest.fixture
def log(live: LiveDb) -> LiveDb:
    live.add(SIZE)
    return live


def _drop_guard(log: LiveDb) -> None:
    """What rewriting a column takes on PostgreSQL: dropping the constraint (DDL, the table's owner)."""
    log.tamper(f"ALTER TABLE audit_entry DROP CONSTRAINT {GUARD}")


def _tamper(log: LiveDb, column: str, value: object) -> None:
    with log.engine.connect() as conn:
        victim = conn.scalar(text("SELECT entry_id FROM audit_leaf WHERE leaf_index = :i"), {"i": VICTIM})
    if isinstance(value, datetime):
        # Through the ORM's column type, so the stored form is the one the application writes.
        statement = AuditEntry.__table__.update().where(AuditEntry.id == victim).values(occurred_at=value)
        with log.engine.begin() as conn:
            if log.postgres:
                conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER ALL"))
            conn.execute(statement)
            if log.postgres:
                conn.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER ALL"))
        return
    log.tamper(
        (f"UPDATE audit_entry SET {column} = :value WHERE id = :id", {"value": value, "id": victim}),
        tables=("audit_entry",),
    )


@pytest.mark.parametrize("column", sorted(FORGED))
def test_a_rewritten_column_fails_verification(log: LiveDb, column: str) -> None:
    """SQLite: the verifier names the entry and the column. PostgreSQL: the database refuses the row, even
    with its triggers disabled; once the constraint is dropped to let it in, the verifier says so."""
    key = log.verifier_key()
    with log.sessions() as session:
        verify_log(DatabaseSource(session), [Verifier(key)])  # intact before
    if log.postgres:
        with pytest.raises(IntegrityError, match=GUARD):
            _tamper(log, column, FORGED[column])
        _drop_guard(log)
    _tamper(log, column, FORGED[column])

    with log.sessions() as session, pytest.raises(VerificationFailed) as failed:
        verify_log(DatabaseSource(session), [Verifier(key)])
    if log.postgres:
        assert f"{GUARD} is missing" in failed.value.reason
        assert failed.value.evidence["column_guard"] == GONE
    else:
        assert f"leaf index {VICTIM}" in failed.value.reason and column in failed.value.reason
        assert failed.value.evidence["first_mismatching_index"] == VICTIM
        assert failed.value.evidence["columns"] == [column]

    result = CliRunner().invoke(main, ["audit", "verify", "--database", "--verifier-key", key], env=log.env())
    assert result.exit_code == 1, result.output
    found = json.loads(result.output[result.output.index("{") :])
    if log.postgres:
        assert f"{GUARD} is missing" in result.output
        assert found["column_guard"] == GONE
    else:
        assert f"leaf index {VICTIM}" in result.output and column in result.output
        assert found["mismatching_entries"] == [{"leaf_index": VICTIM, "columns": [column]}]
    assert str(FORGED[column]) not in result.output.replace(column, "")  # names the column, not values


def test_a_nulled_column_fails_verification(log: LiveDb) -> None:
    if log.postgres:
        with pytest.raises(IntegrityError, match=GUARD):
            _tamper(log, "officer", None)
        _drop_guard(log)
    _tamper(log, "officer", None)
    with log.sessions() as session, pytest.raises(VerificationFailed) as failed:
        verify_log(DatabaseSource(session), [Verifier(log.verifier_key())])
    if log.postgres:
        assert failed.value.evidence["column_guard"] == GONE
    else:
        assert failed.value.evidence["columns"] == ["officer"]


@pytest.mark.parametrize("change", ["added", "removed"])
def test_subjects_indexed_for_search_are_held_to_the_signed_body(live: LiveDb, change: str) -> None:
    """`subjects` answers `resource=subject:<id>`: a subject added (framing an access) or removed (hiding
    one) fails verification, naming `subjects` (SQLite); PostgreSQL refuses it unless the constraint goes."""
    from registry.audit.recorder import record
    from tests.factories import audit_event

    reached = "11111111-1111-4111-8111-111111111111"
    live.add(2)
    with live.sessions() as session, session.begin():
        record(session, audit_event(2, subjects=(reached,)))
    live.sequence()
    key = live.verifier_key()
    with live.sessions() as session:
        verify_log(DatabaseSource(session), [Verifier(key)])  # intact before
    index = 0 if change == "added" else 2
    forged = {"subjects": json.dumps([reached]) if change == "added" else None, "index": index}
    statement = (
        "UPDATE audit_entry SET subjects = :subjects "
        "WHERE id = (SELECT entry_id FROM audit_leaf WHERE leaf_index = :index)",
        forged,
    )
    if live.postgres:
        statement = (statement[0].replace(":subjects", "CAST(:subjects AS jsonb)"), forged)
        with pytest.raises(IntegrityError, match=GUARD):
            live.tamper(statement, tables=("audit_entry",))
        _drop_guard(live)
    live.tamper(statement, tables=("audit_entry",))
    with live.sessions() as session, pytest.raises(VerificationFailed) as failed:
        verify_log(DatabaseSource(session), [Verifier(key)])
    if live.postgres:
        assert failed.value.evidence["column_guard"] == GONE
    else:
        assert failed.value.evidence["columns"] == ["subjects"]
        assert failed.value.evidence["first_mismatching_index"] == index


def _rewrite_officer(log: LiveDb) -> None:
    _tamper(log, "officer", FORGED["officer"])


def _verify_fails(log: LiveDb) -> VerificationFailed:
    with log.sessions() as session, pytest.raises(VerificationFailed) as failed:
        verify_log(DatabaseSource(session), [Verifier(log.verifier_key())])
    return failed.value


@pytest.mark.postgres_only
def test_the_constraint_put_back_checks_every_row_or_stays_not_valid(log: LiveDb) -> None:
    """After a rewrite the constraint cannot come back validated; added NOT VALID, the verifier sees it."""
    definition = GUARD_DEFINITION.removeprefix("CHECK ")
    _drop_guard(log)
    _rewrite_officer(log)
    with pytest.raises(IntegrityError, match=GUARD):
        log.tamper(f"ALTER TABLE audit_entry ADD CONSTRAINT {GUARD} CHECK {definition}")
    log.tamper(f"ALTER TABLE audit_entry ADD CONSTRAINT {GUARD} CHECK {definition} NOT VALID")

    failed = _verify_fails(log)
    assert failed.evidence["column_guard"] == [
        f"the constraint {GUARD} is NOT VALID: rows written without it were never checked"
    ]


@pytest.mark.postgres_only
def test_a_weakened_constraint_fails_verification(log: LiveDb) -> None:
    """The same name over a check that leaves a column out (here `officer`) is a changed constraint."""
    without_officer = GUARD_DEFINITION.removeprefix("CHECK ").replace(
        " AND (NOT ((officer)::text IS DISTINCT FROM ((convert_from(body, 'UTF8'::name))::json ->> "
        "'officer'::text)))",
        "",
    )
    assert "officer" not in without_officer
    _drop_guard(log)
    log.tamper(f"ALTER TABLE audit_entry ADD CONSTRAINT {GUARD} CHECK {without_officer}")
    _rewrite_officer(log)  # now accepted by the database

    failed = _verify_fails(log)
    assert failed.evidence["column_guard"] == [f"the constraint {GUARD} was changed"]


@pytest.mark.postgres_only
def test_row_level_security_on_the_entries_fails_verification(log: LiveDb) -> None:
    """A policy could hide an entry from the search's database role while the verifier (the owner) sees
    all: row-level security on audit_entry is reported."""
    log.tamper(
        "ALTER TABLE audit_entry ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY hide ON audit_entry USING (officer IS DISTINCT FROM 'officer-4')",
    )
    failed = _verify_fails(log)
    assert failed.evidence["column_guard"] == [
        "audit_entry has row-level security enabled: a policy can hide entries from a role"
    ]
