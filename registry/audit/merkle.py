"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and verification.

Leaves are identified by their *leaf hash* ``SHA-256(0x00 || data)``; every
function below works on leaf hashes, never on raw entries.

Cost model (n = tree size):

* ``root_from_leaf_hashes`` - n - 1 node hashes, level by level (~1 s per 1e6
  leaves in CPython; the loop body is a single C-level ``sha256`` call).
* ``CompactRange.append`` - amortised 1 hash; ``root()`` - at most log2(n).
  ``CompactRange.extend`` hashes aligned runs level by level like ``root_from_leaf_hashes`` (as fast
  per leaf), so a reader streaming a log in batches holds O(log n) hashes, never the leaves.
* ``inclusion_proof`` / ``consistency_proof`` without a cache - O(n) hashes,
  because the proof's sibling subtrees together span the whole tree. Pass a
  ``cache`` dict to ``subtree_hash``/the proof functions: it memoises hashes of
  *perfect* (complete, power-of-two aligned) subtrees of at least
  ``CACHE_MIN_LEAVES`` leaves, which never change in an append-only log, so one
  cache can be shared across tree sizes and the second proof for a warm tree
  costs O(log n * CACHE_MIN_LEAVES). The cache holds at most ~2n/CACHE_MIN_LEAVES
  entries.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from itertools import islice

__all__ = [
    "CACHE_MIN_LEAVES",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "STREAM_BATCH",
    "BelowFloor",
    "CompactRange",
    "FrontierCache",
    "LeafSource",
    "NodeCache",
    "ProofError",
    "consistency_proof",
    "consistency_proof_nodes",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "streamed_subtree_hashes",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]

_sha256 = hashlib.sha256
HASH_SIZE = 32
EMPTY_ROOT = _sha256(b"").digest()
# Below this size recomputing a perfect subtree is cheaper than a dict entry.
CACHE_MIN_LEAVES = 256
# Leaf hashes a streaming reader gathers before folding them into a compact range (aligned batches are
# hashed level by level as perfect subtrees, like root_from_leaf_hashes, not leaf by leaf).
STREAM_BATCH = 8192
_CACHE_MIN_LEVEL = CACHE_MIN_LEAVES.bit_length() - 1

LeafSource = Sequence[bytes] | Callable[[int], bytes]
# Key (level, index): the perfect subtree of leaves [index << level, (index + 1) << level).
NodeCache = MutableMapping[tuple[int, int], bytes]


class ProofError(ValueError):
    """A Merkle proof failed to verify or is malformed."""


def leaf_hash(data: bytes) -> bytes:
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes.

    Level-by-level pairing with the odd node carried up unchanged yields the
    same tree as RFC 6962's split at the largest power of two below n.
    """
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    sha = _sha256
    while len(level) > 1:
        nxt = [sha(b"\x01" + a + b).digest() for a, b in zip(level[0::2], level[1::2], strict=False)]
        if len(level) & 1:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _leaves(src: LeafSource, start: int, end: int) -> list[bytes]:
    if callable(src):
        return [src(i) for i in range(start, end)]
    out = list(src[start:end])
    if len(out) != end - start:
        raise IndexError(f"leaf source has fewer than {end} leaves")
    return out


class BelowFloor(LookupError):
    """A proof needs a hash below the log's retention floor that its frontier does not give."""


class FrontierCache(dict[tuple[int, int], bytes]):
    """A NodeCache for a log whose leaves below `floor` are gone (dropped after archiving): seeded with
    the floor's frontier (the perfect subtrees covering [0, floor), as the signed checkpoint of that
    size stored them). Any node that straddles the floor is hashed from them and the leaves above it;
    a node wholly below the floor that is not one of them raises BelowFloor."""

    def __init__(self, frontier: CompactRange) -> None:
        super().__init__()
        self.floor = frontier.size
        position = 0
        hashes = iter(frontier.hashes)
        for level in range(frontier.size.bit_length() - 1, -1, -1):
            if frontier.size >> level & 1:
                self[(level, position >> level)] = next(hashes)
                position += 1 << level


def _perfect_hash(src: LeafSource, level: int, index: int, cache: NodeCache | None) -> bytes:
    if isinstance(cache, FrontierCache) and index << level < cache.floor:
        known = cache.get((level, index))
        if known is not None:
            return known
        if (index + 1) << level <= cache.floor or level == 0:
            raise BelowFloor(f"leaves [{index << level}, {(index + 1) << level}) are below the floor")
        return node_hash(
            _perfect_hash(src, level - 1, 2 * index, cache),
            _perfect_hash(src, level - 1, 2 * index + 1, cache),
        )
    if cache is None or level < _CACHE_MIN_LEVEL:
        start = index << level
        return root_from_leaf_hashes(_leaves(src, start, start + (1 << level)))
    key = (level, index)
    h = cache.get(key)
    if h is None:
        # Recursion depth is bounded by the tree height (<= 64), not by n.
        h = node_hash(
            _perfect_hash(src, level - 1, 2 * index, cache),
            _perfect_hash(src, level - 1, 2 * index + 1, cache),
        )
        cache[key] = h
    return h


