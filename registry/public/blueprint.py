"""The public site's blueprint: its home page, the language switch, and its error pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException

from registry import errors
from registry.api.problems import http_detail, status_of
from registry.console import i18n
from registry.messages import translate

CONSOLE_STATIC = Path(__file__).resolve().parent.parent / "console" / "static"

bp = Blueprint(
    "public",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/public/static",
)


# The console's policy (registry/console/session.py), and the public pages' scripts may call the public
# API of this origin (the range query hashes in the browser and asks for a prefix).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@bp.after_request
def secure_headers(response: Response) -> Response:
    """Every public page: no script but ours, no framing, no referrer sent elsewhere, nothing cached."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def public_page(action: str, *, lookup: bool = False) -> Callable:
    """A page anyone may open: audited as `action`, counted against the per-address limit of the
    public forms (REGISTRY_PUBLIC_RATE_LIMIT), or with `lookup` of the public look-ups
    (REGISTRY_PUBLIC_LOOKUP_RATE_LIMIT); over the limit, the error page with 429."""
    from registry.api.limits import check_public_form, check_public_lookup

    check_public = check_public_lookup if lookup else check_public_form

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.audit_action = action
            limited = check_public()
            if isinstance(limited, Response):  # the 429 problem, shown as a page
                page, status = _error_page(
                    429, translate(limited.get_json()["detail"], str(get_locale())), {}
                )
                return page, status, {"Retry-After": limited.headers["Retry-After"]}
            return view(*args, **kwargs)

        return wrapper

    return decorator


def safe_next(value: str | None) -> str:
    """A redirect target on this site only (no open redirect): a path, never `//host`."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return url_for("public.home")


@bp.route("/")
def home() -> Any:
    """What the public can do here, in the reader's language."""
    return render_template("public/home.html")


@bp.route("/public/base.css")
def base_stylesheet() -> Any:
    """The console's stylesheet, which the public pages share (public.css adds their own rules)."""
    return send_from_directory(CONSOLE_STATIC, "console.css", max_age=3600)


@bp.route("/language")
def choose_language() -> Any:
    """The language switch: a link (no form, no session), remembered in the console's cookie."""
    lang = request.args.get("lang", i18n.DEFAULT_LOCALE)
    response = make_response(redirect(safe_next(request.args.get("next"))))
    if lang in i18n.LOCALES:
        response.set_cookie(
            i18n.LANG_COOKIE,
            lang,
            max_age=365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


@bp.errorhandler(errors.RegistryError)
def registry_error(error: errors.RegistryError) -> Any:
    """A refusal on a public page: the page in the reader's language, with the API's status."""
    return _error_page(
        status_of(error), translate(error.detail, str(get_locale())), getattr(error, "errors", None) or {}
    )


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Any:
    return _error_page(error.code or 500, translate(http_detail(error) or "", str(get_locale())), {})


def _error_page(status: int, detail_text: str, field_errors: dict[str, Any]) -> Any:
    return render_template(
        "public/error.html", status=status, detail_text=detail_text, field_errors=field_errors
    ), status
