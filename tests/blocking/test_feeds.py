"""Executors' view and blocklist feeds: JSON with ETag, and an RPZ zone that dnspython parses."""

from __future__ import annotations

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone
import idna

from registry.services.blocking.feed import rpz_ip_owner
from tests.blocking.helpers import APPROVER, URL, body

ORIGIN = "isp-vnpt.rpz.registry.nsc389.gov.vn."


def zone_of(text: str) -> dns.zone.Zone:
    return dns.zone.from_text(text, origin=ORIGIN, relativize=False, check_origin=True)


def blocked_names(zone: dns.zone.Zone) -> set[str]:
    names = set()
    for name, node in zone.nodes.items():
        rdataset = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
        if rdataset is not None:
            assert [r.target for r in rdataset] == [dns.name.root]  # CNAME . = NXDOMAIN
            names.add(name.relativize(dns.name.from_text(ORIGIN)).to_text())
    return names


def serial(zone: dns.zone.Zone) -> int:
    return zone.get_rdataset(ORIGIN, "SOA")[0].serial


def test_executor_sees_only_its_orders_and_its_part(walker, grounds):
    vnpt = walker.in_effect(body(*grounds, executors=["ISP-VNPT", "ISP-VIETTEL"]))
    viettel_only = walker.approved(
        body(*grounds, executors=["ISP-VIETTEL"], targets=[{"kind": "domain", "value": "khac.vn"}])
    )
    walker.ok(viettel_only["id"], "dispatch", officer=APPROVER)
    mine = walker.client.get(URL, query_string={"executor": "me"}, headers=walker.h("ISP-VNPT"))
    assert mine.status_code == 200
    assert [i["id"] for i in mine.json["items"]] == [vnpt["id"]]
    item = mine.json["items"][0]
    assert item["view"] == "executor" and item["executor"]["executor"] == "ISP-VNPT"
    assert "transitions" not in item and "violation_ids" not in item and "executors" not in item
    assert [t["value"] for t in item["targets"]] == ["hanggia-mypham.vn"]
    assert walker.get(viettel_only["id"], agency="ISP-VNPT").status_code == 404
    assert (
        walker.client.get(URL, query_string={"executor": "me"}, headers=walker.h("ISP-FPT")).json["total"]
        == 0
    )


def test_acknowledgement_per_target_once(walker, grounds):
    request = walker.in_effect(body(*grounds))
    target = request["targets"][0]["id"]
    again = walker.ack(request["id"], [{"target_id": target, "outcome": "executed"}])
    assert again.status_code == 409
    bad = walker.ack(
        request["id"], [{"target_id": target, "outcome": "not_executable"}], agency="ISP-VIETTEL"
    )
    assert bad.status_code == 422 and "reason" in str(bad.json["errors"])
    stranger = walker.ack(request["id"], [{"target_id": target, "outcome": "executed"}], agency="ISP-FPT")
    assert stranger.status_code == 404


def test_json_feed_etag_and_304(walker, grounds):
    walker.in_effect(body(*grounds))
    url = "/api/v1/blocklists/ISP-VNPT.json"
    first = walker.client.get(url, headers=walker.h("ISP-VNPT"))
    assert first.status_code == 200, first.json
    etag = first.headers["ETag"]
    entry = first.json["entries"][0]
    assert (entry["value"], entry["kind"]) == ("hanggia-mypham.vn", "domain")
    assert entry["decision_number"].endswith("/QĐ-CVT") and entry["valid_until"]
    cached = walker.client.get(url, headers={**walker.h("ISP-VNPT"), "If-None-Match": etag})
    assert cached.status_code == 304 and cached.data == b"" and cached.headers["ETag"] == etag
    assert (
        walker.client.get(url, headers={**walker.h("ISP-VNPT"), "If-None-Match": '"other"'}).status_code
        == 200
    )


def test_rpz_contains_exactly_the_targets_in_effect_and_drops_lifted_ones(walker, grounds):
    first = walker.in_effect(
        body(
            *grounds,
            targets=[
                {"kind": "domain", "value": "hanggia-mypham.vn"},
                {"kind": "ip", "value": "203.0.113.7"},
                {"kind": "ip_range", "value": "198.51.100.0/24"},
                {"kind": "ip", "value": "2001:db8::7"},
                {"kind": "url", "value": "https://cho.vn/gian-hang/gia"},
            ],
        )
    )
    second = walker.in_effect(body(*grounds, targets=[{"kind": "domain", "value": "Đồng-Hồ-Giả.vn"}]))
    pending = walker.approved(body(*grounds, targets=[{"kind": "domain", "value": "chua-duyet.vn"}]))
    other = walker.in_effect(
        body(*grounds, executors=["ISP-VIETTEL"], targets=[{"kind": "domain", "value": "viettel-only.vn"}]),
        executor="ISP-VIETTEL",
    )
    assert pending["state"] == "approved" and other["state"] == "in_effect"
    # VNPT cannot act on the range: it leaves VNPT's list
    walker.ack(
        first["id"],
        [{"target_id": first["targets"][2]["id"], "outcome": "not_executable", "reason": "not_our_customer"}],
    )

    url = "/api/v1/blocklists/ISP-VNPT.rpz"
    response = walker.client.get(url, headers=walker.h("ISP-VNPT"))
    assert response.status_code == 200 and response.mimetype == "text/dns"
    text = response.get_data(as_text=True)
    zone = zone_of(text)
    idn = idna.encode("đồng-hồ-giả.vn", uts46=True).decode()
    assert second["targets"][0]["value"] == idn
    assert blocked_names(zone) == {
        "hanggia-mypham.vn",
        "*.hanggia-mypham.vn",
        idn,
        f"*.{idn}",
        "32.7.113.0.203.rpz-ip",
        "128.7.zz.db8.2001.rpz-ip",
    }
    assert zone.get_rdataset(ORIGIN, "NS") is not None
    line = next(x for x in text.splitlines() if x.startswith("hanggia-mypham.vn "))
    assert "decision " in line and "/QĐ-CVT expires " in line
    before = serial(zone)

    again = zone_of(walker.client.get(url, headers=walker.h("ISP-VNPT")).get_data(as_text=True))
    assert serial(again) == before  # unchanged content, unchanged serial

    walker.ok(second["id"], "lift", officer=APPROVER, reason="Đã gỡ", decision_id=walker.decision())
    after = zone_of(walker.client.get(url, headers=walker.h("ISP-VNPT")).get_data(as_text=True))
    assert serial(after) > before
    assert idn not in blocked_names(after) and "hanggia-mypham.vn" in blocked_names(after)


