"""Any text at all, for any kind: a parsed identifier or an IdentifierError, never another exception.

Hypothesis draws the text (and shrinks a failure to the shortest text that fails). Its examples are
derandomized, so a run is the same everywhere and a failure reproduces."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.identifiers import KINDS, IdentifierError, parse

# Characters that reach the parsers' corners: separators, brackets, percent, Vietnamese letters and
# combining marks, zero-width and control characters, look-alike Cyrillic and Greek, full-width
# digits, and lone surrogates.
ALPHABET = (
    "0123456789abcXYZ.:-_/@?#[]%+ ~!$&'()*,;=\\\"<>{}|^`"
    "đĐăâêôơưĂÂÊÔƠƯáàảãạ\u0301\u0300\u200b\u00a0\t\r\n\x00\x7f"
    "\u0430\u0435\u043e\u03bf\uff10\uff21\ud83d\ude00\udbff"
)
PREFIXES = ("", "http://", "https://", "//", "[", "::ffff:", "VCB:", "shopee.vn/", "+84", "xn--", "0")
TEXT = st.one_of(
    st.tuples(st.sampled_from(PREFIXES), st.text(alphabet=ALPHABET, max_size=40)).map("".join),
    st.text(max_size=60),  # any code point at all
    st.sampled_from(["[", "http://[", "http://[::1", "]", "x]y", "a" * 300]),
)


@pytest.mark.parametrize("kind", KINDS)
@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(value=TEXT)
def test_parse_only_ever_raises_identifier_error(kind, value):
    try:
        parsed = parse(kind, value)
    except IdentifierError as exc:
        assert exc.kind == kind and exc.reason
        return
    assert parsed.kind == kind and parsed.value
