"""Realistic synthetic data for demonstrations: Vietnamese online sellers, their identifiers and cases.

Deterministic for a given seed. Everything goes through the same services as the API, so demo data
obeys the same rules (canonical identifiers, encryption, visibility).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.auth.scopes import allowed_scopes
from registry.fieldcrypt import FieldCipher
from registry.identifiers import banks, fold_name, parse
from registry.models import (
    CATEGORIES,
    Agency,
    Decision,
    Link,
    Subject,
    Violation,
)
from registry.services import agencies as agency_service
from registry.services import identifiers as identifier_service
from registry.services import subjects as subject_service
from registry.services import visibility

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Thu", "Hoàng"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đức",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hùng",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Việt",
    "Yến",
]
TRADES = [
    ("Mỹ phẩm", "cosmetics"),
    ("Thực phẩm chức năng", "supplements"),
    ("Điện thoại", "electronics_phones"),
    ("Thời trang", "fashion"),
    ("Đồ chơi", "toys"),
    ("Phụ tùng ô tô", "auto_parts"),
    ("Thuốc lá điện tử", "tobacco_ecigarettes"),
    ("Rượu ngoại", "alcohol"),
    ("Dược phẩm", "pharmaceuticals"),
]
PROVINCES = [
    "Hà Nội",
    "TP Hồ Chí Minh",
    "Đà Nẵng",
    "Hải Phòng",
    "Cần Thơ",
    "Bắc Ninh",
    "Đồng Nai",
    "Lạng Sơn",
]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt", "Phố Huế"]
MOBILE_PREFIXES = [
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "032",
    "033",
    "034",
    "035",
    "070",
    "077",
    "081",
]
DETECTING_AGENCIES = ["MOIT-DMS", "MOIT-ECOM", "MOF-CUSTOMS", "MOF-TAX", "MPS-C03", "PROV-HN", "PROV-HCM"]
VISIBILITIES = ["state"] * 7 + ["public", "owner", "named"]
BANK_CODES = ["VCB", "BIDV", "TCB", "ICB", "VBA", "MB", "ACB", "VPB", "TPB", "STB"]
DEMO_EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
# A foreign partner for the exchange's demonstration (not a real agreement): every other record shared by
# name is shared with it too, so its STIX bundle, MISP feed and TAXII collection hold something.
DEMO_PARTNER = {
    "code": "PARTNER-DEMO",
    "kind": "partner",
    "name_vi": "Đối tác quốc tế (minh hoạ trao đổi STIX/MISP/TAXII)",
    "name_en": "International partner CERT (demonstration)",
}
WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


@dataclass
class Counts:
    subjects: int = 0
    identifiers: int = 0
    links: int = 0
    violations: int = 0
    decisions: int = 0
    tips: int = 0
    by_agency: dict[str, int] = field(default_factory=dict)


def _unique(draw: Callable[[], str], taken: set[str] | None) -> str:
    """`draw()` again until it gives a value not in `taken` (then kept there); any value without `taken`."""
    while True:
        value = draw()
        if taken is None:
            return value
        if value not in taken:
            taken.add(value)
            return value


def _tax_code(rng: random.Random) -> str:
    while True:
        first = f"0{rng.randint(1, 9)}{rng.randint(0, 9_999_999):07d}"
        if first[2:9] == "0000000":
            continue
        r = sum(w * int(d) for w, d in zip(WEIGHTS, first, strict=True)) % 11
        if r != 0 and 10 - r <= 9:
            return first + str(10 - r)


def tax_code(rng: random.Random, taken: set[str] | None = None) -> str:
    """A random 10-digit tax code with a valid check digit (REFERENCE.md rule), not one in `taken`.

    Two subjects cannot share a tax code: at 20,000 subjects a plain draw repeats one."""
    return _unique(lambda: _tax_code(rng), taken)


def personal_id(rng: random.Random, taken: set[str] | None = None) -> str:
    """A well-formed CCCD (birth province, century and sex, birth year, serial), not in `taken`."""

    def draw() -> str:
        province = rng.choice(["001", "079", "048", "031"])
        return f"{province}{rng.choice('0123')}{rng.randint(60, 99):02d}{rng.randint(0, 999_999):06d}"

    return _unique(draw, taken)


def principal_for(agency: Agency) -> Principal:
    return Principal(
        client_id=f"demo-{agency.code.lower()}",
        agency=agency.code,
        agency_id=agency.id,
        agency_kind=agency.kind,
        scopes=frozenset(allowed_scopes(agency.kind, agency.code)),
        officer="demo-officer",
    )


def _slug(text: str) -> str:
    return "".join(ch for ch in fold_name(text) if ch.isalnum())


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def generate(
    session: Session,
    *,
    cipher: FieldCipher,
    subjects: int,
    seed: int = 389,
    advance: Callable[[int], None] | None = None,
) -> Counts:
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    uuid_rng = random.Random(seed + 1)  # noqa: S311
    partner = demo_partner(session)
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    principals = {code: principal_for(agencies[code]) for code in DETECTING_AGENCIES}
    counts = Counts()
    decision_numbers: set[str] = set()
    tax_codes: set[str] = set()
    personal_ids: set[str] = set()
    known: list[str] = []  # demo domains, for the tips
    for index in range(subjects):
        owner_code = rng.choice(DETECTING_AGENCIES)
        owner = principals[owner_code]
        trade, goods = rng.choice(TRADES)
        person = _person(rng)
        individual = rng.random() < 0.35
        name = (
            person
            if individual
            else f"Công ty TNHH {trade} {person.split()[-1]} {rng.choice(['Phát', 'Thịnh', 'Gia', 'Việt'])}"
        )
        vis = rng.choice(VISIBILITIES)
        shared = [rng.choice([c for c in DETECTING_AGENCIES if c != owner_code])] if vis == "named" else []
        if shared and index % 2 == 0:
            shared.append(partner.code)
        data = {
            "kind": "individual" if individual else "organisation",
            "name": name,
            "tax_code": None if individual else tax_code(rng, tax_codes),
            "personal_id": personal_id(rng, personal_ids) if individual else None,
            "addresses": [f"Số {rng.randint(1, 300)} {rng.choice(STREETS)}, {rng.choice(PROVINCES)}"],
            "province": rng.choice(PROVINCES),
            "visibility": vis,
            "shared_with": shared,
            "source": "inspection",
        }
        subject = subject_service.create(session, cipher=cipher, principal=owner, data=data)
        counts.subjects += 1
        counts.by_agency[owner_code] = counts.by_agency.get(owner_code, 0) + 1
        slug = _slug(name.split()[-2] + name.split()[-1]) + str(index)
        bank = banks.lookup(rng.choice(BANK_CODES))
        raw_identifiers = [
            ("domain", f"{slug}.{rng.choice(['vn', 'com.vn', 'com', 'shop'])}"),
            ("phone", f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"),
            ("bank_account", f"{bank.code if bank else 'VCB'}:{rng.randint(10**9, 10**13 - 1)}"),
            ("marketplace_shop", f"https://shopee.vn/shop/{rng.randint(10**7, 10**9)}"),
            ("email", f"{slug}@gmail.com"),
        ]
        linked = []
        for kind, raw in raw_identifiers[: rng.randint(2, len(raw_identifiers))]:
            parsed = parse(kind, raw)
            registered = identifier_service.ensure(session, cipher=cipher, principal=owner, parsed=parsed)
            if registered.created:
                counts.identifiers += 1 + len(registered.related)
            first_seen = DEMO_EPOCH - timedelta(days=rng.randint(30, 900))
            link = Link(
                subject_id=subject.id,
                identifier_id=registered.identifier.id,
                confidence=rng.choice([60, 80, 95]),
                source=rng.choice(["inspection", "platform_data", "tip"]),
                first_seen=first_seen,
                last_seen=first_seen + timedelta(days=rng.randint(0, 25)),
                owner_agency_id=owner.agency_id,
                visibility=subject.visibility,
            )
            session.add(link)
            session.flush()
            visibility.initialise(session, link, owner, subject.visibility, shared)
            counts.links += 1
            linked.append(registered.identifier)
            if kind == "domain":
                known.append(parsed.value)
        for _ in range(rng.randint(1, 3)):
            detector = principals[rng.choice(DETECTING_AGENCIES)]
            status = rng.choice(["suspected", "confirmed", "sanctioned", "sanctioned", "dismissed"])
            detected = DEMO_EPOCH - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1440))
            decision = None
            if status == "sanctioned":
                number = f"{rng.randint(1, 999)}/QĐ-XPHC-{index}"
                if number not in decision_numbers:
                    decision_numbers.add(number)
                    decision = Decision(
                        id=uuid.UUID(int=uuid_rng.getrandbits(128), version=4),
                        document_type="decision",
                        number=number,
                        place=rng.choice(PROVINCES),
                        issued_on=(detected + timedelta(days=20)).date(),
                        issuer_agency_id=detector.agency_id,
                        issuing_body=agencies[detector.agency].name_vi,
                        signer_name=_person(rng),
                        signer_title="Cục trưởng",
                        signer_capacity=None,
                        legal_bases=["Nghị định 98/2020/NĐ-CP"],
                        targets=[name],
                        reason="Xử phạt vi phạm hành chính",
                        effective_from=(detected + timedelta(days=20)).date(),
                        effective_to=None,
                        document_sha256=f"{uuid_rng.getrandbits(256):064x}",
                        owner_agency_id=detector.agency_id,
                        visibility="state",
                    )
                    session.add(decision)
                    session.flush()
                    counts.decisions += 1
            fine = rng.choice([5, 10, 20, 35, 50, 80, 120]) * 1_000_000 if status == "sanctioned" else 0
            violation = Violation(
                summary=f"Kinh doanh {trade.lower()} vi phạm trên sàn thương mại điện tử",
                categories=sorted(set(rng.sample(CATEGORIES, rng.randint(1, 2)))),
                goods_groups=[goods],
                detected_at=detected,
                province=subject.province,
                status=status,
                sanction_decision_id=decision.id if decision else None,
                sanction_reference=decision.number if decision else None,
                fine_vnd=fine,
                tax_recovered_vnd=rng.choice([0, 0, 15_000_000, 42_500_000]),
                goods_value_vnd=rng.randint(1, 500) * 1_000_000,
                owner_agency_id=detector.agency_id,
                visibility=_case_visibility(subject.visibility, status),
            )
            violation.subjects = [subject]
            violation.identifiers = linked[: rng.randint(1, len(linked))]
            session.add(violation)
            session.flush()
            visibility.initialise(
                session,
                violation,
                detector,
                violation.visibility,
                shared if violation.visibility == "named" else [],
            )
            counts.violations += 1
        if advance:
            advance(1)
    counts.tips = _tips(session, cipher, rng, known)
    return counts


def _case_visibility(seller: str, status: str) -> str:
    """A sanctioned case of a seller the registry shows publicly is published (the public site lists
    it); the others are state-wide, or as restricted as their seller."""
    if seller == "public":
        return "public" if status == "sanctioned" else "state"
    return "state" if seller == "state" else seller


def demo_partner(session: Session) -> Agency:
    """The demonstration's partner agency, added the first time."""
    found = session.scalars(select(Agency).where(Agency.code == DEMO_PARTNER["code"])).first()
    if found is not None:
        return found
    return agency_service.add(session, valid_from=date(2026, 1, 1), **DEMO_PARTNER)


def _tips(session: Session, cipher: FieldCipher, rng: random.Random, known: list[str]) -> int:
    """A few tips from the public: two about a known site (grouped, matched), one about an account."""
    from registry.services.tips.filing import record_tip

    if not known:
        return 0
    site = known[0]
    reports = [
        ("website", f"https://{site}/san-pham/kem-duong", "COUNTERFEIT", "cosmetics"),
        ("website", site, "MISLEADING_INFO", "cosmetics"),
        ("bank_account", f"VCB:{rng.randint(10**9, 10**12)}", "COUNTERFEIT", "supplements"),
    ]
    for number, (kind, value, category, goods) in enumerate(reports):
        data = {
            "kind": kind,
            "value": value,
            "category": category,
            "goods_group": goods,
            "province": rng.choice(PROVINCES),
            "description": "Người bán giao hàng không rõ nguồn gốc, không xuất hóa đơn, "
            "chặn liên lạc sau khi nhận tiền.",
        }
        record_tip(
            session,
            cipher=cipher,
            data=data,
            uploads=[],
            max_bytes=0,
            now=DEMO_EPOCH - timedelta(days=3 - number),
        )
    return len(reports)


def is_empty(session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(Subject)) or 0) == 0
