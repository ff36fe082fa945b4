"""The OpenAPI document is part of the product: it validates and describes every operation fully."""

from __future__ import annotations

from openapi_spec_validator import validate

METHODS = {"get", "post", "put", "patch", "delete"}


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
