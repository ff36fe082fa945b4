"""Which body may order what: a configurable table, never hard-coded in the workflows."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.errors import ValidationFailed
from registry.messages import msg
from registry.services import rulefiles


def table(path: str | None = None) -> dict[str, tuple[str, ...]]:
    """The table in `path`, else in the configured file (`Settings.competence_file`)."""
    return _load(str(path or rulefiles.current().competence))


@functools.cache
def _raw(path: str) -> dict[str, Any]:
    return dict(json.loads(Path(path).read_text(encoding="utf-8")))


@functools.cache
def _load(path: str) -> dict[str, tuple[str, ...]]:
    return {
        action: tuple(codes)
        for action, codes in _raw(path).items()
        if not action.startswith("_") and isinstance(codes, list)
    }


@dataclass(frozen=True)
class Ground:
    """A legal ground for an action (e.g. criminal procedure, tax enforcement): its law, who holds it, and
    the phrases by which a cited legal basis belongs to it."""

    name: str
    law: str
    holders: tuple[str, ...]
    cites: tuple[str, ...]

    def held_by(self, agency_code: str) -> bool:
        return _matches(agency_code, self.holders)

    def cited_in(self, legal_basis: str) -> bool:
        text = legal_basis.casefold()
        return any(phrase.casefold() in text for phrase in self.cites)


def grounds(action: str, path: str | None = None) -> dict[str, Ground]:
    """The table's grounds for `action` (the `grounds` section), by name; none if it has none."""
    section = _raw(str(path or rulefiles.current().competence)).get("grounds", {}).get(action, {})
    return {
        name: Ground(name, entry["law"], tuple(entry["holders"]), tuple(entry.get("cites", ())))
        for name, entry in section.items()
        if not name.startswith("_")
    }


def _matches(agency_code: str, patterns: tuple[str, ...]) -> bool:
    return any(p == agency_code or (p.endswith("*") and agency_code.startswith(p[:-1])) for p in patterns)


def is_competent(action: str, agency_code: str, path: str | None = None) -> bool:
    return _matches(agency_code, table(path).get(action, ()))


def require_competent(
    action: str, agency_code: str, *, field: str = "decision_id", path: str | None = None
) -> None:
    """The decision's issuer must be competent for the action, else a 422 naming the field and why."""
    if action not in table(path):
        raise ValueError(f"unknown action {action!r} in the competence table")
    if not is_competent(action, agency_code, path):
        reason = f"{agency_code} is not competent to order {action.replace('_', ' ')}"
        raise ValidationFailed(
            msg(
                "The decision's issuer {agency} is not competent to order {action}.",
                agency=agency_code,
                action=action.replace("_", " "),
            ),
            errors={field: [reason]},
        )
