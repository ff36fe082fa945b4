import pytest

from registry.identifiers import IdentifierError, parse

SHOPS = "shopee, lazada, tiki, tiktok_shop"


@pytest.mark.parametrize(
    ("spelled", "canonical"),
    [
        ("https://example.vn", "https://example.vn/"),
        ("HTTPS://EXAMPLE.VN/Path", "https://example.vn/Path"),
        ("https://example.vn:443/a", "https://example.vn/a"),
        ("http://example.vn:80/a", "http://example.vn/a"),
        ("https://example.vn:8443/a", "https://example.vn:8443/a"),
        ("http://example.vn:443/a", "http://example.vn:443/a"),
        ("https://example.vn/a#section", "https://example.vn/a"),
        ("https://example.vn/a?", "https://example.vn/a"),
        ("https://example.vn/a?b=1&a=2", "https://example.vn/a?b=1&a=2"),
        ("https://example.vn/%7euser/%41%2f%2a", "https://example.vn/~user/A%2F%2A"),
        ("https://example.vn/a%2fb", "https://example.vn/a%2Fb"),
        ("https://example.vn/a b", "https://example.vn/a%20b"),
        ("https://example.vn/áo-thun", "https://example.vn/%C3%A1o-thun"),
        ("https://example.vn/100%", "https://example.vn/100%25"),
        ("https://example.vn/a/./b/../c", "https://example.vn/a/c"),
        ("https://example.vn/a/b/..", "https://example.vn/a/"),
        ("https://example.vn/a//b", "https://example.vn/a//b"),
        # Dot segments go in paths with empty segments too (RFC 3986 5.2.4); they were kept before.
        ("https://example.vn/a//b/../c", "https://example.vn/a//c"),
        ("https://example.vn/a//./b/.", "https://example.vn/a//b/"),
        ("https://example.vn//../x", "https://example.vn/x"),
        ("https://Bücher.VN./x", "https://xn--bcher-kva.vn/x"),
        ("https://user:pw@example.vn/", "https://example.vn/"),
        ("https://[::ffff:1.2.3.4]:8080/x", "https://1.2.3.4:8080/x"),
        ("http://[2001:DB8::1]/", "http://[2001:db8::1]/"),
        ("http://10.0.0.1/admin", "http://10.0.0.1/admin"),
        ("http:example.vn/x", "http://example.vn/x"),
        ("https:///example.vn/x", "https://example.vn/x"),
    ],
)
def test_url_normalisation(spelled, canonical):
    parsed = parse("url", spelled)
    assert parsed.value == canonical
    assert parse("url", parsed.value).value == canonical


@pytest.mark.parametrize(
    ("spelled", "canonical"),
    [
        ("example.vn/x", "http://example.vn/x"),
        ("example.vn", "http://example.vn/"),
        ("//example.vn/x", "http://example.vn/x"),
        ("example.vn:8080/x", "http://example.vn:8080/x"),
    ],
)
def test_scheme_assumed(spelled, canonical):
    parsed = parse("url", spelled)
    assert parsed.value == canonical
    assert parsed.attributes["scheme_assumed"] is True
    assert parse("url", parsed.value).attributes["scheme_assumed"] is False
    assert parse("url", parsed.value) == parsed


def test_url_display_uses_u_label_and_related_domain():
    parsed = parse("url", "https://bücher.vn/x")
    assert parsed.display == "https://bücher.vn/x"
    assert parsed.related == (parse("domain", "bücher.vn"),)
    assert parsed.attributes["host"] == "xn--bcher-kva.vn"


def test_userinfo_is_dropped_and_flagged():
    parsed = parse("url", "http://vietcombank.com.vn@evil.example.com/login")
    assert parsed.value == "http://evil.example.com/login"
    assert parsed.attributes["userinfo_dropped"] is True


def test_ip_host_related():
    parsed = parse("url", "http://[::ffff:1.2.3.4]/")
    assert [(r.kind, r.value) for r in parsed.related] == [("ip", "1.2.3.4")]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ftp://example.vn/x", "URL scheme must be http or https, got ftp"),
        ("javascript:alert(1)", "URL scheme must be http or https, got javascript"),
        ("mailto:a@example.vn", "URL scheme must be http or https, got mailto"),
        ("https://com.vn/", "URL host: domain com.vn is a public suffix, not a registrable domain"),
        ("https://example.vn:99999/", "URL port is not a number between 0 and 65535"),
        ("http://:80/x", "URL has no host"),
        ("http://1.2.3/", "URL host: not an IP address: '1.2.3'"),
    ],
)
def test_url_refusals(value, reason):
    with pytest.raises(IdentifierError) as exc:
        parse("url", value)
    assert exc.value.reason == reason


