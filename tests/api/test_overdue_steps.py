"""GET /api/v1/overdue: every overdue step of both workflows, whose move it is and where, counted by
agency and by province; each workflow's visibility applies; who may ask (the permission matrix)."""

from __future__ import annotations

import pytest

from tests.overdue import late_steps_of_both_workflows

URL = "/api/v1/overdue"
# For tests/test_permission_matrix.py::test_every_route_is_covered.
COVERED_CALLS = [("GET", URL)]


@pytest.fixture
def late(client, actors, db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return late_steps_of_both_workflows(client, actors, db)


def _steps(answer) -> list[tuple[str, str, str | None, list[str]]]:  # type: ignore[no-untyped-def]
    return [(i["record_id"], i["step"], i["party"], i["provinces"]) for i in answer.json["items"]]


def test_the_standing_office_sees_every_late_step_by_agency_and_province(client, actors, late) -> None:  # type: ignore[no-untyped-def]
    office = actors.headers("NSC389", scopes=["reports:read", "registry:read"])
    answer = client.get(URL, headers=office)
    assert answer.status_code == 200, answer.json
    assert _steps(answer) == [
        (late["review"], "submitted", "MOST", ["Hà Nội"]),
        (late["executed"], "execution", "ISP-VIETTEL", ["TP Hồ Chí Minh"]),
        (late["waiting"], "submitted", "SBV", []),
        (late["bidv"], "execution", "BANK-970418", ["Đà Nẵng"]),
    ]
    assert answer.json["total"] == 4 and answer.json["total_exact"] and not answer.json["has_more"]
    assert {(c["agency"], c["count"]) for c in answer.json["by_agency"]} == {
        ("MOST", 1), ("ISP-VIETTEL", 1), ("SBV", 1), ("BANK-970418", 1),
    }  # fmt: skip
    assert answer.json["by_province"][0] == {"province": None, "count": 1}  # the order without a place
    assert {(c["province"], c["count"]) for c in answer.json["by_province"]} == {
        (None, 1), ("Hà Nội", 1), ("TP Hồ Chí Minh", 1), ("Đà Nẵng", 1),
    }  # fmt: skip

    by_sbv = client.get(URL, query_string={"agency": "SBV"}, headers=office)
    assert _steps(by_sbv) == [(late["waiting"], "submitted", "SBV", [])]
    assert by_sbv.json["by_agency"] == answer.json["by_agency"]  # counts are of every step seen
    in_hanoi = client.get(URL, query_string={"province": "Hà Nội"}, headers=office)
    assert [s[0] for s in _steps(in_hanoi)] == [late["review"]]
    freezes = client.get(URL, query_string={"workflow": "freeze_order", "per_page": 1}, headers=office)
    assert [s[0] for s in _steps(freezes)] == [late["waiting"]] and freezes.json["has_more"]
    assert freezes.json["total"] == 2 and len(freezes.json["by_agency"]) == 2
    second = client.get(
        URL, query_string={"workflow": "freeze_order", "per_page": 1, "page": 2}, headers=office
    )
    assert [s[0] for s in _steps(second)] == [late["bidv"]] and not second.json["has_more"]


def test_each_workflow_shows_what_its_own_rule_allows(client, actors, late) -> None:  # type: ignore[no-untyped-def]
    sbv = client.get(URL, headers=actors.headers("SBV"))  # freeze orders: every one; block requests: its own
    assert sbv.status_code == 200, sbv.json
    assert [s[0] for s in _steps(sbv)] == [late["waiting"], late["bidv"]]
    most = client.get(URL, headers=actors.headers("MOST"))  # submitted both requests; reads no freeze list
    assert [s[0] for s in _steps(most)] == [late["review"], late["executed"]]
    assert (
        client.get(URL, query_string={"workflow": "freeze_order"}, headers=actors.headers("MOST")).status_code
        == 403
    )


def test_bad_filters_are_refused(client, actors) -> None:  # type: ignore[no-untyped-def]
    office = actors.headers("NSC389", scopes=["reports:read"])
    for query in ({"workflow": "tips"}, {"page": 0}, {"agency": ""}):
        answer = client.get(URL, query_string=query, headers=office)
        assert answer.status_code == 422, (query, answer.json)


# Who may ask: without any workflow's reading role, 403; without a token, 401.
@pytest.mark.parametrize(
    ("agency", "scopes", "status"),
    [
        ("NSC389", ["reports:read"], 200),
        ("SBV", None, 200),
        ("MOST", None, 200),
        ("MOIT-DMS", None, 200),
        ("MOF-CUSTOMS", ["registry:read"], 403),
        ("ISP-VNPT", None, 403),
        ("BANK-970436", None, 403),
        ("VECOM", None, 403),
        (None, None, 401),
    ],
)
def test_permission_matrix(client, actors, agency, scopes, status) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(agency, scopes=scopes) if agency else {}
    assert client.get(URL, headers=headers).status_code == status
