"""Sensitive values at rest: AES-256-GCM ciphertext plus an HMAC-SHA-256 lookup key beside it.

The keyed hash lets exact lookups and uniqueness work without decrypting, and unlike a plain hash it
cannot be brute-forced from the low-entropy value (a bank account, a phone) without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"


class FieldCipher:
    def __init__(self, data_key: bytes, lookup_key: bytes) -> None:
        self._aead = AESGCM(data_key)
        self._lookup_key = lookup_key

    def encrypt(self, plaintext: str, context: str) -> bytes:
        """Ciphertext bound to `context` (e.g. "identifier:bank_account") so it cannot be moved."""
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())

    def decrypt(self, blob: bytes, context: str) -> str:
        if blob[:1] != _VERSION:
            raise ValueError("unknown ciphertext version")
        return self._aead.decrypt(blob[1:13], blob[13:], context.encode()).decode()

    def lookup_hash(self, kind: str, canonical: str) -> str:
        return hmac.new(self._lookup_key, f"{kind}\x00{canonical}".encode(), hashlib.sha256).hexdigest()
