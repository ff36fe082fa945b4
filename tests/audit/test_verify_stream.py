"""verify_log streams: memory bounded whatever the log's size, the same evidence on failure, and
--since-state reading only the entries after the saved checkpoint (a generated log, no database)."""

from __future__ import annotations

import base64
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from registry.audit import merkle
from registry.audit.note import (
    Checkpoint,
    NoteVerifier,
    Signer,
    Verifier,
    generate_signer,
    parse_note,
    sign_note,
)
from registry.audit.verify import Floor, VerificationFailed, VerifyReport, verify_log

ORIGIN = "registry.example/stream-test"
SIZE = 60_000
EVERY = 5_000  # a signed checkpoint every EVERY entries
# The old verifier held every leaf hash (a 32-byte bytes object and its list slot, ~73 bytes: 4.4 MB for
# SIZE leaves, more while hashing the root); the streaming one a frontier and one batch (~1.2 MB).
BOUND = 2_000_000


def body(index: int, tag: bytes = b"") -> bytes:
    return b'{"n":%d,"pad":"%s"}' % (index, tag + b"x" * (index % 29))


class GeneratedLog:
    """A LogSource whose entries are made as they are read (the log itself takes no memory), signed every
    EVERY entries; `frontier` gives the tree's frontier at those sizes, as the database stores it."""

    def __init__(self, size: int = SIZE, tag: bytes = b"", key: tuple[str, str] | None = None) -> None:
        skey, self.verifier_key = key or generate_signer(ORIGIN)
        self.key = (skey, self.verifier_key)
        signer = Signer(skey)
        self.size, self.tag = size, tag
        self.altered: dict[int, bytes] = {}
        self.notes: dict[int, str] = {}
        self.frontiers: dict[int, merkle.CompactRange] = {}
        self.read = 0  # entries served
        tree = merkle.CompactRange()
        for start in range(0, size, EVERY):
            tree.extend([merkle.leaf_hash(body(i, tag)) for i in range(start, min(start + EVERY, size))])
            self.notes[tree.size] = sign_note(Checkpoint(ORIGIN, tree.size, tree.root()).body(), [signer])
            self.frontiers[tree.size] = tree.copy()

    def verifiers(self) -> list[NoteVerifier]:
        return [Verifier(self.verifier_key)]

    def hashes(self, size: int | None = None) -> list[bytes]:
        """Every leaf hash (the reference the tests compare with; the verifier never builds this list)."""
        return [merkle.leaf_hash(self.altered.get(i, body(i, self.tag))) for i in range(size or self.size)]

    def checkpoint_note(self) -> str:
        return self.notes[self.size]

    def leaves(self, size: int, start: int = 0) -> Iterator[tuple[int, bytes, bytes | None]]:
        for index in range(start, size):
            self.read += 1
            yield index, self.altered.get(index, body(index, self.tag)), None

    def consistency_proof(self, first: int, second: int) -> list[bytes] | None:
        return None

    def frontier(self, size: int, tree_size: int) -> merkle.CompactRange | None:
        found = self.frontiers.get(size)
        return found.copy() if found is not None else None

    def floor(self, verifiers: Sequence[NoteVerifier]) -> Floor | None:
        return None

    def signed_notes(self) -> Iterator[tuple[int, str]]:
        return iter(sorted(self.notes.items()))

    def column_mismatches(self) -> list[tuple[int, list[str]]]:
        return []

    def column_mismatch_count(self) -> int:
        return 0

    def column_guard_problems(self) -> list[str]:
        return []


