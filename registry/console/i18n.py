"""Vietnamese first, English second: the locale, dates in Asia/Ho_Chi_Minh and VND amounts.

The locale is the officer's choice (the `lang` cookie, set by the switch on every page), else the
browser's Accept-Language, else Vietnamese. Catalogues: registry/console/translations (the .po files are
the source; the compiled .mo files are committed next to them, and tests/console/test_i18n.py fails when
one is stale).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.numbers import format_currency
from flask import Flask, request
from flask_babel import Babel, format_datetime, get_locale, lazy_gettext

from registry.messages import translate

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
TIMEZONE = "Asia/Ho_Chi_Minh"
LANG_COOKIE = "lang"


def select_locale() -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


# Day first, four-digit year, 24-hour clock: as Vietnamese documents write it (Babel's short style
# would give a two-digit year).
_PATTERNS = {"vi": "dd/MM/yyyy HH:mm", "en": "d MMM yyyy, HH:mm"}


def when(value: Any) -> str:
    """A date and time as read in Vietnam (the database keeps UTC)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return format_datetime(value, _PATTERNS.get(str(get_locale()), _PATTERNS[DEFAULT_LOCALE]))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def vnd(amount: Any) -> str:
    """Whole đồng with the locale's thousands separators: 1.234.567 ₫ (vi), ₫1,234,567 (en)."""
    if amount is None or amount == "":
        return ""
    return format_currency(int(amount), "VND", locale=str(get_locale() or DEFAULT_LOCALE))


def configure(app: Flask) -> None:
    app.config.update(BABEL_DEFAULT_LOCALE=DEFAULT_LOCALE, BABEL_DEFAULT_TIMEZONE=TIMEZONE)
    Babel(
        app,
        locale_selector=select_locale,
        default_locale=DEFAULT_LOCALE,
        default_timezone=TIMEZONE,
        default_translation_directories="console/translations",
    )
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["vnd"] = vnd
    app.context_processor(labels)


