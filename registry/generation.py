"""Process-wide caches of the rows every request's access check reads, kept exact by one row.

Agencies, OAuth clients, signing keys and revoked tokens change rarely and are read by every
request. A process keeps what it derives from them (verified tokens, the verification key set, agency
codes) in a `GenerationCache`, tagged with the access generation it was read under
(`models.AccessGeneration`, replaced by triggers in the same transaction as any change to those
rows). Each session reads the generation once, before reading anything it may cache, so:

- a change committed before the read is seen at once: the generation differs and the cache is dropped;
- a change committed after the read is tagged with a generation that is already stale, and the next
  session drops it.

Nothing is pushed between processes and no entry outlives a change, however many processes there are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from itertools import chain
from typing import Any, Generic, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from registry.models import AccessGeneration, Agency, OAuthClient, RevokedToken, SigningKey

WATCHED = (Agency, OAuthClient, SigningKey, RevokedToken)
_KEY = "registry.access_generation"
_READ = select(AccessGeneration.value).where(AccessGeneration.id == 1)

K = TypeVar("K")
V = TypeVar("V")


def current(session: Session) -> str | None:
    """The access generation for this transaction: read once, and again after it changes a watched row.

    None if the row is missing: then nothing may be cached (a value that never changes would keep
    revoked tokens valid)."""
    if _KEY not in session.info:
        session.info[_KEY] = session.connection().scalar(_READ)
    return session.info[_KEY]


@event.listens_for(Session, "after_flush")
def _forget_after_own_change(session: Session, _flush: UOWTransaction) -> None:
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, WATCHED) for obj in changed):
        session.info.pop(_KEY, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_after_own_statement(state: ORMExecuteState) -> None:
    """The same for an INSERT, UPDATE or DELETE statement on a watched table run through the session."""
    mapper = state.bind_mapper
    if (
        (state.is_insert or state.is_update or state.is_delete)
        and mapper is not None
        and mapper.class_ in WATCHED
    ):
        state.session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_transaction(session: Session, _transaction: Any) -> None:
    session.info.pop(_KEY, None)


class GenerationCache(Generic[K, V]):
    """At most `size` entries, all read under one generation; a new generation empties it."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._generation: str | None = None
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, key: K) -> V | None:
        generation = current(session)
        with self._lock:
            if generation is None or generation != self._generation:
                return None
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, session: Session, key: K, value: V) -> None:
        """Keep `value`, which must have been read by `session` after its generation was."""
        generation = current(session)
        if generation is None:
            return
        with self._lock:
            if generation != self._generation:
                self._entries.clear()
                self._generation = generation
            self._entries[key] = value
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
