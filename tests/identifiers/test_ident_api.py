import json
import random

import pytest

from registry.identifiers import KINDS, SENSITIVE_KINDS, IdentifierError, ParsedIdentifier, parse

SAMPLES = {
    "tax_code": ["0100109106", "0101 245 486", "0101245486-001", "0302.035.520", "001099012345"],
    "personal_id": ["001099012345", "001 305 000 001", "012345678"],
    "phone": ["0912 345 678", "+84 24 3825 3535", "01681234567", "+16502530000"],
    "email": ["Foo.Bar@Example.VN", "shop@bücher.vn", "mailto:a@abc.com.vn"],
    "bank_account": ["VCB:0011 0012 3456", "CTG:123456789", "AGRIBANK:1234-5678-9012", "970418:12345678"],
    "domain": ["Shop.ABC.com.vn.", "bücher.vn", "xn--bcher-kva.vn", "phụtùng.vn", "https://x.hanoi.vn/a",
               "vietcombаnk.vn"],
    "url": ["Shopee.vn/Shop/123?x=%7e#f", "https://[::ffff:1.2.3.4]:443/a/./b", "https://bücher.vn/áo thun",
            "example.vn:8080", "https://www.facebook.com/profile.php?id=1", "http://a.com.vn/%2f%7E?q=%c3%a1"],
    "ip": ["::ffff:1.2.3.4", "2001:0DB8::1", "10.0.0.1"],
    "ip_range": ["10.1.2.3/8", "::ffff:1.2.3.0/120", "2001:db8::1/64", "1.2.3.4"],
    "marketplace_shop": ["shopee:123", "https://shopee.vn/x-i.1.2", "tiki.vn/cua-hang/abc", "shopee:@User"],
    "social_account": ["fb:@Some.One", "https://zalo.me/0912345678", "tiktok.com/@ABC", "facebook:1000"],
    "app": ["android:com.example.app", "https://apps.apple.com/vn/app/x/id42", "ios:id42"],
}  # fmt: skip


def test_kinds_are_the_published_tuple():
    assert KINDS == ("tax_code", "personal_id", "phone", "email", "bank_account", "domain", "url", "ip",
                     "ip_range", "marketplace_shop", "social_account", "app")  # fmt: skip
    assert frozenset({"personal_id", "bank_account"}) == SENSITIVE_KINDS
    assert set(SAMPLES) == set(KINDS)


@pytest.mark.parametrize(("kind", "value"), [(k, v) for k, vs in SAMPLES.items() for v in vs])
def test_idempotent_and_serialisable(kind, value):
    first = parse(kind, value)
    again = parse(kind, first.value)
    assert again == first
    assert again.value == first.value
    third = parse(kind, again.value)
    assert (third.value, third.display) == (again.value, again.display)
    assert first.kind == kind
    json.dumps(first.attributes)
    for related in first.related:
        assert isinstance(related, ParsedIdentifier)
        assert parse(related.kind, related.value) == related
        json.dumps(related.attributes)
    assert first.sensitive is (kind in SENSITIVE_KINDS or bool(first.attributes.get("individual")))


def test_equality_is_by_kind_and_value():
    assumed = parse("url", "example.vn/x")
    explicit = parse("url", "http://example.vn/x")
    assert assumed == explicit
    assert hash(assumed) == hash(explicit)
    assert assumed.attributes != explicit.attributes
    assert len({assumed, explicit}) == 1
    assert parse("ip", "1.2.3.4") != parse("ip_range", "1.2.3.4")


def test_frozen():
    parsed = parse("ip", "1.2.3.4")
    with pytest.raises(AttributeError):
        parsed.value = "5.6.7.8"


@pytest.mark.parametrize("kind", ["nope", "", "TAX_CODE", None])
def test_unknown_kind(kind):
    with pytest.raises(IdentifierError) as exc:
        parse(kind, "x")
    assert exc.value.field == "kind"
    assert exc.value.reason == f"unknown identifier kind {kind!r}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_empty(kind, value):
    with pytest.raises(IdentifierError) as exc:
        parse(kind, value)
    assert exc.value.reason == "value is empty"
    assert exc.value.kind == kind


def test_not_a_string_and_too_long():
    with pytest.raises(IdentifierError, match="value must be a string, got int"):
        parse("phone", 912345678)
    with pytest.raises(IdentifierError, match="longer than 4096"):
        parse("url", "http://example.vn/" + "a" * 5000)


def test_identifier_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse("ip", "nope")


def _sensitive_garbage(rng):
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 25)))
    spelled = rng.choice([digits, " ".join(digits), digits + "x", "x" + digits, digits.replace("5", ".")])
    return "".join(c for c in spelled if c.isdigit()), spelled


@pytest.mark.parametrize("seed", range(40))
def test_sensitive_errors_never_echo_numbers(seed):
    rng = random.Random(seed)
    for _ in range(50):
        digits, spelled = _sensitive_garbage(rng)
        candidates = [
            ("personal_id", spelled),
            # Only a 10- or 13-digit tax code (public business data) may be echoed.
            *([("tax_code", spelled)] if len(digits) not in (10, 13) else []),
            ("bank_account", f"VCB:{spelled}"),
            ("bank_account", f"{spelled}:VCB"),
            ("bank_account", spelled),
        ]
        for kind, value in candidates:
            try:
                parsed = parse(kind, value)
            except IdentifierError as exc:
                if len(digits) >= 6:
                    assert digits[-6:] not in exc.reason
                    assert digits[-6:] not in repr(exc)
            else:
                if parsed.sensitive:
                    assert len(digits) < 6 or digits[-6:] not in parsed.display
                    assert "<redacted>" in repr(parsed)
