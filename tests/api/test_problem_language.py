"""Problem titles and details follow Accept-Language (Vietnamese or English); the catalogue is complete.

Every error the code raises has its detail as a literal or as `msg(template, **values)`, so that the
catalogue (registry/translations, domain `problems`) can hold it; every such text has a Vietnamese
translation; the compiled catalogue is the .po file compiled (scripts/translations)."""

from __future__ import annotations

import ast
import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import registry
from registry import messages
from registry.app import create_app
from registry.errors import record_name
from registry.messages import msg, translate
from tests.console.helpers import AppAdapter, login

ROOT = Path(registry.__file__).parent
PO = messages.CATALOGUES / "vi" / "LC_MESSAGES" / "problems.po"
MO = PO.with_suffix(".mo")
SCRIPT = ROOT.parent / "scripts" / "translations"
SUBJECTS = "/api/v1/subjects/00000000-0000-0000-0000-000000000000"


def _script_names(variable: str) -> set[str]:
    """The names listed in one of scripts/translations' variables (ERRORS, REASONS)."""
    text = SCRIPT.read_text()
    start = text.index(f'{variable}="') + len(f'{variable}="')
    return set(text[start : text.index('"', start)].split())


def _reason_names(tree: ast.AST) -> set[str]:
    """Names that hold an IdentifierError in a module: `except IdentifierError as exc` or a parameter
    annotated IdentifierError. Its `reason` is a literal or a msg() (checked at the raise), so passing
    `exc.reason` on as a detail keeps it translatable."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.name and node.type is not None:
            caught = ast.unparse(node.type)
            if "IdentifierError" in caught:
                names.add(node.name)
        elif isinstance(node, ast.arg) and node.annotation is not None:
            annotation = ast.unparse(node.annotation)
            if annotation == "IdentifierError":
                names.add(node.arg)
    return names


def _is_msg(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "msg"


def _is_reason(node: ast.expr, reasons: set[str]) -> bool:
    """`exc.reason` of a caught IdentifierError."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "reason"
        and getattr(node.value, "id", None) in reasons
    )


def _texts() -> tuple[set[str], list[str]]:
    """Every literal detail and msg() template in the package; and where a detail is neither.

    The detail is the first argument of an error class (ERRORS) or of msg(), the second of an
    IdentifierError (REASONS: its reason); it may also be the `reason` of a caught IdentifierError."""
    positions = {name: 0 for name in _script_names("ERRORS") | {"msg"}}
    positions |= {name: 1 for name in _script_names("REASONS")}
    found: set[str] = set()
    unmarked: list[str] = []
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text())
        reasons = _reason_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in positions or len(node.args) <= positions[name]:
                continue
            first = node.args[positions[name]]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
            elif not (_is_msg(first) or _is_reason(first, reasons)):
                unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(first)[:80]}")
    return found, unmarked


def _catalogue() -> dict[str, str]:
    with PO.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle, locale="vi") if m.id and isinstance(m.id, str)}


def test_every_error_detail_is_a_literal_or_a_msg() -> None:
    """An f-string or a computed text cannot be looked up in a catalogue: use msg(template, values)."""
    assert _texts()[1] == []


def test_every_error_text_has_a_vietnamese_translation() -> None:
    catalogue = _catalogue()
    texts = _texts()[0] | {str(cls.title) for cls in _registry_error_classes()}
    assert sorted(t for t in texts if not catalogue.get(t)) == [], "scripts/translations update, translate"


def test_compiled_catalogue_is_the_po_file_compiled() -> None:
    with PO.open("rb") as handle:
        catalogue = read_po(handle, locale="vi")
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    with MO.open("rb") as handle:
        stored = {m.id: m.string for m in read_mo(handle) if m.id}
    assert stored == {m.id: m.string for m in read_mo(compiled) if m.id}, "scripts/translations compile"


def _registry_error_classes() -> list[type]:
    from registry import errors

    seen, todo = [], [errors.RegistryError]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return seen


