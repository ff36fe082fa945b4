"""The audit log as a C2SP tlog-tiles archive: static files a plain web server serves, standard tools check.

Layout (https://c2sp.org/tlog-tiles), under one directory:

* ``checkpoint`` - the log's signed note of the archived tree size, exactly as the database stores it;
* ``tile/<L>/<N>[.p/<W>]`` - hash tiles: at level 0 the leaf hashes, at level L the Merkle tree hashes
  of 256**L leaves each, 256 to a full tile (8,192 bytes); the tree's right edge is in partial tiles
  of width W;
* ``tile/entries/<N>[.p/<W>]`` - entry bundles: each entry's canonical body (the bytes hashed into the
  tree), big-endian uint16 length-prefixed, 256 to a full bundle;
* ``<N>`` in 3-digit path elements, all but the last prefixed with ``x`` (1234067: ``x001/x234/067``).

The archive is extended, never rewritten: a run starts from the archive's own checkpoint and right edge
(its partial tiles), checks them against the tree state the database stored for that size
(`audit_checkpoint.compact_range`), reads only the entries after it, and writes the checkpoint last,
so a reader never sees a checkpoint whose tiles are not there yet. Full tiles are immutable; the
partial tiles a published checkpoint needs are kept until the full tile exists (the spec lets a log
delete them only then). Because a run needs nothing from the database before the archive's edge, the
database's old entries can later be dropped once they are archived (see README, "The audit log").

Reading an archive (`TilesSource`, for `registry audit verify --tiles`) recomputes every leaf hash from
the bundles, every tile at every level from the level below, and the root that the checkpoint signs.
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from registry.audit import merkle
from registry.audit.log import leaf_rows
from registry.audit.models import AuditCheckpoint
from registry.audit.note import Checkpoint, NoteError, NoteVerifier, parse_note
from registry.audit.sequencer import latest_checkpoint
from registry.audit.verify import Floor, VerificationFailed

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # hashes (or entries) in a full tile
ENTRIES = -1  # the "level" of entry bundles in tile_path (golang.org/x/mod/sumdb/tlog's data tiles: -1)
MAX_ENTRY = 0xFFFF  # a bundle's uint16 length prefix
CHECKPOINT = "checkpoint"
PROGRESS_STEP = 10_000


class ArchiveError(RuntimeError):
    """The archive cannot be written or extended; nothing the archive's checkpoint refers to changed."""


def tile_index_path(index: int) -> str:
    """The spec's encoding of a tile index: 1234067 -> ``x001/x234/067``."""
    if index < 0:
        raise ValueError(f"negative tile index {index}")
    parts = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        parts.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(parts))


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]``; level ENTRIES gives ``tile/entries/...``."""
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width {width} out of range")
    name = "entries" if level == ENTRIES else str(level)
    path = f"tile/{name}/{tile_index_path(index)}"
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def encode_bundle(bodies: Iterable[bytes]) -> bytes:
    out = bytearray()
    for body in bodies:
        if len(body) > MAX_ENTRY:
            raise ArchiveError(
                f"an entry of {len(body)} bytes does not fit an entry bundle (at most {MAX_ENTRY})"
            )
        out += struct.pack(">H", len(body)) + body
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    """The entries of a bundle; ValueError when a length prefix runs past the end."""
    bodies: list[bytes] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError(f"truncated length prefix at byte {pos}")
        (length,) = struct.unpack_from(">H", data, pos)
        pos += 2
        if pos + length > len(data):
            raise ValueError(
                f"entry {len(bodies)} runs past the end of the bundle (byte {pos}, {length} bytes)"
            )
        bodies.append(data[pos : pos + length])
        pos += length
    return bodies


def edge_widths(size: int) -> list[int]:
    """Width of the partial tile at each level for a tree of `size` (0: no partial tile at that level)."""
    widths = []
    n = size
    while n:
        widths.append(n % TILE_WIDTH)
        n >>= TILE_HEIGHT
    return widths


def frontier(size: int, edge: Sequence[Sequence[bytes]]) -> merkle.CompactRange:
    """The compact range of a tree from its partial tiles (`edge[level]`), to compare with the stored one.

    Each perfect subtree of the range lies inside one partial tile, whose hashes are its leaves at that
    level; equal frontiers therefore mean every hash in the partial tiles is the tree's."""
    hashes: list[bytes] = []
    for hashes_at_level in reversed(edge):
        part = merkle.CompactRange()
        part.extend(hashes_at_level)
        hashes += part.hashes
    return merkle.CompactRange(size, hashes)


