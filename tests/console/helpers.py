"""Console tests: log in through the development identity provider, in process, and read pages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.structures import CaseInsensitiveDict


class AppAdapter(requests.adapters.BaseAdapter):
    """A requests transport to the Flask app itself: the console's OIDC client (authlib, requests) then
    calls the registry's own provider in process, on the test's database transaction."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.client = app.test_client()

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:  # type: ignore[override]
        url = urlsplit(request.url or "")
        answer = self.client.open(
            url.path + (f"?{url.query}" if url.query else ""),
            method=request.method or "GET",
            headers=dict(request.headers),
            data=request.body,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.data
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


def local(location: str) -> str:
    """The path and query of an absolute redirect to the registry (the test client is served anywhere)."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def login(client: Any, officer: str) -> Any:
    """Log in as a demo officer: console -> provider's login page -> choice -> callback -> console."""
    start = client.get("/console/login/dev")
    assert start.status_code == 302, start.data
    authorize = local(start.headers["Location"])
    page = client.get(authorize)
    assert page.status_code == 200, page.data
    params = {key: values[0] for key, values in parse_qs(urlsplit(authorize).query).items()}
    chosen = client.post(
        "/oauth/authorize", data={**params, "csrf_token": csrf_of(page.text), "officer": officer}
    )
    assert chosen.status_code == 302, chosen.data
    done = client.get(local(chosen.headers["Location"]))
    assert done.status_code == 302, done.data
    return done


def choose_case(client: Any, case: str = "123/QĐ-CVT") -> None:
    page = client.get("/console/case")
    answer = client.post("/console/case", data={"case": case, "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 302, answer.data


def submit_block_request(
    client: Any, decision: Any, violation: Any, targets: str = "domain hang-gia-my-pham.vn"
) -> Any:
    """Submit a block request through the console's form (as the officer `client` is logged in as):
    the raw answer, a redirect to the new request's page when it was accepted."""
    form = client.get("/console/block-requests/new")
    assert form.status_code == 200, form.text
    assert decision.number in form.text
    return client.post(
        "/console/block-requests",
        data={
            "csrf_token": csrf_of(form.text),
            "form_id": re.search(r'name="form_id" value="([^"]+)"', form.text).group(1),  # type: ignore[union-attr]
            "action": "block_at_isp",
            "decision_id": str(decision.id),
            "violation_ids": [str(violation.id)],
            "targets": targets,
            "executors": "ISP-VNPT",
            "valid_days": "90",
            "reason": "Website bán mỹ phẩm giả",
        },
    )
