"""URLs (RFC 3986 normalisation) and the URL spellings of shops, social accounts and apps."""

import re
import unicodedata
from urllib.parse import urlsplit

from rfc3986 import normalizers

from registry.messages import msg

from .base import IdentifierError, ParsedIdentifier
from .domain import host_of, parse_domain
from .ip import parse_ip
from .platforms import PLATFORMS, make, match_url

KIND = "url"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = frozenset("0123456789abcdefABCDEF")
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")


def _normalise_percent(text: str, safe: frozenset[str]) -> str:
    """Decode %xx of unreserved characters and encode anything the component does not allow.

    rfc3986 uppercases %xx and removes dot segments (`normalizers.normalize_path`) but does neither of
    these: its `encode_component` re-encodes every "%" once one is stray, and its unreserved set
    wrongly includes "!". So this one step of RFC 3986 6.2.2.2 stays here."""
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%" and i + 2 < len(text) and text[i + 1] in _HEX and text[i + 2] in _HEX:
            decoded = chr(int(text[i + 1 : i + 3], 16))
            out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        if ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
        i += 1
    return "".join(out)


def split(value: str) -> dict:
    """Normalised parts of an http(s) URL; raises IdentifierError."""
    s = unicodedata.normalize("NFC", value).strip()
    scheme_assumed = False
    m = _SCHEME.match(s)
    rest = s[m.end() :] if m else s
    if m and m.group(1).lower() in _DEFAULT_PORTS:
        s = m.group(1) + "://" + rest.lstrip("/")  # tolerate "http:/host" and "http:host"
    elif m and not rest.startswith("//") and not rest[:1].isdigit():
        raise IdentifierError(
            KIND, msg("URL scheme must be http or https, got {scheme}", scheme=m.group(1).lower())
        )
    elif not m or not rest.startswith("//"):
        # No scheme, or "host:port/...", which urlsplit would misread as a scheme.
        s = "http://" + s.removeprefix("//")
        scheme_assumed = True
    parts = urlsplit(s)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise IdentifierError(KIND, msg("URL scheme must be http or https, got {scheme}", scheme=scheme))
    host_text = host_of(parts.netloc)
    if not host_text:
        raise IdentifierError(KIND, "URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise IdentifierError(KIND, "URL port is not a number between 0 and 65535") from None
    host_parser = parse_ip if host_text.startswith("[") or _looks_ipv4(host_text) else parse_domain
    try:
        host_id = host_parser(host_text)
    except IdentifierError as exc:
        raise IdentifierError(KIND, msg("URL host: {reason}", reason=exc.reason)) from None
    host = f"[{host_id.value}]" if ":" in host_id.value else host_id.value
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    # RFC 3986 6.2.2: percent-encoding, then dot segments (5.2.4, which keeps empty segments).
    path = normalizers.normalize_path(_normalise_percent(parts.path, _PATH_SAFE)) or "/"
    query = normalizers.normalize_query(_normalise_percent(parts.query, _QUERY_SAFE))
    return {
        "scheme": scheme, "netloc": netloc, "host_id": host_id, "path": path, "query": query,
        "scheme_assumed": scheme_assumed, "userinfo_dropped": "@" in parts.netloc,
    }  # fmt: skip


def _looks_ipv4(host: str) -> bool:
    return bool(re.fullmatch(r"[0-9.]+", host))


def _join(scheme: str, netloc: str, path: str, query: str) -> str:
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def parse_url(value: str) -> ParsedIdentifier:
    p = split(value)
    host_id: ParsedIdentifier = p["host_id"]
    canonical = _join(p["scheme"], p["netloc"], p["path"], p["query"])
    display_host = p["netloc"].replace(host_id.value, host_id.display, 1)
    attributes = {"scheme": p["scheme"], "host": host_id.value, "scheme_assumed": p["scheme_assumed"]}
    if p["userinfo_dropped"]:
        # "http://bank.com.vn@evil.example/" goes to evil.example; the userinfo only misleads.
        attributes["userinfo_dropped"] = True
    related = [host_id]
    if host_id.kind == "domain" and (platform_id := match_url(host_id.value, p["path"], p["query"])):
        related.append(platform_id)
    return ParsedIdentifier(
        KIND, canonical, _join(p["scheme"], display_host, p["path"], p["query"]), attributes, tuple(related)
    )


def parse_platform(kind: str, value: str) -> ParsedIdentifier:
    """`<platform>:<id>`, `<platform>:@handle`, or a URL of the shop, profile or app page."""
    s = unicodedata.normalize("NFC", value).strip()
    platform, sep, ident = s.partition(":")
    if sep and platform.strip().lower() not in ("http", "https") and not ident.startswith("//"):
        return make(kind, platform, ident)
    try:
        p = split(s)
    except IdentifierError as exc:
        raise IdentifierError(kind, exc.reason) from None
    found = match_url(p["host_id"].value, p["path"], p["query"]) if p["host_id"].kind == "domain" else None
    if found is None or found.kind != kind:
        expected = ", ".join(PLATFORMS[kind])
        raise IdentifierError(
            kind,
            msg("not a recognised {kind} URL or <platform>:<id> ({expected})", kind=kind, expected=expected),
        )
    return found