# -- files ----------------------------------------------------------------------------------------
def _write(path: Path, data: bytes) -> None:
    """Atomically (a reader sees the old file or the new one), durably before the checkpoint names it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # served by a web server running as another user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(root: Path, relative: str) -> bytes | None:
    try:
        return (root / relative).read_bytes()
    except FileNotFoundError:
        return None


def _read_tile(
    read: Callable[[str], bytes | None], level: int, index: int, width: int
) -> tuple[str, bytes | None]:
    """(path, content) of a tile of `width`; a partial one missing is cut from the full tile, as the spec
    lets clients do (a log may delete partial tiles once the full one is there)."""
    path = tile_path(level, index, width)
    data = read(path)
    if data is None and width < TILE_WIDTH:
        full = read(tile_path(level, index))
        if full is not None:
            if level == ENTRIES:
                try:
                    data = encode_bundle(decode_bundle(full)[:width])
                except ValueError:
                    data = full  # the caller reports the malformed bundle
            else:
                data = full[: width * merkle.HASH_SIZE]
            path = tile_path(level, index)
    return path, data


# -- writing --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignedTree:
    """What the log signed for a size: its note, root and frontier (an `audit_checkpoint` row)."""

    size: int
    note: str
    root_hash: bytes
    compact_range: merkle.CompactRange


@dataclass
class Archived:
    previous_size: int  # the archive's tree size before the run (0: new archive)
    size: int
    files_written: int
    partials_removed: int


@dataclass
class _Builder:
    """Appends leaves at the right edge of the tree and writes each tile when it fills."""

    out: Path
    size: int
    edge: list[list[bytes]]  # per level: the hashes of the unfinished tile
    bundle: list[bytes]  # the entries of the unfinished bundle
    written: int = 0
    completed: list[tuple[int, int]] = field(default_factory=list)  # (level, index) of tiles now full

    def append(self, body: bytes) -> None:
        if len(body) > MAX_ENTRY:
            raise ArchiveError(
                f"entry {self.size} is {len(body)} bytes: an entry bundle holds at most {MAX_ENTRY}"
            )
        self.bundle.append(body)
        carry = merkle.leaf_hash(body)
        self.size += 1
        level = 0
        while True:
            if len(self.edge) == level:
                self.edge.append([])
            hashes = self.edge[level]
            hashes.append(carry)
            if len(hashes) < TILE_WIDTH:
                break
            index = ((self.size >> (TILE_HEIGHT * level)) >> TILE_HEIGHT) - 1
            self._put(level, index, b"".join(hashes))
            if level == 0:
                self._put(ENTRIES, index, encode_bundle(self.bundle))
                self.bundle = []
            carry = merkle.root_from_leaf_hashes(hashes)
            self.edge[level] = []
            level += 1

    def _put(self, level: int, index: int, data: bytes, width: int = TILE_WIDTH) -> None:
        _write(self.out / tile_path(level, index, width), data)
        self.written += 1
        if width == TILE_WIDTH:
            self.completed.append((level, index))

    def finish(self) -> None:
        """The partial tiles of the tree's right edge."""
        for level, hashes in enumerate(self.edge):
            if hashes:
                index = self.size >> (TILE_HEIGHT * (level + 1))
                self._put(level, index, b"".join(hashes), len(hashes))
                if level == 0:
                    self._put(ENTRIES, index, encode_bundle(self.bundle), len(self.bundle))


def _existing_edge(out: Path, size: int) -> tuple[list[list[bytes]], list[bytes]]:
    """The archive's partial tiles (and partial bundle) for its checkpoint of `size`."""

    def read(relative: str) -> bytes | None:
        return _read(out, relative)

    edge: list[list[bytes]] = []
    bundle: list[bytes] = []
    for level, width in enumerate(edge_widths(size)):
        if not width:
            edge.append([])
            continue
        index = size >> (TILE_HEIGHT * (level + 1))
        path, data = _read_tile(read, level, index, width)
        if data is None:
            raise ArchiveError(
                f"the archive's checkpoint needs {tile_path(level, index, width)}, which is missing"
            )
        if len(data) != width * merkle.HASH_SIZE:
            raise ArchiveError(
                f"{path} is {len(data)} bytes, not the {width * merkle.HASH_SIZE} of {width} hashes"
            )
        edge.append([data[i : i + merkle.HASH_SIZE] for i in range(0, len(data), merkle.HASH_SIZE)])
        if level == 0:
            path, raw = _read_tile(read, ENTRIES, index, width)
            try:
                bundle = decode_bundle(raw) if raw is not None else []
            except ValueError as exc:
                raise ArchiveError(f"{path} is malformed: {exc}") from exc
            if raw is None or len(bundle) != width:
                raise ArchiveError(f"the archive's checkpoint needs {width} entries in {path}")
            for i, body in enumerate(bundle):
                if merkle.leaf_hash(body) != edge[0][i]:
                    raise ArchiveError(
                        f"entry {i} of {path} does not hash to hash {i} of {tile_path(0, index, width)}"
                    )
    return edge, bundle


