import pytest

from registry.identifiers import IdentifierError, parse


@pytest.mark.parametrize(
    ("spelled", "canonical", "registrable", "suffix"),
    [
        ("example.vn", "example.vn", "example.vn", "vn"),
        ("EXAMPLE.VN", "example.vn", "example.vn", "vn"),
        ("example.vn.", "example.vn", "example.vn", "vn"),
        ("  www.Example.vn  ", "www.example.vn", "example.vn", "vn"),
        ("shop.abc.com.vn", "shop.abc.com.vn", "abc.com.vn", "com.vn"),
        ("abc.gov.vn", "abc.gov.vn", "abc.gov.vn", "gov.vn"),
        ("so.abc.hanoi.vn", "so.abc.hanoi.vn", "abc.hanoi.vn", "hanoi.vn"),
        ("https://Shop.ABC.com.vn./path?q=1", "shop.abc.com.vn", "abc.com.vn", "com.vn"),
        ("http://user:pw@shop.abc.com.vn:8080/", "shop.abc.com.vn", "abc.com.vn", "com.vn"),
        ("shop.abc.com.vn/path", "shop.abc.com.vn", "abc.com.vn", "com.vn"),
        ("shop.abc.com.vn:443", "shop.abc.com.vn", "abc.com.vn", "com.vn"),
        ("foo.github.io", "foo.github.io", "foo.github.io", "github.io"),
        ("example。com", "example.com", "example.com", "com"),
    ],
)
def test_domain_spellings(spelled, canonical, registrable, suffix):
    parsed = parse("domain", spelled)
    assert parsed.value == canonical
    assert parsed.attributes["registrable_domain"] == registrable
    assert parsed.attributes["suffix"] == suffix
    assert parsed.attributes["idn"] is False
    assert parsed.attributes["confusable"] is False


@pytest.mark.parametrize(
    "spelled", ["bücher.vn", "BÜCHER.VN", "xn--bcher-kva.vn", "XN--BCHER-KVA.VN", "bücher.vn."]
)
def test_idn_both_ways(spelled):
    parsed = parse("domain", spelled)
    assert parsed.value == "xn--bcher-kva.vn"
    assert parsed.display == "bücher.vn"
    assert parsed.attributes["u_label"] == "bücher.vn"
    assert parsed.attributes["idn"] is True
    assert parsed.attributes["confusable"] is False


def test_vietnamese_idn_nfc_and_nfd_agree():
    import unicodedata

    nfc = parse("domain", "phụtùng.vn")
    nfd = parse("domain", unicodedata.normalize("NFD", "phụtùng.vn"))
    assert nfc == nfd
    assert nfc.value == "xn--phtng-3ua2374c.vn"
    assert nfc.display == "phụtùng.vn"
    assert nfc.attributes["confusable"] is False


@pytest.mark.parametrize(
    ("spelled", "confusable"),
    [
        ("vietcombаnk.vn", True),  # Cyrillic а
        ("раураl.com", True),  # Cyrillic with a Latin l
        ("рау.com", True),  # all Cyrillic, every letter reads as Latin
        ("paypı.com", True),  # Latin dotless i
        ("gοogle.com", True),  # Greek omicron
        ("mìnhanh.vn", False),
        ("đồngnai.vn", False),
        ("例え.jp", False),
        ("テストabc.jp", False),
        ("пример.рф", False),
    ],
)
def test_confusable_flag(spelled, confusable):
    assert parse("domain", spelled).attributes["confusable"] is confusable


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("com.vn", "domain com.vn is a public suffix, not a registrable domain"),
        ("hanoi.vn", "domain hanoi.vn is a public suffix, not a registrable domain"),
        ("vn", "domain vn is a public suffix, not a registrable domain"),
        ("localhost", "domain localhost is a public suffix, not a registrable domain"),
        ("1.2.3.4", "1.2.3.4 is an IP address, not a domain (use kind ip)"),
        ("[2001:db8::1]", "[2001:db8::1] is an IP address, not a domain (use kind ip)"),
        ("http://10.0.0.1/x", "10.0.0.1 is an IP address, not a domain (use kind ip)"),
        ("a..vn", "domain a..vn has an empty label"),
        (".vn", "domain .vn has an empty label"),
        ("a" * 64 + ".vn", f"domain {'a' * 64}.vn: a label is longer than 63 characters"),
        ("1.2.3", "domain 1.2.3: the top-level label cannot be numeric"),
    ],
)
def test_domain_refusals(value, reason):
    with pytest.raises(IdentifierError) as exc:
        parse("domain", value)
    assert exc.value.reason == reason


def test_domain_too_long():
    name = ".".join(["a" * 60] * 5) + ".vn"
    with pytest.raises(IdentifierError, match="longer than 253"):
        parse("domain", name)


