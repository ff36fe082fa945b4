"""Which body may order what: a configurable table, never hard-coded in the workflows."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from registry.errors import ValidationFailed
from registry.services import rulefiles


def table(path: str | None = None) -> dict[str, tuple[str, ...]]:
    """The table in `path`, else in the configured file (`Settings.competence_file`)."""
    return _load(str(path or rulefiles.current().competence))


@functools.cache
def _load(path: str) -> dict[str, tuple[str, ...]]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return {action: tuple(codes) for action, codes in raw.items() if not action.startswith("_")}


def is_competent(action: str, agency_code: str, path: str | None = None) -> bool:
    for pattern in table(path).get(action, ()):
        if pattern == agency_code or (pattern.endswith("*") and agency_code.startswith(pattern[:-1])):
            return True
    return False


def require_competent(
    action: str, agency_code: str, *, field: str = "decision_id", path: str | None = None
) -> None:
    """The decision's issuer must be competent for the action, else a 422 naming the field and why."""
    if action not in table(path):
        raise ValueError(f"unknown action {action!r} in the competence table")
    if not is_competent(action, agency_code, path):
        reason = f"{agency_code} is not competent to order {action.replace('_', ' ')}"
        raise ValidationFailed(f"The decision's issuer {reason}.", errors={field: [reason]})
