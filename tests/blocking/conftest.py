"""Fixtures for block requests: decisions and violations made directly, and a walker through the workflow."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from registry.models import Agency, Decision, Subject, Violation
from tests.conftest import PG_URL

URL = "/api/v1/block-requests"
SUBMITTER, REVIEWER, APPROVER = "mic-officer-submit", "mic-officer-review", "mic-officer-approve"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """postgres_only tests need real concurrent connections: skipped, with the reason, on SQLite."""
    if PG_URL or os.environ.get("REGISTRY_TEST_DATABASE_URL"):
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL (set REGISTRY_TEST_DATABASE_URL); SQLite has no row locks"
    )
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def agency_id(db, code: str) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(Agency.id).where(Agency.code == code))


def make_decision(db, *, issuer: str = "MIC", owner: str = "MIC", **fields: Any) -> Decision:  # type: ignore[no-untyped-def]
    """A decision recorded directly (the decisions API is another engineer's work in progress)."""
    values: dict[str, Any] = {
        "document_type": "decision",
        "number": f"{uuid.uuid4().hex[:4]}/QĐ-CVT",
        "place": "Hà Nội",
        "issued_on": date.today() - timedelta(days=2),
        "issuing_body": "Cục Viễn thông",
        "signer_name": "Nguyễn Văn A",
        "signer_title": "Cục trưởng",
        "legal_bases": ["Nghị định 147/2024/NĐ-CP"],
        "targets": [],
        "reason": "Kinh doanh hàng giả trên mạng",
        "effective_from": date.today() - timedelta(days=2),
        "effective_to": date.today() + timedelta(days=365),
        "document_sha256": "a" * 64,
        "visibility": "state",
        **fields,
    }
    decision = Decision(
        issuer_agency_id=agency_id(db, issuer), owner_agency_id=agency_id(db, owner), **values
    )
    db.add(decision)
    db.flush()
    return decision


def make_violation(db, *, owner: str = "MIC", subjects: list[Subject] | None = None) -> Violation:  # type: ignore[no-untyped-def]
    violation = Violation(
        summary="Bán mỹ phẩm giả",
        categories=["COUNTERFEIT"],
        detected_at=datetime.now(UTC) - timedelta(days=3),
        owner_agency_id=agency_id(db, owner),
        visibility="state",
        subjects=subjects or [],
    )
    db.add(violation)
    db.flush()
    return violation


def make_subject(db, *, owner: str = "MIC", name: str = "Công ty TNHH Hàng Giả") -> Subject:  # type: ignore[no-untyped-def]
    from registry.identifiers import fold_name

    subject = Subject(
        kind="organisation",
        name=name,
        name_folded=fold_name(name),
        addresses=[],
        owner_agency_id=agency_id(db, owner),
        visibility="state",
    )
    db.add(subject)
    db.flush()
    return subject


def body(decision: Decision | None, violation: Violation | None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "action": "block_at_isp",
        "targets": [{"kind": "domain", "value": "HangGia-MyPham.vn"}],
        "executors": ["ISP-VNPT", "ISP-VIETTEL"],
        "violation_ids": [str(violation.id)] if violation else [],
        "decision_id": str(decision.id) if decision else None,
        "valid_until": (datetime.now(UTC) + timedelta(days=90)).isoformat(),
        "reason": "Website bán mỹ phẩm giả",
    }
    data.update(overrides)
    return data


class Walker:
    """Takes a request through the workflow over HTTP, as the named actors."""

    def __init__(self, client, actors, db) -> None:  # type: ignore[no-untyped-def]
        self.client, self.actors, self.db = client, actors, db

    def h(self, agency: str, officer: str | None = None, **kwargs: Any) -> dict[str, str]:
        return self.actors.headers(agency, officer=officer, **kwargs)

    def create(
        self, data: dict[str, Any], agency: str = "MIC", officer: str = SUBMITTER, key: str | None = None
    ):  # type: ignore[no-untyped-def]
        headers = {**self.h(agency, officer), "Idempotency-Key": key or uuid.uuid4().hex}
        return self.client.post(URL, json=data, headers=headers)

    def submit_ok(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        response = self.create(data, **kwargs)
        assert response.status_code == 201, response.json
        return response.json

    def act(
        self, request_id: str, segment: str, agency: str = "MIC", officer: str | None = REVIEWER, **json: Any
    ):  # type: ignore[no-untyped-def]
        return self.client.post(f"{URL}/{request_id}/{segment}", json=json, headers=self.h(agency, officer))

    def ok(self, request_id: str, segment: str, **kwargs: Any) -> dict[str, Any]:
        response = self.act(request_id, segment, **kwargs)
        assert response.status_code == 200, response.json
        return response.json

    def get(self, request_id: str, agency: str = "MIC"):  # type: ignore[no-untyped-def]
        return self.client.get(f"{URL}/{request_id}", headers=self.h(agency))

    def ack(
        self,
        request_id: str,
        items: list[dict[str, Any]],
        agency: str = "ISP-VNPT",
        officer: str | None = None,
    ):  # type: ignore[no-untyped-def]
        return self.client.post(
            f"{URL}/{request_id}/acknowledgements",
            json={"acknowledgements": items},
            headers=self.h(agency, officer),
        )

    def approved(self, data: dict[str, Any]) -> dict[str, Any]:
        created = self.submit_ok(data)
        self.ok(created["id"], "review")
        return self.ok(created["id"], "approve", officer=APPROVER)

    def in_effect(self, data: dict[str, Any], executor: str = "ISP-VNPT") -> dict[str, Any]:
        request = self.approved(data)
        self.ok(request["id"], "dispatch", officer=APPROVER)
        target = request["targets"][0]["id"]
        response = self.ack(request["id"], [{"target_id": target, "outcome": "executed"}], agency=executor)
        assert response.status_code == 200, response.json
        assert response.json["state"] == "in_effect"
        return self.get(request["id"]).json


@pytest.fixture
def walker(client, actors, db) -> Iterator[Walker]:  # type: ignore[no-untyped-def]
    yield Walker(client, actors, db)


@pytest.fixture
def grounds(db):  # type: ignore[no-untyped-def]
    """A MIC decision and a visible violation: the usual legal ground of a test request."""
    return make_decision(db), make_violation(db)
