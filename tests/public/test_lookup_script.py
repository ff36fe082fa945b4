"""The page's script normalises phone numbers as the registry's parser does and hashes as SHA-256 does,
with crypto.subtle and without it (run with Node, the script's CommonJS export)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from registry.identifiers import parse

SCRIPT = Path(__file__).resolve().parents[2] / "registry" / "public" / "static" / "lookup.js"
PHONES = [
    "0912345678", "+84912345678", "84912345678", "0084912345678", "091 234 5678", "091.234.5678",
    "(024) 3825 1234", "02438251234", "01662345678", "+84 1662345678", "+840912345678", "912345678",
    "+1 650 253 0000", "001 650 253 0000", "1900 1234", "0169-999-8888",
]  # fmt: skip
TEXTS = ["", "abc", "970436:0011001234567", "+84912345678", "x" * 55, "y" * 64, "Đà Nẵng ư", "z" * 200]


def _node(program: str) -> object:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("the script's unit test needs Node.js (the browser test runs the same script)")
    done = subprocess.run(  # noqa: S603 - Node and the shipped script, no outside input
        [node, "-e", f"const L = require({json.dumps(str(SCRIPT))});\n{program}"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return json.loads(done.stdout)


def test_phone_numbers_are_normalised_as_the_registry_does():
    found = _node(f"console.log(JSON.stringify({json.dumps(PHONES)}.map(L.normalisePhone)))")
    assert found == [parse("phone", phone).value for phone in PHONES]
    refused = _node("console.log(JSON.stringify(['abc', '12', '+'].map(L.normalisePhone)))")
    assert refused == [None, None, None]


def test_bank_accounts_are_bin_colon_digits():
    found = _node(
        "console.log(JSON.stringify([L.normaliseBankAccount('970436', '0011 0012.3456-7'),"
        " L.normaliseBankAccount('970436', '12345'), L.normaliseBankAccount('VCB', '0011001234567')]))"
    )
    assert found == [parse("bank_account", "970436:0011 0012.3456-7").value, None, None]


def test_the_fallback_sha256_is_sha256():
    found = _node(
        f"Promise.all({json.dumps(TEXTS)}.map(L.sha256Hex)).then(subtle =>"
        f" console.log(JSON.stringify([{json.dumps(TEXTS)}.map(L.sha256Fallback), subtle])))"
    )
    expected = [hashlib.sha256(text.encode()).hexdigest() for text in TEXTS]
    assert found == [expected, expected]
