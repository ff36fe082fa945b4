"""Parse, normalise and validate the identifiers the registry links to subjects.

`parse(kind, value)` returns a ParsedIdentifier whose (kind, value) is the unique key, or raises
IdentifierError, whose reason never contains a sensitive number.
"""

from collections.abc import Callable
from functools import partial

from registry.messages import msg

from . import banks
from .banks import Bank, parse_bank_account
from .base import SENSITIVE_KINDS, IdentifierError, ParsedIdentifier
from .domain import parse_domain
from .ip import ip_in_range, parse_ip, parse_ip_range
from .mail import parse_email
from .names import fold_name, nfc
from .personal import parse_personal_id
from .phone import parse_phone
from .tax import parse_tax_code
from .url import parse_platform, parse_url

__all__ = [
    "KINDS",
    "SENSITIVE_KINDS",
    "Bank",
    "IdentifierError",
    "ParsedIdentifier",
    "banks",
    "fold_name",
    "ip_in_range",
    "nfc",
    "parse",
]

_PARSERS: dict[str, Callable[[str], ParsedIdentifier]] = {
    "tax_code": parse_tax_code,
    "personal_id": parse_personal_id,
    "phone": parse_phone,
    "email": parse_email,
    "bank_account": parse_bank_account,
    "domain": parse_domain,
    "url": parse_url,
    "ip": parse_ip,
    "ip_range": parse_ip_range,
    "marketplace_shop": partial(parse_platform, "marketplace_shop"),
    "social_account": partial(parse_platform, "social_account"),
    "app": partial(parse_platform, "app"),
}
KINDS: tuple[str, ...] = tuple(_PARSERS)
# Parsers that can leave out what only describes a value (`parse(..., hints=False)`).
_KEY_ONLY: dict[str, Callable[[str], ParsedIdentifier]] = {"phone": partial(parse_phone, hints=False)}

# Long enough for any real URL; stops pathological input before the parsers see it.
MAX_LENGTH = 4096


def parse(kind: str, value: str, *, hints: bool = True) -> ParsedIdentifier:
    """Canonical identifier of `kind` spelled by `value`; raises IdentifierError.

    `hints=False`: the same answer or error, and the same kind, value and validity, but without what
    only describes the value where a parser can leave it out (a phone's type, carrier, region and
    international spelling): for look-ups that never store or show the parsed value (bulk screening).
    """
    parser = _PARSERS.get(kind) if hints else _KEY_ONLY.get(kind, _PARSERS.get(kind))
    if parser is None:
        raise IdentifierError(str(kind), msg("unknown identifier kind {kind!r}", kind=kind), field="kind")
    if not isinstance(value, str):
        raise IdentifierError(kind, msg("value must be a string, got {type}", type=type(value).__name__))
    if not value.strip():
        raise IdentifierError(kind, "value is empty")
    if len(value) > MAX_LENGTH:
        raise IdentifierError(kind, msg("value is longer than {length} characters", length=MAX_LENGTH))
    try:
        return parser(value)
    except IdentifierError:
        raise
    except (ValueError, UnicodeError):
        # A library under a parser refused the text in its own words (urllib: "Invalid IPv6 URL");
        # say it in ours, without echoing a value that may be sensitive.
        raise IdentifierError(
            kind, msg("value is not a well-formed {what}", what=kind.replace("_", " "))
        ) from None
