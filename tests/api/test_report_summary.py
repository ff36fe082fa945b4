"""The reports' summary of the cases (services.reports.summary) stays exact: after every kind of write
through the API, for random data against a count made here from the cases, across day boundaries in
Vietnam, after a bulk load, and with two reports counting at once (PostgreSQL)."""

from __future__ import annotations

import json
import random
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from registry.cli import main
from registry.db import make_engine
from registry.models import (
    CATEGORIES,
    GOODS_GROUPS,
    Agency,
    CaseSummary,
    CaseSummaryChange,
    RecordShare,
    TaxRecovery,
    Violation,
)
from registry.services.reports import summary
from tests.api.test_reports import OFFICE, URL, _follow_every_link, figures
from tests.factories import agency_id, create_subject, create_violation
from tests.reports import VN, at

PERIOD = {"from": "2026-01-01", "to": "2026-06-30"}
START, END = date(2026, 1, 1), date(2026, 6, 30)


def report(client, headers, period=PERIOD, follow=True, **query: Any) -> dict[tuple[str, str], int]:  # type: ignore[no-untyped-def]
    answer = client.get(URL, query_string={**period, **query}, headers=headers)
    assert answer.status_code == 200, answer.json
    if follow:
        assert _follow_every_link(client, headers, answer) > 0  # each count is its list's total
    return figures(answer)


def cases(got: dict[tuple[str, str], int]) -> dict[str, int]:
    return {key: n for (section, key), n in got.items() if section in ("cases", "amounts") and n}


def test_every_kind_of_write_through_the_api_changes_the_figures(client, actors, db) -> None:  # type: ignore[no-untyped-def]
    office, dms = actors.headers("NSC389", scopes=OFFICE), actors.headers("MOIT-DMS")
    seller = create_subject(client, dms)
    assert cases(report(client, office)) == {}
    case = create_violation(
        client, dms, [seller["id"]], detected_at="2026-02-10T09:00:00+07:00", province="Hà Nội"
    )
    assert cases(report(client, office)) == {
        "detected": 1,
        "by_category.COUNTERFEIT.detected": 1,
        "by_goods_group.cosmetics.detected": 1,
    }
    url = f"/api/v1/violations/{case['id']}"
    changed = client.patch(
        url,
        json={"status": "sanctioned", "sanction_reference": "5/QĐ-XPHC", "fine_vnd": 5_000_000,
              "categories": ["SMUGGLED"], "goods_groups": ["alcohol", "tobacco_ecigarettes"]},
        headers=dms,
    )  # fmt: skip
    assert changed.status_code == 200, changed.json
    assert cases(report(client, office)) == {
        "detected": 1, "handled": 1, "fines_vnd": 5_000_000,
        "by_category.SMUGGLED.detected": 1, "by_category.SMUGGLED.handled": 1,
        "by_goods_group.alcohol.detected": 1, "by_goods_group.alcohol.handled": 1,
        "by_goods_group.tobacco_ecigarettes.detected": 1, "by_goods_group.tobacco_ecigarettes.handled": 1,
    }  # fmt: skip
    added = client.post(
        f"{url}/tax-recoveries", json={"amount_vnd": 7_000_000}, headers=actors.headers("MOF-TAX")
    )
    assert added.status_code == 201, added.json
    assert cases(report(client, office))["tax_recovered_vnd"] == 7_000_000

    def visibility(value: str, shared_with: list[str]) -> None:
        body = {"visibility": value, "shared_with": shared_with, "reason": "Báo cáo"}
        assert client.post(f"{url}/visibility", json=body, headers=dms).status_code == 200

    visibility("owner", [])
    assert cases(report(client, office)) == {}  # no longer the office's to see
    assert cases(report(client, dms))["detected"] == 1  # the owner's own report
    visibility("named", ["NSC389"])  # counted live: the summary cannot tell whom a case is shared with
    assert cases(report(client, office))["tax_recovered_vnd"] == 7_000_000
    assert cases(report(client, office))["by_goods_group.alcohol.handled"] == 1
    assert cases(report(client, actors.headers("MOF-CUSTOMS"))) == {}
    assert cases(report(client, dms))["detected"] == 1
    # The last minute of the period in Vietnam counts; the first of the next day does not.
    visibility("state", [])
    create_violation(client, dms, [seller["id"]], detected_at="2026-06-30T23:59:59+07:00")
    create_violation(client, dms, [seller["id"]], detected_at="2026-06-30T17:00:00+00:00")  # 1 July in VN
    assert cases(report(client, office))["detected"] == 2
    assert db.scalar(select(func.count()).select_from(CaseSummaryChange)) == 0  # the report used the marks
    counted = select(func.sum(CaseSummary.cases)).where(CaseSummary.dim == "")
    assert db.scalar(counted.where(CaseSummary.span == "day")) == 3
    assert db.scalar(counted.where(CaseSummary.span == "month")) == 3


