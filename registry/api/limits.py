"""Abuse limits: per-client request rates (Flask-Limiter) and request body sizes.

Rates are counted per authenticated client; a request without a valid token is counted against its
remote address. The limiter's key function verifies the bearer token itself (the limit applies before
the view runs) and leaves the principal for `RegistryState.authenticate`, so it is verified only once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import RequestEntityTooLarge

from registry.api import context
from registry.api.problems import problem
from registry.config import Settings
from registry.errors import RegistryError

F = TypeVar("F", bound=Callable[..., Any])


def max_body(nbytes: int) -> Callable[[F], F]:
    """Let one view accept bodies up to `nbytes` (e.g. decision documents) instead of max_body_bytes."""

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
            principal = context.state().authenticate(context.db(), token)
        except RegistryError:
            principal = None  # the view answers 401; meanwhile the address pays
    if principal is not None:
        return f"client:{principal.issuer or ''}:{principal.client_id}"
    return f"addr:{get_remote_address()}"


def _too_many(limit: RequestLimit) -> Any:
    retry_after = max(1, int(limit.reset_at - time.time()))
    response = problem(
        429, detail=f"Rate limit of {limit.limit} exceeded; retry after {retry_after} seconds."
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def _view_limit() -> int:
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, request.method.lower(), view)
    return getattr(view, "max_body_bytes", None) or current_app.extensions["registry"].settings.max_body_bytes


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


def init_limits(app: Flask, settings: Settings) -> Limiter:
    app.before_request(check_body_size)
    limiter = Limiter(
        rate_limit_key,
        app=app,
        default_limits=[settings.rate_limit],
        storage_uri=settings.rate_limit_storage,
        strategy="fixed-window",
        on_breach=_too_many,
        headers_enabled=False,
        key_prefix="registry",
    )
    return limiter
