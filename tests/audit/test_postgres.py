"""PostgreSQL only: append-only triggers, a least-privilege role, concurrent writers and sequencers."""

from __future__ import annotations

import itertools
import multiprocessing
import uuid
from concurrent.futures import ProcessPoolExecutor

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from registry.audit import merkle
from registry.audit.log import LeafHashes
from registry.audit.models import AUDIT_TABLES, AuditCheckpoint, AuditEntry, AuditLeaf
from registry.audit.note import Checkpoint, CosignatureSigner, Verifier, generate_cosigner, parse_note
from registry.audit.recorder import record
from registry.audit.verify import DatabaseSource, verify_log
from registry.db import make_engine, make_sessionmaker
from tests.audit import _workers
from tests.audit.helpers import LiveDb
from tests.factories import audit_event

pytestmark = pytest.mark.postgres_only


def test_audit_tables_refuse_update_delete_and_truncate(live: LiveDb) -> None:
    live.add(2)
    with live.sessions() as session, session.begin():  # an entry that reached subjects
        record(session, audit_event(3, subjects=(str(uuid.uuid4()),)))
    skey, vkey = generate_cosigner("witness.test")
    with live.sessions() as session, session.begin():
        live.log.add_witness(session, "witness.test", vkey)
        cp = live.log.checkpoint(session)
        line = CosignatureSigner(skey).cosign(Checkpoint.parse(parse_note(cp.note)[0]).body())
        live.log.add_cosignature(session, cp.size, line)
    column = {
        "audit_entry": "action",
        "audit_leaf": "sequenced_at",
        "audit_checkpoint": "note",
        "audit_signing_key": "name",
        "audit_witness": "name",
        "audit_cosignature": "line",
    }
    for table in AUDIT_TABLES:
        for statement in (
            f"UPDATE {table} SET {column[table]} = {column[table]}",
            f"DELETE FROM {table}",
            f"TRUNCATE {table} CASCADE",
        ):
            with pytest.raises(DBAPIError, match="append-only"), live.engine.begin() as conn:
                conn.execute(text(statement))
        with live.engine.connect() as conn:
            assert conn.scalar(text(f"SELECT count(*) FROM {table}")) > 0


def test_the_application_role_needs_only_insert_and_select(live: LiveDb) -> None:
    role = f"audit_app_{uuid.uuid4().hex[:8]}"
    tables = ", ".join(AUDIT_TABLES)
    unsequenced = ("audit_leaf", "audit_checkpoint")
    sequences = ", ".join(f"{t}_id_seq" for t in AUDIT_TABLES if t not in unsequenced)
    live.verifier_key()  # the key exists (made by the owner, e.g. `registry audit rotate-key`)
    with live.engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"GRANT SELECT, INSERT ON {tables} TO {role}"))
        conn.execute(text(f"GRANT USAGE ON SEQUENCE {sequences} TO {role}"))
    app_engine = make_engine(live.url.replace("postgres@", f"{role}@"))
    try:
        sessions = make_sessionmaker(app_engine)
        with sessions() as session, session.begin():
            record(session, audit_event(1))
        with sessions() as session, session.begin():
            assert live.log.sequence(session).checkpoint.size == 1
        with pytest.raises(DBAPIError), sessions() as session, session.begin():
            session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER ALL"))
    finally:
        app_engine.dispose()
        with live.engine.begin() as conn:
            conn.execute(text(f"REVOKE ALL ON {tables} FROM {role}"))
            conn.execute(text(f"REVOKE ALL ON SEQUENCE {sequences} FROM {role}"))
            conn.execute(text(f"DROP ROLE {role}"))


def test_concurrent_writers_and_sequencers_get_gap_free_unique_indexes(live: LiveDb) -> None:
    verifier_key = live.verifier_key()
    writers, per_writer = 4, 60
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    stop = manager.Event()
    with ProcessPoolExecutor(max_workers=writers + 2, mp_context=context) as pool:
        sequencers = [pool.submit(_workers.run_sequencer, live.url, stop, batch) for batch in (7, 50)]
        inserted = [pool.submit(_workers.insert_entries, live.url, w, per_writer) for w in range(writers)]
        try:
            ids = sorted(i for future in inserted for i in future.result(timeout=120))
        finally:
            stop.set()  # a failed writer must not leave the sequencers (and the pool) running for ever
        signed = [future.result(timeout=60) for future in sequencers]
    manager.shutdown()
    while live.sequence() is not None:
        pass

    assert sum(signed) > 1  # both sequencers took turns or one kept the lock; either way several checkpoints
    with live.sessions() as session:
        rows = session.execute(
            select(AuditLeaf.leaf_index, AuditLeaf.entry_id).order_by(AuditLeaf.leaf_index)
        ).all()
        assert [r.leaf_index for r in rows] == list(range(len(ids)))  # gap-free
        assert sorted(r.entry_id for r in rows) == ids  # each entry exactly once
        assert (
            session.scalar(select(AuditEntry.id).where(AuditEntry.id.not_in([r.entry_id for r in rows])))
            is None
        )
        # Every checkpoint extends the one before it.
        checkpoints = session.execute(
            select(AuditCheckpoint.size, AuditCheckpoint.root_hash).order_by(AuditCheckpoint.size)
        ).all()
        leaves = LeafHashes(session, len(ids))
        for before, after in itertools.pairwise(checkpoints):
            proof = merkle.consistency_proof(before.size, after.size, leaves)
            merkle.verify_consistency(before.size, after.size, before.root_hash, after.root_hash, proof)
        report = verify_log(DatabaseSource(session), [Verifier(verifier_key)])
        assert report.checkpoint.size == len(ids) == writers * per_writer
