"""Block request configuration: deciding agencies per action, oversight agencies, the social platforms
never blocked whole, deadlines (registry/data/blocking.json)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from registry.services import rulefiles

RULES_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "blocking.json"


ACTIONS = ("block_at_isp", "suspend_domain", "remove_listing")


@dataclass(frozen=True)
class Rules:
    deciders: dict[str, frozenset[str]]  # action -> the agencies that decide it
    oversight_agencies: frozenset[str]
    deadlines: dict[str, tuple[timedelta, timedelta]]  # step -> (normal, urgent)
    rpz_origin_suffix: str
    platform_domains: dict[str, str] = field(default_factory=dict)  # A-label domain -> platform name

    @property
    def deciding_agencies(self) -> frozenset[str]:
        """Every agency that decides some action (they see every request but others' drafts)."""
        return frozenset().union(*self.deciders.values())

    def deciders_of(self, action: str) -> frozenset[str]:
        return self.deciders.get(action, frozenset())

    def social_platform(self, domain: str) -> str | None:
        """The social platform whose domain `domain` is or lies under (facebook.com, m.facebook.com)."""
        labels = domain.split(".")
        for start in range(len(labels) - 1):
            found = self.platform_domains.get(".".join(labels[start:]))
            if found:
                return found
        return None

    def deadline(self, step: str, urgent: bool) -> timedelta | None:
        pair = self.deadlines.get(step)
        return pair[1 if urgent else 0] if pair else None


def rules(path: str | None = None) -> Rules:
    return _load(str(path or rulefiles.current().blocking))


@functools.cache
def _load(path: str) -> Rules:
    source = Path(path)
    raw = json.loads(source.read_text(encoding="utf-8"))
    deciding = raw["deciding_agencies"]
    if isinstance(deciding, list):  # one list: those agencies decide every action
        deciding = dict.fromkeys(ACTIONS, deciding)
    return Rules(
        deciders={action: frozenset(codes) for action, codes in deciding.items()},
        platform_domains={
            domain.lower(): platform
            for platform, domains in raw.get("platform_domains", {}).items()
            for domain in domains
        },
        oversight_agencies=frozenset(raw["oversight_agencies"]),
        deadlines={
            step: (timedelta(hours=hours["normal"]), timedelta(hours=hours["urgent"]))
            for step, hours in raw["deadlines_hours"].items()
        },
        rpz_origin_suffix=raw.get("rpz_origin_suffix", "rpz.registry.nsc389.gov.vn"),
    )
