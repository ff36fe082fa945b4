"""Every core endpoint, tried by every kind of caller, against a table of expected answers.

The records are owned by market surveillance (MOIT-DMS) with visibility `state`. Callers:
  owner    MOIT-DMS, every scope its kind may hold
  state    MOF-TAX, every scope its kind may hold (a state agency, not the owner: it sees the
           owner's state records, so registering the same tax code again is a 409)
  reader   MOF-CUSTOMS with registry:read only
  isp      ISP-VNPT (blocking:execute only)
  bank     BANK-970436 (freeze:execute only)
  assoc    VECOM with registry:read (sees public records only)
  anon     no token
Hidden records answer 404 like missing ones; a missing scope answers 403. Workflow, audit, OAuth
and screening endpoints have matrices of their own beside their tests; test_every_route_is_covered
checks that no /api/v1 route is left without one.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import (
    PDF,
    create_decision,
    create_link,
    create_subject,
    create_violation,
    decision_body,
)

ROLES: dict[str, tuple[str, list[str] | None] | None] = {
    "owner": ("MOIT-DMS", None),
    "state": ("MOF-TAX", None),
    "reader": ("MOF-CUSTOMS", ["registry:read"]),
    "isp": ("ISP-VNPT", None),
    "bank": ("BANK-970436", None),
    "assoc": ("VECOM", None),
    "anon": None,
}


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # {subject}, {identifier}, {link}, {violation}, {decision} are filled in from the fixtures
    body: Any = None
    content_type: str | None = None


def _subject_body() -> dict:
    return {"kind": "organisation", "name": "Công ty Ma Trận", "tax_code": "0302035520"}


def _violation_body(records: dict) -> dict:
    return {
        "subjects": [records["subject"]],
        "categories": ["COUNTERFEIT"],
        "summary": "x",
        "detected_at": "2026-10-01T00:00:00+00:00",
    }


RECORDS = ("subject", "identifier", "link", "violation", "decision", "agency")
LINK_BODY = {
    "subject_id": "{subject}",
    "source": "tip",
    "identifier": {"kind": "domain", "value": "mt.com.vn"},
}
VIS = {"visibility": "public", "reason": "shared for the joint plan"}

EXAMPLE_REFERRAL = "00000000-0000-4000-8000-0000000000aa"

# endpoint: (call, {role: expected status})
MATRIX: dict[str, tuple[Call, dict[str, int]]] = {
    "agencies.list": (Call("GET", "/api/v1/agencies"),
                      dict(owner=200, state=200, reader=200, isp=200, bank=200, assoc=200, anon=401)),
    "agencies.get": (Call("GET", "/api/v1/agencies/{agency}"),
                     dict(owner=200, state=200, reader=200, isp=200, bank=200, assoc=200, anon=401)),
    "identifiers.create": (Call("POST", "/api/v1/identifiers", {"kind": "domain", "value": "matran.vn"}),
                           dict(owner=201, state=201, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "identifiers.list": (Call("GET", "/api/v1/identifiers"),
                         dict(owner=200, state=200, reader=200, isp=403, bank=403, assoc=200, anon=401)),
    "identifiers.lookup": (Call("GET", "/api/v1/identifiers/lookup?kind=phone&value=0912000111"),
                           dict(owner=200, state=200, reader=200, isp=403, bank=403, assoc=404, anon=401)),
    "identifiers.get": (Call("GET", "/api/v1/identifiers/{identifier}"),
                        dict(owner=200, state=200, reader=200, isp=403, bank=403, assoc=404, anon=401)),
    "identifiers.reveal": (Call("GET", "/api/v1/identifiers/{identifier}?sensitive=true"),
                           dict(owner=200, state=200, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "subjects.create": (Call("POST", "/api/v1/subjects", _subject_body()),
                        dict(owner=409, state=409, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "subjects.list": (Call("GET", "/api/v1/subjects?q=ma tran"),
                      dict(owner=200, state=200, reader=200, isp=403, bank=403, assoc=200, anon=401)),
    "subjects.get": (Call("GET", "/api/v1/subjects/{subject}"),
                     dict(owner=200, state=200, reader=200, isp=403, bank=403, assoc=404, anon=401)),
    "subjects.update": (Call("PATCH", "/api/v1/subjects/{subject}", {"province": "Hà Nội"}),
                        dict(owner=200, state=403, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "subjects.history": (Call("GET", "/api/v1/subjects/{subject}/history"),
                         dict(owner=200, state=200, reader=200, isp=403, bank=403, assoc=404, anon=401)),
    "subjects.visibility": (Call("POST", "/api/v1/subjects/{subject}/visibility", VIS),
                            dict(owner=200, state=403, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "links.create": (Call("POST", "/api/v1/links", LINK_BODY),
                     dict(owner=201, state=201, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "links.list": (Call("GET", "/api/v1/links?subject_id={subject}"),
                   dict(owner=200, state=200, reader=200, isp=403, bank=403, assoc=200, anon=401)),
    "links.get": (Call("GET", "/api/v1/links/{link}"),
                  dict(owner=200, state=200, reader=200, isp=403, bank=403, assoc=404, anon=401)),
    "links.update": (Call("PATCH", "/api/v1/links/{link}", {"confidence": 50}),
                     dict(owner=200, state=403, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "links.visibility": (Call("POST", "/api/v1/links/{link}/visibility", VIS),
                         dict(owner=200, state=403, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "decisions.create": (Call("POST", "/api/v1/decisions", decision_body(number="77/QĐ-MT")),
                         dict(owner=201, state=201, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "decisions.list": (Call("GET", "/api/v1/decisions"),
                       dict(owner=200, state=200, reader=200, isp=403, bank=403, assoc=200, anon=401)),
    "decisions.get": (Call("GET", "/api/v1/decisions/{decision}"),
                      dict(owner=200, state=200, reader=200, isp=403, bank=403, assoc=404, anon=401)),
    "decisions.upload": (Call("PUT", "/api/v1/decisions/{decision}/document", PDF, "application/pdf"),
                         dict(owner=200, state=403, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "decisions.download": (Call("GET", "/api/v1/decisions/{decision}/document"),
                           dict(owner=404, state=404, reader=404, isp=403, bank=403, assoc=404, anon=401)),
    # The record's issuer is its owner (MOIT-DMS): nothing to confirm (409); others are not the issuer.
    "decisions.confirm": (Call("POST", "/api/v1/decisions/{decision}/confirmation", {"confirmed": True}),
                          dict(owner=409, state=403, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    # Only bodies that decide blocks or process freezes override; none of these callers does.
    "decisions.override": (Call("POST", "/api/v1/decisions/{decision}/signature-override",
                                {"reason": "Chữ ký hợp lệ theo xác minh của Ban Cơ yếu"}),
                           dict(owner=403, state=403, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "decisions.visibility": (Call("POST", "/api/v1/decisions/{decision}/visibility", VIS),
                             dict(owner=200, state=403, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "violations.create": (Call("POST", "/api/v1/violations", "violation"),
                          dict(owner=201, state=201, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "violations.list": (Call("GET", "/api/v1/violations"),
                        dict(owner=200, state=200, reader=200, isp=403, bank=403, assoc=200, anon=401)),
    "violations.get": (Call("GET", "/api/v1/violations/{violation}"),
                       dict(owner=200, state=200, reader=200, isp=403, bank=403, assoc=404, anon=401)),
    "violations.update": (Call("PATCH", "/api/v1/violations/{violation}", {"status": "confirmed"}),
                          dict(owner=200, state=403, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    "violations.visibility": (Call("POST", "/api/v1/violations/{violation}/visibility", VIS),
                              dict(owner=200, state=403, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    # Only a tax authority (MOF-TAX) adds tax recovered to a case it sees.
    "violations.add_tax_recovery": (
        Call("POST", "/api/v1/violations/{violation}/tax-recoveries", {"amount_vnd": 1000}),
        dict(owner=403, state=201, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    # Only the owner refers (422 here: the fixture's decision has no document, so it grounds nothing).
    "violations.refer": (
        Call("POST", "/api/v1/violations/{violation}/referrals",
             {"police_agency": "MPS-C03", "decision_id": "{decision}", "evidence": [{"description": "x"}]}),
        dict(owner=422, state=403, reader=403, isp=403, bank=403, assoc=403, anon=401)),
    # Only the receiving body acknowledges (the tests/api/test_case_additions.py refusals); no such referral.
    "violations.acknowledge_referral": (
        Call("POST", "/api/v1/violations/{violation}/referrals/" + EXAMPLE_REFERRAL + "/acknowledgement",
             {"reference": "1/C03", "received_on": "2026-10-02"}),
        dict(owner=404, state=404, reader=403, isp=403, bank=403, assoc=403, anon=401)),
}  # fmt: skip


@pytest.fixture
def records(client, actors) -> dict[str, str]:
    owner = actors.headers("MOIT-DMS")
    subject = create_subject(client, owner, **_subject_body())
    link = create_link(client, owner, subject["id"], "phone", "0912000111")
    decision = create_decision(client, actors)
    violation_body = _violation_body({"subject": subject["id"]})
    violation = create_violation(client, owner, violation_body.pop("subjects"), **violation_body)
    return {"subject": subject["id"], "identifier": link["identifier_id"], "link": link["id"],
            "decision": decision["id"], "violation": violation["id"], "agency": "SBV"}  # fmt: skip


def _fill(value: Any, records: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**records) if "{" in value else value
    if isinstance(value, dict):
        return {key: _fill(item, records) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, records) for item in value]
    return value


CASES = [(name, role) for name in MATRIX for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role"), CASES, ids=[f"{e}-{r}" for e, r in CASES])
def test_permission_matrix(client, actors, records, endpoint, role):
    call, expected = MATRIX[endpoint]
    caller = ROLES[role]
    headers = actors.headers(caller[0], caller[1]) if caller else {}
    body = _violation_body(records) if call.body == "violation" else _fill(call.body, records)
    kwargs: dict[str, Any] = {"headers": headers}
    if call.content_type:
        kwargs.update(data=body, content_type=call.content_type)
    elif body is not None:
        kwargs["json"] = body
    response = client.open(_fill(call.path, records), method=call.method, **kwargs)
    assert response.status_code == expected[role], response.get_json()
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"


# Matrices kept beside the tests of the workflows, audit, OAuth and screening endpoints. Each module
# exports COVERED_CALLS: (method, example URL) pairs its matrix exercises.
OTHER_MATRICES = (
    "tests.audit.test_audit_api",
    "tests.blocking.test_permissions",
    "tests.blocking.test_complaint_permissions",
    "tests.freezing.test_permission_matrix",
    "tests.screening.test_permissions",
    "tests.api.test_overdue_steps",
    "tests.exchange.test_permissions",
    "tests.public.test_permissions",
    "tests.api.test_reports",
    "tests.tips.test_tip_permissions",
)
EXAMPLE_ID = "00000000-0000-4000-8000-000000000000"


def test_every_route_is_covered(app):
    """A new endpoint without a permission matrix is not done."""
    calls = [
        (call.method, _fill(call.path, dict.fromkeys(RECORDS, EXAMPLE_ID))) for call, _ in MATRIX.values()
    ]
    for module in OTHER_MATRICES:
        calls += list(importlib.import_module(module).COVERED_CALLS)
    adapter = app.url_map.bind("localhost")
    covered = set()
    for method, url in calls:
        rule, _ = adapter.match(url.split("?")[0], method=method, return_rule=True)
        covered.add((method, rule.rule))
    missing = [
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and not rule.endpoint.startswith("api-docs")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        if (method, rule.rule) not in covered
    ]
    assert sorted(missing) == []


# Routes outside /api/v1 and /console (the console has its own matrix, tests/console), each with why it
# answers without a bearer token. A new one fails test_routes_outside_the_api_are_known until it is
# listed here with its reason, or moved behind the API's guard.
OUTSIDE_THE_API = {
    ("GET", "/healthz"): "health: process up; no token, no data (tests/test_health.py)",
    ("GET", "/readyz"): "health: readiness checks; no token, no data (tests/test_health.py)",
    ("GET", "/.well-known/oauth-authorization-server"): "OAuth metadata (RFC 8414), public by design",
    ("GET", "/.well-known/openid-configuration"): "development IdP discovery (not in production)",
    ("GET", "/oauth/jwks"): "the token-signing public keys",
    ("POST", "/oauth/token"): "the client authenticates itself (tests/auth)",
    ("POST", "/oauth/introspect"): "the client authenticates itself (tests/auth)",
    ("POST", "/oauth/revoke"): "the client authenticates itself (tests/auth)",
    ("GET", "/oauth/authorize"): "development identity provider's login page (not in production)",
    ("POST", "/oauth/authorize"): "development identity provider's login page (not in production)",
    ("GET", "/static/<path:filename>"): "Flask's static files",
    ("GET", "/metrics"): "Prometheus: its own token, hashed in the settings (tests/test_observability.py)",
    ("GET", "/"): "the public site's start page: no data (tests/public)",
    ("GET", "/language"): "the public site's language switch: a cookie, no data (tests/public)",
    ("GET", "/public/base.css"): "the console's stylesheet, shared by the public pages",
    ("GET", "/public/static/<path:filename>"): "the public site's stylesheet and scripts",
    ("GET", "/check"): "the public check page: published facts only, limited per address (tests/public)",
    ("GET", "/violators"): "the public list of violators: published facts only (tests/public)",
    ("GET", "/violators.atom"): "the list of violators as an Atom feed: published facts only (tests/public)",
    ("GET", "/tips/new"): "the public's tip form: no data (tests/tips/test_tip_pages.py)",
    ("POST", "/tips/new"): "the public's tip form sent, as POST /api/v1/tips (tests/tips/test_tip_pages.py)",
    ("GET", "/tips/status"): "the public's form to follow a tip: no data (tests/tips/test_tip_pages.py)",
    ("POST", "/tips/status"): "a tip's status by receipt code, as POST /api/v1/tips/status (tests/tips)",
}  # fmt: skip


def test_routes_outside_the_api_are_known(app):
    outside = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(("/api/v1/", "/console/"))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert outside == set(OUTSIDE_THE_API)


def test_health_checks_answer_without_a_token_and_say_nothing_else(client):
    """The two routes open to anyone reveal their status words and nothing of the registry's data."""
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz").json
    assert set(ready) == {"status", "checks"}
    assert set(ready["checks"]) == {"database", "schema", "audit_sequencer", "rate_limit_storage"}
    assert set(ready["checks"]["audit_sequencer"]) <= {"status", "waiting", "oldest_waiting_seconds"}
    for name in ("database", "schema", "rate_limit_storage"):
        assert set(ready["checks"][name]) == {"status"}
    # A token changes nothing, and the API next to them still needs one.
    assert client.get("/readyz", headers={"Authorization": "Bearer nonsense"}).json == ready
    assert client.get("/api/v1/subjects").status_code == 401