AGENCIES = ("MOIT-DMS", "MOF-CUSTOMS", "MOF-TAX", "PROV-HN", "VECOM")
VISIBILITIES = ("state", "state", "public", "owner", "named")
PROVINCES = ("Hà Nội", "Đà Nẵng", None)
# Periods of whole months, with days at their ends, within one month, of one month; the days around them.
PERIODS = [(START, END), (date(2026, 1, 15), date(2026, 6, 10)), (date(2026, 2, 5), date(2026, 2, 20))]
PERIODS.append((date(2026, 2, 1), date(2026, 2, 28)))
DAYS = sorted({d + timedelta(days=n) for period in PERIODS for d in period for n in (-1, 0, 1)})


def _random_cases(db: Session, seed: int) -> list[dict[str, Any]]:
    """About 80 cases with random owners, visibility (shares), days around the periods' ends, provinces,
    statuses, categories and tax additions, written with the ORM; what each is, for the count here."""
    rng = random.Random(seed)
    made = []
    for _ in range(80):
        day = rng.choice(DAYS)
        moment = datetime.combine(day, datetime.min.time(), VN) + timedelta(
            minutes=rng.choice([0, 1, 719, 1439])
        )
        owner = rng.choice(AGENCIES)
        shared = rng.sample([a for a in AGENCIES if a != owner], 2)
        case = {
            "owner": owner,
            "visibility": rng.choice(VISIBILITIES),
            "shared": shared,
            "day": moment.astimezone(VN).date(),
            "province": rng.choice(PROVINCES),
            "status": rng.choice(["suspected", "confirmed", "sanctioned"]),
            "categories": rng.sample(CATEGORIES, rng.randint(1, 2)),
            "goods": rng.sample(GOODS_GROUPS, rng.randint(0, 2)),
            "fine": rng.randrange(0, 10) * 1_000_000,
            "tax": rng.randrange(0, 3) * 500_000,
            "goods_value": rng.randrange(0, 5) * 2_000_000,
            "added": rng.choice([0, 0, 3_000_000]),
        }
        violation = Violation(
            summary="Kinh doanh hàng giả",
            categories=case["categories"],
            goods_groups=case["goods"],
            detected_at=moment.astimezone(UTC),
            province=case["province"],
            status=case["status"],
            sanction_reference="1/QĐ-XPHC" if case["status"] == "sanctioned" else None,
            fine_vnd=case["fine"],
            tax_recovered_vnd=case["tax"],
            goods_value_vnd=case["goods_value"],
            owner_agency_id=agency_id(db, owner),
            visibility=case["visibility"],
        )
        db.add(violation)
        db.flush()
        if case["visibility"] == "named":
            for agency in shared:
                db.add(
                    RecordShare(
                        record_type="violation", record_id=violation.id, agency_id=agency_id(db, agency)
                    )
                )
        if case["added"]:
            db.add(
                TaxRecovery(
                    violation_id=violation.id,
                    agency_id=agency_id(db, "MOF-TAX"),
                    recorded_by="x",
                    amount_vnd=case["added"],
                )
            )
        made.append(case)
    db.flush()
    return made


def _expected(
    made: list[dict[str, Any]], period: tuple[date, date], caller: str, state: bool, scope: dict[str, str]
) -> dict[str, int]:
    """The figures counted here from what was written, with the visibility rule spelled out."""
    found: dict[str, int] = {}

    def add(key: str, n: int) -> None:
        if n:
            found[key] = found.get(key, 0) + n

    for case in made:
        visible = (
            case["owner"] == caller
            or case["visibility"] == "public"
            or (case["visibility"] == "state" and state)
            or (case["visibility"] == "named" and caller in case["shared"])
        )
        if not visible or not period[0] <= case["day"] <= period[1]:
            continue
        if scope.get("agency") and case["owner"] != scope["agency"]:
            continue
        if scope.get("province") and case["province"] != scope["province"]:
            continue
        handled = int(case["status"] == "sanctioned")
        add("detected", 1)
        add("handled", handled)
        add("fines_vnd", case["fine"])
        add("tax_recovered_vnd", case["tax"] + case["added"])
        add("goods_value_vnd", case["goods_value"])
        for name, values in (("by_category", case["categories"]), ("by_goods_group", case["goods"])):
            for value in values:
                add(f"{name}.{value}.detected", 1)
                add(f"{name}.{value}.handled", handled)
    return found


