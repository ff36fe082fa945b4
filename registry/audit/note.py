"""C2SP signed notes, tlog checkpoints and Ed25519 cosignatures.

Specs: https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint,
https://c2sp.org/tlog-cosignature (cosignature/v1); wire-compatible with
golang.org/x/mod/sumdb/note and github.com/transparency-dev/formats/note.

Key text formats (``keyid`` = 8 lower-case hex digits of
``SHA-256(name || "\\n" || type || 32-byte public key)[:4]``):

* log signer (type 0x01, plain Ed25519 over the note body):
  - verifier key ``<name>+<keyid>+<base64(0x01 || pubkey)>``
  - signer key   ``PRIVATE+KEY+<name>+<keyid>+<base64(0x01 || 32-byte seed)>``
* witness / cosigner (type 0x04, timestamped cosignature/v1):
  - verifier key ``<name>+<keyid>+<base64(0x04 || pubkey)>``
  - signer key   ``PRIVATE+KEY+<name>+<keyid>+<base64(0x04 || 32-byte seed)>``
  As in transparency-dev/formats, a type-0x01 key text is also accepted for
  either side and converted: the key id is then recomputed with type 0x04, so
  the cosignature's key id differs from the id printed in the 0x01 text.

A cosignature line is ``— <witness name> base64(keyid(4) || timestamp(8, BE) ||
Ed25519 sig(64))`` where the signed message is
``"cosignature/v1\\ntime <timestamp>\\n" + checkpoint body``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "Checkpoint",
    "CosignatureSigner",
    "CosignatureVerifier",
    "NoteError",
    "NoteSignature",
    "NoteVerifier",
    "OpenedNote",
    "Signer",
    "Verifier",
    "cosignature_timestamp",
    "generate_cosigner",
    "generate_signer",
    "key_id",
    "open_note",
    "open_note_detailed",
    "parse_note",
    "sign_note",
    "verify_cosignature",
]

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100  # spec: must accept >= 16; matches the Go package's cap
_SIG_PREFIX = "\u2014 "
_MAX_TIMESTAMP = 2**63 - 1
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_SIZE = re.compile(r"0|[1-9][0-9]*")


class NoteError(ValueError):
    """Malformed note or key text, or a note that fails verification."""


def key_id(name: str, alg: int, public_key: bytes) -> int:
    h = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(h[:4], "big")


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _b64decode(text: str) -> bytes:
    """Strict standard base64: canonical encodings only, so signature lines are not malleable."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError("invalid base64") from exc
    if base64.b64encode(raw).decode() != text:
        raise NoteError("non-canonical base64")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _raw_public(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _parse_key(text: str, private: bool, algs: Iterable[int]) -> tuple[str, int, int, bytes]:
    parts = text.split("+", 4 if private else 2)
    if private:
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise NoteError("signer key must look like PRIVATE+KEY+<name>+<keyid>+<key>")
        parts = parts[2:]
    if len(parts) != 3:
        raise NoteError("verifier key must look like <name>+<keyid>+<key>")
    name, hex_id, b64 = parts
    if not _valid_name(name):
        raise NoteError(f"invalid key name {name!r}")
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise NoteError("key id must be 8 lower-case hex digits")
    raw = _b64decode(b64)
    if len(raw) != 33 or raw[0] not in algs:
        raise NoteError("unsupported key type or length")
    return name, int(hex_id, 16), raw[0], raw[1:]


class NoteVerifier(Protocol):
    name: str
    key_id: int

    def verify(self, msg: bytes, sig: bytes) -> bool: ...


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: int
    signature: bytes  # without the 4-byte key id
    line: str


@dataclass(frozen=True)
class OpenedNote:
    body: str
    verified: list[NoteSignature] = field(default_factory=list)
    unverified: list[NoteSignature] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(s.name for s in self.verified))


class Verifier:
    """Ed25519 (type 0x01) note verifier built from a verifier key text."""

    def __init__(self, vkey_text: str) -> None:
        name, kid, alg, pub = _parse_key(vkey_text, private=False, algs=(ALG_ED25519,))
        if kid != key_id(name, alg, pub):
            raise NoteError("verifier key id does not match the key")
        self.name, self.key_id, self.public_key = name, kid, pub
        self._key = Ed25519PublicKey.from_public_bytes(pub)
        self.text = vkey_text

    def verify(self, msg: bytes, sig: bytes) -> bool:
        try:
            self._key.verify(sig, msg)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"Verifier({self.text!r})"


