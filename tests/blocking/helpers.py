"""Block-request tests: the API's address, the officers, a request body and a walker through the workflow."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from registry.models import BlockRequest, Decision, Violation
from tests.factories import make_decision

URL = "/api/v1/block-requests"
DECIDERS = {"block_at_isp": "MOST", "suspend_domain": "MOST", "remove_listing": "MOIT-ECOM"}  # blocking.json


def decider_of(action: str) -> str:
    return DECIDERS[action]


def backdate(db, request_id: str, **values) -> None:  # type: ignore[no-untyped-def]
    db.execute(update(BlockRequest).where(BlockRequest.id == uuid.UUID(request_id)).values(**values))
    db.expire_all()


def past_validity(db, request_id: str) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    backdate(db, request_id, valid_from=now - timedelta(days=10), valid_until=now - timedelta(minutes=1))


SUBMITTER, REVIEWER, APPROVER = "mic-officer-submit", "mic-officer-review", "mic-officer-approve"


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

    def decision(self, **fields: Any) -> str:
        """A further written decision (to lift, revoke, decide an appeal): MOST's, with its document."""
        return str(make_decision(self.db, **fields).id)

    def h(self, agency: str, officer: str | None = None, **kwargs: Any) -> dict[str, str]:
        return self.actors.headers(agency, officer=officer, **kwargs)

    def create(
        self, data: dict[str, Any], agency: str = "MOST", officer: str = SUBMITTER, key: str | None = None
    ):  # type: ignore[no-untyped-def]
        headers = {**self.h(agency, officer), "Idempotency-Key": key or uuid.uuid4().hex}
        return self.client.post(URL, json=data, headers=headers)

    def submit_ok(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        response = self.create(data, **kwargs)
        assert response.status_code == 201, response.json
        return response.json

    def act(
        self, request_id: str, segment: str, agency: str = "MOST", officer: str | None = REVIEWER, **json: Any
    ):  # type: ignore[no-untyped-def]
        return self.client.post(f"{URL}/{request_id}/{segment}", json=json, headers=self.h(agency, officer))

    def ok(self, request_id: str, segment: str, **kwargs: Any) -> dict[str, Any]:
        response = self.act(request_id, segment, **kwargs)
        assert response.status_code == 200, response.json
        return response.json

    def get(self, request_id: str, agency: str = "MOST"):  # type: ignore[no-untyped-def]
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

    def approved(self, data: dict[str, Any], decider: str | None = None) -> dict[str, Any]:
        """Submitted (as MOST unless `data` says otherwise), reviewed and approved by the action's decider."""
        decider = decider or decider_of(data["action"])
        created = self.submit_ok(data)
        self.ok(created["id"], "review", agency=decider)
        return self.ok(created["id"], "approve", agency=decider, officer=APPROVER)

    def dispatched(self, data: dict[str, Any], decider: str | None = None) -> dict[str, Any]:
        request = self.approved(data, decider)
        return self.ok(
            request["id"], "dispatch", agency=decider or decider_of(data["action"]), officer=APPROVER
        )

    def in_effect(self, data: dict[str, Any], executor: str = "ISP-VNPT") -> dict[str, Any]:
        request = self.dispatched(data)
        target = request["targets"][0]["id"]
        response = self.ack(request["id"], [{"target_id": target, "outcome": "executed"}], agency=executor)
        assert response.status_code == 200, response.json
        assert response.json["state"] == "in_effect"
        return self.get(request["id"]).json
