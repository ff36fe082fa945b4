import unicodedata

import pytest

from registry.identifiers import IdentifierError, fold_name, ip_in_range, nfc, parse


@pytest.mark.parametrize(
    ("spelled", "canonical", "version", "private"),
    [
        ("1.2.3.4", "1.2.3.4", 4, False),
        (" 10.0.0.1 ", "10.0.0.1", 4, True),
        ("192.168.1.1", "192.168.1.1", 4, True),
        ("::ffff:1.2.3.4", "1.2.3.4", 4, False),
        ("::FFFF:10.0.0.1", "10.0.0.1", 4, True),
        ("[2001:DB8::1]", "2001:db8::1", 6, True),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", 6, True),
        ("2606:4700::1111", "2606:4700::1111", 6, False),
    ],
)
def test_ip(spelled, canonical, version, private):
    parsed = parse("ip", spelled)
    assert parsed.value == canonical
    assert parsed.attributes["version"] == version
    assert parsed.attributes["private"] is private
    assert parsed.attributes["global"] is not private


@pytest.mark.parametrize("value", ["010.1.1.1", "1.2.3", "256.1.1.1", "1.2.3.4/24", "example.vn", "::g"])
def test_ip_refusals(value):
    with pytest.raises(IdentifierError) as exc:
        parse("ip", value)
    assert exc.value.reason == f"not an IP address: {value!r}"


@pytest.mark.parametrize(
    ("spelled", "canonical", "cleared", "count", "first", "last"),
    [
        ("10.0.0.0/8", "10.0.0.0/8", False, 16777216, "10.0.0.0", "10.255.255.255"),
        ("10.1.2.3/8", "10.0.0.0/8", True, 16777216, "10.0.0.0", "10.255.255.255"),
        ("192.168.1.77/24", "192.168.1.0/24", True, 256, "192.168.1.0", "192.168.1.255"),
        ("1.2.3.4/32", "1.2.3.4/32", False, 1, "1.2.3.4", "1.2.3.4"),
        ("1.2.3.4", "1.2.3.4/32", False, 1, "1.2.3.4", "1.2.3.4"),
        ("192.168.1.0/255.255.255.0", "192.168.1.0/24", False, 256, "192.168.1.0", "192.168.1.255"),
        ("::ffff:1.2.3.0/120", "1.2.3.0/24", False, 256, "1.2.3.0", "1.2.3.255"),
        ("2001:db8::/32", "2001:db8::/32", False, str(2**96), "2001:db8::", "2001:db8" + ":ffff" * 6),
        ("2001:db8::1/64", "2001:db8::/64", True, str(2**64), "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff"),
        ("2001:db8::1/128", "2001:db8::1/128", False, "1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_ip_range(spelled, canonical, cleared, count, first, last):
    parsed = parse("ip_range", spelled)
    assert parsed.value == canonical
    assert parsed.attributes.get("host_bits_cleared", False) is cleared
    assert parsed.attributes["num_addresses"] == count
    assert (parsed.attributes["first"], parsed.attributes["last"]) == (first, last)
    assert parsed.attributes["version"] == (6 if ":" in canonical else 4)


@pytest.mark.parametrize("value", ["10.0.0.0/33", "10.0.0.0/-1", "010.0.0.0/8", "nonsense", "2001:db8::/129"])
def test_ip_range_refusals(value):
    with pytest.raises(IdentifierError) as exc:
        parse("ip_range", value)
    assert exc.value.reason == f"not a CIDR range: {value!r}"


@pytest.mark.parametrize(
    ("ip", "cidr", "inside"),
    [
        ("10.1.2.3", "10.0.0.0/8", True),
        ("11.0.0.1", "10.0.0.0/8", False),
        ("::ffff:10.1.2.3", "10.0.0.0/8", True),
        ("10.1.2.3", "::ffff:10.0.0.0/104", True),
        ("1.2.3.4", "1.2.3.4/32", True),
        ("1.2.3.5", "1.2.3.4/32", False),
        ("2001:db8::1", "2001:db8::/32", True),
        ("2001:db8::1", "10.0.0.0/8", False),
        ("10.0.0.1", "2001:db8::/32", False),
        ("10.1.2.3", "10.1.2.99/24", True),
    ],
)
def test_ip_in_range(ip, cidr, inside):
    assert ip_in_range(ip, cidr) is inside


def test_ip_in_range_refuses_garbage():
    with pytest.raises(IdentifierError):
        ip_in_range("not-an-ip", "10.0.0.0/8")


@pytest.mark.parametrize(
    "spelled",
    [
        "Nguyễn Văn Đức",
        "NGUYỄN VĂN ĐỨC",
        "NGUYEN VAN DUC",
        "nguyen van duc",
        "  Nguyễn   Văn\tĐức ",
        unicodedata.normalize("NFD", "Nguyễn Văn Đức"),
        "Nguyen\u00a0Van Duc",
    ],
)
def test_fold_name(spelled):
    assert fold_name(spelled) == "nguyen van duc"


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Công ty TNHH Thương mại Điện tử ABC", "cong ty tnhh thuong mai dien tu abc"),
        ("Đặng Thị Hồng Nhung", "dang thi hong nhung"),
        ("Hộ kinh doanh Phở Đường Phố", "ho kinh doanh pho duong pho"),
        ("", ""),
    ],
)
def test_fold_name_more(name, folded):
    assert fold_name(name) == folded
    assert fold_name(folded) == folded


def test_nfc():
    nfd = unicodedata.normalize("NFD", "Nguyễn  Văn\nĐức ")
    assert nfc(nfd) == "Nguyễn Văn Đức"
    assert unicodedata.is_normalized("NFC", nfc(nfd))
    assert nfc(nfc(nfd)) == nfc(nfd)
