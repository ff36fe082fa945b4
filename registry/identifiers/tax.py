"""Vietnamese tax codes (mã số thuế)."""

import re

from stdnum import exceptions as stdnum_errors
from stdnum.vn import mst

from registry.messages import msg

from .base import IdentifierError, ParsedIdentifier
from .personal import parse_personal_id

KIND = "tax_code"
_SEPARATORS = re.compile(r"[\s.\-]")


def parse_tax_code(value: str) -> ParsedIdentifier:
    digits = _SEPARATORS.sub("", value)
    # Length and format errors never echo the input: an 11- or 12-digit string may be a personal ID.
    if not digits.isascii() or not digits.isdigit():
        raise IdentifierError(KIND, "tax code must contain digits only (spaces, dots, dashes may separate)")
    if len(digits) == 12:
        return _individual(digits)
    if len(digits) not in (10, 13):
        raise IdentifierError(
            KIND,
            msg(
                "tax code must be 10 digits, or 13 for a branch (NNNNNNNNNN-BBB), got {count} digits",
                count=len(digits),
            ),
        )
    shown = mst.format(digits)
    try:
        mst.validate(digits)  # python-stdnum decides; the messages below say why in our terms
    except stdnum_errors.InvalidComponent:
        if digits[2:9] == "0000000":
            raise IdentifierError(
                KIND, msg("tax code {code}: digits 3–9 must not all be zero", code=shown)
            ) from None
        raise IdentifierError(KIND, msg("tax code {code}: branch must be 001–999", code=shown)) from None
    except stdnum_errors.InvalidChecksum:
        expected = mst.calc_check_digit(digits)  # "10" when the weighted sum is 0 mod 11: no digit fits
        if len(expected) != 1:
            raise IdentifierError(
                KIND, msg("tax code {code}: no check digit fits the first nine digits", code=shown)
            ) from None
        raise IdentifierError(
            KIND, msg("tax code {code}: check digit should be {expected}", code=shown, expected=expected)
        ) from None
    except stdnum_errors.ValidationError as exc:
        reason = exc.message  # type: ignore[attr-defined]
        raise IdentifierError(KIND, msg("tax code {code}: {reason}", code=shown, reason=reason)) from None
    attributes: dict = {}
    if len(digits) == 13:
        attributes = {"branch": digits[10:], "head_office": digits[:10]}
    related = (ParsedIdentifier(KIND, digits[:10], digits[:10], {}),) if attributes else ()
    return ParsedIdentifier(KIND, shown, shown, attributes, related)


def _individual(digits: str) -> ParsedIdentifier:
    # Since 2025 an individual's 12-digit CCCD number serves as the tax code (REFERENCE: "(check)").
    try:
        person = parse_personal_id(digits)
    except IdentifierError as exc:
        raise IdentifierError(KIND, exc.reason) from None
    # The decoded birth data stays on the related personal_id, so it is not copied here.
    return ParsedIdentifier(KIND, digits, person.display, {"individual": True}, (person,))
