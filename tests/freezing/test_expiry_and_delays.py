"""Automatic expiry of orders, and bank-initiated transaction delays that expire or that an order follows."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from registry.cli.workflows import TICKS
from registry.models import FreezeOrder
from registry.services import freezing, rulefiles
from registry.services.workdays import VIETNAM
from tests.freezing.helpers import BIDV, DELAYS, ORDERS, VCB, get_delay, report_delay

COVERED = {str(year): {"source": "test"} for year in range(2025, 2031)}


def vn(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM)


def use_holidays(request, path) -> None:
    """This process counts working days with `path` for this test (what REGISTRY_HOLIDAYS_FILE sets)."""
    previous = rulefiles.configure(replace(rulefiles.current(), holidays=path))
    request.addfinalizer(lambda: rulefiles.configure(previous))


@pytest.fixture
def holiday(tmp_path, request):
    """A configured public holiday on Monday 5 October 2026 (and no others)."""
    path = tmp_path / "holidays.json"
    days = {"years": COVERED, "days_off": {"2026-10-05": "test holiday"}, "working_days": []}
    path.write_text(json.dumps(days))
    use_holidays(request, path)


def test_order_expires_by_tick_recorded_as_system(freeze, db):
    today = freezing.today_in_vietnam()
    order = freeze.in_effect(valid_until=today.isoformat())
    assert TICKS["freezing"] is freezing.tick
    last_moment = datetime.combine(today + timedelta(days=1), datetime.min.time(), VIETNAM) - timedelta(
        seconds=1
    )
    assert freezing.tick(db, now=last_moment)["freeze_orders_expired"] == 0
    counts = freezing.tick(db, now=last_moment + timedelta(seconds=1))
    assert counts["freeze_orders_expired"] == 1
    db.flush()
    expired = freeze.get(order, "SBV")
    assert expired["state"] == "expired"
    system, release = expired["transitions"][-2:]
    assert system["action"] == "expire" and system["officer"] == "system" and system["agency"] is None
    assert system["reason"] == f"validity ended on {today.isoformat()}"
    # Expiry reaches the bank as a release instruction, which it confirms before the order is closed.
    assert (release["action"], release["officer"], release["detail"]) == (
        "instruct_release",
        "system",
        {"release_vnd": 300_000_000},
    )
    vcb = freeze.account_of(expired, "970436")
    assert (vcb["state"], vcb["release_pending_vnd"]) == ("release_pending", 300_000_000)
    freeze.step(order, "close", officer="sbv-c", expect=409)
    path = f"{ORDERS}/{order['id']}/accounts/{vcb['id']}/confirm-release"
    confirmed = freeze.post(path, "BANK-970436", None, release_reference="REL-1")
    assert freeze.account_of(confirmed, "970436")["released_vnd"] == 300_000_000
    assert freeze.step(order, "close", officer="sbv-c")["state"] == "closed"


def test_order_expires_when_read_after_its_validity(freeze, db):
    order = freeze.in_effect()
    yesterday = date.today() - timedelta(days=2)
    db.execute(
        update(FreezeOrder)
        .where(FreezeOrder.id == uuid.UUID(order["id"]))
        .values(valid_from=yesterday, valid_until=yesterday)
    )
    assert freeze.get(order, "BANK-970436")["state"] == "expired"
    refused = freeze.step(
        order,
        "extend",
        "MPS-C03",
        "inv-1",
        expect=409,
        decision_id=freeze.decision(),
        valid_until="2030-01-01",
        note="x",
    )
    assert refused["current_state"] == "expired" and refused["allowed"] == ["close"]


def test_delay_expires_after_three_working_days_across_weekend_and_holiday(freeze, db, holiday):
    # Friday 2 October 2026, 10:00 in Hanoi; Saturday, Sunday and the configured Monday holiday don't count.
    delay = report_delay(freeze, delayed_at="2026-10-02T10:00:00+07:00")
    assert delay["state"] == "in_effect"
    assert datetime.fromisoformat(delay["ends_at"]) == vn("2026-10-08T10:00:00")  # Thursday
    assert delay["account_number"] is None  # the kept answer of a submission is masked
    assert freezing.tick(db, now=vn("2026-10-08T09:59:59"))["transaction_delays_expired"] == 0
    assert freezing.tick(db, now=vn("2026-10-08T10:00:00"))["transaction_delays_expired"] == 1
    db.flush()
    expired = get_delay(freeze, delay, "BANK-970436")
    assert expired["state"] == "expired" and expired["allowed_actions"] == []
    assert [(t["action"], t["officer"]) for t in expired["transitions"]] == [
        ("create", None),
        ("expire", "system"),
    ]
    assert expired["transitions"][1]["reason"] == "3 working days passed without a freeze order"
    assert expired["account_number"] == "970436:0011001234567"  # the bank's own account


def test_delay_without_the_holiday_ends_a_day_earlier(freeze, tmp_path, request):
    path = tmp_path / "none.json"
    path.write_text(json.dumps({"years": COVERED, "days_off": {}, "working_days": []}))
    use_holidays(request, path)
    delay = report_delay(freeze, delayed_at="2026-10-02T10:00:00+07:00")
    assert datetime.fromisoformat(delay["ends_at"]) == vn("2026-10-07T10:00:00")  # Wednesday


def test_delay_expires_when_read_past_its_end(freeze):
    delay = report_delay(freeze, delayed_at="2026-10-02T10:00:00+07:00")
    assert get_delay(freeze, delay, "SBV")["state"] == "expired"


def test_an_order_follows_a_delay_and_supersedes_it(freeze, db):
    delay = report_delay(freeze)
    seen = get_delay(freeze, delay, "MPS-C03")  # reported to it
    assert (
        seen["state"] == "in_effect" and seen["account_number"] is None and seen["display"] == "VCB ••••4567"
    )
    order = freeze.submit(accounts=[VCB, BIDV], transaction_delay_ids=[delay["id"]])
    assert order["transaction_delay_ids"] == [delay["id"]]
    # Submitted is not executed: the delay runs on, linked to the order that follows it.
    followed = get_delay(freeze, delay, "BANK-970436")
    assert followed["state"] == "in_effect" and followed["followed_by_order_id"] == order["id"]
    assert followed["superseded_by_order_id"] is None
    freeze.step(order, "receive", officer="sbv-a")
    freeze.step(order, "check", officer="sbv-b")
    dispatched = freeze.step(order, "dispatch", officer="sbv-b")
    assert get_delay(freeze, delay, "SBV")["state"] == "in_effect"  # dispatched is not executed either
    freeze.execute(dispatched, "970418", 1_000)  # another bank's execution does not end it
    assert get_delay(freeze, delay, "SBV")["state"] == "in_effect"
    freeze.execute(dispatched, "970436", 120_000_000)  # executed at the delaying bank: the delay ends
    followed = get_delay(freeze, delay, "BANK-970436")
    assert followed["state"] == "superseded_by_order" and followed["superseded_by_order_id"] == order["id"]
    link = followed["transitions"][-1]
    assert link["action"] == "supersede" and link["agency"] == "BANK-970436"
    far = datetime.now(UTC) + timedelta(days=10)
    assert freezing.tick(db, now=far)["transaction_delays_expired"] == 0
    db.flush()
    assert get_delay(freeze, delay, "SBV")["state"] == "superseded_by_order"


def test_linking_a_delay_is_checked(freeze, db):
    delay = report_delay(freeze)
    other_account = freeze.submit(accounts=[BIDV], transaction_delay_ids=[delay["id"]], expect=422)
    assert "transaction_delay_ids.0" in other_account["errors"]
    not_told = freeze.submit(
        agency="MPS-A05",
        decision_id=freeze.decision("MPS-A05"),
        accounts=[VCB],
        transaction_delay_ids=[delay["id"]],
        expect=422,
    )
    assert not_told["errors"]["transaction_delay_ids.0"] == ["no such delay"]
    ended = report_delay(freeze, delayed_at="2026-10-02T10:00:00+07:00")
    late = freeze.submit(accounts=[VCB], transaction_delay_ids=[ended["id"]], expect=409)
    assert late["current_state"] == "expired" and late["allowed"] == []
    assert get_delay(freeze, delay, "SBV")["state"] == "in_effect"  # nothing of the refused orders remains


def test_delay_reports_are_checked(freeze):
    other_bank = report_delay(freeze, account=BIDV, expect=422)
    assert other_bank["errors"] == {"account": ["not an account of BIN 970436"]}
    future = report_delay(freeze, delayed_at="2099-01-01T00:00:00+07:00", expect=422)
    assert "delayed_at" in future["errors"]
    not_competent = report_delay(freeze, reported_to=["MOIT-DMS"], expect=422)
    assert "reported_to" in not_competent["errors"]
    assert report_delay(freeze, amount_vnd=0, expect=422)["status"] == 422
    assert report_delay(freeze, bank="SBV", expect=403)["required_scope"] == "freeze:execute"


def test_delay_visibility_and_release(freeze):
    delay = report_delay(freeze)
    for agency in ("BANK-970418", "MOIT-DMS", "MPS-A05"):
        get_delay(freeze, delay, agency, expect=404)
    get_delay(freeze, delay, "VECOM", expect=403)
    assert get_delay(freeze, delay, "NSC389")["account_number"] is None
    get_delay(freeze, delay, "NSC389", expect=403, sensitive="true")
    assert get_delay(freeze, delay, "SBV", sensitive="true")["account_number"] == "970436:0011001234567"
    assert get_delay(freeze, delay, "MPS-C03", sensitive="true")["account_number"] == "970436:0011001234567"
    listed = freeze.client.get(DELAYS, headers=freeze.headers("BANK-970418"))
    assert listed.status_code == 200 and listed.json["total"] == 0
    other = freeze.post(f"{DELAYS}/{delay['id']}/release", "BANK-970418", None, expect=404)
    assert other["status"] == 404
    released = freeze.post(
        f"{DELAYS}/{delay['id']}/release", "BANK-970436", None, note="Khách hàng giải trình"
    )
    assert released["state"] == "released"
    again = freeze.post(f"{DELAYS}/{delay['id']}/release", "BANK-970436", None, expect=409)
    assert again["current_state"] == "released"


def test_registry_workflows_tick_command_expires_and_records(committed_app, monkeypatch, tmp_path):
    """`registry workflows tick` on a real database: orders and delays that ran out expire, as the system."""
    from click.testing import CliRunner

    from registry.cli import main, workflows
    from tests.factories import Actors
    from tests.freezing.helpers import Freeze

    session = committed_app.extensions["registry"].sessionmaker()
    actors = Actors(committed_app, session)
    freeze = Freeze(committed_app.test_client(), actors, session)
    decision = freeze.decision("SPC")
    parties = [
        ("SPC", "judge-1"),
        ("SBV", "sbv-a"),
        ("SBV", "sbv-b"),
        ("SBV", "officer-a"),
        ("BANK-970436", None),
    ]
    minted = {party: actors.headers(party[0], officer=party[1]) for party in parties}
    # Tokens minted up front: the test's own session must hold no transaction while the app works.
    freeze.headers = lambda agency, officer="officer-a", **_: minted[(agency, officer)]  # type: ignore[method-assign]
    session.commit()
    order = freeze.in_effect(
        agency="SPC",
        officer="judge-1",
        decision_id=decision,
        accounts=[VCB],
        procuracy_notified_at=None,
        procuracy_reference=None,
    )
    delay = report_delay(freeze, delayed_at="2026-10-02T10:00:00+07:00")
    past = date.today() - timedelta(days=3)
    session.execute(
        update(FreezeOrder)
        .where(FreezeOrder.id == uuid.UUID(order["id"]))
        .values(valid_from=past, valid_until=past)
    )
    session.commit()
    url = committed_app.extensions["registry"].settings.database_url
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url)
    monkeypatch.setenv("REGISTRY_VAR_DIR", str(tmp_path / "var"))
    # The calendar check depends on today's date and the file's years (tests/freezing/test_calendar.py).
    monkeypatch.delitem(workflows.TICKS, "calendar")
    result = CliRunner().invoke(main, ["workflows", "tick", "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["freezing"]  # the answer; the log lines are on stderr
    assert counts == {"freeze_orders_expired": 1, "transaction_delays_expired": 1}
    expired = freeze.get(order, "SBV")
    assert expired["state"] == "expired" and expired["transitions"][-1]["officer"] == "system"
    assert get_delay(freeze, delay, "SBV")["state"] == "expired"
    again = CliRunner().invoke(main, ["workflows", "tick", "--json"])
    assert json.loads(again.stdout)["freezing"] == {
        "freeze_orders_expired": 0,
        "transaction_delays_expired": 0,
    }
    session.close()


def test_a_delay_whose_order_is_not_executed_in_time_ends_by_itself(freeze, db):
    delay = report_delay(freeze)
    order = freeze.submit(accounts=[VCB], transaction_delay_ids=[delay["id"]])
    again = freeze.submit(accounts=[VCB], transaction_delay_ids=[delay["id"]], expect=422)
    assert again["errors"]["transaction_delay_ids.0"] == ["followed by another order"]
    end = datetime.fromisoformat(delay["ends_at"])
    assert freezing.tick(db, now=end)["transaction_delays_expired"] == 1  # the law allows no longer
    db.flush()
    assert get_delay(freeze, delay, "SBV")["state"] == "expired"
    freeze.step(order, "receive", officer="sbv-a")
    freeze.step(order, "check", officer="sbv-b")
    freeze.execute(freeze.step(order, "dispatch", officer="sbv-b"), "970436", 1_000)
    assert get_delay(freeze, delay, "SBV")["state"] == "expired"


def test_the_bank_records_its_report_of_the_delay_to_the_state_bank(freeze, client):
    at = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    given = report_delay(freeze, sbv_reported_at=at, sbv_reference="NHNN-STR-1")
    assert given["sbv_reference"] == "NHNN-STR-1" and given["sbv_reported_at"]
    halves = report_delay(freeze, sbv_reported_at=at, expect=422)
    assert "sbv_reference" in halves["errors"]
    later = report_delay(freeze)
    assert later["sbv_reported_at"] is None
    path = f"{DELAYS}/{later['id']}/sbv-report"
    body = {"sbv_reported_at": at, "sbv_reference": "NHNN-STR-2"}
    early = {"sbv_reported_at": "2020-01-01T00:00:00+07:00", "sbv_reference": "x"}
    assert client.post(path, json=early, headers=freeze.headers("BANK-970436", None)).status_code == 422
    recorded = client.post(path, json=body, headers=freeze.headers("BANK-970436", None))
    assert recorded.status_code == 200 and recorded.json["sbv_reference"] == "NHNN-STR-2"
    assert get_delay(freeze, later, "SBV")["sbv_reference"] == "NHNN-STR-2"  # the State Bank sees it
    twice = client.post(path, json=body, headers=freeze.headers("BANK-970436", None))
    assert twice.status_code == 409
