"""Permission matrix of the public look-ups: every caller, with a token or without, gets the same public
answer; a token (even an invalid one) is ignored, never a reason to show more."""

from __future__ import annotations

import pytest

from tests.public import seed

CALLERS = ("MOIT-DMS", "NSC389", "VECOM", "ISP-VNPT", "invalid", None)  # None: no token
ROUTES = {
    "check": ("GET", "/api/v1/public/check?value=ma-tran.vn"),
    "range": ("GET", "/api/v1/public/ranges/phone/abcde"),
    "violators": ("GET", "/api/v1/public/violators"),
}
COVERED_CALLS = list(ROUTES.values())


@pytest.mark.parametrize("endpoint", ROUTES)
def test_every_caller_gets_the_same_public_answer(client, db, cipher, actors, endpoint):
    seed.violation(db, cipher, [("domain", "ma-tran.vn")])
    seed.violation(db, cipher, [("domain", "rieng.vn")], visibility="state")
    method, path = ROUTES[endpoint]
    answers = {}
    for agency in CALLERS:
        headers = (
            {} if agency is None
            else {"Authorization": "Bearer not-a-token"} if agency == "invalid"
            else actors.headers(agency)
        )  # fmt: skip
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == 200, (agency, response.json)
        answers[agency] = response.json
    assert all(answer == answers[None] for answer in answers.values())
    assert "rieng.vn" not in str(answers[None])
