"""The searchable columns of `audit_entry` are held to the signed body they were derived from (issue #14).

`GET /api/v1/audit/search` answers from these columns, so an administrator who rewrites one (to hide an
access from the auditors) must fail verification even though every body, hash and proof is intact.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from registry.audit.models import AuditEntry
from registry.audit.note import Verifier
from registry.audit.verify import DatabaseSource, VerificationFailed, verify_log
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
    assert set(AuditEntry.__table__.columns.keys()) - not_from_body == set(SIGNED_COLUMNS)
    assert set(FORGED) == set(SIGNED_COLUMNS)


@pytest.fixture
def log(live: LiveDb) -> LiveDb:
    live.add(SIZE)
    return live


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
def test_a_rewritten_column_fails_verification_naming_index_and_column(log: LiveDb, column: str) -> None:
    key = log.verifier_key()
    with log.sessions() as session:
        verify_log(DatabaseSource(session), [Verifier(key)])  # intact before
    _tamper(log, column, FORGED[column])

    with log.sessions() as session, pytest.raises(VerificationFailed) as failed:
        verify_log(DatabaseSource(session), [Verifier(key)])
    assert f"leaf index {VICTIM}" in failed.value.reason and column in failed.value.reason
    assert failed.value.evidence["first_mismatching_index"] == VICTIM
    assert failed.value.evidence["columns"] == [column]

    result = CliRunner().invoke(main, ["audit", "verify", "--database", "--verifier-key", key], env=log.env())
    assert result.exit_code == 1, result.output
    assert f"leaf index {VICTIM}" in result.output and column in result.output
    found = json.loads(result.output[result.output.index("{") :])
    assert found["mismatching_entries"] == [{"leaf_index": VICTIM, "columns": [column]}]
    assert str(FORGED[column]) not in result.output.replace(column, "")  # names the column, not values


def test_a_nulled_column_fails_verification(log: LiveDb) -> None:
    _tamper(log, "officer", None)
    with log.sessions() as session, pytest.raises(VerificationFailed) as failed:
        verify_log(DatabaseSource(session), [Verifier(log.verifier_key())])
    assert failed.value.evidence["columns"] == ["officer"]


@pytest.mark.parametrize("change", ["added", "removed"])
def test_subjects_indexed_for_search_are_held_to_the_signed_body(live: LiveDb, change: str) -> None:
    """audit_subject answers `resource=subject:<id>`: a row added (framing an access) or removed (hiding
    one) fails verification, naming `subjects`."""
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
    statement = (
        "INSERT INTO audit_subject (subject_id, entry_id) "
        "SELECT :subject, entry_id FROM audit_leaf WHERE leaf_index = 0"
        if change == "added"
        else "DELETE FROM audit_subject WHERE subject_id = :subject"
    )
    live.tamper((statement, {"subject": reached}), tables=("audit_subject",))
    with live.sessions() as session, pytest.raises(VerificationFailed) as failed:
        verify_log(DatabaseSource(session), [Verifier(key)])
    assert failed.value.evidence["columns"] == ["subjects"]
    assert failed.value.evidence["first_mismatching_index"] == (0 if change == "added" else 2)
