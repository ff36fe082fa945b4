"""Freeze-order tests: the API's addresses, three bank accounts, and a walker through an order's life."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from registry.models import Agency
from tests.factories import make_decision

ORDERS = "/api/v1/freeze-orders"
DELAYS = "/api/v1/transaction-delays"
VCB = "VCB:0011001234567"  # Vietcombank, BIN 970436
BIDV = "BIDV:12010001234567"  # BIDV, BIN 970418
TCB = "TCB:19033333333333"  # Techcombank, BIN 970407


class Freeze:
    """Walks freeze orders through the API as the parties would; asserts each step's status."""

    def __init__(self, client: Any, actors: Any, db: Any) -> None:
        self.client, self.actors, self.db = client, actors, db

    # -- parties ---------------------------------------------------------------------------------
    def headers(self, agency: str, officer: str | None = "officer-a", **kwargs: Any) -> dict[str, str]:
        return self.actors.headers(agency, officer=officer, **kwargs)

    def decision(
        self,
        issuer: str = "MPS-C03",
        *,
        owner: str | None = None,
        vis: str = "state",
        number: str | None = None,
        document: bool = True,
    ) -> str:
        """A written decision recorded directly (the decisions API is another issue's work)."""
        issuer_agency = self.db.scalars(select(Agency).where(Agency.code == issuer)).one()
        decision = make_decision(
            self.db,
            issuer=issuer,
            owner=owner or issuer,
            document=document,
            number=number or f"{uuid.uuid4().hex[:6]}/QĐ-{issuer}",
            issued_on=date(2026, 11, 2),
            issuing_body=issuer_agency.name_vi,
            signer_title="Thủ trưởng",
            legal_bases=["Bộ luật Tố tụng hình sự 2015, Điều 128"],
            reason="Phong tỏa tài khoản",
            effective_from=date(2026, 11, 2),
            effective_to=None,
            visibility=vis,
        )
        return str(decision.id)

    # -- the issuer --------------------------------------------------------------------------------
    def body(self, decision_id: str | None = None, accounts: list[Any] | None = None, **fields: Any) -> dict:
        body = {
            "decision_id": decision_id or self.decision(),
            "accounts": [
                {"account": a, "holder_name": "Công ty TNHH Đại Phát"} if isinstance(a, str) else a
                for a in (accounts if accounts is not None else [VCB, BIDV])
            ],
            "amount_vnd": 500_000_000,
            "legal_bases": ["Bộ luật Tố tụng hình sự 2015, Điều 128"],
            "valid_from": date.today().isoformat(),
            "valid_until": (date.today() + timedelta(days=120)).isoformat(),
            "reason": "Thu giữ tiền do buôn bán hàng giả trên sàn thương mại điện tử",
            "procuracy_notified_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
            "procuracy_reference": "15/TB-CSKT",
            "procuracy": "SPP",
        }
        body.update(fields)
        return body

    def submit(
        self,
        body: dict | None = None,
        *,
        agency: str = "MPS-C03",
        officer: str | None = "inv-1",
        key: str | None = None,
        expect: int = 201,
        **fields: Any,
    ) -> dict:
        headers = {**self.headers(agency, officer), "Idempotency-Key": key or uuid.uuid4().hex}
        response = self.client.post(ORDERS, json=body or self.body(**fields), headers=headers)
        assert response.status_code == expect, response.json
        return response.json

    # -- steps ----------------------------------------------------------------------------------------
    def post(
        self, path: str, agency: str, officer: str | None = "officer-a", *, expect: int = 200, **body: Any
    ) -> dict:
        response = self.client.post(path, json=body, headers=self.headers(agency, officer))
        assert response.status_code == expect, response.json
        return response.json

    def step(
        self,
        order: dict,
        action: str,
        agency: str = "SBV",
        officer: str | None = "sbv-a",
        expect: int = 200,
        **body: Any,
    ) -> dict:
        return self.post(f"{ORDERS}/{order['id']}/{action}", agency, officer, expect=expect, **body)

    def get(self, order: dict, agency: str, expect: int = 200, **query: Any) -> dict:
        response = self.client.get(
            f"{ORDERS}/{order['id']}", query_string=query, headers=self.headers(agency)
        )
        assert response.status_code == expect, response.json
        return response.json

    def dispatched(self, **fields: Any) -> dict:
        order = self.submit(**fields)
        self.step(order, "receive", officer="sbv-a")
        self.step(order, "check", officer="sbv-b")
        return self.step(order, "dispatch", officer="sbv-b")

    def account_of(self, order: dict, bank_bin: str) -> dict:
        return next(a for a in order["accounts"] if a["bank_bin"] == bank_bin)

    def report(self, order: dict, bank: str, account_id: str, expect: int = 200, **body: Any) -> dict:
        return self.post(
            f"{ORDERS}/{order['id']}/accounts/{account_id}/report", bank, None, expect=expect, **body
        )

    def execute(self, order: dict, bank_bin: str, amount: int, expect: int = 200) -> dict:
        account = self.account_of(order, bank_bin)
        return self.report(
            order,
            f"BANK-{bank_bin}",
            account["id"],
            expect=expect,
            outcome="executed",
            amount_frozen_vnd=amount,
            bank_reference=f"REF-{bank_bin}",
        )

    def in_effect(self, **fields: Any) -> dict:
        order = self.dispatched(**fields)
        return self.execute(order, "970436", 300_000_000)


def report_delay(freeze, bank="BANK-970436", expect=201, **fields):
    body = {
        "account": VCB,
        "holder_name": "Công ty TNHH Đại Phát",
        "amount_vnd": 120_000_000,
        "reason": "Giao dịch đáng ngờ: chuyển tiền liên tục từ nhiều tài khoản",
        "bank_reference": "STR-77",
        "delayed_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "reported_to": ["MPS-C03"],
    } | fields
    headers = {**freeze.headers(bank, None), "Idempotency-Key": uuid.uuid4().hex}
    response = freeze.client.post(DELAYS, json=body, headers=headers)
    assert response.status_code == expect, response.json
    return response.json


def get_delay(freeze, delay, agency, expect=200, **query):
    response = freeze.client.get(
        f"{DELAYS}/{delay['id']}", query_string=query, headers=freeze.headers(agency)
    )
    assert response.status_code == expect, response.json
    return response.json


def held_first_call(monkeypatch: Any, module: Any, name: str, barrier: Any) -> None:
    """Each thread waits at the barrier once, after its first call of module.name has returned."""
    import threading

    original = getattr(module, name)
    passed = threading.local()

    def held(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        if not getattr(passed, "done", False):
            passed.done = True
            barrier.wait()
        return found

    monkeypatch.setattr(module, name, held)


def committed_parties(app: Any) -> tuple[Any, Any, Freeze]:
    """On a committed database: its session, the callers, and a walker whose requests really commit."""
    from tests.factories import Actors

    session = app.extensions["registry"].sessionmaker()
    actors = Actors(app, session)
    return session, actors, Freeze(app.test_client(), actors, session)


def at_once(app: Any, calls: list[tuple[str, dict, dict[str, str]]]) -> list[tuple[int, Any]]:
    """POST each (url, body, headers) from its own thread at the same time; the answers (500 for what a
    server would answer 500 for)."""
    import threading

    results: list[tuple[int, Any]] = []

    def post(url: str, body: dict, headers: dict[str, str]) -> None:
        try:
            response = app.test_client().post(url, json=body, headers=headers)
            results.append((response.status_code, response.get_json()))
        except Exception as exc:
            results.append((500, repr(exc)))

    threads = [threading.Thread(target=post, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
