"""Abuse limits: per-client request rates and request body sizes.

A client's requests are counted together, whatever the endpoint, in fixed-window counters of the
`limits` library: in process memory (`memory://`, each worker on its own) or in Redis (`redis://`, the
workers of every host together, as production runs; deploy/env.example). A request without a valid
token is counted against its remote address. The check runs before the view, so it verifies the
bearer token itself and leaves the principal for `RegistryState.authenticate`, which then does not
verify it again.

`limits` is used directly, not through Flask-Limiter: the registry has one limit for every route,
and Flask-Limiter's per-request bookkeeping for route, blueprint and method limits cost 13% of the
instructions of a seller history (bench/README.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask.typing import ResponseReturnValue
from limits import RateLimitItem, parse
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import RequestEntityTooLarge

from registry.api import context
from registry.api.problems import problem
from registry.config import ConfigError, Settings
from registry.errors import RegistryError
from registry.messages import msg

F = TypeVar("F", bound=Callable[..., Any])
NAMESPACE = "registry"
STORAGE_TIMEOUT = 1.0  # seconds to connect to, or hear from, the shared storage (Redis) before counting alone
RETRY_STORAGE_AFTER = 10.0  # seconds of counting alone after a failure before asking the storage again

log = logging.getLogger(__name__)


def max_body(nbytes: int | Callable[[Settings], int]) -> Callable[[F], F]:
    """Let one view accept bodies up to `nbytes` (e.g. decision documents) instead of max_body_bytes;
    or up to what `nbytes(settings)` says, for a limit that follows a setting (a tip's attachments)."""

    def decorator(view: F) -> F:
        view.max_body_bytes = nbytes  # type: ignore[attr-defined]
        return view

    return decorator


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def rate_limit_key() -> str:
    principal = g.get("principal")
    if principal is None and (token := _bearer()):
        try:
            principal = context.app_state().authenticate(context.db(), token)
        except RegistryError:
            principal = None  # the view answers 401; meanwhile the address pays
    if principal is not None:
        return f"client:{principal.issuer or ''}:{principal.client_id}"
    return f"addr:{request.remote_addr or 'unknown'}"


# Not counted: static files, and the health checks a load balancer polls (registry/api/health.py),
# which must never be refused with a 429 nor look a token up in the database, and Prometheus's scrape.
UNCOUNTED_ENDPOINTS = frozenset({"static", "health.healthz", "health.readyz", "metrics.metrics"})

BATCH = 10  # requests a process counts before adding them to the shared storage in one call
BATCH_SECONDS = 0.25  # ... or after this long, whichever comes first
BATCHED_KEYS = 10_000  # clients and addresses a process keeps a batch for (the least recent go first)


class _Batch:
    __slots__ = ("counted", "flushed_at", "pending")

    def __init__(self, now: float) -> None:
        self.pending = 0  # counted here, not yet in the shared storage
        self.counted = 0  # the shared count its last call returned (every process's requests)
        self.flushed_at = now


class RateLimits:
    """One fixed-window limit per client for the whole API, checked before every routed request.

    With a shared storage (Redis) each process adds its requests in batches: one call for BATCH requests
    or BATCH_SECONDS, whichever comes first, and a call on every request once the shared count is
    within BATCH of the limit. A request is refused when the shared count plus this process's pending
    ones is over the limit; a client near its limit is counted exactly, and far from it every process
    can be up to BATCH - 1 requests ahead of what the others see (one Redis round trip in ten instead
    of one per request, bench/README.md). `memory://` counts every request at once.

    If the shared storage fails (Redis down, or silent for STORAGE_TIMEOUT), each process counts in its
    own memory for RETRY_STORAGE_AFTER seconds before it asks again, and says so in the log once a
    minute: the registry stays up, no request waits on a dead Redis more than once in that time, and
    every worker still enforces the limit on its own.
    """

    def __init__(self, rate: str, storage_uri: str, batch: int | None = None) -> None:
        try:
            self.limit: RateLimitItem = parse(rate)
            storage = storage_from_string(
                storage_uri,
                wrap_exceptions=True,
                socket_connect_timeout=STORAGE_TIMEOUT,  # Redis options; memory:// ignores them
                socket_timeout=STORAGE_TIMEOUT,
            )
        except (ValueError, ConfigurationError) as exc:
            raise ConfigError(
                f"REGISTRY_RATE_LIMIT or REGISTRY_RATE_LIMIT_STORAGE is not valid: {exc}"
            ) from exc
        self._shared = FixedWindowRateLimiter(storage)
        self._batch = batch if batch is not None else (1 if isinstance(storage, MemoryStorage) else BATCH)
        self._batches: OrderedDict[str, _Batch] = OrderedDict()
        self._batches_lock = threading.Lock()  # a threaded server's requests share the batches
        self._local: FixedWindowRateLimiter | None = None  # made on the shared storage's first failure
        self._warned_at = -60.0
        self._alone_until = -1.0

    def _hit(self, key: str) -> tuple[bool, float]:
        """Count one request: (allowed, when the window resets), in the shared storage if it answers."""
        if time.monotonic() >= self._alone_until:
            try:
                if self._batched_hit(key):
                    return True, 0.0
                return False, self._shared.get_window_stats(self.limit, NAMESPACE, key).reset_time
            except StorageError as exc:
                now = time.monotonic()
                self._alone_until = now + RETRY_STORAGE_AFTER
                if now - self._warned_at >= 60:  # once a minute, not once a request
                    self._warned_at = now
                    failure = type(exc.storage_error).__name__
                    log.warning("rate-limit storage failed (%s); counting in this process", failure)
        if self._local is None:
            self._local = FixedWindowRateLimiter(MemoryStorage())
        if self._local.hit(self.limit, NAMESPACE, key):
            return True, 0.0
        return False, self._local.get_window_stats(self.limit, NAMESPACE, key).reset_time

    def _batched_hit(self, key: str) -> bool:
        """Count one request, adding this process's pending ones to the shared count when due."""
        if self._batch == 1:
            return self._shared.hit(self.limit, NAMESPACE, key)
        with self._batches_lock:
            return self._batched_hit_locked(key)

    def _batched_hit_locked(self, key: str) -> bool:
        now = time.monotonic()
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = _Batch(now)
            if len(self._batches) > BATCHED_KEYS:
                self._flush(*self._batches.popitem(last=False))
        else:
            self._batches.move_to_end(key)
        batch.pending += 1
        if (
            batch.pending >= self._batch
            or now - batch.flushed_at >= BATCH_SECONDS
            or batch.counted + self._batch >= self.limit.amount
        ):
            self._flush(key, batch)
            batch.flushed_at = now
        return batch.counted + batch.pending <= self.limit.amount

    def _flush(self, key: str, batch: _Batch) -> None:
        if batch.pending:
            storage_key = self.limit.key_for(NAMESPACE, key)
            expiry = self.limit.get_expiry()
            batch.counted = self._shared.storage.incr(storage_key, expiry, amount=batch.pending)
            batch.pending = 0

    def storage_state(self) -> str:
        """For /readyz: `memory` (each process counts alone by configuration), `ok` (the shared storage
        answers a ping within STORAGE_TIMEOUT) or `unreachable` (each process counts alone meanwhile)."""
        storage = self._shared.storage
        if isinstance(storage, MemoryStorage):
            return "memory"
        return "ok" if storage.check() else "unreachable"

    def check(self) -> ResponseReturnValue | None:
        """A before_request hook: None to go on, or the 429 problem."""
        if request.endpoint is None or request.endpoint in UNCOUNTED_ENDPOINTS:
            return None  # unrouted (404), static files and health checks are not counted
        allowed, reset_at = self._hit(rate_limit_key())
        if allowed:
            return None
        retry_after = max(1, int(reset_at - time.time()))
        response = problem(
            429,
            detail=msg(
                "Rate limit of {limit} exceeded; retry after {seconds} seconds.",
                limit=self.limit,
                seconds=retry_after,
            ),
        )
        response.headers["Retry-After"] = str(retry_after)
        return response


def _view_limit() -> int:
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, request.method.lower(), view)
    settings = current_app.extensions["registry"].settings
    limit = getattr(view, "max_body_bytes", None)
    return (limit(settings) if callable(limit) else limit) or settings.max_body_bytes