@pytest.mark.parametrize("seed", [1, 2])
def test_the_figures_are_those_counted_from_random_cases(client, actors, db, seed) -> None:  # type: ignore[no-untyped-def]
    made = _random_cases(db, seed)
    askers = [  # who asks, with which scopes, whether a state body, the query, whose cases it counts
        ("NSC389", OFFICE, True, {}, {}),
        ("NSC389", OFFICE, True, {"scope": "province", "province": "Hà Nội"}, {"province": "Hà Nội"}),
        ("NSC389", OFFICE, True, {"scope": "agency", "agency": "MOF-CUSTOMS"}, {"agency": "MOF-CUSTOMS"}),
        ("MOF-CUSTOMS", None, True, {}, {"agency": "MOF-CUSTOMS"}),
        ("PROV-HN", None, True, {}, {"province": "Hà Nội"}),
        ("VECOM", ["reports:read", "registry:read"], False, {}, {"agency": "VECOM"}),
    ]
    for period in PERIODS:
        asked = {"from": period[0].isoformat(), "to": period[1].isoformat()}
        for agency, scopes, state, query, scope in askers:
            headers = actors.headers(agency, scopes=scopes)
            got = cases(report(client, headers, asked, follow=period == PERIODS[0], **query))
            assert got == _expected(made, period, agency, state, scope), (period, agency, query)


def test_a_mark_without_a_day_counts_every_day_again(client, actors, db) -> None:  # type: ignore[no-untyped-def]
    """A bulk load that bypasses the ORM (bench.loader) marks every day; the next report counts them all."""
    office = actors.headers("NSC389", scopes=OFFICE)
    assert cases(report(client, office)) == {}
    now = datetime.now(UTC)
    rows = [
        {"id": uuid.uuid4(), "summary": "x", "categories": ["COUNTERFEIT"], "goods_groups": [],
         "detected_at": at(f"2026-03-0{n} 12:00").astimezone(UTC), "status": "confirmed", "fine_vnd": 1_000,
         "tax_recovered_vnd": 0, "goods_value_vnd": 0, "visibility": "state",
         "owner_agency_id": agency_id(db, "MOIT-DMS"), "created_at": now, "updated_at": now}
        for n in range(1, 4)
    ]  # fmt: skip
    db.execute(insert(Violation.__table__), rows)
    db.add(CaseSummaryChange(day=None))
    db.flush()
    assert cases(report(client, office)) == {
        "detected": 3,
        "fines_vnd": 3_000,
        "by_category.COUNTERFEIT.detected": 3,
    }


@pytest.mark.postgres_only
def test_two_reports_counting_at_once_count_each_case_once(fresh_database: str) -> None:
    """The second report waits for the first one's lock, then finds the marks gone: nothing counted twice."""
    engine = make_engine(fresh_database)
    with Session(engine) as setup:
        owner = setup.scalars(select(Agency.id).where(Agency.code == "MOIT-DMS")).one()
        for n in range(5):
            setup.add(
                Violation(summary="x", categories=["COUNTERFEIT"], goods_groups=[], owner_agency_id=owner,
                          detected_at=at(f"2026-04-0{n + 1} 10:00"), visibility="state")
            )  # fmt: skip
        setup.commit()
    first, second = Session(engine), Session(engine)
    assert summary.bring_up_to_date(first)  # holds the lock until it commits
    outcome: list[bool] = []
    waiting = threading.Thread(target=lambda: outcome.append(summary.bring_up_to_date(second)))
    waiting.start()
    waiting.join(timeout=1)
    assert waiting.is_alive()  # waiting for the first report's lock
    first.commit()
    waiting.join(timeout=10)
    second.commit()
    assert outcome == [False]
    with Session(engine) as check:
        counted = select(func.sum(CaseSummary.cases)).where(CaseSummary.dim == "", CaseSummary.span == "day")
        assert check.scalar(counted) == 5
        assert check.scalar(select(func.count()).select_from(CaseSummaryChange)) == 0
    first.close()
    second.close()
    engine.dispose()


def test_the_workflow_clock_counts_before_a_report_asks(fresh_database: str, cli_env: dict[str, str]) -> None:
    """`registry workflows tick` brings the summary up to date (the migration's first count included)."""
    engine = make_engine(fresh_database)
    with Session(engine) as setup:
        owner = setup.scalars(select(Agency.id).where(Agency.code == "MOIT-DMS")).one()
        setup.add(
            Violation(summary="x", categories=["SMUGGLED"], goods_groups=["alcohol"], owner_agency_id=owner,
                      detected_at=at("2026-05-20 10:00"), visibility="state", fine_vnd=2_000)
        )  # fmt: skip
        setup.commit()
    first = CliRunner().invoke(main, ["workflows", "tick", "--json"], env=cli_env)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["reports"] == {"counted": 1}
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(CaseSummaryChange)) == 0
        row = select(CaseSummary.cases, CaseSummary.fines_vnd).where(CaseSummary.dim == "")
        assert check.execute(row.where(CaseSummary.day == date(2026, 5, 20))).one() == (1, 2_000)
        assert check.execute(row.where(CaseSummary.day == date(2026, 5, 1))).one() == (1, 2_000)  # its month
    again = CliRunner().invoke(main, ["workflows", "tick", "--json"], env=cli_env)
    assert json.loads(again.stdout)["reports"] == {"counted": 0}
    engine.dispose()
