"""The pieces of a seller's history that the workflows contribute (services.history gathers them)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Event:
    at: datetime
    kind: str
    id: uuid.UUID
    agency: str | None
    summary: str


@dataclass
class Section:
    name: str
    items: list[Any]
    events: list[Event] = field(default_factory=list)


# fn(session, *, principal, subject, identifier_ids) -> Section
SectionReader = Callable[..., Section]
