"""A witness (C2SP tlog-witness, pull style): verify the log's newest checkpoint, check it extends the
one this witness cosigned last, cosign it (tlog-cosignature) and hand the cosignature back to the log.

Another agency runs this against our log; it never trusts the log's database, only its signatures
and proofs, and it remembers the last checkpoint it saw in its own state file.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from registry.audit import merkle
from registry.audit.note import Checkpoint, CosignatureSigner, NoteError, NoteVerifier, open_note, parse_note
from registry.audit.verify import HttpSource, VerificationFailed, _evidence_checkpoint, load_state, save_state

PURPOSE = "audit witness: cosign checkpoint"


@dataclass(frozen=True)
class Witnessed:
    checkpoint: Checkpoint
    cosignature: str
    previous_size: int | None


def witness_once(
    http: Any,
    base_url: str,
    log_verifiers: Sequence[NoteVerifier],
    signer: CosignatureSigner,
    state_path: str,
    token: str | None = None,
) -> Witnessed:
    source = HttpSource(base_url, http, token)
    note = source.checkpoint_note()
    try:
        body, _ = open_note(note, log_verifiers)
        cp = Checkpoint.parse(body)
    except NoteError as exc:
        raise VerificationFailed(
            f"checkpoint signature does not verify: {exc}", {"checkpoint": note}
        ) from exc
    evidence: dict[str, Any] = {"checkpoint": _evidence_checkpoint(cp, note)}
    previous_note = load_state(state_path)
    previous = Checkpoint.parse(parse_note(previous_note)[0]) if previous_note else None
    if previous is not None:
        evidence["previous_checkpoint"] = _evidence_checkpoint(previous, previous_note or "")
        if previous.origin != cp.origin:
            raise VerificationFailed(f"origin changed from {previous.origin!r} to {cp.origin!r}", evidence)
        if cp.size < previous.size:
            raise VerificationFailed(f"the log shrank from {previous.size} to {cp.size} entries", evidence)
        proof = (
            (source.consistency_proof(previous.size, cp.size) or []) if 0 < previous.size < cp.size else []
        )
        try:
            merkle.verify_consistency(previous.size, cp.size, previous.root_hash, cp.root_hash, proof)
        except merkle.ProofError as exc:
            evidence["consistency_proof"] = [base64.b64encode(h).decode() for h in proof]
            raise VerificationFailed(f"the log forked: {exc}", evidence) from exc
    line = signer.cosign(body)
    response = http.post(
        f"{source.base}/cosignatures",
        json={"size": cp.size, "cosignature": line},
        headers={**source.headers, "X-Purpose": PURPOSE},
        timeout=60,
    )
    if response.status_code not in (200, 201):
        raise VerificationFailed(
            f"the log refused the cosignature ({response.status_code}): {response.text[:300]}"
        )
    save_state(state_path, note)
    return Witnessed(cp, line, previous.size if previous else None)
