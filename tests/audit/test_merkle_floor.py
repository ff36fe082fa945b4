"""Proofs above a retention floor, from its frontier and the leaves above it (merkle.FrontierCache)."""

from __future__ import annotations

import hashlib

import pytest

from registry.audit import merkle


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(n)]


@pytest.mark.parametrize(
    ("floor", "size"), [(1, 2), (3, 9), (256, 700), (300, 1000), (999, 1000), (512, 1024)]
)
def test_proofs_above_the_floor_need_no_leaf_below_it(floor: int, size: int) -> None:
    leaves = _leaves(size)
    frontier = merkle.CompactRange()
    frontier.extend(leaves[:floor])

    def above(index: int) -> bytes:
        assert index >= floor, f"leaf {index} is below the floor {floor}"
        return leaves[index]

    cache = merkle.FrontierCache(frontier)
    root = merkle.root_from_leaf_hashes(leaves)
    for index in sorted({floor, (floor + size) // 2, size - 1}):
        proof = merkle.inclusion_proof(index, size, above, cache)
        assert proof == merkle.inclusion_proof(index, size, leaves)
        merkle.verify_inclusion(leaves[index], index, size, proof, root)
    for first in sorted({floor, size - 1}):
        proof = merkle.consistency_proof(first, size, above, cache)
        assert proof == merkle.consistency_proof(first, size, leaves)


def test_a_proof_of_a_leaf_below_the_floor_is_refused() -> None:
    leaves = _leaves(100)
    frontier = merkle.CompactRange()
    frontier.extend(leaves[:60])
    cache = merkle.FrontierCache(frontier)
    with pytest.raises(merkle.BelowFloor):
        merkle.inclusion_proof(10, 100, lambda i: leaves[i] if i >= 60 else b"", cache)
