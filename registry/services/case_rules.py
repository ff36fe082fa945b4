"""Who may act on another agency's case (registry/data/cases.json): a configurable table, not code."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from registry.services import rulefiles

TAX_RECOVERY = "tax_recovery_agencies"  # may add the tax they recovered to a case they see
REFERRAL_RECEIVERS = "referral_receivers"  # police bodies a case may be referred to


@functools.cache
def _load(path: str) -> dict[str, tuple[str, ...]]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return {rule: tuple(codes) for rule, codes in raw.items() if not rule.startswith("_")}


def agencies(rule: str) -> tuple[str, ...]:
    return _load(str(rulefiles.current().cases))[rule]


def allows(rule: str, agency_code: str) -> bool:
    """Whether `agency_code` is listed for `rule` (a pattern ending in `*` is a code prefix)."""
    return any(
        pattern == agency_code or (pattern.endswith("*") and agency_code.startswith(pattern[:-1]))
        for pattern in agencies(rule)
    )
