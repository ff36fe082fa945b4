"""Every console page and form, tried by officers of eight roles: the expected answer is written out.

Pages answer as the API does for the same operation: 403 without the scope, 404 for a record the
agency may not see (here: none exists), 422 for a form that does not validate, 200 for a page."""

from __future__ import annotations

import uuid

import pytest

from tests.console.helpers import choose_case, csrf_of, login

NO = uuid.uuid4()
OFFICERS = (
    "dms.an", "most.binh", "vnpt.dung", "customs.hoa", "audit.minh", "sbv.khanh", "vcb.nga", "nsc.lan",
)  # fmt: skip
# (method, path): expected status for each officer, in the order of OFFICERS. Freeze orders are read
# with a freeze scope only (the Standing Office also with registry:read), as in the API.
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/console/subjects"): (200, 200, 403, 200, 200, 200, 403, 200),
    ("GET", f"/console/subjects/{NO}/history"): (404, 404, 403, 404, 404, 404, 403, 404),
    ("GET", "/console/block-requests"): (200, 200, 200, 403, 403, 403, 403, 200),
    ("GET", f"/console/block-requests/{NO}"): (404, 404, 404, 403, 403, 403, 403, 404),
    ("GET", "/console/block-requests/new"): (200, 403, 403, 403, 403, 403, 403, 403),
    ("POST", "/console/block-requests"): (422, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/block-requests/{NO}/start_review"): (403, 404, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/block-requests/{NO}/return"): (403, 404, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/block-requests/{NO}/approve"): (403, 404, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/block-requests/{NO}/reject"): (403, 404, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/block-requests/{NO}/dispatch"): (403, 404, 403, 403, 403, 403, 403, 403),
    ("GET", "/console/orders"): (403, 403, 200, 403, 403, 403, 403, 403),
    ("GET", f"/console/orders/{NO}"): (403, 403, 404, 403, 403, 403, 403, 403),
    ("POST", f"/console/orders/{NO}/acknowledgements"): (403, 403, 422, 403, 403, 403, 403, 403),
    ("GET", "/console/freeze-orders"): (403, 403, 403, 403, 403, 200, 200, 200),
    ("GET", f"/console/freeze-orders/{NO}"): (403, 403, 403, 403, 403, 404, 404, 404),
    ("POST", f"/console/freeze-orders/{NO}/receive"): (403, 403, 403, 403, 403, 404, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/check"): (403, 403, 403, 403, 403, 404, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/dispatch"): (403, 403, 403, 403, 403, 404, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/close"): (403, 403, 403, 403, 403, 404, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/accounts/{NO}/report"): (403, 403, 403, 403, 403, 403, 422, 403),
    ("GET", "/console/audit"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/console/audit?agency=MOST"): (403, 200, 403, 403, 200, 403, 403, 200),
    ("GET", f"/console/audit/subjects/{NO}/accesses.csv"): (403, 403, 403, 403, 200, 403, 403, 200),
    ("GET", "/console/audit/log"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/console/overdue/block-requests"): (200, 200, 403, 403, 403, 403, 403, 200),
    ("GET", "/console/overdue/freeze-orders"): (403, 403, 403, 403, 403, 200, 403, 200),
    ("GET", "/console/screenings"): (200, 200, 403, 200, 200, 200, 403, 200),
    ("POST", "/console/screenings"): (422, 422, 403, 422, 422, 422, 403, 422),
    ("GET", f"/console/screenings/{NO}"): (404, 404, 403, 404, 404, 404, 403, 404),
    ("GET", f"/console/screenings/{NO}/results.xlsx"): (404, 404, 403, 404, 404, 404, 403, 404),
}
# Open to every logged-in officer, or before login (no record, no scope): not in the matrix.
OPEN = {
    "/console/",
    "/console/case",
    "/console/login",
    "/console/login/<name>",
    "/console/auth/callback",
    "/console/logout",
    "/console/lang",
    "/console/static/<path:filename>",
    "/console/<path:unknown>",
}


def _template(path: str) -> str:
    if "/screenings/" in path:
        return path.replace(str(NO), "<uuid:job_id>")
    return (
        path.replace(str(NO), "<uuid:request_id>", 1)
        if "/subjects/" not in path
        else path.replace(str(NO), "<uuid:subject_id>")
    )


def test_the_matrix_covers_every_console_route(app) -> None:  # type: ignore[no-untyped-def]
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("console.") and rule.rule not in OPEN:
            routes.update((method, rule.rule) for method in rule.methods - {"HEAD", "OPTIONS"})
    block_steps = "<any(start_review, return, approve, reject, dispatch):step>"
    freeze_steps = "<any(receive, check, dispatch, close):step>"
    covered = set()
    for method, path in MATRIX:
        path = _template(path.split("?", 1)[0])
        if "/freeze-orders/" in path:
            path = path.replace("<uuid:request_id>", "<uuid:order_id>", 1).replace(
                str(NO), "<uuid:account_id>"
            )
            if path.endswith(("/receive", "/check", "/dispatch", "/close")):
                path = path.rsplit("/", 1)[0] + "/" + freeze_steps
        elif path.endswith(("/start_review", "/return", "/approve", "/reject", "/dispatch")):
            path = path.rsplit("/", 1)[0] + "/" + block_steps
        covered.add((method, path))  # fmt: skip
    assert routes == covered


def test_every_guarded_view_states_its_scope(app) -> None:  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("console.") and rule.rule not in OPEN:
            assert getattr(app.view_functions[rule.endpoint], "required_scope", None), rule.rule


@pytest.mark.parametrize("index", range(len(OFFICERS)), ids=OFFICERS)
def test_permission_matrix(console, index: int) -> None:  # type: ignore[no-untyped-def]
    login(console, OFFICERS[index])
    choose_case(console)
    token = csrf_of(console.get("/console/").text)
    seen = {}
    for method, path in MATRIX:
        answer = console.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        seen[(method, path)] = answer.status_code
    for (method, path), expected in MATRIX.items():
        assert seen[(method, path)] == expected[index], (method, path, seen[(method, path)])
    assert len(seen) == len(MATRIX)