def peak_bytes(run: Callable[[], Any]) -> tuple[Any, int]:
    """(what run returned or raised, the peak of memory it allocated beyond what was there before)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        try:
            result: Any = run()
        except VerificationFailed as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def generated() -> GeneratedLog:
    return GeneratedLog()


@pytest.fixture
def log(generated: GeneratedLog) -> GeneratedLog:
    generated.altered.clear()
    generated.read = 0
    return generated


def test_a_full_verify_holds_a_frontier_not_the_leaves(log: GeneratedLog) -> None:
    report, peak = peak_bytes(lambda: verify_log(log, log.verifiers(), log.notes[40_000]))
    assert isinstance(report, VerifyReport), report
    assert (report.checkpoint.size, report.previous and report.previous.size) == (SIZE, 40_000)
    assert log.read == SIZE
    assert peak < BOUND, f"{peak:,} bytes at the peak for {SIZE:,} leaves"


def test_a_root_mismatch_is_located_by_a_second_streaming_pass(log: GeneratedLog) -> None:
    log.altered[41_234] = body(41_234).replace(b'"n":41234', b'"n":41235')
    failed, peak = peak_bytes(lambda: verify_log(log, log.verifiers()))
    assert isinstance(failed, VerificationFailed)
    assert "do not hash to the signed root" in failed.reason
    found = failed.evidence
    assert found["mismatch_between"] == [40_000, 45_000]
    assert found["first_bad_checkpoint"]["size"] == 45_000
    assert found["first_mismatching_index"] is None  # checkpoints 5,000 apart: a range, not an index
    assert base64.b64decode(found["computed_root"]) == merkle.root_from_leaf_hashes(log.hashes(45_000))
    assert log.read == SIZE + 45_000  # the second pass stops at the first bad checkpoint
    assert peak < BOUND, f"{peak:,} bytes at the peak"


def test_a_fork_against_the_saved_checkpoint_carries_the_consistency_proof(log: GeneratedLog) -> None:
    other = GeneratedLog(30_000, tag=b"other", key=log.key)  # another tree of that size, same key
    with pytest.raises(VerificationFailed) as raised:
        verify_log(log, log.verifiers(), other.notes[30_000])
    failed = raised.value
    assert "the log forked: checkpoint 60000 does not extend 30000" in failed.reason
    proof = [base64.b64decode(h) for h in failed.evidence["consistency_proof"]]
    hashes = log.hashes()
    assert proof == merkle.consistency_proof(30_000, SIZE, hashes)
    saved = Checkpoint.parse(parse_note(other.notes[30_000])[0]).root_hash
    root = merkle.root_from_leaf_hashes(hashes)
    merkle.verify_consistency(
        30_000, SIZE, base64.b64decode(failed.evidence["computed_previous_root"]), root, proof
    )
    with pytest.raises(merkle.ProofError):  # the proof reproduces the signed root, not the saved one
        merkle.verify_consistency(30_000, SIZE, saved, root, proof)


def test_since_state_reads_only_the_entries_after_the_saved_checkpoint(log: GeneratedLog) -> None:
    report = verify_log(log, log.verifiers(), log.notes[55_000], since_previous=True)
    assert (report.start, report.checkpoint.size, log.read) == (55_000, SIZE, 5_000)
    assert any("not read again (--since-state)" in w for w in report.warnings)
    log.read = 0
    same = verify_log(log, log.verifiers(), log.notes[SIZE], since_previous=True)
    assert (same.start, log.read) == (SIZE, 0)


def test_since_state_still_finds_an_entry_altered_after_the_saved_checkpoint(log: GeneratedLog) -> None:
    log.altered[57_000] = body(57_000, b"forged")
    with pytest.raises(VerificationFailed) as failed:
        verify_log(log, log.verifiers(), log.notes[55_000], since_previous=True)
    assert failed.value.evidence["mismatch_between"] == [55_000, 60_000]
    assert failed.value.evidence["first_bad_checkpoint"]["size"] == SIZE


def test_since_state_trusts_the_frontier_only_if_it_hashes_to_the_saved_root(log: GeneratedLog) -> None:
    good = log.frontiers[55_000]
    forged = good.hashes
    forged[-1] = merkle.leaf_hash(b"forged")
    log.frontiers[55_000] = merkle.CompactRange(55_000, forged)
    try:
        with pytest.raises(VerificationFailed, match="stored frontier was altered") as failed:
            verify_log(log, log.verifiers(), log.notes[55_000], since_previous=True)
        assert "computed_previous_root" in failed.value.evidence
        assert log.read == 0
        del log.frontiers[55_000]
        with pytest.raises(VerificationFailed, match="gives no frontier at the saved checkpoint's size"):
            verify_log(log, log.verifiers(), log.notes[55_000], since_previous=True)
    finally:
        log.frontiers[55_000] = good
    # Without --since-state the same log verifies from leaf 0: only the stored frontier was wrong.
    assert verify_log(log, log.verifiers(), log.notes[55_000]).checkpoint.size == SIZE


def test_since_state_against_another_tree_of_the_saved_size_is_a_fork(log: GeneratedLog) -> None:
    other = GeneratedLog(30_000, tag=b"other", key=log.key)
    with pytest.raises(VerificationFailed, match="the log forked"):
        verify_log(log, log.verifiers(), other.notes[30_000], since_previous=True)
