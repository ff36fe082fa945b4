"""A small data set with known counts and amounts for the reports' tests (API and console).

The period is the first half of 2026 (Vietnamese dates). Records are written directly (their workflows
have their own tests); what each report figure should be is worked out by hand in the tests.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from registry.identifiers.names import fold_name
from registry.models import (
    BlockRequest,
    BlockTarget,
    Identifier,
    Link,
    Referral,
    Subject,
    TaxRecovery,
    TransactionDelay,
    Violation,
    WorkflowTransition,
)
from registry.models.freezing import FreezeAccount, FreezeOrder
from tests.factories import agency_id, make_decision

VN = timezone(timedelta(hours=7))
PERIOD = {"from": "2026-01-01", "to": "2026-06-30"}
HN, HCM, DN = "Hà Nội", "TP Hồ Chí Minh", "Đà Nẵng"


def at(text: str) -> datetime:
    """A time in Vietnam, e.g. '2026-02-10 09:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=VN)


@dataclass
class Data:
    violations: dict[str, Violation] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)


def _identifier(db: Session, kind: str, value: str, owner: str = "MOIT-DMS") -> Identifier:
    identifier = Identifier(
        kind=kind,
        value_hash=hashlib.sha256(f"{kind}:{value}:{uuid.uuid4()}".encode()).hexdigest(),
        value=None if kind == "bank_account" else value,
        display=value if kind != "bank_account" else "****" + value[-4:],
        attributes={},
        created_by_agency_id=agency_id(db, owner),
    )
    db.add(identifier)
    db.flush()
    return identifier


def _subject(db: Session, name: str, province: str) -> Subject:
    subject = Subject(
        kind="organisation",
        name=name,
        name_folded=fold_name(name),
        addresses=[],
        province=province,
        owner_agency_id=agency_id(db, "MOIT-DMS"),
        visibility="state",
    )
    db.add(subject)
    db.flush()
    return subject


def _violation(
    db: Session,
    owner: str,
    when: str,
    province: str,
    categories: list[str],
    goods: list[str],
    status: str,
    fine: int,
    tax: int,
    value: int,
    visibility: str = "state",
) -> Violation:
    violation = Violation(
        summary="Kinh doanh hàng vi phạm trên sàn",
        categories=categories,
        goods_groups=goods,
        detected_at=at(when),
        province=province,
        status=status,
        sanction_reference="1/QĐ-XPHC" if status == "sanctioned" else None,
        fine_vnd=fine,
        tax_recovered_vnd=tax,
        goods_value_vnd=value,
        owner_agency_id=agency_id(db, owner),
        visibility=visibility,
    )
    db.add(violation)
    db.flush()
    return violation


def _transition(db: Session, request: BlockRequest, to_state: str, when: str, from_state: str) -> None:
    db.add(
        WorkflowTransition(
            record_type="block_request",
            record_id=request.id,
            action="test",
            from_state=from_state,
            to_state=to_state,
            at=at(when),
        )
    )


def _block(
    db: Session,
    owner: str,
    action: str,
    targets: list[tuple[str, str]],
    violations: list[Violation],
    effective: str | None,
    lifted: str | None = None,
) -> BlockRequest:
    state = "lifted" if lifted else "in_effect" if effective else "draft"
    request = BlockRequest(
        action=action,
        owner_agency_id=agency_id(db, owner),
        valid_from=at("2025-10-01 00:00"),
        valid_until=at("2030-01-01 00:00"),
        reason="Chặn trang bán hàng giả",
        state=state,
        violations=violations,
    )
    for position, (kind, value) in enumerate(targets):
        identifier = _identifier(db, "domain" if kind == "marketplace_shop" else kind, value)
        request.targets.append(
            BlockTarget(position=position, kind=kind, value=value, display=value, identifier_id=identifier.id)
        )
    db.add(request)
    db.flush()
    if effective:
        _transition(db, request, "in_effect", effective, "dispatched")
    if lifted:
        _transition(db, request, "lifted", lifted, "in_effect")
    db.flush()
    return request


def _order(
    db: Session, issuer: str, accounts: list[tuple[str, str | None, int | None, Subject | None]]
) -> FreezeOrder:
    decision = make_decision(db, issuer=issuer, owner=issuer)
    order = FreezeOrder(
        issuer_agency_id=agency_id(db, issuer),
        decision_id=decision.id,
        current_decision_id=decision.id,
        amount_vnd=None,
        whole_balance=True,
        legal_bases=["Bộ luật Tố tụng hình sự 2015, Điều 128"],
        valid_from=at("2026-01-01 00:00").date(),
        reason="Phong tỏa tài khoản",
        state="in_effect",
    )
    for position, (number, executed, amount, holder) in enumerate(accounts):
        identifier = _identifier(db, "bank_account", number)
        order.accounts.append(
            FreezeAccount(
                position=position,
                bank_bin="970436",
                identifier_id=identifier.id,
                subject_id=holder.id if holder else None,
                state="executed" if executed else "dispatched",
                executed_at=at(executed) if executed else None,
                amount_frozen_vnd=amount,
            )
        )
    db.add(order)
    db.flush()
    return order


