"""The bank directory (NAPAS BINs, from data) and bank account identifiers. Account numbers are sensitive."""

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from registry.messages import msg

from .base import IdentifierError, ParsedIdentifier

KIND = "bank_account"
_SEPARATORS = re.compile(r"[\s.\-_]")

# Spellings people use that are not VietQR codes: stock tickers and old or popular names.
# Targets are VietQR codes from the data file; an alias never shadows a real code or BIN.
ALIASES = {
    "CTG": "ICB", "VTB": "ICB", "VIETINBANK": "ICB",
    "AGRIBANK": "VBA", "AGR": "VBA",
    "BID": "BIDV",
    "MBB": "MB",
    "SSB": "SEAB",
    "SGB": "SGICB",
    "NVB": "NCB",
    "VIETCOMBANK": "VCB", "TECHCOMBANK": "TCB", "SACOMBANK": "STB", "EXIMBANK": "EIB",
}  # fmt: skip


@dataclass(frozen=True)
class Bank:
    bin: str
    code: str
    short_name: str
    name: str


def _key(s: str) -> str:
    return _SEPARATORS.sub("", s).upper()


@cache
def _directory() -> tuple[tuple[Bank, ...], dict[str, Bank]]:
    source = resources.files("registry").joinpath("data/vn-banks.csv")
    with io.TextIOWrapper(source.open("rb"), encoding="utf-8", newline="") as f:
        rows = tuple(
            Bank(r["bin"].strip(), r["code"].strip(), r["short_name"].strip(), r["name"].strip())
            for r in csv.DictReader(f)
        )
    index: dict[str, Bank] = {}
    # Later loops never overwrite: BIN and code win over names, names over hand-written aliases.
    for bank in rows:
        index.setdefault(bank.bin, bank)
        index.setdefault(_key(bank.code), bank)
    for bank in rows:
        index.setdefault(_key(bank.short_name), bank)
    by_code = {b.code: b for b in rows}
    for alias, code in ALIASES.items():
        if code in by_code:
            index.setdefault(alias, by_code[code])
    return rows, index


def lookup(bin_or_code: str) -> Bank | None:
    """The bank for a BIN, VietQR code, short name or common alias (case-insensitive)."""
    return _directory()[1].get(_key(bin_or_code))


def all() -> list[Bank]:  # shadows the builtin on purpose: the published API is banks.all()
    return list(_directory()[0])


def parse_bank_account(value: str) -> ParsedIdentifier:
    bank_part, sep, account_part = value.partition(":")
    if not sep:
        raise IdentifierError(KIND, "bank account must be spelled <bank BIN or code>:<account number>")
    # The account is checked first so that a reversed spelling (number:bank) never echoes the number.
    account = _SEPARATORS.sub("", account_part)
    if not account:
        raise IdentifierError(KIND, "bank account number is empty")
    if not account.isascii() or not account.isdigit():
        raise IdentifierError(KIND, "bank account number must contain digits only")
    if not 6 <= len(account) <= 19:
        raise IdentifierError(
            KIND, msg("bank account number must be 6–19 digits, got {count} digits", count=len(account))
        )
    bank_key = _key(bank_part)
    if not bank_key:
        raise IdentifierError(KIND, "bank is missing before ':'")
    bank = lookup(bank_key)
    if bank is None:
        if bank_key.isdigit() and len(bank_key) != 6:
            raise IdentifierError(
                KIND, msg("bank BIN must be 6 digits, got {count} digits", count=len(bank_key))
            )
        if len(bank_key) > 12:
            raise IdentifierError(KIND, "unknown bank (bank code too long)")
        raise IdentifierError(KIND, msg("unknown bank {bank}", bank=bank_key))
    attributes = {
        "bin": bank.bin,
        "bank_code": bank.code,
        "bank_name": bank.name,
        "bank_short_name": bank.short_name,
        "last4": account[-4:],
    }
    return ParsedIdentifier(KIND, f"{bank.bin}:{account}", f"{bank.code} ••••{account[-4:]}", attributes)
