"""The OpenAPI document is part of the product: it validates and describes every operation fully."""

from __future__ import annotations

from openapi_spec_validator import validate

METHODS = {"get", "post", "put", "patch", "delete"}
# The forms anyone may send without a token: a blocked site's owner's complaint and its status.
PUBLIC = {("post", "/api/v1/block-complaints"), ("post", "/api/v1/block-complaints/status")}
PUBLIC |= {  # the public look-ups
    ("get", "/api/v1/public/check"),
    ("get", "/api/v1/public/ranges/{kind}/{prefix}"),
    ("get", "/api/v1/public/violators"),
}
PUBLIC |= {("get", "/api/v1/tips/challenge"), ("post", "/api/v1/tips"), ("post", "/api/v1/tips/status")}


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_openapi_document_validates_as_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_operation_has_summary_scope_and_error_responses(client):
    spec = client.get("/api/v1/openapi.json").json
    missing = []
    for path, method, operation in operations(spec):
        if not path.startswith("/api/v1/"):
            continue
        if not operation.get("summary"):
            missing.append(f"{method.upper()} {path}: summary")
        if (method, path) in PUBLIC:  # declared as open (an empty security list), limited per address
            if operation.get("security") != [] or "429" not in operation.get("responses", {}):
                missing.append(f"{method.upper()} {path}: public, security [] and a 429 response")
            continue
        if not operation.get("security"):
            missing.append(f"{method.upper()} {path}: security")
        for status in ("401", "403"):
            if status not in operation.get("responses", {}):
                missing.append(f"{method.upper()} {path}: {status} response")
    assert missing == []


def test_docs_page_is_served(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.data.lower()


def test_every_error_response_is_declared_as_the_problem_documents_sent(client, actors):
    spec = client.get("/api/v1/openapi.json").json
    problem_ref = {"$ref": "#/components/schemas/Problem"}

    def resolved(response):
        ref = response.get("$ref")
        return spec["components"]["responses"][ref.rsplit("/", 1)[1]] if ref else response

    wrong = []
    for path, method, operation in operations(spec):
        if not path.startswith("/api/v1/"):
            continue  # /oauth answers OAuth errors (RFC 6749 section 5.2), as its operations declare
        for status, response in operation.get("responses", {}).items():
            if status == "default" or status.startswith(("4", "5")):
                content = resolved(response).get("content", {})
                if content != {"application/problem+json": {"schema": problem_ref}}:
                    wrong.append(f"{method.upper()} {path} {status}: {sorted(content)}")
    assert wrong == []
    # And what is sent has the declared members.
    sent = client.get(
        "/api/v1/subjects/00000000-0000-0000-0000-000000000000", headers=actors.headers("MOF-TAX")
    )
    assert sent.status_code == 404 and sent.mimetype == "application/problem+json"
    declared = spec["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail"} <= set(sent.json) <= set(declared)
