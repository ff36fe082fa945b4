"""Marketplace shops, social accounts and apps: `<platform>:<id>`, and the URL rules that yield them.

The platform's numeric id is the key; a handle or slug is an alias (`<platform>:@handle`) because
the owner can change it.
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs

from registry.messages import msg

from .base import IdentifierError, ParsedIdentifier
from .phone import parse_phone

PLATFORMS = {
    "marketplace_shop": {
        "shopee": "Shopee",
        "lazada": "Lazada",
        "tiki": "Tiki",
        "tiktok_shop": "TikTok Shop",
    },
    "social_account": {"facebook": "Facebook", "zalo": "Zalo", "tiktok": "TikTok"},
    "app": {"android": "Google Play", "ios": "App Store"},
}
PLATFORM_ALIASES = {"fb": "facebook", "tiktokshop": "tiktok_shop", "google_play": "android", "apple": "ios"}

_NUMERIC = re.compile(r"\d{1,25}")
_HANDLE = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,99}")
_ANDROID = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+")


@dataclass(frozen=True)
class Rule:
    kind: str
    platform: str
    hosts: frozenset[str]
    path: re.Pattern  # full match; group "id" unless query_key says where the id is
    query_key: str | None = None
    alias: bool = False
    reserved: frozenset[str] = frozenset()  # first path segments that are site pages, not handles


def _rule(kind, platform, hosts, path, **kw) -> Rule:
    return Rule(kind, platform, frozenset(hosts.split()), re.compile(path), **kw)


_SHOPEE = "shopee.vn www.shopee.vn m.shopee.vn"
_FACEBOOK = (
    "facebook.com www.facebook.com m.facebook.com web.facebook.com mbasic.facebook.com fb.com www.fb.com"
)
_TIKTOK = "tiktok.com www.tiktok.com m.tiktok.com"
_SHOPEE_PAGES = frozenset({
    "search", "cart", "user", "buyer", "mall", "flash_sale", "daily_discover", "verify", "checkout",
    "product", "shop", "m", "seller", "universal-link", "docs", "help", "events3", "campaigns",
    "top_products",
})  # fmt: skip
_FACEBOOK_PAGES = frozenset({
    "groups", "pages", "watch", "marketplace", "events", "share", "sharer", "sharer.php", "login",
    "login.php", "help", "story.php", "permalink.php", "photo.php", "photo", "photos", "video.php", "reel",
    "reels", "hashtag", "gaming", "people", "dialog", "plugins", "policies", "privacy", "settings",
    "home.php", "profile.php", "friends", "messages", "notifications", "search", "l.php",
})  # fmt: skip
_TIKTOK_PAGES = frozenset({
    "shop", "discover", "explore", "foryou", "following", "live", "tag", "music", "video", "search",
})  # fmt: skip

RULES: tuple[Rule, ...] = (
    _rule("marketplace_shop", "shopee", _SHOPEE, r"/shop/(?P<id>\d+)/?"),
    _rule("marketplace_shop", "shopee", _SHOPEE, r"/[^/]*-i\.(?P<id>\d+)\.(?P<item_id>\d+)/?"),
    _rule("marketplace_shop", "shopee", _SHOPEE, r"/product/(?P<id>\d+)/(?P<item_id>\d+)/?"),
    _rule(
        "marketplace_shop",
        "shopee",
        _SHOPEE,
        r"/(?P<id>[A-Za-z0-9_.]+)/?",
        alias=True,
        reserved=_SHOPEE_PAGES,
    ),
    _rule(
        "marketplace_shop",
        "lazada",
        "lazada.vn www.lazada.vn",
        r"/shop/(?P<id>[A-Za-z0-9_\-]+)/?.*",
        alias=True,
    ),
    _rule(
        "marketplace_shop", "tiki", "tiki.vn www.tiki.vn", r"/cua-hang/(?P<id>[A-Za-z0-9_\-]+)/?", alias=True
    ),
    _rule("marketplace_shop", "tiktok_shop", _TIKTOK, r"/shop/store/[^/]+/(?P<id>\d+)/?"),
    _rule("marketplace_shop", "tiktok_shop", "shop.tiktok.com", r"/@(?P<id>[A-Za-z0-9_.]+)/?", alias=True),
    _rule("social_account", "facebook", _FACEBOOK, r"/profile\.php", query_key="id"),
    _rule("social_account", "facebook", _FACEBOOK, r"/people/[^/]+/(?P<id>\d+)/?"),
    _rule(
        "social_account",
        "facebook",
        _FACEBOOK,
        r"/(?P<id>[A-Za-z0-9.]+)/?",
        alias=True,
        reserved=_FACEBOOK_PAGES,
    ),
    _rule("social_account", "zalo", "zalo.me www.zalo.me", r"/(?P<id>\+?\d+)/?"),
    _rule(
        "social_account", "tiktok", _TIKTOK, r"/@(?P<id>[A-Za-z0-9_.]+)/?", alias=True, reserved=_TIKTOK_PAGES
    ),
    _rule("app", "android", "play.google.com", r"/store/apps/details/?", query_key="id"),
    _rule("app", "ios", "apps.apple.com itunes.apple.com", r"(?:/[a-z]{2})?/app/(?:[^/]+/)?id(?P<id>\d+)/?"),
)


def match_url(host: str, path: str, query: str) -> ParsedIdentifier | None:
    """The shop, account or app a normalised URL points at, per RULES."""
    for rule in RULES:
        if host not in rule.hosts or not (m := rule.path.fullmatch(path)):
            continue
        if rule.query_key:
            found = parse_qs(query).get(rule.query_key)
            if not found:
                continue
            ident = found[0]
        else:
            ident = m["id"]
        if rule.reserved and ident.lower() in rule.reserved:
            continue
        extra = {k: v for k, v in m.groupdict().items() if k != "id" and v}
        try:
            return make(rule.kind, rule.platform, ("@" if rule.alias else "") + ident, extra)
        except IdentifierError:
            continue
    return None


def make(kind: str, platform: str, ident: str, extra: dict | None = None) -> ParsedIdentifier:
    """Canonical identifier for an id or @handle on a platform of the given kind."""
    platform = PLATFORM_ALIASES.get(platform.strip().lower(), platform.strip().lower())
    names = PLATFORMS[kind]
    if platform not in names:
        raise IdentifierError(
            kind,
            msg(
                "unknown platform {platform!r}; expected one of {names}",
                platform=platform,
                names=", ".join(names),
            ),
        )
    ident = ident.strip()
    if kind == "app":
        return _app(platform, ident, names[platform])
    if platform == "zalo":
        return _zalo(ident)
    attributes: dict = {"platform": platform, **(extra or {})}
    if _NUMERIC.fullmatch(ident):
        attributes.update(id=ident, alias=False)
        return ParsedIdentifier(kind, f"{platform}:{ident}", f"{names[platform]} {ident}", attributes)
    handle = ident.removeprefix("@").lower()
    if not _HANDLE.fullmatch(handle):
        raise IdentifierError(
            kind,
            msg(
                "{platform}: {ident!r} is neither a numeric id nor a handle",
                platform=names[platform],
                ident=ident,
            ),
        )
    attributes.update(handle=handle, alias=True)
    return ParsedIdentifier(kind, f"{platform}:@{handle}", f"{names[platform]} @{handle}", attributes)


def _zalo(ident: str) -> ParsedIdentifier:
    # Zalo personal accounts are found by phone number; official accounts by a long numeric id.
    digits = ident.replace(" ", "")
    if re.fullmatch(r"(?:\+?84|0)\d{9,10}", digits):
        phone = parse_phone(digits)
        attributes = {"platform": "zalo", "phone": phone.value, "alias": False}
        return ParsedIdentifier(
            "social_account", f"zalo:{phone.value}", f"Zalo {phone.display}", attributes, (phone,)
        )
    if not _NUMERIC.fullmatch(digits):
        raise IdentifierError("social_account", "Zalo account must be a phone number or a numeric id")
    attributes = {"platform": "zalo", "id": digits, "alias": False}
    return ParsedIdentifier("social_account", f"zalo:{digits}", f"Zalo {digits}", attributes)


def _app(store: str, ident: str, store_name: str) -> ParsedIdentifier:
    if store == "ios":
        ident = ident.lower().removeprefix("id")
        if not _NUMERIC.fullmatch(ident):
            raise IdentifierError("app", "App Store app id must be numeric (id123456789)")
        attributes = {"store": "ios", "id": ident}
        return ParsedIdentifier("app", f"ios:{ident}", f"{store_name} id{ident}", attributes)
    # Android package names are case-sensitive, so the case is kept.
    if not _ANDROID.fullmatch(ident):
        raise IdentifierError(
            "app", msg("{ident!r} is not an Android package name (like com.example.app)", ident=ident)
        )
    attributes = {"store": "android", "id": ident}
    return ParsedIdentifier("app", f"android:{ident}", f"{store_name} {ident}", attributes)