def subtree_hash(start: int, end: int, leaf_hashes: LeafSource, cache: NodeCache | None = None) -> bytes:
    """MTH(D[start:end]) for a subtree that appears in RFC 6962 proofs.

    ``start`` must be a multiple of the largest power of two <= end - start
    (true for every node of the RFC tree); the range is then a sequence of
    perfect aligned subtrees of decreasing size, hashed right to left.
    """
    size = end - start
    if size <= 0:
        raise ValueError(f"empty or inverted range [{start}, {end})")
    if start & ((1 << (size.bit_length() - 1)) - 1):
        raise ValueError(f"range [{start}, {end}) is not a node of an RFC 6962 tree")
    parts: list[bytes] = []
    pos = start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            parts.append(_perfect_hash(leaf_hashes, level, pos >> level, cache))
            pos += 1 << level
    acc = parts.pop()
    while parts:
        acc = node_hash(parts.pop(), acc)
    return acc


def inclusion_proof(
    index: int, tree_size: int, leaf_hashes: LeafSource, cache: NodeCache | None = None
) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[tree_size]), leaf-to-root order."""
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf index {index} out of range for tree size {tree_size}")
    siblings: list[bytes] = []
    lo, hi = 0, tree_size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            siblings.append(subtree_hash(mid, hi, leaf_hashes, cache))
            hi = mid
        else:
            siblings.append(subtree_hash(lo, mid, leaf_hashes, cache))
            lo = mid
    siblings.reverse()
    return siblings


def consistency_proof_nodes(first: int, second: int) -> list[tuple[int, int]]:
    """The subtrees [start, end) whose hashes make PROOF(first, D[second]), in the proof's order.

    They are disjoint (each is a sibling on the path to the subtree that ends at `first`), so one pass
    over the leaves can hash them all (`streamed_subtree_hashes`)."""
    if not 0 <= first <= second:
        raise ValueError(f"invalid consistency range {first} -> {second}")
    if first == 0 or first == second:
        return []
    # Iterative SUBPROOF: each step appends the node the recursion would emit *after* its recursive
    # call, so the list is reversed at the end.
    out: list[tuple[int, int]] = []
    lo, hi, whole = 0, second, True
    while True:
        m = first - lo
        if m == hi - lo:
            if not whole:
                out.append((lo, hi))
            break
        k = _split(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
            whole = False
    out.reverse()
    return out


def consistency_proof(
    first: int, second: int, leaf_hashes: LeafSource, cache: NodeCache | None = None
) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(first, D[second]); empty when first is 0 or equal to second."""
    return [subtree_hash(a, b, leaf_hashes, cache) for a, b in consistency_proof_nodes(first, second)]


def streamed_subtree_hashes(nodes: Sequence[tuple[int, int]], leaf_hashes: Iterable[bytes]) -> list[bytes]:
    """MTH(D[start:end]) of each of the disjoint `nodes`, in their order, from the leaf hashes streamed
    from index 0 in one pass, holding O(log n) hashes (and a batch) at a time, never the leaves."""
    hashes = iter(leaf_hashes)
    out = [b""] * len(nodes)
    position = 0
    for i in sorted(range(len(nodes)), key=lambda i: nodes[i][0]):
        start, end = nodes[i]
        if start < position or end <= start:
            raise ValueError(f"nodes overlap or are empty at [{start}, {end})")
        deque(islice(hashes, start - position), maxlen=0)  # skip the leaves between the nodes
        tree = CompactRange()
        while tree.size < end - start:
            batch = list(islice(hashes, min(STREAM_BATCH, end - start - tree.size)))
            if not batch:
                raise IndexError(f"the leaf hashes end before {end}")
            tree.extend(batch)
        out[i] = tree.root()
        position = end
    return out


def _check_hash(h: bytes, what: str) -> None:
    if not isinstance(h, bytes | bytearray) or len(h) != HASH_SIZE:
        raise ProofError(f"{what} must be {HASH_SIZE} bytes")