@pytest.mark.parametrize(
    ("url", "kind", "value", "alias"),
    [
        ("https://shopee.vn/shop/123456", "marketplace_shop", "shopee:123456", False),
        ("https://shopee.vn/shop/123456/", "marketplace_shop", "shopee:123456", False),
        ("shopee.vn/Ao-thun-nam-cao-cap-i.123456.7890123", "marketplace_shop", "shopee:123456", False),
        ("https://shopee.vn/%C3%81o-thun-i.123456.789?sp_atk=x", "marketplace_shop", "shopee:123456", False),
        ("https://shopee.vn/product/123456/789", "marketplace_shop", "shopee:123456", False),
        ("https://shopee.vn/Some.User_1", "marketplace_shop", "shopee:@some.user_1", True),
        ("https://www.lazada.vn/shop/abc-store/?path=index.htm", "marketplace_shop", "lazada:@abc-store",
         True),
        ("https://tiki.vn/cua-hang/abc-official", "marketplace_shop", "tiki:@abc-official", True),
        ("https://www.tiktok.com/shop/store/abc-store/7495123456789", "marketplace_shop",
         "tiktok_shop:7495123456789", False),
        ("https://shop.tiktok.com/@abc.shop", "marketplace_shop", "tiktok_shop:@abc.shop", True),
        ("https://www.facebook.com/profile.php?id=100012345678", "social_account", "facebook:100012345678",
         False),
        ("https://m.facebook.com/profile.php?id=100012345678&ref=x", "social_account",
         "facebook:100012345678", False),
        ("https://www.facebook.com/people/Nguyen-Van-A/100012345678/", "social_account",
         "facebook:100012345678", False),
        ("https://www.facebook.com/Shop.Hang.Hieu/", "social_account", "facebook:@shop.hang.hieu", True),
        ("https://fb.com/shophanghieu", "social_account", "facebook:@shophanghieu", True),
        ("https://zalo.me/0912345678", "social_account", "zalo:+84912345678", False),
        ("https://zalo.me/4318596017219372135", "social_account", "zalo:4318596017219372135", False),
        ("https://www.tiktok.com/@Some.Seller", "social_account", "tiktok:@some.seller", True),
        ("https://play.google.com/store/apps/details?id=com.example.App&hl=vi", "app",
         "android:com.example.App", False),
        ("https://apps.apple.com/vn/app/some-app/id123456789", "app", "ios:123456789", False),
        ("https://apps.apple.com/app/id123456789", "app", "ios:123456789", False),
        ("https://itunes.apple.com/us/app/x/id123456789?mt=8", "app", "ios:123456789", False),
    ],
)  # fmt: skip
def test_platform_urls(url, kind, value, alias):
    parsed = parse(kind, url)
    assert parsed.value == value
    assert parsed.attributes.get("alias", False) is alias
    assert parse(kind, parsed.value) == parsed
    from_url = parse("url", url)
    assert (kind, value) in [(r.kind, r.value) for r in from_url.related]


@pytest.mark.parametrize(
    "url",
    [
        "https://shopee.vn/search?keyword=x",
        "https://shopee.vn/cart",
        "https://shopee.vn/",
        "https://www.facebook.com/groups/123",
        "https://www.facebook.com/marketplace",
        "https://www.facebook.com/profile.php",
        "https://www.tiktok.com/foryou",
        "https://play.google.com/store/apps",
        "https://example.vn/shop/123",
    ],
)
def test_urls_that_are_not_shops_or_profiles(url):
    parsed = parse("url", url)
    assert [r.kind for r in parsed.related] == ["domain"]


def test_zalo_phone_relates_the_phone():
    parsed = parse("social_account", "zalo:0168 123 4567")
    assert parsed.value == "zalo:+84381234567"
    assert parsed.related[0].kind == "phone"


@pytest.mark.parametrize(
    ("kind", "spelled", "canonical"),
    [
        ("marketplace_shop", "shopee:123456", "shopee:123456"),
        ("marketplace_shop", "Shopee: 123456", "shopee:123456"),
        ("marketplace_shop", "shopee:@SomeUser", "shopee:@someuser"),
        ("marketplace_shop", "shopee:someuser", "shopee:@someuser"),
        ("marketplace_shop", "tiktokshop:@abc", "tiktok_shop:@abc"),
        ("marketplace_shop", "tiki:@abc-official", "tiki:@abc-official"),
        ("social_account", "facebook:100012345678", "facebook:100012345678"),
        ("social_account", "fb:@Vanity.Name", "facebook:@vanity.name"),
        ("social_account", "zalo:+84912345678", "zalo:+84912345678"),
        ("social_account", "tiktok:@abc", "tiktok:@abc"),
        ("app", "android:com.example.app", "android:com.example.app"),
        ("app", "ios:id123456789", "ios:123456789"),
        ("app", "IOS:123456789", "ios:123456789"),
    ],
)
def test_platform_spellings(kind, spelled, canonical):
    assert parse(kind, spelled).value == canonical


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("marketplace_shop", "amazon:123", f"unknown platform 'amazon'; expected one of {SHOPS}"),
        ("marketplace_shop", "facebook:123", f"unknown platform 'facebook'; expected one of {SHOPS}"),
        ("social_account", "shopee:123", "unknown platform 'shopee'; expected one of facebook, zalo, tiktok"),
        ("marketplace_shop", "https://example.vn/shop/1",
         "not a recognised marketplace_shop URL or <platform>:<id> (shopee, lazada, tiki, tiktok_shop)"),
        ("social_account", "https://shopee.vn/shop/1",
         "not a recognised social_account URL or <platform>:<id> (facebook, zalo, tiktok)"),
        ("marketplace_shop", "shopee:@bad handle!",
         "Shopee: '@bad handle!' is neither a numeric id nor a handle"),
        ("social_account", "zalo:abc", "Zalo account must be a phone number or a numeric id"),
        ("app", "ios:abc", "App Store app id must be numeric (id123456789)"),
        ("app", "android:1com.x", "'1com.x' is not an Android package name (like com.example.app)"),
        ("app", "android:nodots", "'nodots' is not an Android package name (like com.example.app)"),
        ("app", "ftp://play.google.com/x", "URL scheme must be http or https, got ftp"),
    ],
)  # fmt: skip
def test_platform_refusals(kind, value, reason):
    with pytest.raises(IdentifierError) as exc:
        parse(kind, value)
    assert exc.value.reason == reason
    assert exc.value.kind == kind
