"""Freezing configuration (registry/data/freezing.json): processors, overseers, deadlines."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from registry.auth.scopes import Scope
from registry.services import rulefiles

DEFAULT_RULES_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "freezing.json"
COMPETENCE_ACTION = "freeze_account"
CLOCK_SKEW = timedelta(minutes=5)
READ_SCOPES = (Scope.FREEZE_SUBMIT, Scope.FREEZE_PROCESS, Scope.FREEZE_EXECUTE)


@dataclass(frozen=True)
class Rules:
    processors: tuple[str, ...]
    overseers: tuple[str, ...]
    investigation_bodies: tuple[str, ...]
    procuracies: tuple[str, ...]
    urgent_issuers: tuple[str, ...]
    urgent_execution_hours: int
    dispatch_working_days: int
    execution_hours: int
    resubmit_working_days: int | None
    delay_working_days: int


@functools.cache
def _load_rules(path: str) -> Rules:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    deadlines = raw.get("deadlines", {})
    return Rules(
        processors=tuple(raw.get("processors", ("SBV",))),
        overseers=tuple(raw.get("overseers", ("NSC389",))),
        investigation_bodies=tuple(raw.get("investigation_bodies", ("MPS", "MPS-*"))),
        procuracies=tuple(raw.get("procuracies", ("SPP", "SPP-*"))),
        urgent_issuers=tuple(raw.get("urgent_issuers", ("MPS", "MPS-*", "SPC", "SPC-*"))),
        urgent_execution_hours=int(deadlines.get("urgent_execution_hours", 4)),
        dispatch_working_days=int(deadlines.get("dispatch_working_days", 0)),
        execution_hours=int(deadlines.get("execution_hours", 24)),
        resubmit_working_days=deadlines.get("resubmit_working_days"),
        delay_working_days=int(raw.get("delay_working_days", 3)),
    )


def rules() -> Rules:
    """The configured file (`Settings.freezing_file`: REGISTRY_FREEZING_FILE, else registry/data)."""
    return _load_rules(str(rulefiles.current().freezing))


def _matches(code: str, patterns: Iterable[str]) -> bool:
    return any(p == code or (p.endswith("*") and code.startswith(p[:-1])) for p in patterns)
