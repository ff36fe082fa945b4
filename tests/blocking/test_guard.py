"""The over-blocking guard: protected domains and shared address ranges need a reviewer's override."""

from __future__ import annotations

from registry.services.protected import Guard
from tests.blocking.helpers import APPROVER, REVIEWER, SUBMITTER, URL, body


def test_protected_domain_is_refused_with_a_clear_reason(walker, grounds):
    response = walker.create(body(*grounds, targets=[{"kind": "domain", "value": "Shopee.VN"}]))
    assert response.status_code == 422
    assert "shopee.vn cannot be blocked whole" in response.json["detail"]
    assert response.json["protected_targets"] == ["shopee.vn"]
    assert "protected domain" in response.json["errors"]["targets.0"][0]


def test_subdomains_of_gov_vn_and_whole_site_urls_are_protected(walker, grounds):
    for target in (
        {"kind": "domain", "value": "dichvucong.gov.vn"},
        {"kind": "url", "value": "https://www.facebook.com/"},
    ):
        response = walker.create(body(*grounds, targets=[target]))
        assert response.status_code == 422, target
    # a page on a shared host is the narrow measure, and is allowed
    page = walker.create(
        body(*grounds, targets=[{"kind": "url", "value": "https://hanggia.blogspot.com/my-pham"}])
    )
    assert page.status_code == 201, page.json


def test_social_platform_pages_are_platform_takedowns_never_an_isp_block(walker, grounds):
    """Facebook, Zalo, TikTok: the domain, a subdomain or a page on it is refused at the ISPs and at the
    .vn registry even with an override requested; the answer points to a takedown by the platform."""
    override = {"override_requested": True, "override_justification": "Trang bán hàng giả, cần chặn gấp"}
    for action, target in (
        ("block_at_isp", {"kind": "domain", "value": "facebook.com"}),
        ("block_at_isp", {"kind": "domain", "value": "m.facebook.com"}),
        ("block_at_isp", {"kind": "url", "value": "https://www.facebook.com/groups/hanggia"}),
        ("block_at_isp", {"kind": "url", "value": "https://www.tiktok.com/@hanggia"}),
        ("suspend_domain", {"kind": "domain", "value": "zalo.vn"}),
    ):
        extra = {"executors": []} if action == "suspend_domain" else {}
        response = walker.create(body(*grounds, action=action, targets=[{**target, **override}], **extra))
        assert response.status_code == 422, target
        assert "taken down by the platform" in response.json["detail"], response.json
        assert response.json["platform"] in ("Facebook", "TikTok", "Zalo")


def test_cdn_ip_and_overlapping_range_are_refused(walker, grounds):
    for target in (
        {"kind": "ip", "value": "104.16.1.1"},
        {"kind": "ip_range", "value": "104.0.0.0/8"},
        {"kind": "ip", "value": "2606:4700::6810:85e5"},
    ):
        response = walker.create(body(*grounds, targets=[target]))
        assert response.status_code == 422, target
        assert "shared infrastructure (cdn) of Cloudflare" in response.json["detail"]
    assert walker.create(body(*grounds, targets=[{"kind": "ip", "value": "203.0.113.9"}])).status_code == 201


def test_override_path_reviewer_records_a_justified_override(walker, grounds):
    data = body(
        *grounds,
        targets=[
            {
                "kind": "ip",
                "value": "104.16.1.1",
                "override_requested": True,
                "override_justification": "Máy chủ riêng của đối tượng, đã xác minh không dùng chung",
            },
            {"kind": "domain", "value": "hanggia.vn"},
        ],
    )
    created = walker.submit_ok(data)
    target = created["targets"][0]
    assert "Cloudflare" in target["protection"] and target["override"] is None
    rid = created["id"]
    walker.ok(rid, "review")
    refused = walker.act(rid, "approve", officer=APPROVER)
    assert refused.status_code == 422 and refused.json["protected_targets"] == ["104.16.1.1"]

    override_url = f"{URL}/{rid}/targets/{target['id']}/override"
    reason = {"justification": "Đã kiểm tra: địa chỉ chỉ phục vụ trang vi phạm (biên bản 12/BB)"}
    same_officer = walker.client.post(override_url, json=reason, headers=walker.h("MOST", SUBMITTER))
    assert same_officer.status_code == 403  # four-eyes applies to overrides too
    too_short = walker.client.post(
        override_url, json={"justification": "ok"}, headers=walker.h("MOST", REVIEWER)
    )
    assert too_short.status_code == 422
    not_protected = walker.client.post(
        f"{URL}/{rid}/targets/{created['targets'][1]['id']}/override",
        json=reason,
        headers=walker.h("MOST", REVIEWER),
    )
    assert not_protected.status_code == 422
    overridden = walker.client.post(override_url, json=reason, headers=walker.h("MOST", REVIEWER))
    assert overridden.status_code == 200, overridden.json
    record = overridden.json["targets"][0]["override"]
    assert (
        record["officer"] == REVIEWER
        and record["agency"] == "MOST"
        and record["reason"] == reason["justification"]
    )
    assert overridden.json["state"] == "under_review"
    assert (
        overridden.json["state_due_at"] == created["state_due_at"]
    )  # an override does not move the deadline
    assert walker.ok(rid, "approve", officer=APPROVER)["state"] == "approved"
    override_step = next(t for t in overridden.json["transitions"] if t["action"] == "override")
    assert override_step["detail"]["target"] == "104.16.1.1" and override_step["officer"] == REVIEWER


def test_override_only_during_review(walker, grounds):
    data = body(
        *grounds,
        targets=[
            {
                "kind": "domain",
                "value": "tiki.vn",
                "override_requested": True,
                "override_justification": "Chính trang chủ giả mạo, không phải Tiki",
            }
        ],
    )
    created = walker.submit_ok(data)
    response = walker.client.post(
        f"{URL}/{created['id']}/targets/{created['targets'][0]['id']}/override",
        json={"justification": "x" * 30},
        headers=walker.h("MOST", REVIEWER),
    )
    assert response.status_code == 409 and response.json["current_state"] == "submitted"


def test_guard_reads_the_lists_from_the_database(db):
    guard = Guard.load(db)
    assert guard.protection("domain", "abc.gov.vn") is not None
    assert guard.protection("domain", "notgov.vn") is None
    assert guard.protection("ip_range", "172.64.0.0/24") is not None
    assert guard.protection("marketplace_shop", "shopee:1") is None


def test_a_range_wider_than_a_24_or_a_48_needs_an_override(walker, grounds):
    """Blocked whole, a wide range takes down unrelated customers of its hosting provider."""
    for value, addresses in (
        ("203.0.112.0/23", "512"),
        ("2001:db8::/47", "2,417,851,639,229,258,349,412,352"),
    ):
        response = walker.create(body(*grounds, targets=[{"kind": "ip_range", "value": value}]))
        assert response.status_code == 422, value
        assert f"covers {addresses} addresses" in response.json["errors"]["targets.0"][0]
    for value in ("203.0.113.0/24", "2001:db8:1::/48"):
        assert (
            walker.create(body(*grounds, targets=[{"kind": "ip_range", "value": value}])).status_code == 201
        )
    wide = {
        "kind": "ip_range",
        "value": "203.0.112.0/23",
        "override_requested": True,
        "override_justification": "Dải địa chỉ riêng của đối tượng, đã xác minh với nhà cung cấp",
    }
    created = walker.submit_ok(body(*grounds, targets=[wide]))
    assert "more than a /24" in created["targets"][0]["protection"]
