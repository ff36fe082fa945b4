"""Proof of work for tips from the public (hashcash-style), instead of a third-party CAPTCHA.

The registry hands out a challenge: `v1.<nonce>.<bits>.<expires>.<mac>`, MACed with the lookup key
(nothing is stored until it is spent). The sender finds a `solution` (decimal digits) such that
SHA-256 of `<challenge>:<solution>` starts with `bits` zero bits, which costs about 2^bits hashes, then
files the tip with both. The registry checks the MAC, the expiry and one hash, and records the nonce as
spent in the tip's own transaction: a challenge files one tip (a second use is a 409). Spent nonces are
kept only until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.errors import Conflict, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.messages import msg
from registry.models import TipChallenge

VERSION = "v1"
MAC_KIND = "tip_challenge"
MAX_SOLUTION = 20  # digits


class ProofOfWorkFailed(ValidationFailed):
    type_slug = "proof-of-work"
    title = msg("Proof of work missing or wrong")


class ChallengeUsed(Conflict):
    type_slug = "challenge-used"
    title = msg("Challenge already used")


@dataclass(frozen=True)
class Challenge:
    token: str
    bits: int
    expires_at: datetime


def _mac(cipher: FieldCipher, payload: str) -> str:
    return cipher.lookup_hash(MAC_KIND, payload)


def issue(cipher: FieldCipher, *, bits: int, lifetime: int, now: datetime) -> Challenge:
    nonce = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode("ascii").rstrip("=")
    expires = int(now.timestamp()) + lifetime
    payload = f"{VERSION}.{nonce}.{bits}.{expires}"
    return Challenge(f"{payload}.{_mac(cipher, payload)}", bits, datetime.fromtimestamp(expires, UTC))


def leading_zero_bits(digest: bytes) -> int:
    count = 0
    for byte in digest:
        if byte:
            return count + 8 - byte.bit_length()
        count += 8
    return count


def solve(token: str, bits: int) -> str:
    """The smallest solution (what a client does; the tests and the demo use it)."""
    counter = 0
    while leading_zero_bits(hashlib.sha256(f"{token}:{counter}".encode()).digest()) < bits:
        counter += 1
    return str(counter)


FIELD = {"challenge": ["missing, wrong, expired or not solved"]}


def spend(session: Session, cipher: FieldCipher, *, token: str, solution: str, now: datetime) -> None:
    """Check the challenge and its solution, and record it as spent (in the caller's transaction)."""
    parts = token.split(".")
    if len(parts) != 5 or parts[0] != VERSION or not parts[2].isdigit() or not parts[3].isdigit():
        raise ProofOfWorkFailed(
            "Not a challenge of this registry: ask GET /api/v1/tips/challenge for one.", errors=FIELD
        )
    payload, mac = ".".join(parts[:4]), parts[4]
    if not hmac.compare_digest(_mac(cipher, payload), mac):
        raise ProofOfWorkFailed(
            "Not a challenge of this registry: ask GET /api/v1/tips/challenge for one.", errors=FIELD
        )
    nonce, bits, expires = parts[1], int(parts[2]), datetime.fromtimestamp(int(parts[3]), UTC)
    if expires <= now:
        raise ProofOfWorkFailed("The challenge has expired: ask for a new one.", errors=FIELD)
    if not (solution.isascii() and solution.isdigit() and len(solution) <= MAX_SOLUTION):
        raise ProofOfWorkFailed("The solution is not a number of at most 20 digits.", errors=FIELD)
    if leading_zero_bits(hashlib.sha256(f"{token}:{solution}".encode()).digest()) < bits:
        raise ProofOfWorkFailed(
            msg("The solution does not solve the challenge ({bits} zero bits).", bits=bits), errors=FIELD
        )
    session.execute(delete(TipChallenge).where(TipChallenge.expires_at < now - timedelta(minutes=1)))
    try:
        with session.begin_nested():
            session.add(TipChallenge(nonce=nonce, expires_at=expires, used_at=now))
    except IntegrityError:
        raise ChallengeUsed("This challenge was already used for a tip: ask for a new one.") from None