def test_a_message_is_its_english_text_and_translates_with_its_values() -> None:
    text = msg("No {what} with id {value}.", what="decision", value="x-1")
    assert text == "No decision with id x-1." and isinstance(text, str)
    assert translate(text, "en") == "No decision with id x-1."
    vietnamese = translate(text, "vi")
    assert vietnamese != text and "x-1" in vietnamese
    assert translate("A text no catalogue holds.", "vi") == "A text no catalogue holds."
    assert translate(text, "fr") == "No decision with id x-1."


def test_problem_follows_accept_language(client, actors) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers("MOF-CUSTOMS")
    english = client.get(SUBJECTS, headers=headers)
    vietnamese = client.get(SUBJECTS, headers={**headers, "Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"})
    chosen_en = client.get(SUBJECTS, headers={**headers, "Accept-Language": "en-GB,en;q=0.9"})
    assert english.status_code == vietnamese.status_code == chosen_en.status_code == 404
    assert english.json["type"] == vietnamese.json["type"]  # the stable part does not change
    assert english.headers["Content-Language"] == "en"
    assert {**english.json, "request_id": ""} == {**chosen_en.json, "request_id": ""}
    assert vietnamese.headers["Content-Language"] == "vi"
    assert "Accept-Language" in vietnamese.headers["Vary"]
    catalogue = _catalogue()
    assert vietnamese.json["title"] == catalogue[english.json["title"]]
    assert vietnamese.json["detail"] != english.json["detail"]
    assert vietnamese.json["detail"] == translate(msg_like(english.json["detail"]), "vi")


def msg_like(detail: str) -> str:
    """The English detail of a missing subject, rebuilt as the code builds it."""
    value = detail.split()[-1].rstrip(".")
    return msg("No {what} with id {value}.", what=record_name("subject"), value=value)


def test_routing_refusals_and_validation_read_in_vietnamese(client, actors) -> None:  # type: ignore[no-untyped-def]
    headers = {**actors.headers("MOF-CUSTOMS"), "Accept-Language": "vi"}
    nowhere = client.get("/api/v1/no-such-thing", headers=headers)
    assert (
        nowhere.status_code == 404 and nowhere.json["detail"] == _catalogue()["Nothing is at this address."]
    )
    wrong = client.post("/api/v1/subjects", json={"kind": "nonsense"}, headers=headers)
    assert wrong.status_code == 422
    assert wrong.json["title"] == _catalogue()["Invalid input"] and wrong.json["errors"]


def test_a_message_in_a_message_is_translated_with_it() -> None:
    """A value that is itself a Message (a reason inside a reason) reads in the same language."""
    inner = msg("domain {host} has an empty label", host="a..vn")
    outer = msg("e-mail domain: {reason}", reason=inner)
    assert outer == "e-mail domain: domain a..vn has an empty label"
    catalogue = _catalogue()
    expected = catalogue["e-mail domain: {reason}"].format(
        reason=catalogue["domain {host} has an empty label"].format(host="a..vn")
    )
    assert translate(outer, "vi") == expected and "a..vn" in expected
    assert translate(outer, "en") == outer


def test_an_identifiers_reason_reads_in_vietnamese_its_field_error_in_english(client, actors) -> None:  # type: ignore[no-untyped-def]
    headers = {**actors.headers("MOIT-DMS"), "Accept-Language": "vi"}
    refused = client.post(
        "/api/v1/identifiers", json={"kind": "url", "value": "ftp://shop.vn/"}, headers=headers
    )
    assert refused.status_code == 422 and refused.headers["Content-Language"] == "vi"
    english = "URL scheme must be http or https, got ftp"
    assert refused.json["detail"] == _catalogue()["URL scheme must be http or https, got {scheme}"].format(
        scheme="ftp"
    )
    assert refused.json["errors"] == {"value": [english]}  # marshmallow-style field messages stay English