_STATE_LABELS = {
    "draft": lazy_gettext("draft"),
    "submitted": lazy_gettext("submitted"),
    "under_review": lazy_gettext("under review"),
    "returned": lazy_gettext("returned for changes"),
    "approved": lazy_gettext("approved"),
    "rejected": lazy_gettext("rejected"),
    "dispatched": lazy_gettext("dispatched"),
    "in_effect": lazy_gettext("in effect"),
    "lifted": lazy_gettext("lifted"),
    "expired": lazy_gettext("expired"),
    "revoked": lazy_gettext("revoked"),
    "received": lazy_gettext("received"),
    "checked": lazy_gettext("checked"),
    "returned_for_correction": lazy_gettext("returned for correction"),
    "resubmitted": lazy_gettext("resubmitted"),
    "amended": lazy_gettext("amended"),
    "extended": lazy_gettext("extended"),
    "not_executed": lazy_gettext("not executed"),
    "converted": lazy_gettext("converted"),
    "closed": lazy_gettext("closed"),
    "pending": lazy_gettext("pending"),
    "executed": lazy_gettext("executed"),
    "not_executable": lazy_gettext("not executable"),
    "release_pending": lazy_gettext("release pending"),
    "released": lazy_gettext("released"),
    "withdrawn": lazy_gettext("withdrawn"),
    "superseded_by_order": lazy_gettext("superseded by an order"),
}
_STEP_LABELS = {
    "start_review": lazy_gettext("Start the review"),
    "return": lazy_gettext("Return for changes"),
    "approve": lazy_gettext("Approve"),
    "reject": lazy_gettext("Reject"),
    "dispatch": lazy_gettext("Dispatch to the executors"),
    "receive": lazy_gettext("Receive"),
    "check": lazy_gettext("Check"),
    "close": lazy_gettext("Close"),
    "lift": lazy_gettext("Lift the measure (block or freeze)"),
    "resubmit": lazy_gettext("Resubmit corrected"),
    "withdraw": lazy_gettext("Withdraw"),
    "extend": lazy_gettext("Extend"),
    "amend": lazy_gettext("Amend"),
    "convert": lazy_gettext("Convert the frozen funds"),
    "revoke": lazy_gettext("Revoke (annul)"),
}
# Other codes the pages show: actions, kinds of target and subject, outcomes and reasons. A code not
# listed here is shown as it is (an agency's code, an identifier's kind).
_CODE_LABELS = {
    "block_at_isp": lazy_gettext("block at the ISPs"),
    "suspend_domain": lazy_gettext("suspend the domain"),
    "remove_listing": lazy_gettext("remove the listing"),
    "domain": lazy_gettext("domain"),
    "ip": lazy_gettext("IP address"),
    "ip_range": lazy_gettext("IP range"),
    "url": lazy_gettext("URL"),
    "marketplace_shop": lazy_gettext("marketplace shop"),
    "organisation": lazy_gettext("organisation"),
    "individual": lazy_gettext("individual"),
    "already_blocked": lazy_gettext("already blocked"),
    "not_our_customer": lazy_gettext("not our customer"),
    "invalid_target": lazy_gettext("invalid target"),
    "technically_infeasible": lazy_gettext("technically infeasible"),
    "account_not_found": lazy_gettext("account not found"),
    "account_closed": lazy_gettext("account closed"),
    "insufficient_balance": lazy_gettext("insufficient balance"),
    "allowed": lazy_gettext("allowed"),
    "denied": lazy_gettext("denied"),
    "error": lazy_gettext("error"),
    "confirmed": lazy_gettext("confirmed"),
    "block_request": lazy_gettext("block request"),
    "freeze_order": lazy_gettext("freeze order"),
    "execution": lazy_gettext("execution"),
    "removal": lazy_gettext("removal of the block"),
    "release": lazy_gettext("release"),
    "deduction": lazy_gettext("deduction"),
    "confiscation": lazy_gettext("confiscation"),
    # Written decisions: kind of document, issuer's confirmation, signature check, visibility.
    "decision": lazy_gettext("decision"),
    "order": lazy_gettext("order"),
    "request": lazy_gettext("written request"),
    "own": lazy_gettext("recorded by the issuer"),
    "refused": lazy_gettext("refused by the issuer"),
    "unchecked": lazy_gettext("not checked yet"),
    "unsigned": lazy_gettext("unsigned (a scan)"),
    "verified": lazy_gettext("signature verified"),
    "entire_file": lazy_gettext("the entire file"),
    "entire_revision": lazy_gettext("an earlier revision of the file"),
    "contiguous_block_from_start": lazy_gettext("part of the file"),
    "unclear": lazy_gettext("unclear"),
    "owner": lazy_gettext("the recording agency only"),
    "named": lazy_gettext("named agencies"),
    "state": lazy_gettext("all state agencies"),
    "public": lazy_gettext("public"),
    # Violations and appeals.
    "suspected": lazy_gettext("suspected"),
    "sanctioned": lazy_gettext("sanctioned"),
    "upheld": lazy_gettext("upheld"),
    "dismissed": lazy_gettext("dismissed"),
    "tax_code": lazy_gettext("tax code"),
    "personal_id": lazy_gettext("personal ID number"),
    "phone": lazy_gettext("phone number"),
    "email": lazy_gettext("e-mail address"),
    "bank_account": lazy_gettext("bank account"),
    "social_account": lazy_gettext("social network account"),
    "app": lazy_gettext("mobile app"),
    "match": lazy_gettext("match"),
    "no_match": lazy_gettext("no match"),
    "invalid": lazy_gettext("invalid"),
    "queued": lazy_gettext("queued"),
    "running": lazy_gettext("running"),
    "done": lazy_gettext("done"),
    "failed": lazy_gettext("failed"),
    # Tips from the public: their states (received, under_review and dismissed are listed already).
    "handled": lazy_gettext("handled"),
    **_STATE_LABELS,
}
_ERROR_TITLES = {
    401: lazy_gettext("Please log in"),
    403: lazy_gettext("Not allowed"),
    404: lazy_gettext("Not found, or not visible to your agency"),
    409: lazy_gettext("Not possible in the current state"),
    422: lazy_gettext("Some input is not valid"),
}


def code_label(code: str | None) -> str:
    """The words of a code (an action, a kind, an outcome, a reason, a state); an unlisted code as it is."""
    return str(_CODE_LABELS.get(code, code)) if code else ""


def labels() -> dict[str, Any]:
    """Template helpers: the words of a state, a step, another code and an error in the officer's language."""
    return {
        "get_locale": get_locale,
        "state_label": lambda state: str(_STATE_LABELS.get(state, state)),
        "step_label": lambda step: str(_STEP_LABELS.get(step, step)),
        "translated": lambda text: translate(text, str(get_locale())) if text else "",
        "code_label": code_label,
        "error_title": lambda status: str(_ERROR_TITLES.get(status, lazy_gettext("Something went wrong"))),
    }