def test_every_api_route_needs_a_token_but_the_public_forms(client, app):
    """Deny by default, whatever the matrices say: every /api/v1 operation answers 401 without a token,
    but the OpenAPI document and docs, and the forms a blocked site's owner sends (public_guard)."""
    public = {("POST", "/api/v1/block-complaints"), ("POST", "/api/v1/block-complaints/status")}
    public |= {  # the public look-ups (tests/public/test_permissions.py)
        ("GET", "/api/v1/public/check"),
        ("GET", "/api/v1/public/ranges/<kind>/<prefix>"),
        ("GET", "/api/v1/public/violators"),
    }
    public |= {("GET", "/api/v1/tips/challenge"), ("POST", "/api/v1/tips"), ("POST", "/api/v1/tips/status")}
    values = {"uuid": EXAMPLE_ID, "int": "1", "default": "x", "path": "x"}
    answered = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs"):
            continue
        arguments = {}
        for name, converter in rule._converters.items():
            items = getattr(converter, "items", None)  # any(...): its first choice
            kind = type(converter).__name__.removesuffix("Converter").lower()
            arguments[name] = sorted(items)[0] if items else values.get(kind, "x")
        url = rule.build(arguments, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) in public:
                continue
            answered[f"{method} {rule.rule}"] = client.open(url, method=method).status_code
    assert answered and {route: status for route, status in answered.items() if status != 401} == {}