def extend_archive(
    out: Path,
    target: SignedTree,
    signed_at: Callable[[int], SignedTree | None],
    bodies: Callable[[int, int], Iterable[bytes]],
    progress: Callable[[int, int], None] | None = None,
) -> Archived:
    """Write or extend the archive in `out` up to the log's signed tree `target`.

    `signed_at(size)`: what the log signed for a size (None: nothing); `bodies(start, end)`: the
    canonical entries of leaves [start, end) in order; `progress(advance, total)` as in verify_log.
    Raises ArchiveError, before writing anything, if the archive holds a tree the log did not sign
    (an error later, such as entries that do not hash to the signed root, leaves the archive's
    checkpoint and every file it needs as they were: only files past it were written). The
    checkpoint is replaced last, after every tile it needs is written."""
    out.mkdir(parents=True, exist_ok=True)
    previous = 0
    edge: list[list[bytes]] = []
    bundle: list[bytes] = []
    raw = _read(out, CHECKPOINT)
    if raw is not None:
        try:
            cp = Checkpoint.parse(parse_note(raw.decode())[0])
        except (NoteError, UnicodeDecodeError) as exc:
            raise ArchiveError(f"{out / CHECKPOINT} is not a checkpoint: {exc}") from exc
        signed = signed_at(cp.size)
        if signed is None:
            raise ArchiveError(
                f"the archive's checkpoint (size {cp.size}) is not one this database signed: the "
                "archive is of another log, or the database is older than the archive"
            )
        origin = Checkpoint.parse(parse_note(signed.note)[0]).origin
        if (signed.root_hash, origin) != (cp.root_hash, cp.origin):
            raise ArchiveError(
                f"the archive's checkpoint of size {cp.size} has another root or origin than the "
                "database's: the archive is of another log, or one of them was altered"
            )
        if cp.size > target.size:
            raise ArchiveError(
                f"the archive already holds {cp.size} entries, more than the {target.size} asked for"
            )
        previous = cp.size
        edge, bundle = _existing_edge(out, previous)
        if frontier(previous, edge) != signed.compact_range:
            raise ArchiveError(
                f"the archive's partial tiles for size {previous} are not the database's tree of that "
                "size (its stored compact range): a tile was altered, or the archive is of another log"
            )
    if previous == target.size:
        return Archived(previous, previous, 0, 0)
    if progress is not None:
        progress(0, target.size - previous)

    builder = _Builder(out, previous, edge, bundle)
    expected = previous
    for body in bodies(previous, target.size):
        builder.append(bytes(body))
        expected += 1
        if progress is not None and not (expected - previous) % PROGRESS_STEP:
            progress(PROGRESS_STEP, target.size - previous)
    if expected != target.size:
        raise ArchiveError(f"the database holds {expected} of the {target.size} sequenced entries")
    if progress is not None and (expected - previous) % PROGRESS_STEP:
        progress((expected - previous) % PROGRESS_STEP, target.size - previous)
    builder.finish()
    got = frontier(target.size, builder.edge)
    if got.root() != target.root_hash:
        raise ArchiveError(
            f"the database's entries do not hash to its checkpoint of size {target.size}; the checkpoint "
            "was not written (check the database with `registry audit verify --database`)"
        )
    _write(out / CHECKPOINT, target.note.encode())
    removed = 0
    for level, index in builder.completed:  # their partial tiles are needed by no checkpoint now
        stale = out / (tile_path(level, index) + ".p")
        if stale.is_dir():
            shutil.rmtree(stale)
            removed += 1
        if level == 0:
            stale = out / (tile_path(ENTRIES, index) + ".p")
            if stale.is_dir():
                shutil.rmtree(stale)
                removed += 1
    return Archived(previous, target.size, builder.written + 1, removed)


