"""The public look-up pages: /check (a website or shop, checked here; a bank account or phone, checked by
the browser with the range query), /violators and its Atom feed /violators.atom."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, render_template, request, url_for
from flask_babel import get_locale, gettext, lazy_gettext

from registry.api.context import app_state, audit_detail, db, replica_reads
from registry.console.i18n import code_label
from registry.errors import ValidationFailed
from registry.identifiers import banks
from registry.messages import translate
from registry.models import CATEGORIES
from registry.public.blueprint import bp, public_page
from registry.services.public import check as checking
from registry.services.public import violators as listing
from registry.services.public.check import Checked

FEED_SIZE = 50
ATOM = "http://www.w3.org/2005/Atom"

CATEGORY_LABELS = {
    "SMUGGLED": lazy_gettext("smuggled goods"),
    "COUNTERFEIT": lazy_gettext("counterfeit goods"),
    "IP_INFRINGING": lazy_gettext("goods infringing intellectual property rights"),
    "SUBSTANDARD": lazy_gettext("substandard goods"),
    "PROHIBITED": lazy_gettext("prohibited goods or services"),
    "RESTRICTED": lazy_gettext("goods restricted from trade"),
    "CONDITIONAL_NONCOMPLIANT": lazy_gettext("conditional goods not meeting their conditions"),
    "EXPIRED": lazy_gettext("expired goods"),
    "UNKNOWN_ORIGIN": lazy_gettext("goods of unknown origin"),
    "MISLEADING_INFO": lazy_gettext("misleading information deceiving consumers"),
    "TAX_EVASION": lazy_gettext("tax evasion"),
    "UNDECLARED_BUSINESS": lazy_gettext("online business not declared to the tax authority"),
}
assert set(CATEGORY_LABELS) == set(CATEGORIES)
ENDINGS = {
    "lifted": lazy_gettext("lifted"),
    "appeal_upheld": lazy_gettext("lifted on appeal"),
    "revoked": lazy_gettext("revoked"),
    "expired": lazy_gettext("expired"),
}


def category_label(code: str) -> str:
    return str(CATEGORY_LABELS.get(code, code))


@bp.app_context_processor
def _lookup_labels() -> dict[str, Any]:
    return {"category_label": category_label, "ending_label": lambda how: str(ENDINGS.get(how, how))}


@bp.route("/check")
@public_page("public:check_page", lookup=True)
@replica_reads
def check() -> Any:
    """Check a website or shop (here); a bank account or phone (in the browser: a hash prefix is sent)."""
    value = request.args.get("value", "").strip()
    found: Checked | None = None
    error = None
    if value:
        try:
            found = checking.check(db(), cipher=app_state().cipher, value=value)
        except ValidationFailed as exc:
            error = translate(exc.detail, str(get_locale()))
        else:
            audit_detail(kind=found.query.kind, flagged=bool(found.violations or found.blocks))
    page = render_template(
        "public/check.html",
        value=value,
        found=found,
        error=error,
        banks=sorted(banks.all(), key=lambda bank: bank.code),
        category_names={code: category_label(code) for code in CATEGORIES},
        range_api=url_for("public-lookup.public_range", kind="KIND", prefix="PREFIX"),
    )
    return page, 422 if error else 200


@bp.route("/violators")
@public_page("public:violators_page", lookup=True)
@replica_reads
def violators() -> Any:
    """The list of violating websites and shops, a page at a time."""
    try:
        number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        number = 1
    found = listing.page(db(), page=number, per_page=20)
    return render_template("public/violators.html", found=found)


@bp.route("/violators.atom")
@public_page("public:violators_feed", lookup=True)
@replica_reads
def violators_feed() -> Response:
    """The newest entries of the list as an Atom 1.0 feed (RFC 4287)."""
    found = listing.page(db(), page=1, per_page=FEED_SIZE)
    # An entry whose records changed between the page's two reads has nothing left to say: left out.
    items = [item for item in found["items"] if item["updated"] is not None]
    body = atom(items, base=request.url_root.rstrip("/"))
    return current_app.response_class(body, mimetype="application/atom+xml")


def _tag(base: str) -> str:
    host = urlsplit(base).hostname or "localhost"
    return f"tag:{host},2026:violators"


def atom(items: list[dict[str, Any]], *, base: str) -> bytes:
    """The feed: one entry per website or shop, its id stable (the identifier's kind and canonical
    value), updated when its violations or blocks last changed, its text saying the decision and, when a
    block ended, the ending."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = _tag(base)
    ET.SubElement(feed, f"{{{ATOM}}}title").text = gettext("Violating websites and shops")
    newest = max((item["updated"] for item in items), default=datetime(2026, 1, 1, tzinfo=UTC))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = newest.isoformat()
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = gettext("National Steering Committee 389")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=base + url_for("public.violators_feed"))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=base + url_for("public.violators"))
    for item in items:
        website = item["website"]
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"{_tag(base)}:{website['kind']}:{website['value']}"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = website["display"]
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = item["updated"].isoformat()
        link = base + url_for("public.check", value=website["value"])
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=link)
        for code in item["categories"]:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=code, label=category_label(code))
        ET.SubElement(entry, f"{{{ATOM}}}content", type="text").text = "\n".join(_lines(item))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _decision(decision: dict[str, Any] | None) -> str:
    if decision is None:
        return gettext("no decision recorded")
    parts = [decision["number"]]
    if decision["issued_on"]:
        parts.append(gettext("of %(date)s", date=decision["issued_on"].isoformat()))
    if decision["issuing_body"]:
        parts.append(gettext("by %(body)s", body=decision["issuing_body"]))
    return " ".join(parts)


def _lines(item: dict[str, Any]) -> list[str]:
    """The entry's text: its violations and blocks, each with its decision, and a block's ending."""
    lines = []
    for violation in item["violations"]:
        categories = ", ".join(category_label(code) for code in violation["categories"])
        lines.append(
            gettext("Violation (%(categories)s): decision %(decision)s.", categories=categories,
                    decision=_decision(violation["decision"]))
        )  # fmt: skip
    for block in item["blocks"]:
        lines.append(
            gettext("%(action)s: decision %(decision)s, from %(start)s.", action=code_label(block["action"]),
                    decision=_decision(block["decision"]), start=block["valid_from"].isoformat())
        )  # fmt: skip
        if block["ended"]:
            ended = block["ended"]
            lines.append(
                gettext("%(how)s on %(on)s: decision %(decision)s.", how=str(ENDINGS.get(ended["how"])),
                        on=ended["on"].isoformat(), decision=_decision(ended["decision"]))
            )  # fmt: skip
    return lines