@pytest.mark.parametrize("value", ["a_b.vn", "exa mple.vn", "-abc.vn"])
def test_domain_invalid_codepoints(value):
    with pytest.raises(IdentifierError, match="is not a valid name"):
        parse("domain", value)


@pytest.mark.parametrize(
    ("spelled", "canonical", "display"),
    [
        ("Foo.Bar@Example.VN", "foo.bar@example.vn", "Foo.Bar@example.vn"),
        ("shop@bücher.vn", "shop@xn--bcher-kva.vn", "shop@bücher.vn"),
        ("mailto:Shop@ABC.com.vn", "shop@abc.com.vn", "Shop@abc.com.vn"),
        (" a+tag@gmail.com ", "a+tag@gmail.com", "a+tag@gmail.com"),
        # Internationalised local parts (RFC 6531) with combining marks: the old \w pattern refused them.
        ("สวัสดี@example.vn", "สวัสดี@example.vn", "สวัสดี@example.vn"),
        ("ស្រី@Example.VN", "ស្រី@example.vn", "ស្រី@example.vn"),
        ("Nguyễn.Văn@ví-dụ.vn", "nguyễn.văn@xn--v-d-rma6749a.vn", "Nguyễn.Văn@ví-dụ.vn"),
    ],
)
def test_email(spelled, canonical, display):
    parsed = parse("email", spelled)
    assert parsed.value == canonical
    assert parsed.display == display
    domain = canonical.rpartition("@")[2]
    assert parsed.attributes == {"domain": domain}
    assert parsed.related == (parse("domain", domain),)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("no-at-sign", "e-mail address must be local-part@domain"),
        ("@example.vn", "e-mail address must be local-part@domain"),
        ("a@", "e-mail address must be local-part@domain"),
        ("a..b@example.vn", "e-mail address: An email address cannot have two periods in a row."),
        (".a@example.vn", "e-mail address: An email address cannot start with a period."),
        (
            "a b@example.vn",
            "e-mail address: The email address contains invalid characters before the @-sign: SPACE.",
        ),
        ('"a"@example.vn', "e-mail address: Quoting the part before the @-sign is not allowed here."),
        (
            "a\u202e@example.vn",
            "e-mail address: The email address contains unsafe characters: RIGHT-TO-LEFT OVERRIDE.",
        ),
        ("a@com.vn", "e-mail domain: domain com.vn is a public suffix, not a registrable domain"),
        ("a@[1.2.3.4]", "e-mail domain must be a bare host name (IP literals are not accepted)"),
        ("a@example.vn/x", "e-mail domain must be a bare host name (IP literals are not accepted)"),
        (
            "x" * 65 + "@example.vn",
            "e-mail address: The email address is too long before the @-sign (1 character too many).",
        ),
    ],
)
def test_email_refusals(value, reason):
    with pytest.raises(IdentifierError) as exc:
        parse("email", value)
    assert exc.value.reason == reason


def _outcome(value: str) -> tuple:
    try:
        parsed = parse("domain", value)
    except IdentifierError as exc:
        return ("error", exc.reason)
    return (parsed.kind, parsed.value, parsed.display, parsed.attributes)


def test_plain_ascii_hosts_parse_as_idna_parses_them(monkeypatch):
    """The shortcut for ASCII letters, digits and hyphens (domain._plain_a_label) answers exactly as
    idna does, for hosts it takes and hosts it leaves to idna (hyphens in the 3rd and 4th places,
    `xn--` labels, underscores, labels and names too long, numeric top labels, public suffixes)."""
    import random

    from registry.identifiers import domain

    rng = random.Random(16)
    hosts = [
        "shop.vn", "SHOP-1.COM.VN", "a-b.vn", "-ab.vn", "ab-.vn", "ab--cd.vn", "xn--bcher-kva.vn",
        "XN--BCHER-KVA.vn", "xn--.vn", "a_b.vn", "123.456.vn", "shop.123", "com.vn", "vn", "a.b.c.d.e.vn",
        "a" * 63 + ".vn", "a" * 64 + ".vn",
        ".".join(["abcdefghi"] * 25) + ".vn", ".".join(["a" * 50] * 5) + ".vn",
        "bücher.vn", "Bücher.VN", "shop.vn.", "sh op.vn", "shop..vn", "*.shop.vn",
    ]  # fmt: skip
    alphabet = "abcxyzABCXYZ0189-_."
    hosts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20))) + ".vn" for _ in range(3000)]
    taken = [host for host in hosts if domain._plain_a_label(host.rstrip(".")) is not None]
    assert len(taken) > 1000  # the shortcut is tried, and most random hosts are left to idna too
    fast = [_outcome(host) for host in hosts]
    monkeypatch.setattr(domain, "_plain_a_label", lambda host: None)
    assert fast == [_outcome(host) for host in hosts]
