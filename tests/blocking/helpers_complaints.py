"""Complaint tests: the public form's address and body, and the deciding agency's calls."""

from __future__ import annotations

from typing import Any

COMPLAINTS = "/api/v1/block-complaints"
OWNER = {"name": "Nguyễn Văn Chủ", "phone": "0912 345 678", "email": "chu.web@example.vn"}
STATEMENT = "Trang của tôi bán hàng chính hãng, có hóa đơn nhập khẩu; xin gỡ chặn."


def complaint_body(target: str = "hanggia-mypham.vn", **overrides: Any) -> dict[str, Any]:
    return {"target": target, **OWNER, "statement": STATEMENT, **overrides}


def file(client, target: str = "hanggia-mypham.vn", **overrides: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """File a complaint with no token; the 201 answer (with its receipt code)."""
    response = client.post(COMPLAINTS, json=complaint_body(target, **overrides))
    assert response.status_code == 201, response.json
    return response.json


def status(client, code: str):  # type: ignore[no-untyped-def]
    return client.post(f"{COMPLAINTS}/status", json={"receipt_code": code})


def the_complaint(walker, target: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The deciding agency's view of the one complaint about `target`."""
    page = walker.client.get(COMPLAINTS, headers=walker.h("MOST")).json
    return next(item for item in page["items"] if item["target"] == target)
