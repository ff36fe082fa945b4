"""A partner agency and a registry holding records of every visibility, for the exchange's tests.

MOIT-DMS records (all cases confirmed unless said):
  public    Công ty TNHH Hàng Giả Đại Phát (org, tax code): hanggia-daiphat.vn, a URL on it; case public
  named     Công ty CP Mỹ phẩm Lậu (org), shared with the partner: 203.0.113.7, 2001:db8::7; case named
  state     Trần Thị Kín (individual, personal ID): kin-state.vn, a phone, a bank account; case state
  owner     Công ty Riêng (org): rieng-owner.vn; case owner-only
  suspected a public case of the public seller naming nghi-ngo.vn: suspicions are not exported
  person    Lê Văn Công Khai (individual, personal ID), public, with canhan-public.vn, a phone and an
            account, all public; case public
Blocks in effect (MOST): one on a public decision (chan-cong-khai.vn, 198.51.100.0/24), one on a
state decision (chan-noi-bo.vn).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from registry.models import Agency
from tests.blocking.helpers import Walker, body
from tests.factories import create_link, create_subject, create_violation, make_decision, make_violation

PARTNER = "PARTNER-TEST"
OWNER = "MOIT-DMS"
PERSONAL_IDS = ("001099012345", "079088004321")
PHONES = ("0912345678", "0987654321")
ACCOUNTS = ("VCB:0011001234567", "BIDV:12010000123456")


@dataclass
class Data:
    ids: dict[str, str] = field(default_factory=dict)
    cases: dict[str, str] = field(default_factory=dict)
    blocks: dict[str, str] = field(default_factory=dict)


def add_partner(db: Any, code: str = PARTNER) -> Agency:
    partner = Agency(code=code, name_vi="Đối tác thử nghiệm", name_en="Test partner CERT", kind="partner")
    db.add(partner)
    db.flush()
    return partner


@pytest.fixture
def partner(db) -> Agency:  # type: ignore[no-untyped-def]
    return add_partner(db)


def _sharing(visibility: str) -> dict[str, Any]:
    return {"visibility": visibility, **({"shared_with": [PARTNER]} if visibility == "named" else {})}


@pytest.fixture
def data(client, actors, db, partner) -> Data:  # type: ignore[no-untyped-def]
    owner = actors.headers(OWNER)
    found = Data()

    def seller(key: str, visibility: str, **fields: Any) -> str:
        created = create_subject(client, owner, **fields, **_sharing(visibility))
        found.ids[key] = created["id"]
        return created["id"]

    def link(subject: str, kind: str, value: str, visibility: str) -> str:
        created = create_link(client, owner, subject, kind, value, **_sharing(visibility))
        found.ids[f"link:{value}"] = created["id"]
        return created["identifier_id"]

    def case(
        key: str, subject: str, identifiers: list[str], visibility: str, status: str = "confirmed"
    ) -> None:
        created = create_violation(
            client, owner, [subject], identifiers, status=status, **_sharing(visibility)
        )
        found.cases[key] = created["id"]

    public = seller("public", "public", name="Công ty TNHH Hàng Giả Đại Phát", tax_code="0100109106")
    domain = link(public, "domain", "HangGia-DaiPhat.vn", "public")
    url = link(public, "url", "https://hanggia-daiphat.vn/shop?id=1&x='a'", "public")
    case("public", public, [domain, url], "public")
    suspicion = link(public, "domain", "nghi-ngo.vn", "public")
    case("suspected", public, [suspicion], "public", status="suspected")

    named = seller("named", "named", name="Công ty CP Mỹ phẩm Lậu")
    ipv4 = link(named, "ip", "203.0.113.7", "named")
    ipv6 = link(named, "ip", "2001:db8::7", "named")
    case("named", named, [ipv4, ipv6], "named")

    hidden = seller("state", "state", kind="individual", name="Trần Thị Kín", personal_id=PERSONAL_IDS[0])
    state_ids = [
        link(hidden, "domain", "kin-state.vn", "state"),
        link(hidden, "phone", PHONES[0], "state"),
        link(hidden, "bank_account", ACCOUNTS[0], "state"),
    ]
    case("state", hidden, state_ids, "state")

    own = seller("owner", "owner", name="Công ty Riêng")
    case("owner", own, [link(own, "domain", "rieng-owner.vn", "owner")], "owner")

    person = seller(
        "person", "public", kind="individual", name="Lê Văn Công Khai", personal_id=PERSONAL_IDS[1]
    )
    person_ids = [
        link(person, "domain", "canhan-public.vn", "public"),
        link(person, "phone", PHONES[1], "public"),
        link(person, "bank_account", ACCOUNTS[1], "public"),
    ]
    case("person", person, person_ids, "public")

    walker = Walker(client, actors, db)
    for key, decision_visibility, targets in (
        ("public", "public", [{"kind": "domain", "value": "chan-cong-khai.vn"},
                              {"kind": "ip_range", "value": "198.51.100.0/24"}]),
        ("state", "state", [{"kind": "domain", "value": "chan-noi-bo.vn"}]),
    ):  # fmt: skip
        request = walker.dispatched(
            body(make_decision(db, visibility=decision_visibility), make_violation(db), targets=targets,
                 executors=["ISP-VNPT"])
        )  # fmt: skip
        acks = [{"target_id": t["id"], "outcome": "executed"} for t in request["targets"]]
        answer = walker.ack(request["id"], acks)
        assert answer.status_code == 200 and answer.json["state"] == "in_effect", answer.json
        found.blocks[key] = request["id"]
    return found
