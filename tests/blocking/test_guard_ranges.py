"""The guard knows the CDNs' and clouds' published ranges, Vietnamese shared hosting, Cloudflare's
resolver and government domains outside gov.vn; each refusal names the entry and its source."""

from __future__ import annotations

import pytest

from tests.blocking.helpers import body

AWS, GOOGLE = "https://ip-ranges.amazonaws.com/ip-ranges.json", "https://www.gstatic.com/ipranges/"
AZURE = "https://www.microsoft.com/en-us/download/details.aspx?id=56519"
# target -> (entry the refusal names, its operator, the start of its source)
PUBLISHED = {
    "23.228.249.7": ("23.228.249.0/24", "Amazon CloudFront", f"{AWS}, published 2026-08-22"),
    "8.8.8.8": ("8.8.8.0/24", "Google (its own services", f"{GOOGLE}goog.json, published 2024-04-25"),
    "34.35.1.1": ("34.35.0.0/16", "Google Cloud", f"{GOOGLE}cloud.json, published 2025-07-24"),
    "151.101.1.1": ("151.101.0.0/16", "Fastly", "https://api.fastly.com/public-ip-list, published 2025-07"),
    "2a04:4e42::1": ("2a04:4e42::/32", "Fastly", "https://api.fastly.com/public-ip-list"),
    "23.32.0.1": ("23.32.0.0/11", "Akamai", "https://techdocs.akamai.com/"),
    "13.105.221.9": ("13.105.221.0/24", "Microsoft Azure Front Door", AZURE),
    "4.150.1.1": ("4.144.0.0/12", "Microsoft Azure", AZURE),
    "1.1.1.1": ("1.1.1.0/24", "Cloudflare public DNS resolver", "https://developers.cloudflare.com/1.1.1.1/"),
    "2606:4700:4700::1111": ("2606:4700:4700::/48", "Cloudflare public DNS resolver", "https://developers.cloudflare.com/"),
}  # fmt: skip


def test_published_ranges_refuse_addresses_and_name_the_entry_and_its_source(walker, grounds):
    targets = [{"kind": "ip", "value": value} for value in PUBLISHED]
    response = walker.create(body(*grounds, targets=targets))
    assert response.status_code == 422, response.json
    assert response.json["protected_targets"] == list(PUBLISHED)
    for position, (value, (cidr, operator, source)) in enumerate(PUBLISHED.items()):
        reason = response.json["errors"][f"targets.{position}"][0]
        assert f"{value} is inside {cidr}, shared infrastructure" in reason, reason
        assert operator in reason and f"(source: {source}" in reason, reason


@pytest.mark.parametrize(
    ("target", "names"),
    [
        ("23.228.249.0/25", "overlaps 23.228.249.0/24"),  # inside a CloudFront range
        ("120.52.22.0/24", "Amazon CloudFront"),  # around one (120.52.22.96/27)
    ],
)
def test_ranges_overlapping_a_published_range_are_refused(walker, grounds, target, names):
    response = walker.create(body(*grounds, targets=[{"kind": "ip_range", "value": target}]))
    assert response.status_code == 422 and names in response.json["errors"]["targets.0"][0], response.json


@pytest.mark.parametrize(
    ("target", "entry", "source"),
    [
        ("cloudflare.com", "cloudflare.com is a protected domain: cdn", "https://www.cloudflare.com/ips/"),
        ("chinhphu.vn", "chinhphu.vn is a protected domain: government", "https://chinhphu.vn/"),
        ("baochinhphu.vn", "government", "https://baochinhphu.vn/"),
        ("www.quochoi.vn", "(under quochoi.vn): government", "https://quochoi.vn/"),
        ("vietnam.vn", "government", "https://vietnam.vn/"),
        ("dangcongsan.vn", "government", "https://dangcongsan.vn/"),
        ("congbobanan.toaan.gov.vn", "Court judgments portal", "https://congbobanan.toaan.gov.vn/"),
        ("vksndtc.gov.vn", "Supreme People's Procuracy", "https://vksndtc.gov.vn/"),
        ("ns1.zonedns.vn", "(under zonedns.vn): shared_hosting", "https://nhanhoa.com/"),
        (
            "customer1.pavietnam.vn",
            "(under pavietnam.vn): shared_hosting, P.A Vietnam",
            "https://pavietnam.vn/",
        ),
    ],
)
def test_domains_outside_gov_vn_and_shared_hosts_are_protected_with_their_source(
    walker, grounds, target, entry, source
):
    response = walker.create(body(*grounds, targets=[{"kind": "domain", "value": target}]))
    assert response.status_code == 422, response.json
    reason = response.json["errors"]["targets.0"][0]
    assert entry in reason and f"(source: {source}" in reason, reason


def test_an_address_outside_every_list_still_passes(walker, grounds):
    targets = [{"kind": "ip", "value": "203.0.113.9"}, {"kind": "ip_range", "value": "203.0.113.0/24"}]
    assert walker.create(body(*grounds, targets=targets)).status_code == 201
