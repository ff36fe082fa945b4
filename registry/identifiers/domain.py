"""Domain names: IDNA UTS 46 A-label as the key, U-label for display, registrable domain from the PSL."""

import ipaddress
import re
import unicodedata
from functools import cache
from urllib.parse import unquote, urlsplit

import idna
from publicsuffixlist import PublicSuffixList

from registry.messages import msg

from .base import IdentifierError, ParsedIdentifier

KIND = "domain"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
# UTS 46 maps these to "." but only after we have split labels, so map them first.
_DOTS = str.maketrans({"。": ".", "．": ".", "｡": "."})

# Scripts that UTS 39 ("highly restrictive") lets mix with Latin in one label.
_CJK_MIXES = (
    {"LATIN", "CJK", "HIRAGANA", "KATAKANA"},
    {"LATIN", "CJK", "BOPOMOFO"},
    {"LATIN", "CJK", "HANGUL"},
)
# Non-ASCII letters that render like ASCII Latin ones (a seed list, not all of Unicode's confusables).
_LOOKALIKES = frozenset(
    "аеорсухіјѕԁһԛԝӏвкмнтАВЕКМНОРСТХІЈЅ"  # Cyrillic
    "αο νρτυχικΑΒΕΖΗΙΚΜΝΟΡΤΥΧ".replace(" ", "")  # Greek
    + "ıɑɡȷſƖǀ"  # Latin letters that pass for other Latin letters
)
# A host idna would leave as it is, lowercased: ASCII letters, digits and hyphens in non-empty labels.
_LDH_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\Z")


@cache
def _psl() -> PublicSuffixList:
    # The bundled list is used offline; private suffixes (github.io, ...) count, since each of their
    # subdomains has its own registrant.
    return PublicSuffixList()


def host_of(value: str) -> str:
    """The host part of a bare host or of a URL (scheme optional), without port or userinfo."""
    s = value.strip()
    if _SCHEME.match(s) or s.startswith("//") or any(c in s for c in "/?#@"):
        netloc = urlsplit(s if _SCHEME.match(s) or s.startswith("//") else "//" + s).netloc
    else:
        netloc = s
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return unquote(host) if "%" in host else host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0]
    return "CJK" if first in ("CJK", "IDEOGRAPHIC") else first


def is_confusable(u_label: str) -> bool:
    """True when a label mixes scripts, or spells Latin-looking text with non-ASCII letters."""
    if u_label.isascii():  # ASCII letters are all Latin and none is a look-alike
        return False
    for label in u_label.split("."):
        # Look-alike spelling: every non-ASCII letter passes for a Latin one (all-Cyrillic "раура", "paypı").
        foreign = [ch for ch in label if ch.isalpha() and not ch.isascii()]
        if foreign and all(ch in _LOOKALIKES for ch in foreign):
            return True
        scripts = {s for s in map(_script, label) if s}
        if len(scripts) > 1 and not any(scripts <= mix for mix in _CJK_MIXES):
            return True
    return False


def _plain_a_label(host: str) -> str | None:
    """The A-label of a host made of ASCII letters, digits and hyphens, or None when idna must decide.

    For such a host idna's answer is known without its per-code-point checks (a tenth of a millisecond
    a host, the bulk of a 10,000-item screening's parsing): UTS 46 maps A-Z to a-z and leaves the
    rest, and IDNA 2008 allows a-z, 0-9 and hyphens except at either end of a label or as the third
    and fourth characters (which also sends every `xn--` label to idna, to be decoded and checked).
    Hosts too long, or with labels too long, go to idna too, for its errors. The identifier tests hold
    this equal to idna's answer."""
    if not host.isascii():
        return None
    lowered = host.lower()
    if len(lowered) > 253 or not _LDH_HOST.match(lowered):
        return None
    for label in lowered.split("."):
        if len(label) > 63 or label[0] == "-" or label[-1] == "-" or label[2:4] == "--":
            return None
    return lowered


def parse_domain(value: str) -> ParsedIdentifier:
    host = unicodedata.normalize("NFC", host_of(value)).translate(_DOTS)
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise IdentifierError(KIND, "domain is empty")
    if _is_ip(host):
        raise IdentifierError(KIND, msg("{host} is an IP address, not a domain (use kind ip)", host=host))
    labels = host.split(".")
    if "" in labels:
        raise IdentifierError(KIND, msg("domain {host} has an empty label", host=host))
    plain = _plain_a_label(host)
    try:
        a_label = plain or idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        # idna reports lengths only in its message text; turn those into our own wording.
        if "Label too long" in str(exc):
            raise IdentifierError(
                KIND, msg("domain {host}: a label is longer than 63 characters", host=host)
            ) from None
        if "Domain too long" in str(exc):
            raise IdentifierError(KIND, "domain is longer than 253 characters") from None
        raise IdentifierError(
            KIND, msg("domain {host} is not a valid name: {reason}", host=host, reason=str(exc))
        ) from None
    if len(a_label) > 253:
        raise IdentifierError(KIND, "domain is longer than 253 characters")
    if a_label.rsplit(".", 1)[-1].isdigit():
        raise IdentifierError(KIND, msg("domain {host}: the top-level label cannot be numeric", host=host))
    registrable = _psl().privatesuffix(a_label)
    if registrable is None:
        raise IdentifierError(
            KIND, msg("domain {host} is a public suffix, not a registrable domain", host=a_label)
        )
    u_label = plain or idna.decode(a_label)
    attributes = {
        "registrable_domain": registrable,
        "u_label": u_label,
        "suffix": _psl().publicsuffix(a_label),
        "idn": "xn--" in a_label,
        "confusable": is_confusable(u_label),
    }
    return ParsedIdentifier(KIND, a_label, u_label, attributes)
