import hashlib
import os

import pytest

from registry.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    consistency_proof,
    consistency_proof_nodes,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    streamed_subtree_hashes,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)

# --- Published RFC 6962 vectors -------------------------------------------------
# Verbatim from github.com/transparency-dev/merkle, proof/verify_test.go
# (commit 02194e9afb6c1d95b5381350007963aa70fff472): `leaves`, `roots`,
# `inclusionProofs` (leaf numbers there are 1-based) and `consistencyProofs`.
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
INCLUSION_PROOFS = [  # (leaf, size, proof) with 1-based leaf as in the source
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        3,
        3,
        [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        ],
    ),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY_PROOFS = [  # (size1, size2, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
VECTOR_HASHES = [leaf_hash(d) for d in LEAVES]


# --- Naive reference, transcribed from RFC 6962 §2.1 ----------------------------
def _sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + d[0])
    k = _k(n)
    return _sha(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


N = 70
DATA = [f"entry-{i}".encode() for i in range(N)]
HASHES = [leaf_hash(d) for d in DATA]
REF_ROOTS = [ref_mth(DATA[:n]) for n in range(N + 1)]


def _flip(proof: list[bytes], i: int) -> list[bytes]:
    out = list(proof)
    out[i] = bytes([out[i][0] ^ 0x10]) + out[i][1:]
    return out


# --- Vectors --------------------------------------------------------------------
def test_primitives():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"") == ROOTS[0]
    assert node_hash(ROOTS[0], leaf_hash(b"\x00")) == ROOTS[1]
    assert root_from_leaf_hashes([]) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_vector_roots(size):
    assert root_from_leaf_hashes(VECTOR_HASHES[:size]) == ROOTS[size - 1]


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION_PROOFS)
def test_vector_inclusion(leaf, size, proof):
    want = [bytes.fromhex(h) for h in proof]
    assert inclusion_proof(leaf - 1, size, VECTOR_HASHES) == want
    verify_inclusion(VECTOR_HASHES[leaf - 1], leaf - 1, size, want, ROOTS[size - 1])


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY_PROOFS)
def test_vector_consistency(size1, size2, proof):
    want = [bytes.fromhex(h) for h in proof]
    assert consistency_proof(size1, size2, VECTOR_HASHES) == want
    verify_consistency(size1, size2, ROOTS[size1 - 1], ROOTS[size2 - 1], want)


# --- Exhaustive comparison with the reference -----------------------------------
@pytest.mark.parametrize("n", range(0, N + 1))
def test_root_matches_reference(n):
    assert root_from_leaf_hashes(HASHES[:n]) == REF_ROOTS[n]
    if n:
        assert subtree_hash(0, n, HASHES) == REF_ROOTS[n]


