"""Process entry points for the PostgreSQL concurrency test (importable by `spawn` children)."""

from __future__ import annotations

import random
import time
from typing import Any

from registry.audit.recorder import record
from registry.db import make_engine, make_sessionmaker
from tests.factories import audit_event, new_log


def insert_entries(url: str, worker: int, count: int) -> list[int]:
    """Insert entries one transaction each, holding some open a little so commits come out of id order."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    rng = random.Random(worker)
    ids = []
    for n in range(count):
        with sessions() as session, session.begin():
            ids.append(record(session, audit_event(n, officer=f"worker-{worker}")))
            if rng.random() < 0.3:
                time.sleep(rng.random() * 0.02)
    engine.dispose()
    return ids


def run_sequencer(url: str, stop: Any, batch: int) -> int:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    log = new_log()
    signed = 0
    while not stop.is_set():
        with sessions() as session, session.begin():
            if log.sequence(session, batch_size=batch) is not None:
                signed += 1
        time.sleep(0.002)
    engine.dispose()
    return signed