def test_an_unauthenticated_problem_reads_in_vietnamese_its_challenge_in_english(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(
        "/api/v1/identifiers", headers={"Authorization": "Bearer junk", "Accept-Language": "vi"}
    )
    assert answer.status_code == 401
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.isascii() and 'error="invalid_token"' in challenge
    described = challenge.split('error_description="')[1].split('"')[0]
    assert answer.json["detail"] == _catalogue()[described]  # the same text, Vietnamese in the body
    assert answer.json["title"] == _catalogue()["Authentication required"]


@pytest.fixture
def console_client(app: Flask, db: Session) -> Iterator[FlaskClient]:
    """A client logged in to the console as a demo officer (tests/console/conftest.py's way), inside the
    test's transaction (`db`), so that nothing it writes outlives the test."""
    state = app.extensions["registry.console"]
    issuer = app.extensions["registry"].settings.issuer
    state.adapters[issuer] = AppAdapter(app)
    try:
        client = app.test_client()
        login(client, "dms.an")
        yield client
    finally:
        state.adapters.pop(issuer, None)


def test_the_console_error_page_reads_in_the_officers_language(console_client: FlaskClient) -> None:
    client = console_client
    missing = "00000000-0000-0000-0000-0000000000aa"
    detail = msg("No {what} with id {value}.", what=record_name("block request"), value=missing)
    page = client.get(f"/console/block-requests/{missing}")  # no Accept-Language: Vietnamese first
    assert page.status_code == 404
    assert translate(detail, "vi") in page.text and "yêu cầu chặn" in translate(detail, "vi")
    assert str(detail) not in page.text
    nowhere = client.get("/console/no-such-page")
    assert nowhere.status_code == 404 and _catalogue()["Nothing is at this address."] in nowhere.text
    by_browser = client.get(f"/console/block-requests/{missing}", headers={"Accept-Language": "en"})
    assert by_browser.status_code == 404 and f"No block request with id {missing}." in by_browser.text
    client.set_cookie("lang", "en")  # the officer's switch
    english = client.get(f"/console/block-requests/{missing}", headers={"Accept-Language": "vi"})
    assert english.status_code == 404 and f"No block request with id {missing}." in english.text
    assert "Nothing is at this address." in client.get("/console/no-such-page").text


@pytest.fixture
def rate_limited(app: Flask, db: Session) -> Iterator[Flask]:
    """An app of its own (its own limiter) at one request a minute, in the test's transaction."""
    settings = dataclasses.replace(app.extensions["registry"].settings, rate_limit="1 per minute")
    other = create_app(settings)
    other.extensions["registry"].sessionmaker = app.extensions["registry"].sessionmaker
    yield other
    other.extensions["registry"].engine.dispose()


def test_a_rate_limit_problem_reads_in_vietnamese(rate_limited, actors) -> None:  # type: ignore[no-untyped-def]
    client = rate_limited.test_client()
    headers = {**actors.headers("MOIT-DMS", ["registry:read"]), "Accept-Language": "vi"}
    assert client.get("/api/v1/identifiers", headers=headers).status_code == 200
    limited = client.get("/api/v1/identifiers", headers=headers)
    assert limited.status_code == 429 and limited.headers["Content-Language"] == "vi"
    assert limited.json["type"].endswith("/rate-limited")
    assert limited.json["title"] == _catalogue()["Too many requests"]
    seconds = int(limited.headers["Retry-After"])
    template = "Rate limit of {limit} exceeded; retry after {seconds} seconds."
    english = msg(template, limit=rate_limited.extensions["registry_limits"].limit, seconds=seconds)
    assert limited.json["detail"] == translate(english, "vi") != english
    assert f"{seconds} giây" in limited.json["detail"]


def test_a_method_not_allowed_names_the_allowed_ones(client) -> None:  # type: ignore[no-untyped-def]
    """RFC 9110 section 15.5.6: a 405 carries Allow (found by schemathesis on /api/v1/overdue)."""
    answer = client.open("/api/v1/overdue", method="TRACE")
    assert answer.status_code == 405 and answer.mimetype == "application/problem+json"
    assert {one.strip() for one in answer.headers["Allow"].split(",")} >= {"GET", "HEAD", "OPTIONS"}
