"""E-mail addresses.

The canonical value is lowercased entirely, local part included: RFC 5321 lets a server treat the
local part case-sensitively, but no mainstream provider does, and two keys for one mailbox would split a
violator's history. `display` keeps the local part as given. Provider-specific folding (Gmail dots,
"+tag") is not applied: it is not true of every provider.

The syntax (RFC 5321/5322 dot-atom, RFC 6531 internationalised local parts, lengths) is
email-validator's, offline (`check_deliverability=False`); the domain is ours (`parse_domain`: IDNA,
a registrable domain, not a public suffix).
"""

import unicodedata

from email_validator import EmailNotValidError, validate_email

from registry.messages import msg

from .base import IdentifierError, ParsedIdentifier
from .domain import parse_domain

KIND = "email"


def parse_email(value: str) -> ParsedIdentifier:
    s = unicodedata.normalize("NFC", value).strip()
    if s.lower().startswith("mailto:"):
        s = s[len("mailto:") :]
    local, at, host = s.rpartition("@")
    if not at or not local or not host:
        raise IdentifierError(KIND, "e-mail address must be local-part@domain")
    if host.startswith("[") or any(c in host for c in "/?#: "):
        raise IdentifierError(KIND, "e-mail domain must be a bare host name (IP literals are not accepted)")
    try:
        domain = parse_domain(host)
    except IdentifierError as exc:
        raise IdentifierError(KIND, msg("e-mail domain: {reason}", reason=exc.reason)) from None
    try:
        # strict: the 64-octet local part of RFC 5321 too; no quoted local parts, no IP literals.
        validate_email(f"{local}@{domain.value}", check_deliverability=False, strict=True)
    except EmailNotValidError as exc:
        raise IdentifierError(KIND, msg("e-mail address: {reason}", reason=str(exc))) from None
    value_ = f"{local.lower()}@{domain.value}"
    attributes = {"domain": domain.value}
    return ParsedIdentifier(KIND, value_, f"{local}@{domain.display}", attributes, (domain,))
