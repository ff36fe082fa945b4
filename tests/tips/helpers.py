"""Filing tips as the public does: a challenge solved, a multipart form, files."""

from __future__ import annotations

import io
from typing import Any

from registry.services.tips.challenge import solve

TIPS = "/api/v1/tips"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def solved(client: Any) -> dict[str, str]:
    found = client.get(f"{TIPS}/challenge")
    assert found.status_code == 200, found.json
    return {
        "challenge": found.json["challenge"],
        "solution": solve(found.json["challenge"], found.json["bits"]),
    }


def tip_form(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "website",
        "value": "hanggia-mypham.vn",
        "category": "COUNTERFEIT",
        "goods_group": "cosmetics",
        "description": "Bán kem dưỡng giả nhãn hiệu, giao hàng không có hóa đơn.",
        **overrides,
    }


def post_tip(
    client: Any,
    *,
    files: list[tuple[bytes, str]] = (),  # type: ignore[assignment]
    proof: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    **overrides: Any,
) -> Any:
    form: dict[str, Any] = {**tip_form(**overrides), **(proof if proof is not None else solved(client))}
    form = {k: v for k, v in form.items() if v is not None}
    if files:
        form["attachments"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(TIPS, data=form, content_type="multipart/form-data", headers=headers or {})


def file_tip(client: Any, **kwargs: Any) -> dict[str, Any]:
    answer = post_tip(client, **kwargs)
    assert answer.status_code == 201, answer.json
    return answer.json
