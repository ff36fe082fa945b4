"""The console's session: who is logged in, for how long, and the protections of every page.

The session is Flask's signed cookie (`REGISTRY_SESSION_KEY`): HttpOnly, SameSite=Lax, Secure unless
the registry is served over plain http (development), idle for at most `REGISTRY_CONSOLE_IDLE_TIMEOUT`
seconds. It holds the officer, the agency and the scopes granted at login, the provider, and the case
(purpose of access) the officer works on. Each request builds a `Principal` from it, bounded by the
agency's current ceiling (a retired agency ends the session), exactly as a token's principal is built:
the services then apply the same rules to a console page as to an API call.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, Response, g, redirect, request, session, url_for
from sqlalchemy import select

from registry.api.context import app_state, db, scopes_of
from registry.auth.principal import Principal
from registry.auth.scopes import allowed_scopes
from registry.auth.tokens import agency_retired
from registry.config import Settings
from registry.errors import PermissionDenied, RegistryError, ValidationFailed
from registry.messages import msg
from registry.models import Agency
from registry.schemas.output import Output, dumping

CSRF_FIELD = "csrf_token"
# No inline script or style, nothing from elsewhere; forms post only here (a login redirects with a GET).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class LoginRequired(RegistryError):
    """No console session, or it has ended: the page redirects to the login page."""

    type_slug = "unauthenticated"
    title = msg("Login required")


def configure(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=settings.session_key or None,
        SESSION_COOKIE_NAME="registry_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.issuer.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=settings.console_idle_timeout),
    )


def secure_headers(response: Response) -> Response:
    """The headers of every page the console or the development identity provider renders."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def csrf_token() -> str:
    """The session's anti-forgery token, put in every form (templates: `csrf_field()`)."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return str(session[CSRF_FIELD])


def check_csrf() -> None:
    """Every POST carries the session's token (synchroniser token pattern); 403 otherwise."""
    if request.method != "POST":
        return
    expected = session.get(CSRF_FIELD)
    sent = request.form.get(CSRF_FIELD, "")
    if not expected or not secrets.compare_digest(str(expected), sent):
        raise PermissionDenied("The form was not sent from this console session (CSRF check failed).")


def start(
    *, provider: str, issuer: str, officer: str, name: str, agency: str, scopes: frozenset[str]
) -> None:
    """A new session after a login: everything before it (a pre-login token, a case) is dropped."""
    session.clear()
    session.permanent = True
    session.update(
        provider=provider,
        issuer=issuer,
        officer=officer,
        name=name,
        agency=agency,
        scopes=sorted(scopes),
        seen=int(time.time()),
    )
    csrf_token()


def end() -> None:
    session.clear()


def to_login(next_path: str) -> Any:
    target = next_path if next_path.startswith("/console/") else "/console/"
    return redirect(url_for("console.login_page", next=target))


def current_principal() -> Principal:
    """The officer of this session as a Principal, or LoginRequired (none, idle too long, agency gone)."""
    if "officer" not in session:
        raise LoginRequired("Please log in.")
    now = int(time.time())
    if now - int(session.get("seen", 0)) > app_state().settings.console_idle_timeout:
        end()
        raise LoginRequired("The session was idle too long.")
    agency = db().scalars(select(Agency).where(Agency.code == session["agency"])).first()
    if agency is None or agency_retired(agency):
        end()
        raise LoginRequired("The session's agency no longer exists.")
    session["seen"] = now
    return Principal(
        client_id=f"console:{session['provider']}",
        agency=agency.code,
        agency_id=agency.id,
        agency_kind=agency.kind,
        scopes=frozenset(session.get("scopes", ())) & allowed_scopes(agency.kind, agency.code),
        officer=str(session["officer"]),
        issuer=str(session["issuer"]),
    )


def case() -> str | None:
    """The case (purpose of access) the officer works on, asked once and carried on every request."""
    value = session.get("case")
    return str(value) if value else None


def page(action: str, scope: Any, *, purpose: bool = False) -> Callable:
    """The console's guard, as api.context.guard is the API's: log in, check the scope, the purpose
    where the API requires one (every write; reads of a person's data), and name the audit action
    (the API's own action names, so the audit reads the same; the client is `console:<provider>`)."""
    accepted = scopes_of(scope)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            allowed = not accepted or any(principal.has(one) for one in accepted)
            needs_purpose = purpose or request.method == "POST"
            if allowed and needs_purpose and case() is None and request.method == "GET":
                # Nothing read yet, so nothing to audit: the case first, then back here.
                return redirect(url_for("console.case_page", next=request.full_path))
            g.audit_action = action
            g.principal = principal
            g.purpose = case()
            if not allowed:
                needed = " or ".join(accepted)
                raise PermissionDenied(
                    msg("This needs the scope {needed}.", needed=needed), required_scope=needed
                )
            check_csrf()
            if needs_purpose and g.purpose is None:
                raise ValidationFailed("Choose the case you work on first.", errors={"case": ["Missing."]})
            with dumping(Output(session=db(), cipher=app_state().cipher, principal=principal)) as output:
                g.output = output
                return view(*args, **kwargs)

        wrapper.required_scope = scope or "login"  # type: ignore[attr-defined]
        wrapper.console_purpose = purpose  # type: ignore[attr-defined]
        return wrapper

    return decorator


def open_page(view: Callable) -> Callable:
    """A page any logged-in officer may open (home, the case form): a session, no scope, no audit."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.console_principal = current_principal()
        check_csrf()
        return view(*args, **kwargs)

    wrapper.required_scope = "login"  # type: ignore[attr-defined]
    return wrapper


def safe_next(value: str | None) -> str:
    """A redirect target inside the console only (no open redirect)."""
    if value and value.startswith("/console/") and not value.startswith("//"):
        return value
    return url_for("console.home")