# -- reading --------------------------------------------------------------------------------------
class TilesSource:
    """An archive as a verify.LogSource (`registry audit verify --tiles`): a directory, or its URL.

    `read(path)` returns a file's bytes, None when it is not there. While the leaves are read, every
    leaf hash (from the bundles), every tile at every level (from the level below) is recomputed and
    compared with the archive's; verify_log then compares the root with the signed checkpoint."""

    def __init__(self, read: Callable[[str], bytes | None], where: str) -> None:
        self.read, self.where = read, where

    @classmethod
    def directory(cls, path: str | os.PathLike[str]) -> TilesSource:
        root = Path(path)
        if not root.is_dir():
            raise VerificationFailed(f"{root} is not a directory")
        return cls(lambda relative: _read(root, relative), str(root))

    @classmethod
    def http(cls, base_url: str, http: Any) -> TilesSource:
        base = base_url.rstrip("/")

        def read(relative: str) -> bytes | None:
            response = http.get(f"{base}/{relative}", timeout=60)
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise VerificationFailed(f"GET {base}/{relative} answered {response.status_code}")
            return bytes(response.content)

        return cls(read, base)

    def checkpoint_note(self) -> str:
        raw = self.read(CHECKPOINT)
        if raw is None:
            raise VerificationFailed(f"no {CHECKPOINT} in {self.where}")
        try:
            return raw.decode()
        except UnicodeDecodeError as exc:
            raise VerificationFailed(f"the {CHECKPOINT} is not UTF-8 text: {exc}") from exc

    def _fail(self, reason: str, **evidence: Any) -> VerificationFailed:
        return VerificationFailed(reason, {"archive": self.where, **evidence})

    def _hashes(self, level: int, index: int, width: int) -> tuple[str, list[bytes]]:
        path, data = _read_tile(self.read, level, index, width)
        if data is None:
            raise self._fail(
                f"{tile_path(level, index, width)} is missing", tile=tile_path(level, index, width)
            )
        want = width * merkle.HASH_SIZE
        if len(data) != want:
            raise self._fail(f"{path} is {len(data)} bytes, not {want} ({width} hashes)", tile=path)
        return path, [data[i : i + merkle.HASH_SIZE] for i in range(0, want, merkle.HASH_SIZE)]

    def _check(self, level: int, index: int, computed: list[bytes]) -> None:
        """Tile (level, index) of width len(computed) must hold what the level below hashes to."""
        path, stored = self._hashes(level, index, len(computed))
        for i, (a, b) in enumerate(zip(stored, computed, strict=True)):
            if a != b:
                below = tile_path(level - 1, index * TILE_WIDTH + i)
                raise self._fail(
                    f"hash {i} of {path} is not the Merkle tree hash of {below}: a tile was altered",
                    tile=path,
                    first_mismatching_index=(index * TILE_WIDTH + i) << (TILE_HEIGHT * level),
                )

    def _edge(self, size: int, tree_size: int) -> list[list[bytes]]:
        """The hashes, at each level, of the tile that is partial at `size`, as far as `size` reaches:
        read from the tiles the archive's tree of `tree_size` (>= size) serves, which begin with them."""
        edge: list[list[bytes]] = []
        for level, width in enumerate(edge_widths(size)):
            if not width:
                edge.append([])
                continue
            index = size >> (TILE_HEIGHT * (level + 1))
            served = min(TILE_WIDTH, (tree_size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH)
            edge.append(self._hashes(level, index, served)[1][:width])
        return edge

    def frontier(self, size: int, tree_size: int) -> merkle.CompactRange | None:
        """The tree's frontier at any `size` from at most two tiles a level (O(log n) hashes): each of
        its perfect subtrees lies in the tile partial at that size (`frontier`); verify_log trusts it
        once it hashes to the saved checkpoint's root."""
        if not 0 <= size <= tree_size:
            return None
        return frontier(size, self._edge(size, tree_size))

    def leaves(self, size: int, start: int = 0) -> Iterator[tuple[int, bytes, bytes | None]]:
        """From `start` (--since-state) the tiles of every level are checked from the tree's edge at
        `start` on: each unfinished tile's hashes before it are taken as the archive holds them (the
        frontier they make was checked against the saved root), the rest recomputed from below."""
        # upper[l - 1]: the hashes of level l's unfinished tile
        upper: list[list[bytes]] = [list(h) for h in self._edge(start, size)[1:]] if start else []
        for index in range(start // TILE_WIDTH, (size + TILE_WIDTH - 1) // TILE_WIDTH):
            width = min(TILE_WIDTH, size - index * TILE_WIDTH)
            path, raw = _read_tile(self.read, ENTRIES, index, width)
            if raw is None:
                missing = tile_path(ENTRIES, index, width)
                raise self._fail(f"{missing} is missing", tile=missing)
            try:
                bodies = decode_bundle(raw)
            except ValueError as exc:
                raise self._fail(f"{path} is malformed: {exc}", tile=path) from exc
            if len(bodies) != width:
                raise self._fail(f"{path} holds {len(bodies)} entries, not {width}", tile=path)
            tile, hashes = self._hashes(0, index, width)
            for i, body in enumerate(bodies):
                if merkle.leaf_hash(body) != hashes[i]:
                    raise self._fail(
                        f"entry {i} of {path} does not hash to hash {i} of {tile} (leaf index "
                        f"{index * TILE_WIDTH + i}): an entry or a tile was altered",
                        tile=path,
                        first_mismatching_index=index * TILE_WIDTH + i,
                    )
                if index * TILE_WIDTH + i >= start:
                    yield index * TILE_WIDTH + i, body, None
            if width == TILE_WIDTH:
                self._carry(merkle.root_from_leaf_hashes(hashes), index, upper)
        for level, hashes in enumerate(upper, start=1):
            if hashes:
                self._check(level, size >> (TILE_HEIGHT * (level + 1)), hashes)

    def _carry(self, digest: bytes, index: int, upper: list[list[bytes]]) -> None:
        """Full tile `index` of level 0 hashed to `digest`: check each tile above that it completes."""
        level = 1
        while True:
            if len(upper) < level:
                upper.append([])
            hashes = upper[level - 1]
            hashes.append(digest)
            if len(hashes) < TILE_WIDTH:
                return
            index >>= TILE_HEIGHT  # the level-`level` tile that the full tile below belongs to
            self._check(level, index, hashes)
            digest = merkle.root_from_leaf_hashes(hashes)
            upper[level - 1] = []
            level += 1

    def consistency_proof(self, first: int, second: int) -> list[bytes] | None:
        return None  # computed from the leaves rehashed from the bundles

    def column_mismatches(self) -> list[tuple[int, list[str]]]:
        return []  # an archive has the signed bodies only, no search columns

    def column_mismatch_count(self) -> int:
        return 0

    def column_guard_problems(self) -> list[str]:
        return []

    def signed_notes(self) -> Iterator[tuple[int, str]]:
        return iter(())  # one checkpoint: a root mismatch is located by the tiles instead

    def floor(self, verifiers: Sequence[NoteVerifier]) -> Floor | None:
        return None  # an archive holds every entry from the first


# -- from the database ----------------------------------------------------------------------------
def signed_tree(session: Session, size: int) -> SignedTree | None:
    row = session.get(AuditCheckpoint, size)
    if row is None:
        return None
    return SignedTree(
        row.size, row.note, bytes(row.root_hash), merkle.CompactRange.from_bytes(row.compact_range)
    )


def database_bodies(session: Session, chunk: int = 10_000) -> Callable[[int, int], Iterator[bytes]]:
    """The sequenced bodies of leaves [start, end) in index order; ArchiveError at a gap."""

    def bodies(start: int, end: int) -> Iterator[bytes]:
        expected = start
        for low in range(start, end, chunk):
            for row in session.execute(leaf_rows(session, low, min(low + chunk, end))):
                if row.leaf_index != expected:
                    raise ArchiveError(f"leaf index {expected} is missing from the database")
                expected += 1
                yield bytes(row.body)
            session.expunge_all()

    return bodies


def archive_log(
    session: Session,
    out: Path,
    size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Archived:
    """`registry audit archive`: extend the archive in `out` to the signed checkpoint of `size`
    (default: the latest)."""
    if size is None:
        latest = latest_checkpoint(session)
        if latest is None:
            raise ArchiveError("the log has no signed checkpoint yet")
        size = latest.size
    target = signed_tree(session, size)
    if target is None:
        raise ArchiveError(f"the log signed no checkpoint of size {size}")
    return extend_archive(out, target, lambda n: signed_tree(session, n), database_bodies(session), progress)
