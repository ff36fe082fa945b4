"""The sequencer: contiguous indexes, checkpoints that extend each other, refusal on a doctored state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from registry.audit import merkle
from registry.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf
from registry.audit.note import Checkpoint, Verifier, open_note
from registry.audit.recorder import record
from registry.audit.sequencer import SequencerError, sequence_pending
from registry.db import utcnow
from tests.factories import AUDIT_ORIGIN, audit_event, new_log


def leaves(db):  # type: ignore[no-untyped-def]
    return db.execute(
        select(AuditLeaf.leaf_index, AuditEntry.id, AuditEntry.leaf_hash)
        .join(AuditEntry, AuditEntry.id == AuditLeaf.entry_id)
        .order_by(AuditLeaf.leaf_index)
    ).all()


def test_batches_get_contiguous_indexes_in_id_order_and_signed_checkpoints(db):
    log = new_log()
    for n in range(5):
        record(db, audit_event(n))
    db.flush()
    first = log.sequence(db, batch_size=3)
    assert (first.added, first.checkpoint.size) == (3, 3)
    second = log.sequence(db, batch_size=3)
    assert (second.added, second.checkpoint.size) == (2, 5)
    assert log.sequence(db) is None  # nothing pending: no new checkpoint
    rows = leaves(db)
    assert [r.leaf_index for r in rows] == [0, 1, 2, 3, 4]
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert second.checkpoint.root_hash == merkle.root_from_leaf_hashes([r.leaf_hash for r in rows])
    verifier = Verifier(log.keys.verifier_keys(db)[0])
    body, names = open_note(second.note, [verifier])
    assert names == [AUDIT_ORIGIN] and Checkpoint.parse(body) == second.checkpoint
    merkle.verify_consistency(
        3,
        5,
        first.checkpoint.root_hash,
        second.checkpoint.root_hash,
        log.consistency_proof(db, 3, 5)["proof"],
    )


def test_entries_recorded_while_reading_are_sequenced_later(db):
    log = new_log()
    record(db, audit_event(1))
    db.flush()
    done = log.sequence(db)
    record(db, audit_event(2))
    db.flush()
    assert log.checkpoint(db).size == done.checkpoint.size == 1
    assert log.sequence(db).checkpoint.size == 2


def test_refuses_to_sign_when_the_stored_frontier_was_doctored(db):
    log = new_log()
    record(db, audit_event(1))
    db.flush()
    log.sequence(db)
    bogus = merkle.CompactRange(1, [b"\x07" * 32]).to_bytes()
    db.execute(
        text(
            "INSERT INTO audit_checkpoint (size, root_hash, compact_range, note, created_at) "
            "VALUES (2, :root, :cr, :note, :now)"
        ),
        {
            "root": merkle.CompactRange.from_bytes(bogus).root(),
            "cr": bogus,
            "note": log.checkpoint(db).note,
            "now": utcnow(),
        },
    )
    record(db, audit_event(2))
    db.flush()
    with pytest.raises(SequencerError):
        log.sequence(db)


def test_refuses_to_sign_over_an_entry_altered_before_sequencing(db, is_postgres):
    log = new_log()
    entry_id = record(db, audit_event(1))
    if is_postgres:  # as an administrator could; rolled back with the test
        db.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER ALL"))
    db.execute(
        text("UPDATE audit_entry SET leaf_hash = :hash WHERE id = :id"),
        {"hash": b"\x00" * 32, "id": entry_id},
    )
    with pytest.raises(SequencerError, match="leaf hash"):
        log.sequence(db)


def test_rotation_signs_with_old_and_new_key_during_the_overlap_then_new_only(db):
    log = new_log()
    record(db, audit_event(1))
    db.flush()
    old = log.keys.signers(db)[0]
    new = log.keys.rotate(db, overlap=timedelta(hours=1))
    assert new.name == old.name and new.key_id != old.key_id
    done = log.sequence(db)
    _, names = open_note(done.note, [old.verifier()])
    assert names == [old.name]
    _, names = open_note(done.note, [new.verifier()])
    assert names == [new.name]
    later = utcnow() + timedelta(hours=2)
    assert [s.key_id for s in log.keys.signers(db, now=later)] == [new.key_id]
    assert log.keys.verifier_keys(db, now=later) == [new.verifier_key]
    assert log.keys.verifier_keys(db, now=later, include_retired=True)[1] == old.verifier_key


def test_sequence_pending_function_directly(db):
    log = new_log()
    signers = log.keys.signers(db)
    record(db, audit_event(1))
    db.flush()
    done = sequence_pending(db, signers=signers, origin=AUDIT_ORIGIN)
    assert done.checkpoint.size == 1
    assert db.get(AuditCheckpoint, 1).note == done.note
