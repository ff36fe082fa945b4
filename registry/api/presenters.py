"""What the blocking and freezing views still use until they dump Read schemas (issue #13); then gone."""

from __future__ import annotations

from registry.api.context import reveal
from registry.schemas.output import current

__all__ = ["agency_code", "reveal"]


def agency_code(agency_id: int | None) -> str | None:
    return current().agency_code(agency_id)