class Signer:
    """Ed25519 (type 0x01) note signer built from a PRIVATE+KEY text."""

    def __init__(self, skey_text: str) -> None:
        name, kid, alg, seed = _parse_key(skey_text, private=True, algs=(ALG_ED25519,))
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        pub = _raw_public(self._key.public_key())
        if kid != key_id(name, alg, pub):
            raise NoteError("signer key id does not match the key")
        self.name, self.key_id = name, kid
        self.verifier_key = f"{name}+{kid:08x}+{_b64(bytes([alg]) + pub)}"

    def verifier(self) -> Verifier:
        return Verifier(self.verifier_key)

    def sign(self, body: str) -> str:
        """Signature line (with trailing newline) over ``body``."""
        sig = self._key.sign(body.encode())
        return f"{_SIG_PREFIX}{self.name} {_b64(self.key_id.to_bytes(4, 'big') + sig)}\n"

    def __repr__(self) -> str:
        return f"Signer({self.name}+{self.key_id:08x})"


def _generate(name: str, alg: int) -> tuple[str, str]:
    if not _valid_name(name):
        raise NoteError(f"invalid key name {name!r}")
    priv = Ed25519PrivateKey.generate()
    seed = priv.private_bytes_raw()
    pub = _raw_public(priv.public_key())
    kid = key_id(name, alg, pub)
    return (
        f"PRIVATE+KEY+{name}+{kid:08x}+{_b64(bytes([alg]) + seed)}",
        f"{name}+{kid:08x}+{_b64(bytes([alg]) + pub)}",
    )


def generate_signer(name: str) -> tuple[str, str]:
    """New (signer key text, verifier key text) for a log key."""
    return _generate(name, ALG_ED25519)


def _check_body(body: str) -> None:
    if not body.endswith("\n"):
        raise NoteError("note body must end with a newline")
    if _CONTROL.search(body):
        raise NoteError("note body contains control characters")


def sign_note(body: str, signers: Sequence[Signer]) -> str:
    _check_body(body)
    if not signers:
        raise NoteError("at least one signer is required")
    lines: dict[tuple[str, int], str] = {}
    for s in signers:
        lines.setdefault((s.name, s.key_id), s.sign(body))
    return body + "\n" + "".join(lines.values())


def parse_note(text: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Split a note into body and signature lines without verifying anything."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("note is not valid UTF-8") from exc
    if _CONTROL.search(text):
        raise NoteError("note contains control characters")
    split = text.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    body, block = text[: split + 1], text[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteError("note has no signatures or lacks a final newline")
    sigs: list[NoteSignature] = []
    for line in block[:-1].split("\n"):
        if len(sigs) >= MAX_SIGNATURES:
            raise NoteError("too many signatures")
        if not line.startswith(_SIG_PREFIX):
            raise NoteError(f"malformed signature line {line!r}")
        name, sep, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep or not _valid_name(name):
            raise NoteError(f"malformed signature line {line!r}")
        raw = _b64decode(b64)
        if len(raw) < 5:
            raise NoteError("signature too short")
        sigs.append(NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:], line + "\n"))
    return body, sigs


def open_note_detailed(text: str | bytes, verifiers: Sequence[NoteVerifier]) -> OpenedNote:
    """Verify every signature from a known (name, key id); ignore the rest.

    Stricter than the Go package: repeated lines from the same key are each
    verified (not skipped), so a forged duplicate cannot hide behind a good one.
    """
    body, sigs = parse_note(text)
    known: dict[tuple[str, int], NoteVerifier] = {}
    for v in verifiers:
        k = (v.name, v.key_id)
        if k in known and known[k] is not v:
            raise NoteError(f"ambiguous verifiers for {v.name}+{v.key_id:08x}")
        known[k] = v
    msg = body.encode()
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    for s in sigs:
        found = known.get((s.name, s.key_id))
        if found is None:
            if s not in unverified:
                unverified.append(s)
            continue
        if not found.verify(msg, s.signature):
            raise NoteError(f"invalid signature for key {s.name}+{s.key_id:08x}")
        if (s.name, s.key_id) not in seen:
            seen.add((s.name, s.key_id))
            verified.append(s)
    if not verified:
        raise NoteError("note has no signature from a known key")
    return OpenedNote(body, verified, unverified)


