import pytest

from registry.identifiers import IdentifierError, banks, parse
from registry.identifiers.phone import RENUMBERED_2018


@pytest.mark.parametrize(
    "spelled",
    ["0912345678", "0912 345 678", "0912.345.678", "091-234-5678", "+84912345678", "+84 912 345 678",
     "84912345678", "(+84) 912345678", "0084912345678"],
)  # fmt: skip
def test_mobile_spellings(spelled):
    parsed = parse("phone", spelled)
    assert parsed.value == "+84912345678"
    assert parsed.display == "+84 912 345 678"
    assert parsed.attributes["valid"] is True
    assert parsed.attributes["type"] == "mobile"
    assert "renumbered_from" not in parsed.attributes


def test_fixed_line_and_foreign():
    hanoi = parse("phone", "024 3825 3535")
    assert hanoi.value == "+842438253535"
    assert hanoi.attributes["type"] in ("fixed_line", "fixed_line_or_mobile")
    assert parse("phone", "+1 650-253-0000").value == "+16502530000"


def test_carrier_is_a_hint():
    assert parse("phone", "0381234567").attributes["carrier"] == "Viettel"
    assert parse("phone", "024 3825 3535").attributes["carrier"] is None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("0168 123 4567", "+84381234567"),
        ("01621234567", "+84321234567"),
        ("+84 169 123 4567", "+84391234567"),
        ("841201234567", "+84701234567"),
        ("01211234567", "+84791234567"),
        ("01221234567", "+84771234567"),
        ("01261234567", "+84761234567"),
        ("01281234567", "+84781234567"),
        ("01231234567", "+84831234567"),
        ("01241234567", "+84841234567"),
        ("01251234567", "+84851234567"),
        ("01271234567", "+84811234567"),
        ("01291234567", "+84821234567"),
        ("01861234567", "+84561234567"),
        ("01881234567", "+84581234567"),
        ("01991234567", "+84591234567"),
    ],
)
def test_2018_renumbering(old, new):
    parsed = parse("phone", old)
    assert parsed.value == new
    digits = "".join(c for c in old if c.isdigit())
    assert parsed.attributes["renumbered_from"] == "+84" + digits[-10:]
    assert parse("phone", parsed.value) == parsed


def test_renumbering_table_is_complete():
    assert len(RENUMBERED_2018) == 21  # 8 + 5 + 5 + 2 + 1
    assert len(set(RENUMBERED_2018.values())) == 21


@pytest.mark.parametrize("value", ["12", "0912", "09123456789012345", "abc", "+84"])
def test_impossible_phones(value):
    with pytest.raises(IdentifierError) as exc:
        parse("phone", value)
    assert exc.value.kind == "phone"
    assert exc.value.reason in (
        "not a phone number",
        "not a possible phone number (wrong length for its country)",
    )


@pytest.mark.parametrize(
    ("key", "bin_"),
    [("970436", "970436"), ("VCB", "970436"), ("vcb", "970436"), ("Vietcombank", "970436"),
     ("CTG", "970415"), ("ctg", "970415"), ("ICB", "970415"), ("VietinBank", "970415"), ("VTB", "970415"),
     ("AGRIBANK", "970405"), ("Agribank", "970405"), ("VBA", "970405"), ("970405", "970405"),
     ("BIDV", "970418"), ("BID", "970418"), ("TCB", "970407"), ("MBB", "970422"), ("MB", "970422"),
     ("CAKE", "546034"), ("HSBC", "458761"), ("MoMo", "971025"), (" momo ", "971025"),
     ("PVcomBank Pay", "971133")],
)  # fmt: skip
def test_bank_lookup(key, bin_):
    bank = banks.lookup(key)
    assert bank is not None
    assert bank.bin == bin_


def test_bank_lookup_unknown_and_all():
    assert banks.lookup("NOPE") is None
    assert banks.lookup("") is None
    everything = banks.all()
    assert len(everything) == 65
    assert len({b.bin for b in everything}) == len(everything)
    assert len({b.code for b in everything}) == len(everything)


def test_aliases_never_shadow_real_codes():
    for bank in banks.all():
        assert banks.lookup(bank.code) == bank
        assert banks.lookup(bank.bin) == bank


@pytest.mark.parametrize(
    "spelled",
    ["VCB:0011 0012 3456", "970436:001100123456", "vcb:0011.0012.3456", "Vietcombank:0011-0012-3456",
     " VCB : 001100123456 "],
)  # fmt: skip
def test_bank_account_spellings(spelled):
    parsed = parse("bank_account", spelled)
    assert parsed.value == "970436:001100123456"
    assert parsed.display == "VCB ••••3456"
    assert parsed.attributes["bin"] == "970436"
    assert parsed.attributes["bank_code"] == "VCB"
    assert parsed.attributes["bank_name"] == "Ngân hàng TMCP Ngoại Thương Việt Nam"
    assert parsed.attributes["last4"] == "3456"
    assert parsed.sensitive
    assert "001100123456" not in repr(parsed)


@pytest.mark.parametrize(
    ("alias", "code"),
    [("CTG", "ICB"), ("ICB", "ICB"), ("AGRIBANK", "VBA"), ("VBA", "VBA"), ("970405", "VBA")],
)
def test_bank_account_aliases(alias, code):
    parsed = parse("bank_account", f"{alias}:123456789")
    assert parsed.attributes["bank_code"] == code
    assert parsed.display == f"{code} ••••6789"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("0011001234567", "bank account must be spelled <bank BIN or code>:<account number>"),
        ("VCB:12345", "bank account number must be 6–19 digits, got 5 digits"),
        ("VCB:12345678901234567890", "bank account number must be 6–19 digits, got 20 digits"),
        ("VCB:00110012345A", "bank account number must contain digits only"),
        ("VCB:", "bank account number is empty"),
        (":001100123456", "bank is missing before ':'"),
        ("XYZ:001100123456", "unknown bank XYZ"),
        ("123456:001100123456", "unknown bank 123456"),
        ("97043:001100123456", "bank BIN must be 6 digits, got 5 digits"),
        ("001100123456:VCB", "bank account number must contain digits only"),
    ],
)
def test_bank_account_refusals_never_echo_the_number(value, reason):
    with pytest.raises(IdentifierError) as exc:
        parse("bank_account", value)
    assert exc.value.reason == reason
    assert "0011001234" not in exc.value.reason


def test_a_phone_parsed_without_hints_has_the_same_key_and_validity():
    """`parse(..., hints=False)` (bulk screening) answers the same number, validity and renumbering, or
    the same error, as a full parse; only the hints and the international spelling are left out."""
    import random

    rng = random.Random(16)
    values = ["0912345678", "+84 912 345 678", "0168 123 4567", "024 3825 1234", "+1 650 253 0000",
              "0100109107", "12", "abc", "+84-91-234", "(024) 3825-1234", "0084 912 345 678",
              "1900 1234"]  # fmt: skip
    values += [f"0{rng.randint(10**8, 10**10 - 1)}" for _ in range(300)]
    for value in values:
        try:
            full = parse("phone", value)
        except IdentifierError as exc:
            with pytest.raises(IdentifierError) as raised:
                parse("phone", value, hints=False)
            assert raised.value.reason == exc.reason
            continue
        light = parse("phone", value, hints=False)
        assert (light.kind, light.value, light.display) == (full.kind, full.value, full.value)
        assert light.sensitive is full.sensitive is False
        kept = ("valid", "renumbered_from")
        assert light.attributes == {k: v for k, v in full.attributes.items() if k in kept}
        assert "carrier" in full.attributes and "type" in full.attributes
