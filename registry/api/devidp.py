"""The development identity provider's pages (auth.devidp): OpenID discovery, and the authorization
endpoint with its login page listing the demo officers. Registered only outside production (the app
factory), so in production these addresses answer 404. The code is redeemed at /oauth/token."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request

from registry.api.context import app_state
from registry.auth import devidp
from registry.console import session as console_session

bp = Blueprint("devidp", __name__, template_folder="../console/templates")


@bp.after_request
def _headers(response: Any) -> Any:
    return console_session.secure_headers(response)


@bp.route(devidp.DISCOVERY_PATH, methods=["GET"])
def discovery() -> Any:
    return devidp.discovery(app_state().settings.issuer)


def _refused(error: devidp.AuthorizationError) -> Any:
    """An invalid request is shown, never redirected: the redirect URI itself may be what is wrong."""
    return render_template("devidp/error.html", error=error), 400


@bp.route(devidp.AUTHORIZE_PATH, methods=["GET"])
def authorize() -> Any:
    try:
        params = devidp.check_authorization_request(app_state().settings.issuer, request.args.to_dict())
    except devidp.AuthorizationError as error:
        return _refused(error)
    return render_template("devidp/login.html", params=params, officers=devidp.officers())


@bp.route(devidp.AUTHORIZE_PATH, methods=["POST"])
def choose_officer() -> Any:
    g.audit_action = "devidp:authorize"
    console_session.check_csrf()
    try:
        params = devidp.check_authorization_request(app_state().settings.issuer, request.form.to_dict())
        target = devidp.authorization_redirect(app_state().cipher, params, request.form.get("officer", ""))
    except devidp.AuthorizationError as error:
        return _refused(error)
    g.audit_detail = {"officer": request.form.get("officer", "")[:200]}
    return redirect(target)
