"""Freeze-order tests: a helper that walks an order through its life over HTTP, and the PostgreSQL marker."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select

from registry.app import create_app
from registry.auth.principal import Principal
from registry.models import Agency, Decision
from registry.services import visibility
from tests.conftest import PG_URL, _admin_execute, alembic_config

ORDERS = "/api/v1/freeze-orders"
DELAYS = "/api/v1/transaction-delays"
VCB = "VCB:0011001234567"  # Vietcombank, BIN 970436
BIDV = "BIDV:12010001234567"  # BIDV, BIN 970418
TCB = "TCB:19033333333333"  # Techcombank, BIN 970407


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set REGISTRY_TEST_DATABASE_URL=postgresql://...")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


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
    ) -> str:
        """A written decision recorded directly (the decisions API is another issue's work)."""
        owner_agency = self.db.scalars(select(Agency).where(Agency.code == (owner or issuer))).one()
        issuer_agency = self.db.scalars(select(Agency).where(Agency.code == issuer)).one()
        decision = Decision(
            document_type="decision",
            number=number or f"{uuid.uuid4().hex[:6]}/QĐ-{issuer}",
            place="Hà Nội",
            issued_on=date(2026, 11, 2),
            issuer_agency_id=issuer_agency.id,
            issuing_body=issuer_agency.name_vi,
            signer_name="Nguyễn Văn A",
            signer_title="Thủ trưởng",
            legal_bases=["Bộ luật Tố tụng hình sự 2015, Điều 128"],
            targets=[],
            reason="Phong tỏa tài khoản",
            effective_from=date(2026, 11, 2),
            document_sha256=hashlib.sha256(b"doc").hexdigest(),
            owner_agency_id=owner_agency.id,
        )
        self.db.add(decision)
        self.db.flush()
        principal = Principal("test", owner_agency.code, owner_agency.id, owner_agency.kind, frozenset())
        visibility.initialise(self.db, decision, principal, vis, [])
        self.db.flush()
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


@pytest.fixture
def committed_app(settings, tmp_path):  # type: ignore[no-untyped-def]
    """An app on a database of its own whose requests really commit (for concurrency and the CLI)."""
    if PG_URL:
        base = PG_URL.rpartition("/")[0]
        name = f"regtest_freeze_{uuid.uuid4().hex[:8]}"
        _admin_execute(f"{base}/postgres", f'CREATE DATABASE "{name}"')
        url = f"{base}/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'committed.sqlite3'}"
    app = None
    try:
        command.upgrade(alembic_config(url=url), "heads")
        app = create_app(dataclasses.replace(settings, database_url=url))
        yield app
    finally:
        if app is not None:
            app.extensions["registry"].engine.dispose()
        if PG_URL:
            _admin_execute(f"{base}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def freeze(client, actors, db) -> Freeze:  # type: ignore[no-untyped-def]
    return Freeze(client, actors, db)
