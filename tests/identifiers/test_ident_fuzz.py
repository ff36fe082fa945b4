"""Any text at all, for any kind: a parsed identifier or an IdentifierError, never another exception."""

from __future__ import annotations

import random

import pytest

from registry.identifiers import KINDS, IdentifierError, parse

ALPHABET = (
    "0123456789abcXYZ.:-_/@?#[]%+ ~!$&'()*,;=\\\"<>{}|^`"
    "đĐăâêôơưĂÂÊÔƠƯáàảãạ\u0301\u0300\u200b\u00a0\t\r\n\x00\x7f"
    "\u0430\u0435\u043e\u03bf\uff10\uff21\ud83d\ude00\udbff"
)
PREFIXES = ("", "http://", "https://", "//", "[", "::ffff:", "VCB:", "shopee.vn/", "+84", "xn--", "0")


def samples(seed: int, count: int = 400) -> list[str]:
    rng = random.Random(seed)  # deterministic: a failure names its seed and reproduces
    return [rng.choice(PREFIXES) + "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 40)))
            for _ in range(count)]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_parse_only_ever_raises_identifier_error(kind):
    for value in [*samples(KINDS.index(kind)), "[", "http://[", "http://[::1", "]", "x]y", "a" * 300]:
        try:
            parsed = parse(kind, value)
        except IdentifierError as exc:
            assert exc.kind == kind and exc.reason
            continue
        assert parsed.kind == kind and parsed.value
