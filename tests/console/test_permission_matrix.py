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
CONFIRM_RELEASE = f"/console/freeze-orders/{NO}/accounts/{NO}/confirm-release"
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
    ("POST", f"/console/block-requests/{NO}/lift"): (403, 404, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/block-requests/{NO}/revoke"): (403, 404, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/block-requests/{NO}/targets/{NO}/override"): (403, 422, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/block-requests/{NO}/executors"): (403, 422, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/block-requests/{NO}/confirm-mirror"): (403, 422, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/block-requests/{NO}/appeals"): (422, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/block-requests/{NO}/appeals/{NO}/decision"): (403, 422, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/block-requests/{NO}/platform-acknowledgements"): (
        403,
        422,
        403,
        403,
        403,
        403,
        403,
        403,
    ),
    ("POST", f"/console/block-requests/{NO}/platform-removal-acknowledgement"): (
        403,
        422,
        403,
        403,
        403,
        403,
        403,
        403,
    ),
    ("GET", "/console/orders"): (403, 403, 200, 403, 403, 403, 403, 403),
    ("GET", f"/console/orders/{NO}"): (403, 403, 404, 403, 403, 403, 403, 403),
    ("POST", f"/console/orders/{NO}/acknowledgements"): (403, 403, 422, 403, 403, 403, 403, 403),
    ("POST", f"/console/orders/{NO}/removal-acknowledgement"): (403, 403, 404, 403, 403, 403, 403, 403),
    # Decisions: read with registry:read; recorded, given their document and confirmed with registry:write
    # (none of these officers has it: tests/console/test_decision_pages.py plays those with dms.thu); a
    # failed signature check overridden by a reviewing body (blocking:decide or freeze:process).
    ("GET", "/console/decisions"): (200, 200, 403, 200, 200, 200, 403, 200),
    ("GET", f"/console/decisions/{NO}"): (404, 404, 403, 404, 404, 404, 403, 404),
    ("GET", "/console/decisions/new"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", "/console/decisions"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/decisions/{NO}/document"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("GET", f"/console/decisions/{NO}/document"): (404, 404, 403, 404, 404, 404, 403, 404),
    ("POST", f"/console/decisions/{NO}/confirmation"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/decisions/{NO}/signature-override"): (403, 422, 403, 403, 403, 422, 403, 403),
    ("GET", "/console/freeze-orders"): (403, 403, 403, 403, 403, 200, 200, 200),
    ("GET", f"/console/freeze-orders/{NO}"): (403, 403, 403, 403, 403, 404, 404, 404),
    ("POST", f"/console/freeze-orders/{NO}/receive"): (403, 403, 403, 403, 403, 404, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/check"): (403, 403, 403, 403, 403, 404, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/dispatch"): (403, 403, 403, 403, 403, 404, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/close"): (403, 403, 403, 403, 403, 404, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/accounts/{NO}/report"): (403, 403, 403, 403, 403, 403, 422, 403),
    ("GET", "/console/freeze-orders?account_state=release_pending"): (403, 403, 403, 403, 403, 200, 200, 200),
    ("GET", "/console/freeze-orders/new"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", "/console/freeze-orders"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/lift"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/resubmit"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/withdraw"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/extend"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/amend"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/convert"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/flags"): (403, 403, 403, 403, 403, 422, 403, 403),
    ("POST", f"/console/freeze-orders/{NO}/flags/{NO}/answer"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", CONFIRM_RELEASE): (403, 403, 403, 403, 403, 403, 422, 403),
    ("GET", "/console/transaction-delays"): (403, 403, 403, 403, 403, 200, 200, 200),
    ("GET", "/console/transaction-delays/new"): (403, 403, 403, 403, 403, 403, 200, 403),
    ("POST", "/console/transaction-delays"): (403, 403, 403, 403, 403, 403, 422, 403),
    ("GET", f"/console/transaction-delays/{NO}"): (403, 403, 403, 403, 403, 404, 404, 404),
    ("POST", f"/console/transaction-delays/{NO}/release"): (403, 403, 403, 403, 403, 403, 404, 403),
    ("POST", f"/console/transaction-delays/{NO}/sbv-report"): (403, 403, 403, 403, 403, 403, 422, 403),
    ("GET", "/console/audit"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/console/audit?agency=MOST"): (403, 200, 403, 403, 200, 403, 403, 200),
    ("GET", f"/console/audit/subjects/{NO}/accesses.csv"): (403, 403, 403, 403, 200, 403, 403, 200),
    ("GET", "/console/audit/log"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/console/overdue"): (200, 200, 403, 403, 403, 200, 403, 200),
    ("GET", "/console/overdue/block-requests"): (200, 200, 403, 403, 403, 403, 403, 200),
    ("GET", "/console/overdue/freeze-orders"): (403, 403, 403, 403, 403, 200, 403, 200),
    ("GET", "/console/reports"): (403, 403, 403, 403, 403, 403, 403, 200),
    ("GET", "/console/reports/charts/cases.png"): (403, 403, 403, 403, 403, 403, 403, 200),
    ("GET", "/console/reports/download.csv"): (403, 403, 403, 403, 403, 403, 403, 200),
    ("GET", "/console/screenings"): (200, 200, 403, 200, 200, 200, 403, 200),
    ("POST", "/console/screenings"): (422, 422, 403, 422, 422, 422, 403, 422),
    ("GET", f"/console/screenings/{NO}"): (404, 404, 403, 404, 404, 404, 403, 404),
    ("GET", f"/console/screenings/{NO}/results.xlsx"): (404, 404, 403, 404, 404, 404, 403, 404),
    # Tips from the public: registry:write, which none of these officers holds (tests/console/test_tips.py
    # plays them with dms.thu, and its WRITER_MATRIX tries each route).
    ("GET", "/console/tips"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("GET", f"/console/tips/{NO}"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("GET", f"/console/tips/{NO}/attachments/{NO}"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/tips/{NO}/triage"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/tips/{NO}/links"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/tips/{NO}/reroute"): (403, 403, 403, 403, 403, 403, 403, 403),
    ("POST", f"/console/tips/{NO}/close"): (403, 403, 403, 403, 403, 403, 403, 403),
}
# The issuer of freeze orders (the police's investigation body): none of the eight above holds
# freeze:submit, so its pages are tried by one of its officers here (422: the empty form is refused).
ISSUER = "c03.phong"
ISSUER_MATRIX: dict[tuple[str, str], int] = {
    ("GET", "/console/freeze-orders"): 200,
    ("GET", "/console/freeze-orders?account_state=release_pending"): 200,
    ("GET", f"/console/freeze-orders/{NO}"): 404,
    ("GET", "/console/freeze-orders/new"): 200,
    ("POST", "/console/freeze-orders"): 422,
    ("POST", f"/console/freeze-orders/{NO}/lift"): 422,
    ("POST", f"/console/freeze-orders/{NO}/resubmit"): 422,
    ("POST", f"/console/freeze-orders/{NO}/withdraw"): 422,
    ("POST", f"/console/freeze-orders/{NO}/extend"): 422,
    ("POST", f"/console/freeze-orders/{NO}/amend"): 422,
    ("POST", f"/console/freeze-orders/{NO}/convert"): 422,
    ("POST", f"/console/freeze-orders/{NO}/flags/{NO}/answer"): 422,
    ("POST", f"/console/freeze-orders/{NO}/receive"): 403,
    ("POST", f"/console/freeze-orders/{NO}/check"): 403,
    ("POST", f"/console/freeze-orders/{NO}/dispatch"): 403,
    ("POST", f"/console/freeze-orders/{NO}/close"): 403,
    ("POST", f"/console/freeze-orders/{NO}/flags"): 403,
    ("POST", f"/console/freeze-orders/{NO}/accounts/{NO}/report"): 403,
    ("POST", CONFIRM_RELEASE): 403,
    ("GET", "/console/transaction-delays"): 200,
    ("GET", f"/console/transaction-delays/{NO}"): 404,
    ("GET", "/console/transaction-delays/new"): 403,
    ("POST", "/console/transaction-delays"): 403,
    ("POST", f"/console/transaction-delays/{NO}/release"): 403,
    ("POST", f"/console/transaction-delays/{NO}/sbv-report"): 403,
    ("GET", "/console/block-requests/new"): 403,
    ("GET", "/console/overdue/freeze-orders"): 403,
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
    if "/subjects/" in path:
        return path.replace(str(NO), "<uuid:subject_id>")
    if "/decisions/" in path:
        return path.replace(str(NO), "<uuid:decision_id>")
    if "/tips/" in path:
        return path.replace(str(NO), "<uuid:tip_id>", 1).replace(str(NO), "<uuid:attachment_id>")
    path = path.replace(str(NO), "<uuid:request_id>", 1)
    return path.replace(f"/targets/{NO}", "/targets/<uuid:target_id>").replace(
        f"/appeals/{NO}", "/appeals/<uuid:appeal_id>"
    )


def test_the_matrix_covers_every_console_route(app) -> None:  # type: ignore[no-untyped-def]
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("console.") and rule.rule not in OPEN:
            routes.update((method, rule.rule) for method in rule.methods - {"HEAD", "OPTIONS"})
    block_steps = "<any(start_review, return, approve, reject, dispatch, lift, revoke):step>"
    freeze_steps = "<any(receive, check, dispatch, close):step>"
    follow_ups = "<any(lift, resubmit, withdraw, extend, amend, convert):action>"
    covered = set()
    for method, path in MATRIX:
        path = _template(path.split("?", 1)[0])
        if "/freeze-orders/" in path:
            second = "<uuid:flag_id>" if "/flags/" in path else "<uuid:account_id>"
            path = path.replace("<uuid:request_id>", "<uuid:order_id>", 1).replace(str(NO), second)
            if path.endswith(("/receive", "/check", "/dispatch", "/close")):
                path = path.rsplit("/", 1)[0] + "/" + freeze_steps
            elif path.endswith(("/lift", "/resubmit", "/withdraw", "/extend", "/amend", "/convert")):
                path = path.rsplit("/", 1)[0] + "/" + follow_ups
        elif "/transaction-delays/" in path:
            path = path.replace("<uuid:request_id>", "<uuid:delay_id>")
        elif path.startswith("/console/reports/charts/"):
            path = "/console/reports/charts/<section>.png"
        elif path.startswith("/console/reports/download."):
            path = "/console/reports/download.<any(csv, xlsx):fmt>"
        elif path.endswith(
            ("/start_review", "/return", "/approve", "/reject", "/dispatch", "/lift", "/revoke")
        ):
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


def test_issuer_matrix(console) -> None:  # type: ignore[no-untyped-def]
    login(console, ISSUER)
    choose_case(console)
    token = csrf_of(console.get("/console/").text)
    seen = {}
    for method, path in ISSUER_MATRIX:
        answer = console.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        seen[(method, path)] = answer.status_code
    assert seen == ISSUER_MATRIX
