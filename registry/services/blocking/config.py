"""Block request configuration: deciding and oversight agencies, deadlines (registry/data/blocking.json)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from registry.services import rulefiles

RULES_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "blocking.json"


@dataclass(frozen=True)
class Rules:
    deciding_agencies: frozenset[str]
    oversight_agencies: frozenset[str]
    deadlines: dict[str, tuple[timedelta, timedelta]]  # step -> (normal, urgent)
    rpz_origin_suffix: str

    def deadline(self, step: str, urgent: bool) -> timedelta | None:
        pair = self.deadlines.get(step)
        return pair[1 if urgent else 0] if pair else None


def rules(path: str | None = None) -> Rules:
    return _load(str(path or rulefiles.current().blocking))


@functools.cache
def _load(path: str) -> Rules:
    source = Path(path)
    raw = json.loads(source.read_text(encoding="utf-8"))
    return Rules(
        deciding_agencies=frozenset(raw["deciding_agencies"]),
        oversight_agencies=frozenset(raw["oversight_agencies"]),
        deadlines={
            step: (timedelta(hours=hours["normal"]), timedelta(hours=hours["urgent"]))
            for step, hours in raw["deadlines_hours"].items()
        },
        rpz_origin_suffix=raw.get("rpz_origin_suffix", "rpz.registry.nsc389.gov.vn"),
    )
