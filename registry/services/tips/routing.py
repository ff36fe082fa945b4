"""Which agency receives a tip: the routing table (registry/data/tips.json), data rather than code."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from registry.models import Agency
from registry.services import agencies, rulefiles


@dataclass(frozen=True)
class Rule:
    agency: str
    categories: frozenset[str] | None
    goods_groups: frozenset[str] | None

    def matches(self, category: str, goods_group: str | None) -> bool:
        return (self.categories is None or category in self.categories) and (
            self.goods_groups is None or goods_group in self.goods_groups
        )


@dataclass(frozen=True)
class Table:
    default: str
    rules: tuple[Rule, ...]


def _set(entry: dict[str, Any], name: str) -> frozenset[str] | None:
    return frozenset(entry[name]) if name in entry else None


@functools.cache
def _load(path: str) -> Table:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    rules = tuple(
        Rule(entry["agency"], _set(entry, "categories"), _set(entry, "goods_groups"))
        for entry in raw["rules"]
    )
    return Table(raw["default"], rules)


def table(path: str | None = None) -> Table:
    """The table in `path`, else in the configured file (`Settings.tip_routing_file`)."""
    return _load(str(path or rulefiles.current().tip_routing))


def route(category: str, goods_group: str | None, path: str | None = None) -> tuple[str, str]:
    """(agency code, which rule chose it: `rule:<n>` counting from 1, or `default`)."""
    found = table(path)
    for number, rule in enumerate(found.rules, start=1):
        if rule.matches(category, goods_group):
            return rule.agency, f"rule:{number}"
    return found.default, "default"


def current_agency(session: Session, code: str, today: date) -> Agency:
    """The agency of `code`, or its successor's once it was retired (merged or renamed)."""
    agency = agencies.by_code(session, code)
    seen = {agency.id}
    while agency.valid_to is not None and agency.valid_to < today and agency.successor is not None:
        agency = agency.successor
        if agency.id in seen:  # a loop in the data: stop at the last one seen
            break
        seen.add(agency.id)
    return agency
