"""The tlog-tiles archive without a database: the spec's layout and examples, extending, refusing, and
verification failing on any altered byte (tests/audit/tiles_helpers.py makes the signed log)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from registry.audit import merkle
from registry.audit.note import Checkpoint, parse_note
from registry.audit.tiles import (
    ENTRIES,
    ArchiveError,
    SignedTree,
    TilesSource,
    decode_bundle,
    encode_bundle,
    extend_archive,
    tile_index_path,
    tile_path,
)
from registry.audit.verify import VerificationFailed, verify_log
from tests.audit.tiles_helpers import SyntheticLog

SPEC_SIZE = 70_000  # the spec's example: 273 full level-0 tiles, one of width 112, levels 1 and 2
STEPS = (1, 255, 256, 257, 30_000, 65_536, SPEC_SIZE)


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def synthetic() -> SyntheticLog:
    return SyntheticLog(STEPS)


@pytest.fixture(scope="module")
def spec_archive(synthetic: SyntheticLog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiles") / "archive"
    done = synthetic.archive(out, SPEC_SIZE)
    assert (done.previous_size, done.size) == (0, SPEC_SIZE)
    return out


@pytest.fixture
def archive(spec_archive: Path, tmp_path: Path) -> Path:
    """A copy of the 70,000-entry archive that a test may alter."""
    return Path(shutil.copytree(spec_archive, tmp_path / "copy"))


def test_tile_paths_are_the_spec_encoding() -> None:
    assert tile_index_path(0) == "000"
    assert tile_index_path(999) == "999"
    assert tile_index_path(1000) == "x001/000"
    assert tile_index_path(1234067) == "x001/x234/067"
    assert tile_path(0, 5) == "tile/0/005"
    assert tile_path(3, 1234067, 17) == "tile/3/x001/x234/067.p/17"
    assert tile_path(ENTRIES, 1234067) == "tile/entries/x001/x234/067"
    assert tile_path(ENTRIES, 0, 1) == "tile/entries/000.p/1"
    with pytest.raises(ValueError):
        tile_path(0, 0, 0)


def test_bundles_are_uint16_length_prefixed() -> None:
    assert encode_bundle([b"abc", b"", b"\xff" * 300]) == b"\x00\x03abc\x00\x00\x01\x2c" + b"\xff" * 300
    assert decode_bundle(b"\x00\x03abc\x00\x00") == [b"abc", b""]
    with pytest.raises(ValueError, match="runs past the end"):
        decode_bundle(b"\x00\x04abc")
    with pytest.raises(ValueError, match="truncated length prefix"):
        decode_bundle(b"\x00\x01a\x00")
    with pytest.raises(ArchiveError, match="at most 65535"):
        encode_bundle([b"x" * 65536])


def test_the_spec_example_of_70000_entries(synthetic: SyntheticLog, spec_archive: Path) -> None:
    found = files(spec_archive)
    leaves = [merkle.leaf_hash(body) for body in synthetic.bodies[:SPEC_SIZE]]
    full0 = [tile_path(0, n) for n in range(273)]
    expected = {
        "checkpoint",
        *full0,
        tile_path(0, 273, 112),
        *(tile_path(ENTRIES, n) for n in range(273)),
        tile_path(ENTRIES, 273, 112),
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    }
    assert set(found) == expected
    assert found["checkpoint"] == synthetic.trees[SPEC_SIZE].note.encode()  # the signed note, as stored
    # Hand-computed from RFC 6962 hashes: level 0 holds the leaf hashes, level L the hashes of 256**L leaves.
    assert found["tile/0/001"] == b"".join(leaves[256:512])
    assert found["tile/0/273.p/112"] == b"".join(leaves[273 * 256 :])
    assert decode_bundle(found["tile/entries/272"]) == synthetic.bodies[272 * 256 : 273 * 256]
    assert len(found["tile/1/000"]) == 8192
    assert found["tile/1/000"][32:64] == merkle.root_from_leaf_hashes(leaves[256:512])
    assert found["tile/1/001.p/17"][-32:] == merkle.subtree_hash(272 * 256, 273 * 256, leaves)
    assert found["tile/2/000.p/1"] == merkle.subtree_hash(0, 65_536, leaves)
    report = verify_log(TilesSource.directory(spec_archive), synthetic.verifiers())
    assert report.checkpoint.size == SPEC_SIZE


def test_a_tree_of_256_is_a_full_tile_and_a_partial_tile_of_width_1(
    synthetic: SyntheticLog, tmp_path: Path
) -> None:
    synthetic.archive(tmp_path, 256)
    assert set(files(tmp_path)) == {"checkpoint", "tile/0/000", "tile/entries/000", "tile/1/000.p/1"}
    assert verify_log(TilesSource.directory(tmp_path), synthetic.verifiers()).checkpoint.size == 256


def test_extending_step_by_step_gives_the_same_tiles_and_never_rewrites_a_full_one(
    synthetic: SyntheticLog, spec_archive: Path, tmp_path: Path
) -> None:
    inodes: dict[str, int] = {}
    previous = 0
    for size in STEPS:
        done = synthetic.archive(tmp_path, size)
        assert (done.previous_size, done.size) == (previous, size)
        previous = size
        assert verify_log(TilesSource.directory(tmp_path), synthetic.verifiers()).checkpoint.size == size
        for name, inode in inodes.items():
            assert (tmp_path / name).stat().st_ino == inode, f"{name} was rewritten"
        inodes = {
            str(p.relative_to(tmp_path)): p.stat().st_ino
            for p in tmp_path.rglob("*")
            if p.is_file() and ".p" not in p.parts[-2] and p.name != "checkpoint"
        }
        if size == 30_000:  # the partial tiles earlier checkpoints named stay while their tile is not full
            assert (tmp_path / "tile/1/000.p/1").is_file()
            assert (tmp_path / "tile/1/000.p/117").is_file()
            assert not (tmp_path / "tile/0/000.p").exists()
    again = synthetic.archive(tmp_path, SPEC_SIZE)
    assert (again.previous_size, again.size, again.files_written) == (SPEC_SIZE, SPEC_SIZE, 0)

    assert files(tmp_path) == files(spec_archive)


def test_verifying_against_an_earlier_checkpoint(synthetic: SyntheticLog, spec_archive: Path) -> None:
    report = verify_log(
        TilesSource.directory(spec_archive), synthetic.verifiers(), synthetic.trees[30_000].note
    )
    assert (report.previous and report.previous.size, report.warnings) == (30_000, [])
    other = SyntheticLog([30_000], tag="other")  # another tree of that size, of the same origin
    with pytest.raises(VerificationFailed, match="forked"):
        verify_log(TilesSource.directory(spec_archive), synthetic.verifiers(), other.trees[30_000].note)


def counting(root: Path, reads: list[str]) -> TilesSource:
    def read(relative: str) -> bytes | None:
        reads.append(relative)
        path = root / relative
        return path.read_bytes() if path.is_file() else None

    return TilesSource(read, str(root))


@pytest.mark.parametrize("saved", [1, 255, 256, 257, 30_000, 65_536, SPEC_SIZE])
def test_since_state_reads_the_archive_from_the_saved_size_on(
    synthetic: SyntheticLog, spec_archive: Path, saved: int
) -> None:
    reads: list[str] = []
    source = counting(spec_archive, reads)
    report = verify_log(source, synthetic.verifiers(), synthetic.trees[saved].note, since_previous=True)
    assert (report.start, report.checkpoint.size) == (saved, SPEC_SIZE)
    bundles = [r for r in reads if r.startswith("tile/entries/")]
    tiles = -(-SPEC_SIZE // 256)  # 274: 273 full and one of width 112
    assert len(bundles) == tiles - saved // 256  # from the bundle holding the saved size on
    # Besides the checkpoint, one level-0 tile a bundle; a few more: the edge at the saved size (read for
    # the frontier and again to check the tiles above), the tiles above completed since, and a full
    # tile read where its partial one is gone.
    assert len(reads) <= 1 + 2 * len(bundles) + 20, reads


def test_since_state_trusts_the_tiles_at_the_saved_size_only_if_they_hash_to_its_root(
    synthetic: SyntheticLog, archive: Path
) -> None:
    saved = synthetic.trees[30_000].note
    flip(archive / "tile/0/000", 5)  # far below 30,000 and in no tile at its edge: not read again
    assert verify_log(TilesSource.directory(archive), synthetic.verifiers(), saved, since_previous=True)
    with pytest.raises(VerificationFailed, match="entry 0 of tile/entries/000 does not hash to hash 0"):
        verify_log(TilesSource.directory(archive), synthetic.verifiers(), saved)  # a full run reads it
    flip(archive / "tile/1/000", 40)  # hash 1 of level 1: part of the frontier at 30,000
    with pytest.raises(VerificationFailed, match="stored frontier was altered") as failed:
        verify_log(TilesSource.directory(archive), synthetic.verifiers(), saved, since_previous=True)
    assert "computed_previous_root" in failed.value.evidence
    flip(archive / "tile/1/000", 40)
    flip(archive / "tile/entries/200", 10)  # after the saved size: read and checked
    with pytest.raises(VerificationFailed, match="tile/entries/200"):
        verify_log(TilesSource.directory(archive), synthetic.verifiers(), saved, since_previous=True)


def test_since_state_against_another_tree_of_the_saved_size_is_a_fork(
    synthetic: SyntheticLog, spec_archive: Path
) -> None:
    other = SyntheticLog([30_000], tag="other")
    with pytest.raises(VerificationFailed, match="forked"):
        verify_log(
            TilesSource.directory(spec_archive),
            synthetic.verifiers(),
            other.trees[30_000].note,
            since_previous=True,
        )


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("name", "offset", "reason"),
    [
        ("checkpoint", 30, "checkpoint signature does not verify"),
        ("tile/0/100", 4000, "entry 125 of tile/entries/100 does not hash to hash 125 of tile/0/100"),
        ("tile/0/273.p/112", 0, "entry 0 of tile/entries/273.p/112 does not hash"),
        ("tile/1/000", 8191, "hash 255 of tile/1/000 is not the Merkle tree hash of tile/0/255"),
        ("tile/1/001.p/17", 40, "hash 1 of tile/1/001.p/17 is not the Merkle tree hash of tile/0/257"),
        ("tile/2/000.p/1", 5, "hash 0 of tile/2/000.p/1 is not the Merkle tree hash of tile/1/000"),
        ("tile/entries/007", 10, "entry 0 of tile/entries/007 does not hash to hash 0 of tile/0/007"),
        ("tile/entries/007", 1, "tile/entries/007 is malformed"),
        ("tile/entries/273.p/112", 0, "tile/entries/273.p/112 is malformed"),
    ],
)
def test_any_altered_byte_fails_with_the_file_it_is_in(
    synthetic: SyntheticLog, archive: Path, name: str, offset: int, reason: str
) -> None:
    flip(archive / name, offset)
    with pytest.raises(VerificationFailed) as failed:
        verify_log(TilesSource.directory(archive), synthetic.verifiers())
    assert reason in failed.value.reason


def test_missing_or_truncated_files_fail(synthetic: SyntheticLog, archive: Path) -> None:
    (archive / "tile/0/005").write_bytes((archive / "tile/0/005").read_bytes()[:-1])
    with pytest.raises(VerificationFailed, match="tile/0/005 is 8191 bytes, not 8192"):
        verify_log(TilesSource.directory(archive), synthetic.verifiers())
    (archive / "tile/entries/004").unlink()
    with pytest.raises(VerificationFailed, match="tile/entries/004 is missing"):
        verify_log(TilesSource.directory(archive), synthetic.verifiers())
    (archive / "checkpoint").unlink()
    with pytest.raises(VerificationFailed, match="no checkpoint"):
        verify_log(TilesSource.directory(archive), synthetic.verifiers())


def test_a_forged_entry_with_every_tile_recomputed_misses_the_signed_root(
    synthetic: SyntheticLog, archive: Path, tmp_path: Path
) -> None:
    bodies = list(synthetic.bodies[:SPEC_SIZE])
    bodies[1000] = bodies[1000].replace(b'"n":1000', b'"n":1001')
    tree = merkle.CompactRange()
    tree.extend([merkle.leaf_hash(b) for b in bodies])
    forged = SignedTree(SPEC_SIZE, synthetic.trees[SPEC_SIZE].note, tree.root(), tree)
    rebuilt = tmp_path / "forged"
    extend_archive(rebuilt, forged, {SPEC_SIZE: forged}.get, lambda a, b: bodies[a:b])
    with pytest.raises(VerificationFailed, match="do not hash to the signed root"):
        verify_log(TilesSource.directory(rebuilt), synthetic.verifiers())


def test_a_missing_partial_tile_is_read_from_the_full_one(synthetic: SyntheticLog, tmp_path: Path) -> None:
    """As the spec lets clients do: a log may delete a partial tile once the full tile is there."""
    synthetic.archive(tmp_path, 255)
    note = (tmp_path / "checkpoint").read_bytes()
    synthetic.archive(tmp_path, 256)
    (tmp_path / "checkpoint").write_bytes(note)  # a reader holding the checkpoint of 255
    assert not (tmp_path / "tile/0/000.p").exists()
    assert verify_log(TilesSource.directory(tmp_path), synthetic.verifiers()).checkpoint.size == 255


# -- refusing to extend an archive the log did not sign -------------------------------------------
def test_refuses_the_archive_of_another_log_and_changes_nothing(
    synthetic: SyntheticLog, tmp_path: Path
) -> None:
    other = SyntheticLog([257, 30_000], origin="registry.example/other")
    other.archive(tmp_path, 257)
    before = files(tmp_path)
    with pytest.raises(ArchiveError, match="another root or origin"):
        synthetic.archive(tmp_path, 30_000)
    assert files(tmp_path) == before
    unsigned = SyntheticLog([30_000])
    with pytest.raises(ArchiveError, match="not one this database signed"):
        unsigned.archive(tmp_path, 30_000)
    assert files(tmp_path) == before


def test_refuses_an_altered_partial_tile_and_changes_nothing(synthetic: SyntheticLog, tmp_path: Path) -> None:
    synthetic.archive(tmp_path, 30_000)
    flip(tmp_path / "tile/1/000.p/117", 100)
    before = files(tmp_path)
    with pytest.raises(ArchiveError, match="partial tiles for size 30000 are not the database's tree"):
        synthetic.archive(tmp_path, SPEC_SIZE)
    assert files(tmp_path) == before


def test_refuses_an_altered_partial_bundle_and_changes_nothing(
    synthetic: SyntheticLog, tmp_path: Path
) -> None:
    synthetic.archive(tmp_path, 30_000)
    flip(tmp_path / "tile/entries/117.p/48", 10)
    before = files(tmp_path)
    with pytest.raises(ArchiveError, match=r"entry 0 of tile/entries/117\.p/48 does not hash"):
        synthetic.archive(tmp_path, SPEC_SIZE)
    assert files(tmp_path) == before


def test_refuses_to_go_back_to_a_smaller_tree(synthetic: SyntheticLog, tmp_path: Path) -> None:
    synthetic.archive(tmp_path, 30_000)
    before = files(tmp_path)
    with pytest.raises(ArchiveError, match="already holds 30000 entries, more than the 257"):
        synthetic.archive(tmp_path, 257)
    assert files(tmp_path) == before


def test_entries_that_miss_the_signed_root_leave_the_published_checkpoint(
    synthetic: SyntheticLog, tmp_path: Path
) -> None:
    synthetic.archive(tmp_path, 257)
    published = files(tmp_path)
    bodies = list(synthetic.bodies)
    bodies[20_000] = b'{"n":"forged"}'
    with pytest.raises(ArchiveError, match="do not hash to its checkpoint of size 30000"):
        extend_archive(tmp_path, synthetic.trees[30_000], synthetic.trees.get, lambda a, b: bodies[a:b])
    after = files(tmp_path)
    assert {name: after[name] for name in published} == published  # only files past it were written
    assert verify_log(TilesSource.directory(tmp_path), synthetic.verifiers()).checkpoint.size == 257
    assert Checkpoint.parse(parse_note(after["checkpoint"].decode())[0]).size == 257
