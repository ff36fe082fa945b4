"""The console's blueprint, and how it answers a refusal: an HTML page with the API's status code."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Blueprint, g, render_template, request
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException, NotFound

from registry import errors
from registry.api.problems import http_detail, status_of
from registry.messages import translate

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def _officer() -> Any:
    """The logged-in officer, if any, so that an error page keeps the menu and the log-out button."""
    return g.get("principal") or g.get("console_principal")


@bp.errorhandler(errors.RegistryError)
def registry_error(error: errors.RegistryError) -> Any:
    """The API's refusal, as a page: same status (so the audit entry says denied or error alike)."""
    from registry.console.session import LoginRequired, to_login

    if isinstance(error, LoginRequired):
        return to_login(request.full_path)
    status = status_of(error)
    field_errors = getattr(error, "errors", None) or {}
    return _error_page(status, error.detail, field_errors)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Any:
    """A routing or HTTP refusal (404, 405, 413, ...) as a page, not the API's problem document."""
    return _error_page(error.code or 500, http_detail(error) or "", {})


def _error_page(status: int, detail: str, field_errors: dict[str, Any]) -> Any:
    """The error page: the detail and the registry's own field messages in the officer's language
    (registry/messages.py); the schemas' field messages in English, as the API gives them."""
    locale = str(get_locale())
    detail_text = translate(detail, locale)
    field_errors = {name: _shown(messages, locale) for name, messages in field_errors.items()}
    return render_template(
        "console/error.html",
        status=status,
        detail_text=detail_text,
        field_errors=field_errors,
        principal=_officer(),
    ), status


def _shown(messages: Any, locale: str) -> str:
    """A field's errors as a line of text: the registry's own messages translated (registry/messages.py),
    the schemas' English as it is (marshmallow's messages have no catalogue here)."""
    if isinstance(messages, str):
        return translate(messages, locale)
    if isinstance(messages, list | tuple):
        return "; ".join(_shown(one, locale) for one in messages)
    if isinstance(messages, dict):
        return "; ".join(f"{key}: {_shown(value, locale)}" for key, value in messages.items())
    return str(messages)


@bp.route("/<path:unknown>", methods=["GET", "POST"])
def not_found(unknown: str) -> Any:
    """Any other address under /console: the console's 404 page (routing errors never reach a
    blueprint's handlers otherwise, and the app's answer is the API's problem document). With the
    officer's menu when a session is open."""
    from registry.console.session import LoginRequired, current_principal

    with contextlib.suppress(LoginRequired):
        g.console_principal = current_principal()
    return http_error(NotFound())
