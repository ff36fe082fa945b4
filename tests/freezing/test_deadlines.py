"""Working days, the deadline of each step, and the overdue list of the State Bank and the Standing Office."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update

from registry.models import FreezeAccount, FreezeOrder
from registry.services import rulefiles, workdays
from registry.services.workdays import VIETNAM
from tests.freezing.helpers import ORDERS, VCB


def vn(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM)


@pytest.fixture
def calendar(tmp_path):
    path = tmp_path / "holidays.json"
    path.write_text(
        json.dumps({"fixed": ["09-02"], "dated": {"2026-10-05": "x"}, "working_days": ["2026-10-10"]})
    )
    previous = rulefiles.configure(replace(rulefiles.current(), holidays=path))  # as REGISTRY_HOLIDAYS_FILE
    yield
    rulefiles.configure(previous)


def test_working_days(calendar):
    assert workdays.is_working_day(date(2026, 10, 2))  # Friday
    assert not workdays.is_working_day(date(2026, 10, 3))  # Saturday
    assert not workdays.is_working_day(date(2026, 10, 5))  # configured holiday
    assert not workdays.is_working_day(date(2027, 9, 2))  # fixed holiday, every year
    assert workdays.is_working_day(date(2026, 10, 10))  # a Saturday made a working day
    # The same working day ends at midnight in Hanoi; a weekend or holiday moves it on.
    assert workdays.end_of_working_day(vn("2026-10-02T15:00")) == vn("2026-10-03T00:00")
    assert workdays.end_of_working_day(vn("2026-10-03T09:00")) == vn("2026-10-07T00:00")  # Tuesday
    assert workdays.end_of_working_day(vn("2026-10-02T15:00"), 1) == vn("2026-10-07T00:00")
    # Three working days keep the time of day; a start on a day off counts from the next working day.
    assert workdays.add_working_days(vn("2026-10-02T10:00"), 3) == vn("2026-10-08T10:00")
    assert workdays.add_working_days(vn("2026-10-04T22:00"), 3) == vn("2026-10-09T00:00")
    # Thursday + 3: Friday, the working Saturday, Monday.
    assert workdays.add_working_days(vn("2026-10-08T10:00"), 3) == vn("2026-10-12T10:00")
    # UTC in, UTC out: 2 October 23:30 UTC is already Saturday 3 October in Hanoi.
    assert workdays.end_of_working_day(datetime.fromisoformat("2026-10-02T23:30:00+00:00")) == vn(
        "2026-10-07T00:00"
    )


def test_the_shipped_calendar_is_dated_and_knows_tet():
    shipped = json.loads(rulefiles.RuleFiles().holidays.read_text(encoding="utf-8"))
    assert shipped["_date"]
    assert not any(workdays.calendar().is_working_day(date(2026, 2, d)) for d in range(16, 21))
    assert not workdays.calendar().is_working_day(date(2026, 4, 30))
    assert workdays.calendar().is_working_day(date(2026, 4, 29))


def test_each_step_has_its_deadline(freeze):
    order = freeze.submit()
    created = datetime.fromisoformat(order["created_at"])
    assert datetime.fromisoformat(order["due_at"]) == workdays.end_of_working_day(created)
    received = freeze.step(order, "receive")
    assert received["due_at"] == order["due_at"]  # receiving and checking keep the dispatch deadline
    freeze.step(order, "check", officer="sbv-b")
    dispatched = freeze.step(order, "dispatch", officer="sbv-b")
    sent = datetime.fromisoformat(dispatched["dispatched_at"])
    assert {datetime.fromisoformat(a["due_at"]) - sent for a in dispatched["accounts"]} == {
        timedelta(hours=24)
    }
    executed = freeze.execute(dispatched, "970436", 1_000)
    assert executed["due_at"] is None  # in effect: no step is waiting
    assert freeze.account_of(freeze.get(order, "SBV"), "970418")["due_at"]  # BIDV still has to answer


def test_overdue_orders_for_the_state_bank_and_the_standing_office(freeze, db, client):
    past = datetime.now(VIETNAM) - timedelta(hours=1)
    waiting = freeze.submit()  # the State Bank is late to dispatch it
    db.execute(
        update(FreezeOrder).where(FreezeOrder.id == uuid.UUID(waiting["id"])).values(state_due_at=past)
    )
    partial = freeze.dispatched()  # Vietcombank executed; BIDV is late
    freeze.execute(partial, "970436", 100)
    late_account = freeze.account_of(partial, "970418")
    db.execute(
        update(FreezeAccount)
        .where(FreezeAccount.id == uuid.UUID(late_account["id"]))
        .values(state_due_at=past)
    )
    freeze.dispatched(accounts=[VCB])  # on time
    for agency in ("SBV", "NSC389"):
        response = client.get(f"{ORDERS}/overdue", headers=freeze.headers(agency))
        assert response.status_code == 200, response.json
        late = {item["id"]: item["late"] for item in response.json["items"]}
        assert set(late) == {waiting["id"], partial["id"]}
        assert [(s["step"], s["party"], s["account_id"]) for s in late[waiting["id"]]] == [
            ("submitted", "SBV", None)
        ]
        assert [(s["step"], s["party"], s["account_id"]) for s in late[partial["id"]]] == [
            ("execution", "BANK-970418", late_account["id"])
        ]
    for agency in ("MPS-C03", "BANK-970418", "MOIT-DMS", "VECOM"):
        assert client.get(f"{ORDERS}/overdue", headers=freeze.headers(agency)).status_code == 403
