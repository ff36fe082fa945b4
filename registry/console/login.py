"""Login with OpenID Connect (authorization code + PKCE, authlib's Flask client), logout, the
language switch and the case the officer works on.

The providers are those of `REGISTRY_IDENTITY_PROVIDERS` and, outside production, the registry's own
development provider (auth.devidp). The officer in the verified ID token is the officer of every
decision the session makes; its agency and scopes come from the provider's configuration and the
officer's roles (auth.oidc.IdentityProvider.grant).
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from flask import Flask, current_app, g, make_response, redirect, render_template, request, url_for
from joserfc.errors import JoseError
from sqlalchemy import select

from registry.api.context import PurposeError, app_state, db, purpose_text
from registry.auth import devidp
from registry.auth.oidc import IdentityProvider, LoginRefused, load_providers
from registry.config import Settings
from registry.console import i18n
from registry.console import session as console_session
from registry.console.blueprint import bp
from registry.messages import msg
from registry.models import Agency

EXTENSION = "registry.console"
log = logging.getLogger(__name__)


class ConsoleState:
    """The identity providers, and authlib's client of each."""

    def __init__(self, providers: list[IdentityProvider]) -> None:
        self.providers = {provider.name: provider for provider in providers}
        self.oauth: OAuth | None = None
        # Extra requests transport adapters by URL prefix (tests: the app itself, in process).
        self.adapters: dict[str, requests.adapters.BaseAdapter] = {}

    def client(self, name: str) -> FlaskOAuth2App | None:
        return self.oauth.create_client(name) if self.oauth and name in self.providers else None


def configure(app: Flask, settings: Settings) -> None:
    providers = load_providers(settings.identity_providers_file)
    if settings.development_idp:
        providers.append(devidp.provider(settings.issuer))
    state = ConsoleState(providers)
    adapters = state.adapters

    class Session(OAuth2Session):
        """authlib's requests session, through any adapter the state names (none in production)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            for prefix, adapter in adapters.items():
                self.mount(prefix, adapter)

    class ConsoleApp(FlaskOAuth2App):
        client_cls = Session

    class ConsoleOAuth(OAuth):
        oauth2_client_cls = ConsoleApp

    oauth = ConsoleOAuth(app)
    for provider in providers:
        oauth.register(
            provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.discovery_url,
            client_kwargs={"scope": "openid", "code_challenge_method": "S256"},
        )
    state.oauth = oauth
    app.extensions[EXTENSION] = state


def console_state() -> ConsoleState:
    return current_app.extensions[EXTENSION]


def _providers() -> list[IdentityProvider]:
    return list(console_state().providers.values())


def _callback_url() -> str:
    return app_state().settings.issuer + devidp.CALLBACK_PATH


@bp.after_request
def _headers(response: Any) -> Any:
    return console_session.secure_headers(response)


@bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {
        "csrf_field_name": console_session.CSRF_FIELD,
        "csrf_token": console_session.csrf_token,
        "officer_name": lambda: console_session.session.get("name"),
        "console_case": console_session.case,
        "locales": i18n.LOCALES,
    }


@bp.route("/login", methods=["GET"])
def login_page() -> Any:
    """The providers to log in with (a plain link each: a form could not redirect to another origin
    under the console's form-action policy)."""
    providers = list(console_state().providers.values())
    return render_template("console/login.html", providers=providers, next=request.args.get("next", ""))


@bp.route("/login/<name>", methods=["GET"])
def login(name: str) -> Any:
    client = console_state().client(name)
    if client is None:
        return render_template("console/login.html", providers=[], next=""), 404
    console_session.session["next"] = console_session.safe_next(request.args.get("next"))
    console_session.session["login_provider"] = name
    try:
        return client.authorize_redirect(_callback_url())
    except (requests.RequestException, ValueError, RuntimeError):  # its discovery document did not come
        log.warning("identity provider %s: no discovery document", name)
        error = msg("The identity provider does not answer; try again later.")
        return render_template("console/login.html", providers=_providers(), error=error, next=""), 502


def _audit_login(provider: str, reason: str | None = None) -> None:
    """The login's audit entry, recorded by api.context.finish_request like any request's: allowed with
    the session's officer and agency, or denied (401) with the reason, never a claim's value."""
    g.audit_action = "console:login"
    g.audit_detail = {"provider": provider, **({"reason": reason} if reason else {})}


@bp.route("/auth/callback", methods=["GET"])
def callback() -> Any:
    """The provider's answer: the code is exchanged (with the PKCE verifier) and the ID token checked."""
    name = str(console_session.session.get("login_provider", ""))
    provider = console_state().providers.get(name)
    client = console_state().client(name)
    if provider is None or client is None:
        return redirect(url_for("console.login_page"))
    try:
        token = client.authorize_access_token(claims_cls=CodeIDToken, leeway=30)
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise LoginRefused("The identity provider sent no ID token.")
        officer, agency_code, scopes = provider.grant(claims)
    except (OAuthError, JoseError, LoginRefused, requests.RequestException, ValueError) as exc:
        reason = (
            exc.args[0]
            if isinstance(exc, LoginRefused)
            else msg("The identity provider's answer was refused.")
        )
        _audit_login(name, str(reason)[:200])
        return render_template("console/login.html", providers=_providers(), error=reason, next=""), 401
    agency = db().scalars(select(Agency).where(Agency.code == agency_code)).first()
    if agency is None:
        _audit_login(name, "unknown agency")
        return render_template(
            "console/login.html",
            providers=_providers(),
            error=msg("The officer's agency is not known to the registry."),
            next="",
        ), 401
    next_page = console_session.safe_next(console_session.session.get("next"))
    console_session.start(
        provider=name,
        issuer=provider.issuer,
        officer=officer,
        name=str(claims.get("name") or officer)[:200],
        agency=agency.code,
        scopes=scopes,
    )
    g.principal = console_session.current_principal()
    _audit_login(name)
    return redirect(next_page)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    console_session.check_csrf()
    console_session.end()
    return redirect(url_for("console.login_page", msg="logged-out"))


@bp.route("/lang", methods=["POST"])
def choose_language() -> Any:
    """The language switch: a cookie of its own (it outlives a session)."""
    console_session.check_csrf()
    lang = request.form.get("lang", i18n.DEFAULT_LOCALE)
    response = make_response(redirect(console_session.safe_next(request.form.get("next"))))
    if lang in i18n.LOCALES:
        response.set_cookie(
            i18n.LANG_COOKIE,
            lang,
            max_age=365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=app_state().settings.issuer.startswith("https://"),
        )
    return response


@bp.route("/case", methods=["GET", "POST"])
@console_session.open_page
def case_page() -> Any:
    """The case (decision or file number) the officer works on: the purpose of every request after it."""
    error = None
    if request.method == "POST":
        try:
            console_session.session["case"] = purpose_text(request.form.get("case", ""))
            return redirect(console_session.safe_next(request.form.get("next")))
        except PurposeError as exc:
            error = exc.args[0]
    return render_template(
        "console/case.html", error=error, next=request.values.get("next", ""), case=console_session.case()
    ), (422 if error else 200)