def test_rpz_comment_cannot_inject_records(walker, db, grounds):
    from tests.factories import make_decision

    evil = make_decision(db, number="1/QĐ\nevil.example CNAME .")
    walker.in_effect(body(evil, grounds[1]))
    text = walker.client.get("/api/v1/blocklists/ISP-VNPT.rpz", headers=walker.h("ISP-VNPT")).get_data(
        as_text=True
    )
    assert "evil.example" not in blocked_names(zone_of(text))


def test_feed_readers(walker, grounds):
    walker.in_effect(body(*grounds))
    url = "/api/v1/blocklists/ISP-VNPT.json"
    assert walker.client.get(url, headers=walker.h("NSC389")).status_code == 200
    for agency in ("ISP-FPT", "MOST", "MOIT-DMS"):
        assert walker.client.get(url, headers=walker.h(agency)).status_code == 403, agency
    assert walker.client.get("/api/v1/blocklists/MOST.json", headers=walker.h("NSC389")).status_code == 404


def test_rpz_ip_owner_names():
    assert rpz_ip_owner("1.2.3.4") == "32.4.3.2.1.rpz-ip"
    assert rpz_ip_owner("192.0.2.0/24") == "24.0.2.0.192.rpz-ip"
    assert rpz_ip_owner("2001:db8::/32") == "32.zz.db8.2001.rpz-ip"
    assert rpz_ip_owner("2001:db8:1:2:3:4:5:6") == "128.6.5.4.3.2.1.db8.2001.rpz-ip"


def test_rpz_written_by_dnspython_loads_with_serial_ttl_and_comments():
    from datetime import UTC, datetime

    from registry.services.blocking.feed import Feed, as_rpz

    reason = {"decision_number": "7/QĐ\n$INCLUDE /etc/passwd", "valid_until": "2026-12-31"}
    feed = Feed(
        executor="ISP-VNPT",
        serial=4_294_967_295,  # the largest SOA serial
        etag="x",
        changed_at=datetime(2026, 10, 2, tzinfo=UTC),
        entries=[
            {"kind": "domain", "value": "xn--bcher-kva.vn", "display": "bücher.vn", **reason},
            {"kind": "ip_range", "value": "2001:db8::/32", "display": "2001:db8::/32", **reason},
            {"kind": "url", "value": "https://cho.vn/x", "display": "https://cho.vn/x", **reason},
        ],
    )
    text = as_rpz(feed)
    zone = zone_of(text)
    assert serial(zone) == 4_294_967_295
    assert {rdataset.ttl for node in zone.nodes.values() for rdataset in node} == {300}
    assert blocked_names(zone) == {"xn--bcher-kva.vn", "*.xn--bcher-kva.vn", "32.zz.db8.2001.rpz-ip"}
    assert "$INCLUDE" not in [line.split()[0] for line in text.splitlines() if line.strip()]
    assert text.startswith("; Blocklist of ISP-VNPT: serial 4294967295")


def test_an_order_enters_every_executors_feeds_on_dispatch_before_any_acknowledgement(walker, grounds):
    """Each addressed ISP finds the order in its JSON and RPZ feeds as soon as it is dispatched; the
    serial changes with it; an approved (not yet dispatched) request is in no feed."""
    url = "/api/v1/blocklists/{}.{}"
    before = {
        isp: walker.client.get(url.format(isp, "json"), headers=walker.h(isp)).json["serial"]
        for isp in ("ISP-VNPT", "ISP-VIETTEL")
    }
    approved = walker.approved(body(*grounds, executors=["ISP-VNPT", "ISP-VIETTEL"]))
    assert (
        walker.client.get(url.format("ISP-VNPT", "json"), headers=walker.h("ISP-VNPT")).json["entries"] == []
    )
    dispatched = walker.ok(approved["id"], "dispatch", officer=APPROVER)
    assert dispatched["state"] == "dispatched"
    for isp in ("ISP-VNPT", "ISP-VIETTEL"):
        feed = walker.client.get(url.format(isp, "json"), headers=walker.h(isp)).json
        assert [e["value"] for e in feed["entries"]] == ["hanggia-mypham.vn"]
        assert feed["serial"] > before[isp]
        rpz = walker.client.get(url.format(isp, "rpz"), headers=walker.h(isp))
        zone = dns.zone.from_text(rpz.data.decode(), origin=f"{isp.lower()}.rpz.registry.nsc389.gov.vn.")
        assert {"hanggia-mypham.vn", "*.hanggia-mypham.vn"} <= {
            name.to_text() for name, node in zone.nodes.items() if node.get_rdataset(1, dns.rdatatype.CNAME)
        }
