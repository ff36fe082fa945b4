"""The one place errors become `application/problem+json` (RFC 9457)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Response, current_app, g, has_request_context, json, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from registry import errors
from registry.api.context import bearer_token
from registry.api.inputs import JsonTooDeep
from registry.messages import LOCALES, msg, translate

PROBLEM_BASE = "https://registry.nsc389.gov.vn/problems/"
REALM = "registry"
log = logging.getLogger(__name__)

_STATUS_BY_ERROR: list[tuple[type[errors.RegistryError], int]] = [
    (errors.NotFound, 404),
    (errors.ValidationFailed, 422),
    (errors.Duplicate, 409),
    (errors.InvalidTransition, 409),
    (errors.Conflict, 409),
    (errors.PermissionDenied, 403),
    (errors.Unauthenticated, 401),
    (errors.NotConfigured, 503),
    (errors.Gone, 410),
    (JsonTooDeep, 400),
]

_SLUG_BY_STATUS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    410: "gone",
    413: "payload-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    422: "validation-error",
    428: "precondition-required",
    429: "rate-limited",
    431: "headers-too-large",
    500: "internal-error",
    503: "unavailable",
}


# The title of a problem no domain error names, and the detail of a routing or HTTP refusal (werkzeug's
# own descriptions are long and English only).
_TITLES = {
    400: msg("Bad request"),
    401: msg("Authentication required"),
    403: msg("Forbidden"),
    404: msg("Not found"),
    405: msg("Method not allowed"),
    406: msg("Not acceptable"),
    409: msg("Conflict"),
    413: msg("Request too large"),
    414: msg("Address too long"),
    415: msg("Unsupported media type"),
    422: msg("Invalid input"),
    428: msg("Precondition required"),
    429: msg("Too many requests"),
    431: msg("Request headers too large"),
    500: msg("Internal error"),
    503: msg("Service unavailable"),
}
_HTTP_DETAILS = {
    404: msg("Nothing is at this address."),
    405: msg("This method is not allowed at this address."),
    413: msg("The request is larger than this address accepts."),
    414: msg("The address is too long."),
    415: msg("This address does not accept the request's media type."),
    431: msg("The request's headers are too large."),
}


def language() -> str:
    """The language of a problem's title and detail: the caller's Accept-Language (vi or en), English
    when it names neither (machines compare `type`, never the words)."""
    return (request.accept_languages.best_match(LOCALES) if has_request_context() else None) or "en"


def problem(status: int, slug: str | None = None, detail: str | None = None, **extra: Any) -> Response:
    title = extra.pop("title", None) or _TITLES.get(status) or HTTPStatus(status).phrase
    locale = language()
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or _SLUG_BY_STATUS.get(status, "error")),
        "title": translate(title, locale),
        "status": status,
        "detail": translate(detail or title, locale),
    }
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    body.update({key: value for key, value in extra.items() if value is not None})
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    response.headers["Content-Language"] = locale
    response.vary.add("Accept-Language")
    if status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}"'
    return response


def status_of(error: errors.RegistryError) -> int:
    """The HTTP status of a domain error (the console answers its pages with the same)."""
    return next((code for cls, code in _STATUS_BY_ERROR if isinstance(error, cls)), 400)


def from_registry_error(error: errors.RegistryError) -> Response:
    status = status_of(error)
    extra = dict(error.extra)
    if isinstance(error, errors.ValidationFailed):
        extra["errors"] = error.errors
    response = problem(status, error.type_slug, error.detail, title=error.title, **extra)
    challenge = bearer_challenge(error)
    if challenge:
        response.headers["WWW-Authenticate"] = challenge
    return response


def _quoted(value: str) -> str:
    """An auth-param value: RFC 6750 allows %x20-21 / %x23-5B / %x5D-7E, so no quote or backslash."""
    return "".join(c for c in value if " " <= c <= "~" and c not in '"\\')[:200]


def _required_scopes(error: errors.RegistryError) -> list[str] | None:
    """The scopes a 403 names in `required_scope` (any one of them would do), None if it names none."""
    named = error.extra.get("required_scope")
    if isinstance(named, str):
        return [one.strip() for one in named.split(" or ")]
    if isinstance(named, list | tuple):
        return [str(one) for one in named]
    return None


def bearer_challenge(error: errors.RegistryError) -> str | None:
    """RFC 6750 section 3: the WWW-Authenticate header for a refusal that concerns the bearer token.

    401 without a bearer token: the bare challenge, no error code (3.1). 401 with one: invalid_token.
    403 for a missing scope (the refusal names `required_scope`): insufficient_scope, with `scope`
    when one scope is needed; for a choice of scopes `scope` would read as "all of these", so it is
    left out and the body's `required_scope` names the choice. Other 403s are about the record or the
    step, not the token: no challenge.
    """
    params = [("realm", REALM)]
    if isinstance(error, errors.Unauthenticated):
        if bearer_token() is not None:
            params += [("error", "invalid_token"), ("error_description", error.detail)]
    elif isinstance(error, errors.PermissionDenied) and (scopes := _required_scopes(error)):
        params += [("error", "insufficient_scope"), ("error_description", error.detail)]
        if len(scopes) == 1:
            params.append(("scope", scopes[0]))
    else:
        return None
    return "Bearer " + ", ".join(f'{name}="{_quoted(value)}"' for name, value in params)


def http_detail(error: HTTPException) -> str | None:
    """The detail of a routing or HTTP refusal: ours (translatable) for werkzeug's own description, else
    the description the code gave (`abort(status, description)`)."""
    if error.description == type(error).description:
        return _HTTP_DETAILS.get(error.code or 500)
    return error.description


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    extra: dict[str, Any] = {}
    detail = http_detail(error)
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:
        # webargs: {"json": {"field": ["msg"]}} -> {"field": ["msg"]}; keep the location only if mixed.
        messages = data["messages"]
        extra["errors"] = next(iter(messages.values())) if len(messages) == 1 else messages
        detail = msg("The request has invalid fields; see `errors`.")
    headers = data.get("headers") or {}
    response = problem(status, detail=detail, **extra)
    own = error.get_response().headers  # werkzeug's: a 405's Allow (RFC 9110 15.5.6), a 429's Retry-After
    for name in ("Allow", "Retry-After"):
        if own.get(name):
            response.headers[name] = own[name]
    for key, value in headers.items():
        response.headers[key] = value
    return response


def from_database_error(error: DBAPIError) -> Response:
    """The database went away (restarted, failed over, the connection cut): 503, retry shortly. The pool
    has dropped the dead connection and every one as old as it, so the next request connects anew;
    nothing of this request was committed. Any other database error is a bug (500)."""
    if not (error.connection_invalidated or isinstance(error, OperationalError)):
        return from_unexpected(error)
    log.warning(
        "database unavailable: %s", type(error.orig).__name__, extra={"request_id": g.get("request_id")}
    )
    response = problem(
        503, "database-unavailable", msg("The database is unavailable; nothing was changed. Retry shortly.")
    )
    response.headers["Retry-After"] = "1"
    return response


def from_unexpected(error: Exception) -> Response:
    if current_app.testing:
        raise error  # no test passes on a silent 500
    log.exception("unhandled error", extra={"request_id": g.get("request_id")})
    return problem(500, detail=msg("An internal error occurred; it has been logged with the request id."))
