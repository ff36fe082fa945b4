"""A synthetic signed log, written as a tlog-tiles archive without a database (for sizes a test database
would take minutes to fill: the spec's example of 70,000 entries reaches tile level 2)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from registry.audit import merkle
from registry.audit.note import Checkpoint, Signer, Verifier, generate_signer, sign_note
from registry.audit.tiles import Archived, SignedTree, extend_archive

ORIGIN = "registry.example/audit-test"


@dataclass
class SyntheticLog:
    """Entries `{"n":i}` (padded to vary their length) and a signed checkpoint at each size asked for."""

    sizes: Iterable[int]
    origin: str = ORIGIN
    tag: str = ""  # makes other entries (another tree of the same sizes)
    bodies: list[bytes] = field(default_factory=list)
    trees: dict[int, SignedTree] = field(default_factory=dict)
    verifier_key: str = ""

    def __post_init__(self) -> None:
        skey, self.verifier_key = generate_signer(self.origin)
        signer = Signer(skey)
        wanted = sorted(set(self.sizes))
        pad = [b"x" * (i % 37) + self.tag.encode() for i in range(37)]
        self.bodies = [b'{"n":%d,"pad":"%s"}' % (i, pad[i % 37]) for i in range(wanted[-1])]
        tree = merkle.CompactRange()
        for body in self.bodies:
            tree.append(merkle.leaf_hash(body))
            if tree.size in wanted:
                cp = Checkpoint(self.origin, tree.size, tree.root())
                self.trees[tree.size] = SignedTree(
                    tree.size, sign_note(cp.body(), [signer]), tree.root(), tree.copy()
                )

    def verifiers(self) -> list[Verifier]:
        return [Verifier(self.verifier_key)]

    def archive(self, out: Path, size: int) -> Archived:
        return extend_archive(out, self.trees[size], self.trees.get, lambda a, b: self.bodies[a:b])
