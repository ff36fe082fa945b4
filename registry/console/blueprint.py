"""The console's blueprint, and how it answers a refusal: an HTML page with the API's status code."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from registry import errors
from registry.api.problems import status_of

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.errorhandler(errors.RegistryError)
def registry_error(error: errors.RegistryError) -> Any:
    """The API's refusal, as a page: same status (so the audit entry says denied or error alike)."""
    from registry.console.session import LoginRequired, to_login

    if isinstance(error, LoginRequired):
        return to_login(request.full_path)
    status = status_of(error)
    field_errors = getattr(error, "errors", None) or {}
    return render_template(
        "console/error.html", status=status, error=error, field_errors=field_errors
    ), status
