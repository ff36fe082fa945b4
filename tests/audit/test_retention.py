"""Retention (`registry audit retention`): archived months dropped from PostgreSQL, proofs unbroken."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner, Result
from sqlalchemy import select, text

from registry.api.problems import status_of
from registry.audit import merkle, partitions, retention
from registry.audit.log import Archived
from registry.audit.models import AuditRetention
from registry.audit.note import Verifier
from registry.audit.verify import DatabaseSource, verify_log
from registry.cli import main
from tests.audit.helpers import LiveDb
from tests.audit.test_partitions import add_at, clock
from tests.databases import alembic_config

pytestmark = pytest.mark.postgres_only

OLD = (datetime(2019, 3, 10, tzinfo=UTC), datetime(2019, 4, 20, tzinfo=UTC))


@pytest.fixture
def aged(live: LiveDb, monkeypatch: pytest.MonkeyPatch) -> LiveDb:
    """Leaves 0-2 in March 2019, 3-4 in April 2019, 5-7 now; a checkpoint at every size."""
    with live.sessions() as session, session.begin():
        partitions.prepare(session, now=OLD[0], ahead=1)
    add_at(live, monkeypatch, OLD[0], 3)
    add_at(live, monkeypatch, OLD[1], 2)
    live.add(3)
    return live


def cli(live: LiveDb, *args: str, **env: str) -> Result:
    return CliRunner().invoke(main, list(args), env={**live.env(), **env})


def archive(live: LiveDb, size: int | None = None) -> Path:
    out = live.tmp / "tiles"
    extra = ["--size", str(size)] if size else []
    done = cli(live, "audit", "archive", "--out", str(out), *extra)
    assert done.exit_code == 0, done.output
    return out


def months_left(live: LiveDb) -> list[str]:
    with live.sessions() as session:
        return [p.name for p in partitions.month_partitions(session) if p.month.year == 2019]


def recorded(live: LiveDb) -> list[tuple[str, int, int | None, int]]:
    with live.sessions() as session:
        rows = session.scalars(select(AuditRetention).order_by(AuditRetention.id)).all()
        return [(r.partition, r.entries, r.last_leaf_index, r.floor) for r in rows]


def refused(live: LiveDb, out: Path, why: str) -> None:
    result = cli(live, "audit", "retention", "--archive", str(out))
    assert result.exit_code == 1, result.output
    assert why in result.output, result.output
    assert months_left(live) == ["audit_entry_y2019m03", "audit_entry_y2019m04"]
    assert recorded(live) == []


def test_refused_without_a_verified_archive(aged: LiveDb) -> None:
    with aged.sessions() as session:
        assert retention.archived_before(session) is None
    refused(aged, aged.tmp / "nowhere", "does not verify: ")
    out = archive(aged)
    bundle = out / "tile/entries/000.p/8"
    data = bytearray(bundle.read_bytes())
    data[10] ^= 1
    bundle.write_bytes(bytes(data))
    refused(aged, out, "does not verify: entry ")


def test_refused_while_the_archive_is_short_of_the_month(aged: LiveDb) -> None:
    out = archive(aged, size=2)  # March has leaves 0-2
    refused(aged, out, "audit_entry_y2019m03 has entries up to leaf index 2, but the archive holds only 2")


def test_refused_while_an_entry_of_the_month_is_unsequenced(
    live: LiveDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    with live.sessions() as session, session.begin():
        partitions.prepare(session, now=OLD[0], ahead=0)
    add_at(live, monkeypatch, OLD[0], 2)
    with clock(monkeypatch, OLD[0].replace(day=11)):
        live.add(1, sequence_each=False)
    out = archive(live)
    result = cli(live, "audit", "retention", "--archive", str(out))
    assert result.exit_code == 1, result.output
    assert "audit_entry_y2019m03 has 1 entries without a leaf" in result.output
    assert months_left(live) == ["audit_entry_y2019m03"]


def test_a_month_within_retention_is_kept(aged: LiveDb) -> None:
    out = archive(aged)
    with aged.sessions() as session:
        verifiers = [Verifier(aged.verifier_key())]
        checked = retention.verified_archive(session, out, verifiers)
        current = partitions.month_partitions(session)[-3]
    assert current.month == partitions.month_start(datetime.now(UTC))
    with aged.sessions() as session, pytest.raises(retention.RetentionRefused, match="is not the oldest"):
        retention.drop_month(session, current, checked, 60)
    result = cli(aged, "audit", "retention", "--archive", str(out), REGISTRY_AUDIT_RETENTION_MONTHS="1200")
    assert result.exit_code == 0, result.output
    assert "no month is past retention (1200 months after it ends)" in result.output
    with aged.sessions() as session, pytest.raises(retention.RetentionRefused, match="within retention"):
        oldest = partitions.month_partitions(session)[0]
        retention.drop_month(session, oldest, checked, 1200)
    assert months_left(aged) == ["audit_entry_y2019m03", "audit_entry_y2019m04"]


def test_archived_months_are_dropped_and_the_log_still_verifies(aged: LiveDb) -> None:
    key = aged.verifier_key()
    state = aged.tmp / "state.json"
    tiles_state = aged.tmp / "tiles-state.json"
    out = archive(aged)
    before = cli(aged, "audit", "verify", "--database", "--verifier-key", key, "--state", str(state))
    assert before.exit_code == 0, before.output

    dry = cli(aged, "audit", "retention", "--archive", str(out), "--dry-run")
    assert dry.exit_code == 0 and "would drop audit_entry_y2019m03" in dry.output, dry.output
    assert months_left(aged) == ["audit_entry_y2019m03", "audit_entry_y2019m04"]

    done = cli(aged, "audit", "retention", "--archive", str(out), "--verifier-key", key)
    assert done.exit_code == 0, done.output
    assert "dropped audit_entry_y2019m03: 3 entries, leaves up to 2" in done.output
    assert "2 month(s) dropped" in done.output
    assert months_left(aged) == []
    assert recorded(aged) == [("audit_entry_y2019m03", 3, 2, 3), ("audit_entry_y2019m04", 2, 4, 5)]
    with aged.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM audit_entry")) == 3
        row = conn.execute(text("SELECT archive_size, month FROM audit_retention ORDER BY id")).first()
    assert row is not None and row.archive_size == 8 and row.month == date(2019, 3, 1)
    with aged.sessions() as session:  # what the audit search says it cannot find
        assert retention.archived_before(session) == datetime(2019, 5, 1, tzinfo=UTC)

    aged.add(2)  # the log goes on above the floor
    for args in (
        ("--database", "--state", str(state)),  # saved at 8, above the floor: the roots must agree
        ("--database",),
        ("--tiles", str(out), "--state", str(tiles_state)),
    ):
        ok = cli(aged, "audit", "verify", *args, "--verifier-key", key)
        assert ok.exit_code == 0, ok.output
    checked = cli(aged, "audit", "verify", "--database", "--verifier-key", key)
    assert "OK: 10 entries" in checked.output
    assert "NOT CHECKED: entries below leaf index 5 were dropped by retention" in checked.output
    exported = cli(aged, "audit", "export", "--out", str(aged.tmp / "export.jsonl"))
    assert exported.exit_code == 0 and "below leaf index 5 were dropped" in exported.output, exported.output
    lines = (aged.tmp / "export.jsonl").read_text().splitlines()
    assert [json.loads(line)["leaf_index"] for line in lines[1:]] == list(range(5, 10))

    # Later entries' proofs verify against the signed root; the dropped ones answer 410 Gone.
    with aged.sessions() as session, session.begin():
        cp = aged.log.checkpoint(session)
        for index in range(5, 10):
            proof = aged.log.inclusion_proof(session, index, cp.size)
            merkle.verify_inclusion(proof["leaf_hash"], index, cp.size, proof["proof"], bytes(cp.root_hash))
        consistency = aged.log.consistency_proof(session, 6, cp.size)
        with aged.sessions() as other:
            six = aged.log.checkpoint(other, 6)
            merkle.verify_consistency(
                6, cp.size, bytes(six.root_hash), bytes(cp.root_hash), consistency["proof"]
            )
        with pytest.raises(Archived) as gone:
            aged.log.inclusion_proof(session, 1, cp.size)
        assert status_of(gone.value) == 410
        assert "below the retention floor 5" in gone.value.detail
        with pytest.raises(Archived):
            aged.log.consistency_proof(session, 2, cp.size)
        with pytest.raises(Archived, match="below leaf index 5"):
            aged.log.entries(session, 0, 10)
        assert [e["leaf_index"] for e in aged.log.entries(session, 5, 10)["entries"]] == list(range(5, 10))

    with aged.sessions() as session:
        report = verify_log(DatabaseSource(session), [Verifier(key)])
    assert report.checkpoint.size == 10


def test_a_state_saved_below_the_floor_is_left_to_the_archive(aged: LiveDb) -> None:
    key = aged.verifier_key()
    state = aged.tmp / "state.json"
    early = aged.tmp / "early.json"
    with aged.sessions() as session:
        note = aged.log.checkpoint(session, 2).note
    early.write_text(json.dumps({"note": note}))
    out = archive(aged)
    assert cli(aged, "audit", "retention", "--archive", str(out)).exit_code == 0
    result = cli(aged, "audit", "verify", "--database", "--verifier-key", key, "--state", str(early))
    assert result.exit_code == 0, result.output
    assert "is below the retention floor (5)" in result.output
    assert (
        cli(
            aged, "audit", "verify", "--tiles", str(out), "--verifier-key", key, "--state", str(state)
        ).exit_code
        == 0
    )


def test_an_entry_removed_above_the_floor_still_fails_verification(aged: LiveDb) -> None:
    key = aged.verifier_key()
    out = archive(aged)
    assert cli(aged, "audit", "retention", "--archive", str(out)).exit_code == 0
    aged.tamper("DELETE FROM audit_leaf WHERE leaf_index = 6", tables=("audit_leaf",))
    result = cli(aged, "audit", "verify", "--database", "--verifier-key", key)
    assert result.exit_code == 1, result.output
    assert "leaf index 6 is missing" in result.output
    assert '"retention_floor": 5' in result.output


def test_the_partitioning_cannot_be_undone_once_a_month_was_dropped(aged: LiveDb) -> None:
    out = archive(aged)
    assert cli(aged, "audit", "retention", "--archive", str(out)).exit_code == 0
    with pytest.raises(RuntimeError, match="dropped by retention"):
        command.downgrade(alembic_config(url=aged.url), "0026")
    key = Verifier(aged.verifier_key())
    with aged.sessions() as session:
        assert verify_log(DatabaseSource(session), [key]).checkpoint.size == 8


def test_since_state_above_the_floor_starts_there_and_below_it_from_the_floor(aged: LiveDb) -> None:
    key = aged.verifier_key()
    state = aged.tmp / "state.json"
    early = aged.tmp / "early.json"
    with aged.sessions() as session:
        early.write_text(json.dumps({"note": aged.log.checkpoint(session, 2).note}))
    assert (
        cli(aged, "audit", "verify", "--database", "--verifier-key", key, "--state", str(state)).exit_code
        == 0
    )
    out = archive(aged)
    assert cli(aged, "audit", "retention", "--archive", str(out)).exit_code == 0
    aged.add(2)
    above = cli(
        aged, "audit", "verify", "--database", "--verifier-key", key, "--state", str(state), "--since-state"
    )
    assert above.exit_code == 0, above.output
    assert "extends the saved checkpoint of size 8 (--since-state: 2 entries read)" in above.output
    below = cli(
        aged, "audit", "verify", "--database", "--verifier-key", key, "--state", str(early), "--since-state"
    )
    assert below.exit_code == 0, below.output
    assert "(--since-state: 5 entries read)" in below.output  # from the floor, 5
    assert "is below the retention floor (5)" in below.output


def test_a_root_mismatch_above_the_floor_is_located_from_it(aged: LiveDb) -> None:
    key = aged.verifier_key()
    out = archive(aged)
    assert cli(aged, "audit", "retention", "--archive", str(out)).exit_code == 0
    with aged.engine.connect() as conn:
        victim, body = conn.execute(
            text(
                "SELECT e.id, e.body FROM audit_leaf l JOIN audit_entry e ON e.id = l.entry_id"
                " WHERE l.leaf_index = 6"
            )
        ).one()
    forged = bytes(body).replace(b"allowed", b"denied!")
    aged.tamper(
        (
            "UPDATE audit_entry SET body = :body, leaf_hash = :hash, outcome = 'denied!' WHERE id = :id",
            {"body": forged, "hash": hashlib.sha256(b"\x00" + forged).digest(), "id": victim},
        ),
        tables=("audit_entry",),
    )
    result = cli(aged, "audit", "verify", "--database", "--verifier-key", key)
    assert result.exit_code == 1, result.output
    found = json.loads(result.output[result.output.index("{") :])
    assert (found["retention_floor"], found["mismatch_between"], found["first_mismatching_index"]) == (
        5,
        [6, 7],
        6,
    )
