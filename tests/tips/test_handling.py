"""Routing by category and goods group, grouping by identifier, and the routed agency's work on a tip:
triage, links, re-routing, closing; what the reporter then reads; the figures for reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from registry.models import Tip
from registry.services import tips as tip_figures
from registry.services.tips import routing
from tests.factories import agency_id, create_subject, make_subject, make_violation, vn_date
from tests.tips.helpers import TIPS, file_tip


def routed_to(db, value: str) -> str:  # type: ignore[no-untyped-def]
    from registry.models import Agency

    tip = db.scalars(select(Tip).where(Tip.group_display == value)).one()
    return db.get(Agency, tip.agency_id).code


@pytest.mark.parametrize(
    ("category", "goods_group", "agency", "rule"),
    [
        ("COUNTERFEIT", "cosmetics", "MOIT-DMS", "default"),
        ("COUNTERFEIT", "weapons", "MPS-C03", "rule:1"),
        ("TAX_EVASION", None, "MOF-TAX", "rule:2"),
        ("SMUGGLED", "food", "MOF-CUSTOMS", "rule:3"),
        ("IP_INFRINGING", "fashion", "MOST", "rule:4"),
        ("SUBSTANDARD", "toys", "MOST", "rule:5"),
        ("SUBSTANDARD", "food", "MOIT-DMS", "default"),
        ("MISLEADING_INFO", "services", "MOIT-ECOM", "rule:6"),
    ],
)
def test_tips_are_routed_by_category_and_goods_group(client, db, category, goods_group, agency, rule) -> None:
    file_tip(client, category=category, goods_group=goods_group, value="routing.vn")
    tip = db.scalars(select(Tip)).one()
    assert (routed_to(db, "routing.vn"), tip.routed_by) == (agency, rule)


def test_the_routing_table_is_data(tmp_path: Path) -> None:
    table = {"default": "NSC389", "rules": [{"goods_groups": ["food"], "agency": "PROV-HN"}]}
    path = tmp_path / "tips.json"
    path.write_text(json.dumps(table))
    assert routing.route("COUNTERFEIT", "food", str(path)) == ("PROV-HN", "rule:1")
    assert routing.route("COUNTERFEIT", None, str(path)) == ("NSC389", "default")


def test_tips_about_the_same_identifier_are_grouped(client, actors) -> None:
    for value in ("https://hanggia.vn/kem-1", "hanggia.vn", "http://HANGGIA.vn/kem-2?x=1"):
        file_tip(client, value=value)
    file_tip(client, kind="url", value="https://shopee.vn/shop/123456")
    file_tip(client, kind="marketplace_shop", value="shopee:123456")
    file_tip(client, kind="url", value="https://shopee.vn/product/1/2")  # a shop's product, by the shop
    file_tip(client, kind="url", value="https://shopee.vn/search?keyword=kem")  # a platform page: alone
    file_tip(client, kind="bank_account", value="VCB:0011 0012 3456")
    file_tip(
        client,
        kind="bank_account",
        value="970436:001100123456",
        category="MISLEADING_INFO",
        goods_group="services",
    )
    headers = actors.headers("MOIT-DMS")
    groups = client.get(f"{TIPS}/groups", headers=headers)
    assert groups.status_code == 200, groups.json
    counted = {g["display"]: g["tips"] for g in groups.json["items"]}
    assert counted == {
        "hanggia.vn": 3,
        "Shopee 123456": 2,
        "Shopee 1": 1,
        "https://shopee.vn/search?keyword=kem": 1,
        "VCB ••••3456": 1,
    }, counted
    assert groups.json["total"] == 5 and not groups.json["has_more"]
    ecom = client.get(f"{TIPS}/groups", headers=actors.headers("MOIT-ECOM")).json["items"]
    assert [(g["display"], g["tips"]) for g in ecom] == [("VCB ••••3456", 1)]  # routed elsewhere
    key = next(g["group"] for g in groups.json["items"] if g["display"] == "hanggia.vn")
    listed = client.get(TIPS, query_string={"group": key}, headers=headers).json
    assert listed["total"] == 3 and {t["group_display"] for t in listed["items"]} == {"hanggia.vn"}


def test_the_routed_agency_triages_links_and_closes_and_the_reporter_reads_the_status(
    client, db, actors
) -> None:
    code = file_tip(client)["receipt_code"]
    headers = actors.headers("MOIT-DMS", officer="dms.an")
    tip = client.get(TIPS, headers=headers).json["items"][0]
    url = f"{TIPS}/{tip['id']}"

    triaged = client.post(f"{url}/triage", headers=headers)
    assert triaged.status_code == 200, triaged.json
    assert (triaged.json["status"], triaged.json["triaged_by"]) == ("under_review", "dms.an")
    assert client.post(f"{TIPS}/status", json={"receipt_code": code}).json["status"] == "under_review"
    again = client.post(f"{url}/triage", headers=headers)
    assert again.status_code == 409 and again.json["current_state"] == "under_review"

    subject = create_subject(client, headers)
    violation = make_violation(db, owner="MOIT-DMS")
    hidden = make_subject(db, owner="MOST", visibility="owner")
    for body in (
        {"subject_id": subject["id"]},
        {"violation_id": str(violation.id)},
        {"subject_id": subject["id"]},
    ):
        linked = client.post(f"{url}/links", json=body, headers=headers)
        assert linked.status_code == 200, linked.json
    assert [(link["subject_id"], link["violation_id"]) for link in linked.json["links"]] == [
        (subject["id"], None), (None, str(violation.id)),
    ]  # fmt: skip
    assert (
        client.post(f"{url}/links", json={"subject_id": str(hidden.id)}, headers=headers).status_code == 404
    )
    both = client.post(f"{url}/links", json={"subject_id": subject["id"], "violation_id": str(violation.id)},
                       headers=headers)  # fmt: skip
    assert both.status_code == 422

    closed = client.post(f"{url}/close", json={"outcome": "handled", "note": "Đã xử phạt, gỡ gian hàng."},
                         headers=headers)  # fmt: skip
    assert closed.status_code == 200, closed.json
    assert (closed.json["status"], closed.json["closed_by"]) == ("handled", "dms.an")
    assert client.post(f"{TIPS}/status", json={"receipt_code": code}).json == {
        "status": "handled", "since": vn_date(closed.json["closed_at"]),
    }  # fmt: skip
    assert (
        client.post(f"{url}/close", json={"outcome": "dismissed", "note": "lại"}, headers=headers).status_code
        == 409
    )
    assert client.post(f"{url}/reroute", json={"agency": "MOST"}, headers=headers).status_code == 409


def test_a_tip_is_rerouted_to_another_state_agency_which_alone_sees_it_then(client, actors) -> None:
    file_tip(client)
    dms, most = actors.headers("MOIT-DMS"), actors.headers("MOST")
    tip = client.get(TIPS, headers=dms).json["items"][0]
    url = f"{TIPS}/{tip['id']}"
    assert client.get(url, headers=most).status_code == 404
    assert client.post(f"{url}/triage", headers=dms).status_code == 200
    for refused in ("ISP-VNPT", "VECOM", "MOIT-DMS", "NOPE"):
        answer = client.post(f"{url}/reroute", json={"agency": refused}, headers=dms)
        assert answer.status_code == 422 and "agency" in answer.json["errors"], refused
    moved = client.post(f"{url}/reroute", json={"agency": "MOST"}, headers=dms)
    assert moved.status_code == 200, moved.json
    assert (moved.json["agency"], moved.json["status"], moved.json["triaged_at"]) == (
        "MOST",
        "received",
        None,
    )
    assert client.get(url, headers=dms).status_code == 404
    assert client.get(url, headers=most).json["agency"] == "MOST"
    assert client.get(TIPS, headers=dms).json["total"] == 0


def test_a_tip_moves_to_the_successor_of_a_retired_agency(client, db) -> None:
    from registry.services import agencies

    agencies.retire(
        db, code="MOIT-DMS", last_day=datetime.now(UTC).date() - timedelta(days=2), successor="MOST"
    )
    db.flush()
    file_tip(client, value="ke-thua.vn")
    assert routed_to(db, "ke-thua.vn") == "MOST"


def test_counts_received_and_resolved_in_a_period(client, db, actors) -> None:
    for value in ("a.vn", "b.vn", "c.vn"):
        file_tip(client, value=value, province="Hà Nội" if value != "c.vn" else None)
    file_tip(client, value="thue.vn", category="TAX_EVASION")
    headers = actors.headers("MOIT-DMS")
    items = {t["value"]: t["id"] for t in client.get(TIPS, headers=headers).json["items"]}
    client.post(f"{TIPS}/{items['a.vn']}/close", json={"outcome": "handled", "note": "xong"}, headers=headers)
    client.post(f"{TIPS}/{items['b.vn']}/close", json={"outcome": "dismissed", "note": "không có căn cứ"},
                headers=headers)  # fmt: skip
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    dms = agency_id(db, "MOIT-DMS")
    assert tip_figures.counts(db, start, end) == {"received": 4, "resolved": 2, "handled": 1}
    assert tip_figures.counts(db, start, end, [dms]) == {"received": 3, "resolved": 2, "handled": 1}
    assert tip_figures.counts(db, start, end, [agency_id(db, "MOF-TAX")]) == {
        "received": 1, "resolved": 0, "handled": 0,
    }  # fmt: skip
    assert tip_figures.counts(db, start, end, None, "Hà Nội") == {"received": 2, "resolved": 2, "handled": 1}
    assert tip_figures.counts(db, end, end + timedelta(days=1)) == {
        "received": 0,
        "resolved": 0,
        "handled": 0,
    }


def test_demo_data_brings_a_few_grouped_tips(db, app) -> None:
    from registry.services import demo

    counts = demo.generate(db, cipher=app.extensions["registry"].cipher, subjects=3, seed=7)
    tips = db.scalars(select(Tip)).all()
    assert counts.tips == len(tips) == 3
    site = [t for t in tips if t.kind != "bank_account"]
    assert len({t.group_key for t in site}) == 1 and all(t.identifier_id for t in site)
    assert next(t for t in tips if t.kind == "bank_account").value is None


def test_every_agency_the_routing_table_names_exists(db) -> None:
    from registry.models import Agency

    found = routing.table()
    named = {found.default, *(rule.agency for rule in found.rules)}
    known = set(db.scalars(select(Agency.code).where(Agency.code.in_(named))))
    assert named == known
