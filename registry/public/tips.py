"""The public's tip pages: the form (with files, the proof of work solved in the browser by
static/tips.js) that shows the receipt code once, and the status by receipt code. They file and read
through the same services, audit and limits as `POST /api/v1/tips` and `POST /api/v1/tips/status`."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request
from flask_babel import get_locale, lazy_gettext
from marshmallow import ValidationError

from registry.api import tips as api
from registry.api.context import app_state, audit_resource, db
from registry.api.limits import max_body
from registry.api.problems import status_of
from registry.console.session import secure_headers
from registry.errors import NotFound, RegistryError, ValidationFailed
from registry.messages import translate
from registry.models import CATEGORIES, GOODS_GROUPS
from registry.public.blueprint import bp, public_page
from registry.schemas.tips import TipCreate
from registry.services.tips import filing
from registry.services.tips.files import MAX_FILES

CATEGORY_LABELS = {
    "SMUGGLED": lazy_gettext("smuggled goods"),
    "COUNTERFEIT": lazy_gettext("counterfeit goods"),
    "IP_INFRINGING": lazy_gettext("goods infringing intellectual property"),
    "SUBSTANDARD": lazy_gettext("substandard goods"),
    "PROHIBITED": lazy_gettext("goods or services banned from trade"),
    "RESTRICTED": lazy_gettext("goods restricted from trade"),
    "CONDITIONAL_NONCOMPLIANT": lazy_gettext("conditional goods sold without meeting the conditions"),
    "EXPIRED": lazy_gettext("expired goods"),
    "UNKNOWN_ORIGIN": lazy_gettext("goods of unknown origin"),
    "MISLEADING_INFO": lazy_gettext("false or misleading information to consumers"),
    "TAX_EVASION": lazy_gettext("tax evasion"),
    "UNDECLARED_BUSINESS": lazy_gettext("online business not declared to the tax authority"),
}
GOODS_LABELS = {
    "cosmetics": lazy_gettext("cosmetics"),
    "supplements": lazy_gettext("dietary supplements"),
    "food": lazy_gettext("food"),
    "pharmaceuticals": lazy_gettext("medicines"),
    "medical_devices": lazy_gettext("medical devices"),
    "alcohol": lazy_gettext("alcohol"),
    "tobacco_ecigarettes": lazy_gettext("tobacco and e-cigarettes"),
    "fashion": lazy_gettext("clothing, shoes and bags"),
    "electronics_phones": lazy_gettext("electronics and phones"),
    "toys": lazy_gettext("toys"),
    "auto_parts": lazy_gettext("vehicle parts"),
    "agricultural_inputs": lazy_gettext("fertilisers, pesticides, seeds"),
    "livestock": lazy_gettext("livestock and poultry"),
    "fuel": lazy_gettext("fuel"),
    "gold_foreign_currency": lazy_gettext("gold and foreign currency"),
    "fireworks": lazy_gettext("fireworks"),
    "weapons": lazy_gettext("weapons"),
    "wildlife": lazy_gettext("wild animals and plants"),
    "drugs_precursors": lazy_gettext("drugs and precursors"),
    "digital_content": lazy_gettext("digital content"),
    "services": lazy_gettext("services"),
    "other": lazy_gettext("other goods"),
}
KIND_LABELS = {
    "website": lazy_gettext("website or web page"),
    "marketplace_shop": lazy_gettext("shop on a marketplace (Shopee, Lazada, Tiki, TikTok Shop)"),
    "social_account": lazy_gettext("social network account (Facebook, Zalo, TikTok)"),
    "bank_account": lazy_gettext("bank account (bank code:number, e.g. VCB:0011001234567)"),
    "phone": lazy_gettext("phone number"),
    "email": lazy_gettext("e-mail address"),
    "app": lazy_gettext("mobile app"),
}
STATUS_LABELS = {
    "received": lazy_gettext("received: waiting to be examined"),
    "under_review": lazy_gettext("under review by the competent agency"),
    "handled": lazy_gettext("handled by the competent agency"),
    "dismissed": lazy_gettext("closed without action"),
}
_FORM_FIELDS = (
    "kind", "value", "category", "goods_group", "province", "description", "contact_name",
    "contact_phone", "contact_email",
)  # fmt: skip


def _page(template: str, http_status: int = 200, **context: Any) -> Response:
    """A tip page with the console's strict headers (no inline script, nothing cached: a receipt code)."""
    return secure_headers(make_response(render_template(template, **context), http_status))


def _form(status: int = 200, *, values: dict[str, Any] | None = None, error: str | None = None,
          field_errors: dict[str, Any] | None = None) -> Response:  # fmt: skip
    found = api.new_challenge()
    return _page(
        "public/tips/new.html",
        status,
        challenge=found,
        values=values or {},
        error=error,
        field_errors=field_errors or {},
        kinds=KIND_LABELS,
        categories=[(c, CATEGORY_LABELS[c]) for c in CATEGORIES],
        goods=[(g, GOODS_LABELS[g]) for g in GOODS_GROUPS],
        max_files=MAX_FILES,
        max_mb=app_state().settings.tip_attachment_bytes // (1024 * 1024),
    )


@bp.route("/tips/new", methods=["GET"])
@public_page("tip:form")
def new_tip() -> Any:
    """The tip form, with a fresh proof-of-work challenge for the browser to solve."""
    return _form()


@bp.route("/tips/new", methods=["POST"])
@public_page("tip:file")
@max_body(api.tip_body_limit)
def file_tip() -> Any:
    """File the tip; show its receipt code once. A refusal shows the form again with what was typed
    (files must be chosen again) and a new challenge; nothing is stored."""
    sent = {name: request.form.get(name, "") for name in (*_FORM_FIELDS, "challenge", "solution")}
    typed = {name: sent[name] for name in _FORM_FIELDS}
    try:
        args = TipCreate().load({k: v for k, v in sent.items() if v != ""})
        tip, code = api.file_and_audit(args, api.sent_files())
    except ValidationError as exc:
        return _form(422, values=typed, field_errors=exc.normalized_messages())
    except RegistryError as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else {}
        return _form(
            status_of(exc), values=typed, error=translate(exc.detail, _locale()), field_errors=errors
        )
    return _page(
        "public/tips/receipt.html",
        code=code,
        status=tip.status,
        status_label=STATUS_LABELS[tip.status],
        since=filing.status_since(tip),
    )


def _locale() -> str:
    return str(get_locale())


@bp.route("/tips/status", methods=["GET"])
@public_page("tip:status_form")
def tip_status_form() -> Any:
    return _page("public/tips/status.html")


@bp.route("/tips/status", methods=["POST"])
@public_page("tip:status")
def tip_status() -> Any:
    """The status of the tip with this receipt code, and nothing else."""
    code = request.form.get("receipt_code", "").strip()[:64]
    try:
        tip = filing.by_receipt(db(), cipher=app_state().cipher, code=code)
    except NotFound as exc:
        return _page("public/tips/status.html", 404, error=translate(exc.detail, _locale()))
    audit_resource("tip", tip.id)
    return _page(
        "public/tips/status.html",
        status=tip.status,
        status_label=STATUS_LABELS[tip.status],
        since=filing.status_since(tip),
    )
