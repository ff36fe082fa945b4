"""A leaf names its entry by the entry's whole key, `(entry_id, entry_occurred_at)` (migration 0029), so that
on PostgreSQL reading a leaf's entry reads only the month's partition that holds it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text

from registry.audit.log import LeafHashes, LogCorrupt, leaf_rows
from registry.audit.models import AuditEntry, AuditLeaf
from registry.audit.note import Verifier
from registry.audit.verify import DatabaseSource, VerificationFailed, verify_log
from tests.audit.helpers import LiveDb
from tests.audit.test_partitions import add_at
from tests.databases import alembic_config


def leaves_and_entries(live: LiveDb) -> list[tuple[int, datetime | None, datetime]]:
    """(leaf index, the leaf's entry_occurred_at, its entry's occurred_at), joined by id alone."""
    with live.sessions() as session:
        rows = session.execute(
            select(AuditLeaf.leaf_index, AuditLeaf.entry_occurred_at, AuditEntry.occurred_at)
            .join(AuditEntry, AuditEntry.id == AuditLeaf.entry_id)
            .order_by(AuditLeaf.leaf_index)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def verifies(live: LiveDb) -> int:
    with live.sessions() as session:
        return verify_log(DatabaseSource(session), [Verifier(live.verifier_key())]).checkpoint.size


def test_the_sequencer_gives_each_leaf_its_entrys_time(live: LiveDb) -> None:
    live.add(3)
    live.add(2, sequence_each=False)
    live.sequence()

    found = leaves_and_entries(live)
    assert [index for index, _, _ in found] == [0, 1, 2, 3, 4]
    assert all(leaf_time == entry_time for _, leaf_time, entry_time in found)
    assert verifies(live) == 5


def test_upgrading_gives_the_existing_leaves_their_entrys_time(live: LiveDb) -> None:
    live.add(4)
    config = alembic_config(url=live.url)
    command.downgrade(config, "0027")
    with live.engine.connect() as conn:
        columns = conn.execute(select(text("*")).select_from(text("audit_leaf"))).keys()
    assert "entry_occurred_at" not in columns

    command.upgrade(config, "heads")

    found = leaves_and_entries(live)
    assert len(found) == 4
    assert all(leaf_time is not None and leaf_time == entry_time for _, leaf_time, entry_time in found)
    assert verifies(live) == 4
    live.add(1)  # and the sequencer goes on from there
    assert verifies(live) == 5


def test_a_leaf_whose_entry_time_was_changed_fails_verification_naming_it(live: LiveDb) -> None:
    live.add(5)
    with live.engine.connect() as conn:
        moment = conn.execute(
            select(AuditLeaf.entry_occurred_at).where(AuditLeaf.leaf_index == 2)
        ).scalar_one()
    live.tamper(
        (
            "UPDATE audit_leaf SET entry_occurred_at = :moment WHERE leaf_index = 2",
            {"moment": moment + timedelta(days=40)},
        ),
        tables=("audit_leaf",),
    )

    # The log's reads, which find the entry by the leaf's key, no longer find it...
    with live.sessions() as session, pytest.raises(LogCorrupt):
        LeafHashes(session, 5)[2]
    # ... and the verifier, which still finds it by id to check the tree, names the leaf.
    with pytest.raises(VerificationFailed) as failed:
        verifies(live)
    assert failed.value.evidence["first_mismatching_index"] == 2
    assert failed.value.evidence["columns"] == ["audit_leaf.entry_occurred_at"]


def _partitions_scanned(plan: dict[str, Any]) -> set[str]:
    scanned = set()
    relation = plan.get("Relation Name", "")
    if relation.startswith("audit_entry_") and plan.get("Actual Loops", 0) > 0:
        scanned.add(relation)
    for child in plan.get("Plans", ()):
        scanned |= _partitions_scanned(child)
    return scanned


@pytest.mark.postgres_only
def test_reading_leaves_probes_only_the_partition_of_their_entries(
    live: LiveDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three months of entries, each in its own partition; leaves 2-3 are February's.
    with live.engine.begin() as conn:
        for month in ("2026-01-01", "2026-02-01", "2026-03-01"):
            conn.execute(text("SELECT audit_entry_add_month(CAST(:m AS timestamptz))"), {"m": month})
    add_at(live, monkeypatch, datetime(2026, 1, 10, tzinfo=UTC), 2)
    add_at(live, monkeypatch, datetime(2026, 2, 10, tzinfo=UTC), 2)
    add_at(live, monkeypatch, datetime(2026, 3, 10, tzinfo=UTC), 2)
    with live.sessions() as session:
        statement = leaf_rows(session, 2, 4).compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        # Whatever join the planner picks (on tables this small it scans the entries first), the months
        # outside the time span of the leaves' entries are left out.
        plan = session.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}")).scalar_one()
        rows = session.execute(text(str(statement))).all()
    if isinstance(plan, str):
        plan = json.loads(plan)
    assert [row.leaf_index for row in rows] == [2, 3]
    assert _partitions_scanned(plan[0]["Plan"]) == {"audit_entry_y2026m02"}, json.dumps(plan, indent=1)