def check_body_size() -> None:
    """413 for a body over the view's limit: at once if it says its length, else while it is read."""
    limit = _view_limit()
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"The request body is larger than {limit} bytes.")
    if request.content_length is None and request.is_json:
        # A chunked body: read it now (one byte past the limit tells) so a parser cannot mask the 413.
        request.max_content_length = limit + 1
        if len(request.get_data(cache=True)) > limit:
            raise RequestEntityTooLarge(f"The request body is larger than {limit} bytes.")


def init_limits(app: Flask, settings: Settings) -> RateLimits:
    app.before_request(check_body_size)
    limits = RateLimits(settings.rate_limit, settings.rate_limit_storage)
    app.before_request(limits.check)
    app.extensions["registry_limits"] = limits
    app.extensions["registry_public_limit"] = RateLimits(
        settings.public_rate_limit, settings.rate_limit_storage
    )
    app.extensions["registry_public_lookup_limit"] = RateLimits(
        settings.public_lookup_rate_limit, settings.rate_limit_storage
    )
    return limits


def check_public_form() -> ResponseReturnValue | None:
    """The public forms (no token: a site owner's complaint, a tip) count per remote address against the
    stricter REGISTRY_PUBLIC_RATE_LIMIT, on top of the limit every request counts against. None to go
    on, or the 429 problem."""
    over = _over_per_address("registry_public_limit", "public")
    return over and _too_many(
        over,
        msg(
            "Rate limit of {limit} for forms sent without a token exceeded; retry after {seconds} seconds.",
            limit=over[0],
            seconds=over[1],
        ),
    )


def check_public_lookup() -> ResponseReturnValue | None:
    """The public look-ups (no token: /check, the range query, the list of violators) count per remote
    address against REGISTRY_PUBLIC_LOOKUP_RATE_LIMIT: reads, allowed more often than the forms, on top
    of the limit every request counts against. None to go on, or the 429 problem."""
    over = _over_per_address("registry_public_lookup_limit", "lookup")
    return over and _too_many(
        over,
        msg(
            "Rate limit of {limit} for look-ups without a token exceeded; retry after {seconds} seconds.",
            limit=over[0],
            seconds=over[1],
        ),
    )


def _over_per_address(extension: str, prefix: str) -> tuple[str, int] | None:
    """None while the client's address is within the limit; else the limit and the seconds to wait."""
    limits: RateLimits = current_app.extensions[extension]
    allowed, reset_at = limits._hit(f"{prefix}:{request.remote_addr or 'unknown'}")
    return None if allowed else (str(limits.limit), max(1, int(reset_at - time.time())))


def _too_many(over: tuple[str, int], detail: str) -> ResponseReturnValue:
    response = problem(429, detail=detail)
    response.headers["Retry-After"] = str(over[1])
    return response
