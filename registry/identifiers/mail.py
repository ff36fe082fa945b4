"""E-mail addresses.

The canonical value is lowercased entirely, local part included: RFC 5321 lets a server treat the
local part case-sensitively, but no mainstream provider does, and two keys for one mailbox would split a
violator's history. `display` keeps the local part as given. Provider-specific folding (Gmail dots,
"+tag") is not applied: it is not true of every provider.
"""

import re
import unicodedata

from .base import IdentifierError, ParsedIdentifier
from .domain import parse_domain

KIND = "email"
# dot-atom from RFC 5322, widened to non-ASCII letters for internationalised addresses (RFC 6531).
_ATOM = re.compile(r"[\w!#$%&'*+/=?^`{|}~\-]+")


def parse_email(value: str) -> ParsedIdentifier:
    s = unicodedata.normalize("NFC", value).strip()
    if s.lower().startswith("mailto:"):
        s = s[len("mailto:") :]
    local, at, host = s.rpartition("@")
    if not at or not local or not host:
        raise IdentifierError(KIND, "e-mail address must be local-part@domain")
    if len(local) > 64:
        raise IdentifierError(KIND, "e-mail local part is longer than 64 characters")
    if not all(_ATOM.fullmatch(atom) for atom in local.split(".")):
        raise IdentifierError(KIND, "e-mail local part has characters or dots where they are not allowed")
    if host.startswith("[") or any(c in host for c in "/?#: "):
        raise IdentifierError(KIND, "e-mail domain must be a bare host name (IP literals are not accepted)")
    try:
        domain = parse_domain(host)
    except IdentifierError as exc:
        raise IdentifierError(KIND, f"e-mail domain: {exc.reason}") from None
    value_ = f"{local.lower()}@{domain.value}"
    attributes = {"domain": domain.value}
    return ParsedIdentifier(KIND, value_, f"{local}@{domain.display}", attributes, (domain,))
