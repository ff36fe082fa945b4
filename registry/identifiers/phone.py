"""Phone numbers: E.164 via phonenumbers, with the 2018 renumbering of 11-digit mobiles."""

import re

import phonenumbers
from phonenumbers import carrier

from .base import IdentifierError, ParsedIdentifier

KIND = "phone"
_SEPARATORS = re.compile(r"[\s.\-()]")

# Ministry of Information and Communications, 2018: old 3-digit mobile prefixes (after the trunk 0)
# -> the new 2-digit ones.
RENUMBERED_2018 = {
    "162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37", "168": "38", "169": "39",
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",
    "186": "56", "188": "58",
    "199": "59",
}  # fmt: skip

_TYPES = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium_rate",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared_cost",
    phonenumbers.PhoneNumberType.VOIP: "voip",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    phonenumbers.PhoneNumberType.PAGER: "pager",
    phonenumbers.PhoneNumberType.UAN: "uan",
    phonenumbers.PhoneNumberType.VOICEMAIL: "voicemail",
}


def _old_mobile(compact: str) -> str | None:
    """The 10-digit national number of a pre-2018 11-digit mobile, if `compact` spells one."""
    for prefix in ("+84", "0084", "84", "0"):
        rest = compact[len(prefix) :]
        if compact.startswith(prefix) and len(rest) == 10 and rest[:3] in RENUMBERED_2018:
            return rest
    return None


def parse_phone(value: str, *, hints: bool = True) -> ParsedIdentifier:
    """The E.164 number. `hints=False` leaves out the type, carrier, region and international spelling
    (display is then the E.164 number): two thirds of a parse, for look-ups that never store it."""
    compact = _SEPARATORS.sub("", value)
    attributes: dict = {}
    old = _old_mobile(compact)
    if old is not None:
        attributes["renumbered_from"] = "+84" + old
        compact = "+84" + RENUMBERED_2018[old[:3]] + old[3:]
    try:
        number = phonenumbers.parse(compact, "VN")
    except phonenumbers.NumberParseException:
        raise IdentifierError(KIND, "not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise IdentifierError(KIND, "not a possible phone number (wrong length for its country)")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # Validity, type and carrier are hints only: ranges move and numbers are ported between carriers.
    attributes["valid"] = phonenumbers.is_valid_number(number)
    if not hints:
        return ParsedIdentifier(KIND, e164, e164, attributes)
    attributes.update(
        type=_TYPES.get(phonenumbers.number_type(number), "unknown"),
        carrier=carrier.name_for_number(number, "en") or None,
        region=phonenumbers.region_code_for_number(number),
    )
    display = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return ParsedIdentifier(KIND, e164, display, attributes)
