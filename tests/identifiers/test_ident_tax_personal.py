import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.vn import mst

from registry.identifiers import IdentifierError, parse

KNOWN_VALID = ["0100109106", "0101245486", "0100233488", "0302035520"]


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(digits=st.from_regex(r"[0-9]{10}([0-9]{3})?", fullmatch=True))
def test_accepts_exactly_what_stdnum_accepts(digits):
    try:
        parse("tax_code", digits)
    except IdentifierError:
        assert not mst.is_valid(digits)
    else:
        assert mst.is_valid(digits)


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_known_valid_tax_codes_agree_with_stdnum(code):
    assert mst.is_valid(code)
    parsed = parse("tax_code", code)
    assert (parsed.value, parsed.display, parsed.attributes) == (code, code, {})
    assert not parsed.sensitive


@pytest.mark.parametrize(
    ("spelled", "canonical"),
    [
        ("0101 245 486", "0101245486"),
        ("01.01.245.486", "0101245486"),
        (" 0101-245-486 ", "0101245486"),
        ("0101245486-001", "0101245486-001"),
        ("0101245486 - 001", "0101245486-001"),
        ("0101245486001", "0101245486-001"),
        ("0100109106-999", "0100109106-999"),
    ],
)
def test_tax_code_spellings(spelled, canonical):
    assert parse("tax_code", spelled).value == canonical


def test_branch_attributes_and_head_office():
    parsed = parse("tax_code", "0101245486-012")
    assert parsed.attributes == {"branch": "012", "head_office": "0101245486"}
    assert [r.value for r in parsed.related] == ["0101245486"]


def test_wrong_check_digit_message():
    assert not mst.is_valid("0101245487")
    with pytest.raises(IdentifierError) as exc:
        parse("tax_code", "0101245487")
    assert exc.value.reason == "tax code 0101245487: check digit should be 6"
    assert (exc.value.kind, exc.value.field) == ("tax_code", "value")
    assert str(exc.value) == exc.value.reason


@pytest.mark.parametrize("code", KNOWN_VALID)
@pytest.mark.parametrize("wrong", range(10))
def test_every_wrong_check_digit_names_the_right_one(code, wrong):
    if str(wrong) == code[9]:
        return
    bad = code[:9] + str(wrong)
    assert not mst.is_valid(bad)
    with pytest.raises(IdentifierError, match=f"check digit should be {code[9]}$"):
        parse("tax_code", bad)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("0100000000", "tax code 0100000000: digits 3–9 must not all be zero"),
        ("0101245486-000", "tax code 0101245486-000: branch must be 001–999"),
        ("0101245487-001", "tax code 0101245487-001: check digit should be 6"),
        ("01012454", "tax code must be 10 digits, or 13 for a branch (NNNNNNNNNN-BBB), got 8 digits"),
        ("01012454861", "tax code must be 10 digits, or 13 for a branch (NNNNNNNNNN-BBB), got 11 digits"),
        ("010124548A", "tax code must contain digits only (spaces, dots, dashes may separate)"),
        ("０１０１２４５４８６", "tax code must contain digits only (spaces, dots, dashes may separate)"),
    ],
)
def test_tax_code_refusals(value, reason):
    with pytest.raises(IdentifierError) as exc:
        parse("tax_code", value)
    assert exc.value.reason == reason


def test_no_check_digit_fits():
    # Find nine digits whose weighted sum is divisible by 11: no tenth digit can make them valid.
    weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)

    def remainder(nine):
        return sum(w * int(d) for w, d in zip(weights, nine, strict=True)) % 11

    first = next(f"01{n:07d}" for n in range(1, 10**7) if remainder(f"01{n:07d}") == 0)
    for last in "0123456789":
        assert not mst.is_valid(first + last)
        with pytest.raises(IdentifierError, match="no check digit fits"):
            parse("tax_code", first + last)


def test_individual_tax_code_is_a_personal_id():
    parsed = parse("tax_code", "001 099 012345")
    assert parsed.value == "001099012345"
    assert parsed.attributes == {"individual": True}
    assert parsed.sensitive
    assert "012345" not in parsed.display
    assert parsed.related[0].kind == "personal_id"
    assert parsed.related[0].attributes["birth_year"] == 1999


@pytest.mark.parametrize(
    ("value", "province", "sex", "century", "year"),
    [
        ("001099012345", "001", "male", 1900, 1999),
        ("079185000123", "079", "female", 1900, 1985),
        ("038203004567", "038", "male", 2000, 2003),
        ("001305000001", "001", "female", 2000, 2005),
        ("001400000001", "001", "male", 2100, 2100),
        ("001 099 012 345", "001", "male", 1900, 1999),
        ("001.099.012.345", "001", "male", 1900, 1999),
    ],
)
def test_cccd_attributes(value, province, sex, century, year):
    attributes = {"province_code": province, "sex": sex, "birth_century": century, "birth_year": year}
    parsed = parse("personal_id", value)
    assert parsed.value == value.replace(" ", "").replace(".", "")
    assert parsed.attributes == attributes
    assert parsed.sensitive
    assert parsed.display.endswith(parsed.value[-4:])
    assert parsed.value not in parsed.display
    assert parsed.value not in repr(parsed)


def test_old_cmnd():
    parsed = parse("personal_id", "012 345 678")
    assert (parsed.value, parsed.attributes) == ("012345678", {"legacy": True})


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12345678901", "personal ID must be 12 digits (or 9 for an old ID card), got 11 digits"),
        ("1234567", "personal ID must be 12 digits (or 9 for an old ID card), got 7 digits"),
        ("1234567890123", "personal ID must be 12 digits (or 9 for an old ID card), got 13 digits"),
        ("00109901234X", "personal ID must contain digits only"),
        ("001-099-012345", "personal ID must contain digits only"),
    ],
)
def test_personal_id_refusals_never_echo_the_number(value, reason):
    with pytest.raises(IdentifierError) as exc:
        parse("personal_id", value)
    assert exc.value.reason == reason
    digits = "".join(c for c in value if c.isdigit())
    assert digits[:6] not in exc.value.reason
    assert digits[:6] not in repr(exc.value)