def _delay(db: Session, when: str, amount: int, holder: Subject | None) -> TransactionDelay:
    identifier = _identifier(db, "bank_account", f"9704360000{amount}")
    if holder is not None:
        db.add(
            Link(
                subject_id=holder.id,
                identifier_id=identifier.id,
                source="inspection",
                owner_agency_id=agency_id(db, "MOIT-DMS"),
                visibility="state",
            )
        )
    delay = TransactionDelay(
        bank_agency_id=agency_id(db, "BANK-970436"),
        bank_bin="970436",
        identifier_id=identifier.id,
        amount_vnd=amount,
        reason="Giao dịch đáng ngờ",
        delayed_at=at(when),
        ends_at=at(when) + timedelta(days=3),
        state="released",
    )
    db.add(delay)
    db.flush()
    return delay


def report_data(db: Session) -> Data:
    """Six cases (one owner-only, two outside the period), referrals, tax added, five block requests, three
    freeze orders and two delays; see the tests for what each figure should be."""
    data = Data()
    v = data.violations
    v["v1"] = _violation(
        db,
        "MOIT-DMS",
        "2026-02-10 09:00",
        HN,
        ["COUNTERFEIT", "IP_INFRINGING"],
        ["cosmetics"],
        "sanctioned",
        10_000_000,
        2_000_000,
        50_000_000,
    )
    v["v2"] = _violation(
        db,
        "MOIT-DMS",
        "2026-03-05 10:00",
        HCM,
        ["COUNTERFEIT"],
        ["cosmetics", "fashion"],
        "confirmed",
        0,
        0,
        20_000_000,
    )
    v["v3"] = _violation(
        db,
        "MOF-CUSTOMS",
        "2026-04-01 08:00",
        HN,
        ["SMUGGLED"],
        ["alcohol"],
        "sanctioned",
        30_000_000,
        5_000_000,
        100_000_000,
    )
    v["v4"] = _violation(
        db,
        "MOF-CUSTOMS",
        "2026-05-01 08:00",
        HN,
        ["SMUGGLED"],
        ["tobacco_ecigarettes"],
        "sanctioned",
        40_000_000,
        0,
        10_000_000,
        visibility="owner",
    )
    v["v5"] = _violation(
        db, "MOIT-DMS", "2025-12-31 23:59", HN, ["COUNTERFEIT"], ["cosmetics"], "sanctioned", 99_000_000, 0, 0
    )  # the day before the period, in Vietnam
    v["v6"] = _violation(
        db, "MOIT-DMS", "2026-06-30 23:59", DN, ["PROHIBITED"], [], "suspected", 0, 0, 1_000_000
    )  # its last minute
    db.add(
        TaxRecovery(
            violation_id=v["v3"].id,
            agency_id=agency_id(db, "MOF-TAX"),
            recorded_by="tax-1",
            amount_vnd=7_000_000,
        )
    )
    for violation, police, when in (
        (v["v1"], "MPS-C03", "2026-03-01 09:00"),
        (v["v3"], "MPS-C03", "2026-04-10 09:00"),
        (v["v3"], "MPS-A05", "2026-07-15 09:00"),  # after the period
    ):
        decision = make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS")
        db.add(
            Referral(
                violation_id=violation.id,
                referring_agency_id=violation.owner_agency_id,
                referred_by="x",
                police_agency_id=agency_id(db, police),
                decision_id=decision.id,
                evidence=[],
                referred_at=at(when),
            )
        )
    _block(
        db,
        "MOIT-DMS",
        "block_at_isp",
        [("domain", "a.vn"), ("ip", "203.0.113.7")],
        [v["v1"]],
        "2026-02-15 10:00",
    )
    _block(
        db,
        "MOIT-DMS",
        "suspend_domain",
        [("domain", "b.vn")],
        [v["v2"]],
        "2026-03-10 10:00",
        "2026-05-10 10:00",
    )
    _block(
        db,
        "MOIT-DMS",
        "remove_listing",
        [("url", "https://shopee.vn/product/1/2"), ("marketplace_shop", "shopee:giare")],
        [v["v1"]],
        "2026-04-01 10:00",
    )
    _block(
        db,
        "MOF-CUSTOMS",
        "block_at_isp",
        [("domain", "c.vn")],
        [v["v3"]],
        "2025-11-01 10:00",
        "2026-02-01 10:00",
    )  # took effect before the period, lifted in it
    _block(db, "MOF-CUSTOMS", "block_at_isp", [("domain", "d.vn")], [v["v3"]], None)  # a draft
    holder_hn, holder_hcm = (
        _subject(db, "Công ty TNHH Hà Thành", HN),
        _subject(db, "Hộ kinh doanh Sài Gòn", HCM),
    )
    _order(
        db,
        "MPS-C03",
        [
            ("0011001", "2026-02-01 10:00", 100_000_000, holder_hn),
            ("0011002", "2026-02-02 10:00", 50_000_000, holder_hcm),
        ],
    )
    _order(db, "MPS-A05", [("0011003", "2026-08-01 10:00", 70_000_000, holder_hn)])  # after the period
    _order(db, "MPS-C03", [("0011004", None, None, holder_hn)])  # not executed yet
    _delay(db, "2026-03-03 10:00", 20_000_000, holder_hn)
    _delay(db, "2026-07-30 10:00", 30_000_000, holder_hcm)  # after the period
    db.flush()
    return data
