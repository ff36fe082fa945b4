"""Personal ID numbers: CCCD (12 digits) and the old CMND (9 digits). Sensitive: never echo the number."""

import re

from registry.messages import msg

from .base import IdentifierError, ParsedIdentifier

KIND = "personal_id"
_SEPARATORS = re.compile(r"[\s.]")


def mask(digits: str) -> str:
    return "•" * (len(digits) - 4) + digits[-4:]


def parse_personal_id(value: str) -> ParsedIdentifier:
    digits = _SEPARATORS.sub("", value)
    if not digits.isascii() or not digits.isdigit():
        raise IdentifierError(KIND, "personal ID must contain digits only")
    if len(digits) == 9:
        return ParsedIdentifier(KIND, digits, mask(digits), {"legacy": True})
    if len(digits) != 12:
        raise IdentifierError(
            KIND,
            msg(
                "personal ID must be 12 digits (or 9 for an old ID card), got {count} digits",
                count=len(digits),
            ),
        )
    # Digit 4 encodes century and sex: 0/1 = 1900s male/female, 2/3 = 2000s, 4/5 = 2100s, ...
    code = int(digits[3])
    century = 1900 + (code // 2) * 100
    attributes = {
        "province_code": digits[:3],
        "sex": "female" if code % 2 else "male",
        "birth_century": century,
        "birth_year": century + int(digits[4:6]),
    }
    return ParsedIdentifier(KIND, digits, mask(digits), attributes)
