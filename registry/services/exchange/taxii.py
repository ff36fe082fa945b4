"""The exchange as one read-only TAXII 2.1 collection: its objects, paged as the specification says.

Objects are those of the STIX export (stix.objects), each added when it was last modified
(`date_added` = `modified`: the collection is generated, so an object's current version is added when
its record last changed). Pages are in `date_added` order, then id; `next` is an opaque key of the
last object sent (its date_added and id), so a page never repeats or skips an object when the
collection changes between pages; `more` says whether another page follows. `added_after` returns
objects added after that time; `match[type]`, `match[id]` select by type and id (comma-separated);
every object has one version (its current one), so `match[version]` is not needed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry.errors import ValidationFailed
from registry.services.exchange import stix

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
COLLECTION_ID = "1f3ce6e6-8e6b-5b3a-9d0a-389000000001"  # the one collection: a fixed id partners configure
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    objects: list[Any]
    more: bool
    next: str | None
    first_added: datetime | None
    last_added: datetime | None


date_added = stix.last_modified  # the collection is generated: an object is added when last modified


def taxii_timestamp(when: datetime) -> str:
    """TAXII timestamps: RFC 3339 in UTC with the Z, to the microsecond (what added_after compares)."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _key(one: Any) -> str:
    raw = f"{taxii_timestamp(date_added(one))}|{one.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after_key(token: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        when, _, object_id = raw.partition("|")
        datetime.strptime(when, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        raise ValidationFailed(
            "Unknown next token.", errors={"next": ["not a token this server gave"]}
        ) from None
    if not object_id:
        raise ValidationFailed("Unknown next token.", errors={"next": ["not a token this server gave"]})
    return when, object_id


def select(
    found: list[Any],
    *,
    added_after: datetime | None = None,
    types: list[str] | None = None,
    ids: list[str] | None = None,
) -> list[Any]:
    """The objects matching the filters, in date_added order (then id)."""
    chosen = [
        one
        for one in found
        if (added_after is None or date_added(one) > added_after)
        and (not types or one.type in types)
        and (not ids or one.id in ids)
    ]
    return sorted(chosen, key=lambda one: (taxii_timestamp(date_added(one)), one.id))


def page(chosen: list[Any], *, limit: int, after: str | None = None) -> Page:
    """One page of `chosen` (sorted by `select`), after the object the `next` token names."""
    if after is not None:
        key = _after_key(after)
        chosen = [one for one in chosen if (taxii_timestamp(date_added(one)), one.id) > key]
    sent = chosen[:limit]
    more = len(chosen) > limit
    return Page(
        objects=sent,
        more=more,
        next=_key(sent[-1]) if more else None,
        first_added=date_added(sent[0]) if sent else None,
        last_added=date_added(sent[-1]) if sent else None,
    )


def manifest_entry(one: Any) -> dict[str, Any]:
    when = taxii_timestamp(date_added(one))
    version = taxii_timestamp(one.get("modified") or one.created)
    return {"id": one.id, "date_added": when, "version": version, "media_type": stix.MEDIA_TYPE}