def _inclusion_proof_len(index: int, size: int) -> int:
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def verify_inclusion(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError unless ``leaf`` is at ``index`` of the tree with ``root``."""
    if not 0 <= index < tree_size:
        raise ProofError(f"leaf index {index} out of range for tree size {tree_size}")
    _check_hash(leaf, "leaf hash")
    _check_hash(root, "root hash")
    want = _inclusion_proof_len(index, tree_size)
    if len(proof) != want:
        raise ProofError(f"inclusion proof has {len(proof)} hashes, expected {want}")
    fn, sn, r = index, tree_size - 1, bytes(leaf)
    for p in proof:
        _check_hash(p, "proof element")
        if sn == 0:
            raise ProofError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof too short")
    if r != root:
        raise ProofError("inclusion proof does not lead to the expected root")


def _consistency_proof_len(first: int, second: int) -> int:
    shift = (first & -first).bit_length() - 1
    n = _inclusion_proof_len(first - 1, second) - shift
    return n if first == 1 << shift else n + 1


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError unless tree ``first`` is a prefix of tree ``second``.

    Unlike RFC 9162 (which leaves it undefined), a size-0 first tree must
    carry EMPTY_ROOT, so a bogus "empty" checkpoint cannot slip through.
    """
    if not 0 <= first <= second:
        raise ProofError(f"invalid consistency range {first} -> {second}")
    _check_hash(first_root, "first root")
    _check_hash(second_root, "second root")
    if first == 0 or first == second:
        if proof:
            raise ProofError("proof must be empty when first is 0 or equal to second")
        if first == 0 and first_root != EMPTY_ROOT:
            raise ProofError("root of an empty tree must be SHA-256('')")
        if first == second and first_root != second_root:
            raise ProofError("trees of equal size have different roots")
        return
    want = _consistency_proof_len(first, second)
    if len(proof) != want:
        raise ProofError(f"consistency proof has {len(proof)} hashes, expected {want}")
    for p in proof:
        _check_hash(p, "proof element")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, bytes(first_root))
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof too short")
    if fr != first_root:
        raise ProofError("consistency proof does not reproduce the first root")
    if sr != second_root:
        raise ProofError("consistency proof does not reproduce the second root")


class CompactRange:
    """Merkle frontier of the range [0, size): one hash per set bit of ``size``.

    ``hashes`` are the roots of the perfect subtrees covering the range, largest
    (leftmost) first - the state a sequencer persists to append batches
    without re-reading earlier leaves.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise ValueError("size must be non-negative")
        if len(hashes) != size.bit_count():
            raise ValueError(f"a range of size {size} needs {size.bit_count()} hashes, got {len(hashes)}")
        for h in hashes:
            if len(h) != HASH_SIZE:
                raise ValueError(f"frontier hashes must be {HASH_SIZE} bytes")
        self._size = size
        self._hashes = [bytes(h) for h in hashes]

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        return list(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes")
        stack = self._hashes
        stack.append(bytes(leaf_hash))
        n = self._size
        # Each trailing 1-bit of the old size is a perfect subtree the new leaf completes.
        while n & 1:
            right = stack.pop()
            stack.append(node_hash(stack.pop(), right))
            n >>= 1
        self._size += 1

    def extend(self, leaf_hashes: Sequence[bytes]) -> None:
        """Append the leaf hashes in order: each run of them that fills an aligned perfect subtree is
        hashed level by level (root_from_leaf_hashes) and pushed whole, not leaf by leaf."""
        hashes = list(leaf_hashes)
        if hashes and set(map(len, hashes)) != {HASH_SIZE}:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes")
        pos, end = 0, len(hashes)
        while pos < end:
            level = (end - pos).bit_length() - 1
            if self._size:  # the subtree must start where one of its size can: size % 2**level == 0
                level = min(level, (self._size & -self._size).bit_length() - 1)
            width = 1 << level
            self._push(level, root_from_leaf_hashes(hashes[pos : pos + width]))
            pos += width

    def _push(self, level: int, subtree: bytes) -> None:
        """Append the hash of a perfect subtree of 2**level leaves; the size must be a multiple of it."""
        stack = self._hashes
        stack.append(bytes(subtree))
        n = self._size >> level
        while n & 1:  # a subtree of the same level ends the frontier: the two make one a level up
            right = stack.pop()
            stack.append(node_hash(stack.pop(), right))
            n >>= 1
        self._size += 1 << level

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        acc = self._hashes[-1]
        for h in reversed(self._hashes[:-1]):
            acc = node_hash(h, acc)
        return acc

    def copy(self) -> CompactRange:
        return CompactRange(self._size, self._hashes)

    def to_bytes(self) -> bytes:
        """8-byte big-endian size followed by the frontier hashes."""
        return self._size.to_bytes(8, "big") + b"".join(self._hashes)

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactRange:
        if len(data) < 8 or (len(data) - 8) % HASH_SIZE:
            raise ValueError("malformed compact range encoding")
        size = int.from_bytes(data[:8], "big")
        body = data[8:]
        return cls(size, [body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"