def open_note(text: str | bytes, verifiers: Sequence[NoteVerifier]) -> tuple[str, list[str]]:
    """(body, names of verified signers); raises NoteError."""
    opened = open_note_detailed(text, verifiers)
    return opened.body, opened.names


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin or _CONTROL.search(self.origin):
            raise NoteError("checkpoint origin must be a non-empty single line")
        if not 0 <= self.size < 2**64:
            raise NoteError("checkpoint size out of range")
        if len(self.root_hash) != 32:
            raise NoteError("checkpoint root hash must be 32 bytes")
        for ext in self.extensions:
            if not ext or "\n" in ext or _CONTROL.search(ext):
                raise NoteError("checkpoint extension lines must be non-empty single lines")

    def body(self) -> str:
        lines = [self.origin, str(self.size), _b64(self.root_hash), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        if not body.endswith("\n"):
            raise NoteError("checkpoint must end with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("checkpoint needs origin, size and root hash lines")
        origin, size, root, *ext = lines
        if not _SIZE.fullmatch(size):
            raise NoteError(f"malformed checkpoint size {size!r}")
        root_hash = _b64decode(root)
        return cls(origin, int(size), root_hash, tuple(ext))


def _cosigned_message(checkpoint_body: str, timestamp: int) -> bytes:
    Checkpoint.parse(checkpoint_body)
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_body}".encode()


class CosignatureVerifier:
    """Verifier for Ed25519 cosignature/v1 (type 0x04) signatures; usable with open_note."""

    def __init__(self, vkey_text: str) -> None:
        name, kid, alg, pub = _parse_key(vkey_text, private=False, algs=(ALG_ED25519, ALG_COSIGNATURE_V1))
        if kid != key_id(name, alg, pub):
            raise NoteError("verifier key id does not match the key")
        self.name, self.public_key = name, pub
        self.key_id = key_id(name, ALG_COSIGNATURE_V1, pub)
        self._key = Ed25519PublicKey.from_public_bytes(pub)

    def verify(self, msg: bytes, sig: bytes) -> bool:
        if len(sig) != 8 + 64:
            return False
        ts = int.from_bytes(sig[:8], "big")
        if ts > _MAX_TIMESTAMP:
            return False
        try:
            self._key.verify(sig[8:], _cosigned_message(msg.decode(), ts))
        except (InvalidSignature, NoteError, UnicodeDecodeError):
            return False
        return True


class CosignatureSigner:
    """Witness signer producing cosignature/v1 lines (key type 0x04)."""

    def __init__(self, skey_text: str) -> None:
        name, kid, alg, seed = _parse_key(skey_text, private=True, algs=(ALG_ED25519, ALG_COSIGNATURE_V1))
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        pub = _raw_public(self._key.public_key())
        if kid != key_id(name, alg, pub):
            raise NoteError("signer key id does not match the key")
        self.name = name
        self.key_id = key_id(name, ALG_COSIGNATURE_V1, pub)
        self.verifier_key = f"{name}+{self.key_id:08x}+{_b64(bytes([ALG_COSIGNATURE_V1]) + pub)}"

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.verifier_key)

    def cosign(self, checkpoint_body: str, timestamp: int | None = None) -> str:
        """Cosignature line over a checkpoint body; append it to the signed checkpoint note."""
        ts = int(time.time()) if timestamp is None else timestamp
        if not 0 <= ts <= _MAX_TIMESTAMP:
            raise NoteError("cosignature timestamp out of range")
        sig = self._key.sign(_cosigned_message(checkpoint_body, ts))
        raw = self.key_id.to_bytes(4, "big") + ts.to_bytes(8, "big") + sig
        return f"{_SIG_PREFIX}{self.name} {_b64(raw)}\n"

    def __repr__(self) -> str:
        return f"CosignatureSigner({self.name}+{self.key_id:08x})"


def generate_cosigner(name: str) -> tuple[str, str]:
    """New (signer key text, verifier key text) for a witness, both type 0x04."""
    return _generate(name, ALG_COSIGNATURE_V1)


def cosignature_timestamp(sig: NoteSignature) -> int:
    """Timestamp embedded in an (unverified) cosignature/v1 signature."""
    if len(sig.signature) != 8 + 64:
        raise NoteError("not an Ed25519 cosignature/v1 signature")
    return int.from_bytes(sig.signature[:8], "big")


def verify_cosignature(note_text: str | bytes, witness_vkey_text: str) -> int:
    """Verify the witness's cosignature in a checkpoint note; return its timestamp.

    Only the witness line is checked: verify the log's own signature with
    ``open_note`` as well. Other signature lines are ignored as unknown keys.
    """
    v = CosignatureVerifier(witness_vkey_text)
    opened = open_note_detailed(note_text, [v])
    return cosignature_timestamp(opened.verified[0])