@pytest.mark.parametrize("n", range(1, N + 1))
def test_inclusion_matches_reference(n):
    root = REF_ROOTS[n]
    getter = HASHES.__getitem__
    for m in range(n):
        proof = inclusion_proof(m, n, HASHES)
        assert proof == ref_path(m, DATA[:n])
        assert inclusion_proof(m, n, getter, cache={}) == proof
        verify_inclusion(HASHES[m], m, n, proof, root)
        for i in range(len(proof)):
            with pytest.raises(ProofError):
                verify_inclusion(HASHES[m], m, n, _flip(proof, i), root)
        if n > 1:
            with pytest.raises(ProofError):
                verify_inclusion(HASHES[m], (m + 1) % n, n, proof, root)
        # Sizes n +/- 1 can share a proof shape (the size is bound by the signed
        # checkpoint, not the proof), so only tamper with sizes that must differ.
        for wrong_n in {n // 2, 2 * n} - {0, n}:
            if m < wrong_n:
                with pytest.raises(ProofError):
                    verify_inclusion(HASHES[m], m, wrong_n, proof, root)
        with pytest.raises(ProofError):
            verify_inclusion(HASHES[m], m, n, [*proof, root], root)
        if proof:
            with pytest.raises(ProofError):
                verify_inclusion(HASHES[m], m, n, proof[:-1], root)


@pytest.mark.parametrize("n", range(1, N + 1))
def test_consistency_matches_reference(n):
    cache: dict = {}
    for m in range(1, n + 1):
        proof = consistency_proof(m, n, HASHES, cache)
        assert proof == (ref_proof(m, DATA[:n]) if m < n else [])
        r1, r2 = REF_ROOTS[m], REF_ROOTS[n]
        verify_consistency(m, n, r1, r2, proof)
        if m == n:
            continue
        for i in range(len(proof)):
            with pytest.raises(ProofError):
                verify_consistency(m, n, r1, r2, _flip(proof, i))
        for m2, n2 in {(m - 1, n), (m + 1, n), (m ^ 2, n), (m, 2 * n), (m, n // 2)}:
            if 0 < m2 < n2 and (m2, n2) != (m, n):
                with pytest.raises(ProofError):
                    verify_consistency(m2, n2, r1, r2, proof)
        with pytest.raises(ProofError):
            verify_consistency(m, n, r2, r1, proof)
        with pytest.raises(ProofError):
            verify_consistency(m, n, r1, r2, [])
        with pytest.raises(ProofError):
            verify_consistency(m, n, r1, r2, [*proof, r1])
        with pytest.raises(ProofError):
            verify_consistency(m, n, r1, r2, [proof[0], *proof])


def test_large_tree_with_cache():
    hashes = [os.urandom(32) for _ in range(5000)]
    cache: dict = {}
    root = root_from_leaf_hashes(hashes)
    for idx in (0, 255, 256, 4095, 4999):
        verify_inclusion(hashes[idx], idx, 5000, inclusion_proof(idx, 5000, hashes, cache), root)
    assert cache  # perfect subtrees of >= 256 leaves were memoised
    old = root_from_leaf_hashes(hashes[:3333])
    verify_consistency(3333, 5000, old, root, consistency_proof(3333, 5000, hashes, cache))


# --- Edge cases -----------------------------------------------------------------
def test_consistency_edge_cases():
    r = REF_ROOTS[5]
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, r, [])
    verify_consistency(5, 5, r, r, [])
    assert consistency_proof(0, 5, HASHES) == []
    with pytest.raises(ProofError, match="empty"):
        verify_consistency(0, 5, EMPTY_ROOT, r, [r])
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 5, r, r, [])
    with pytest.raises(ProofError, match="different roots"):
        verify_consistency(5, 5, r, REF_ROOTS[4], [])
    with pytest.raises(ProofError, match="invalid consistency range"):
        verify_consistency(6, 5, r, r, [])
    with pytest.raises(ProofError, match="32 bytes"):
        verify_consistency(3, 5, REF_ROOTS[3], r, [b"short"] * len(consistency_proof(3, 5, HASHES)))
    with pytest.raises(ValueError):
        consistency_proof(6, 5, HASHES)


def test_inclusion_edge_cases():
    h = HASHES[0]
    verify_inclusion(h, 0, 1, [], h)
    with pytest.raises(ProofError, match="out of range"):
        verify_inclusion(h, 1, 1, [], h)
    with pytest.raises(ProofError, match="out of range"):
        verify_inclusion(h, 0, 0, [], EMPTY_ROOT)
    with pytest.raises(ProofError, match="expected root"):
        verify_inclusion(h, 0, 1, [], EMPTY_ROOT)
    with pytest.raises(ProofError, match="expected 3"):
        verify_inclusion(h, 0, 8, [h], ROOTS[7])
    with pytest.raises(ValueError):
        inclusion_proof(5, 5, HASHES)
    with pytest.raises(IndexError):
        inclusion_proof(0, N + 5, HASHES)
    with pytest.raises(ValueError):
        subtree_hash(1, 3, HASHES)  # not a node of any RFC 6962 tree


# --- CompactRange ---------------------------------------------------------------
def test_compact_range_matches_root():
    hashes = [leaf_hash(f"c{i}".encode()) for i in range(200)]
    cr = CompactRange()
    assert cr.root() == EMPTY_ROOT
    for n, h in enumerate(hashes, start=1):
        cr.append(h)
        assert cr.size == n
        assert cr.root() == root_from_leaf_hashes(hashes[:n])
        assert len(cr.hashes) == n.bit_count()


def test_compact_range_serialisation_and_resume():
    hashes = [leaf_hash(f"c{i}".encode()) for i in range(150)]
    cr = CompactRange()
    cr.extend(hashes[:97])
    blob = cr.to_bytes()
    assert len(blob) == 8 + 32 * (97).bit_count()
    restored = CompactRange.from_bytes(blob)
    assert restored == cr and restored.root() == cr.root()
    assert CompactRange(cr.size, cr.hashes) == cr
    restored.extend(hashes[97:])
    assert restored.root() == root_from_leaf_hashes(hashes)
    assert cr.size == 97  # the original was not mutated


def test_compact_range_rejects_bad_state():
    with pytest.raises(ValueError):
        CompactRange(3, [EMPTY_ROOT])
    with pytest.raises(ValueError):
        CompactRange.from_bytes(b"\x00" * 7)
    with pytest.raises(ValueError):
        CompactRange.from_bytes((1).to_bytes(8, "big") + b"\x00" * 31)
    with pytest.raises(ValueError):
        CompactRange().append(b"short")
    with pytest.raises(ValueError):
        CompactRange().extend([HASHES[0], b"short"])


def test_compact_range_extend_in_batches_is_append_leaf_by_leaf():
    """extend pushes aligned runs as whole perfect subtrees: any cut into batches gives the same frontier."""
    hashes = [leaf_hash(f"b{i}".encode()) for i in range(1100)]
    for cuts in ([], [1], [3, 7, 8, 9], [255, 256, 257], [513, 1024], list(range(0, 1100, 97))):
        one_by_one, batched = CompactRange(), CompactRange()
        for h in hashes:
            one_by_one.append(h)
        for a, b in zip([0, *cuts], [*cuts, len(hashes)], strict=True):
            batched.extend(hashes[a:b])
        assert batched == one_by_one, cuts
    resumed = CompactRange()
    resumed.extend(hashes[:37])  # an unaligned start, as from a stored frontier
    resumed.extend(hashes[37:])
    assert resumed.root() == root_from_leaf_hashes(hashes)


@pytest.mark.parametrize("n", range(N + 1))
def test_streamed_consistency_proof_is_the_proof(n):
    """The nodes of PROOF(m, n), hashed in one pass over the leaves, are the proof."""
    for m in range(n + 1):
        nodes = consistency_proof_nodes(m, n)
        assert streamed_subtree_hashes(nodes, iter(HASHES[:n])) == consistency_proof(m, n, HASHES[:n])
        if 0 < m < n:
            assert streamed_subtree_hashes(nodes, iter(HASHES[:n])) == ref_proof(m, DATA[:n])
    with pytest.raises(IndexError):
        streamed_subtree_hashes(consistency_proof_nodes(3, 9), iter(HASHES[:8]))
