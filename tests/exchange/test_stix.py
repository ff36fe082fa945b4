"""GET /api/v1/exchange/stix: a STIX 2.1 bundle that OASIS's parser and validator accept, whose
indicators are exactly the network identifiers the caller may see, the same on every export."""

from __future__ import annotations

import json

import stix2
from stix2validator import ValidationOptions, validate_string

from tests.exchange.conftest import ACCOUNTS, PARTNER, PERSONAL_IDS, PHONES

URL = "/api/v1/exchange/stix"
MEDIA = "application/stix+json;version=2.1"

PARTNER_PATTERNS = {
    "[domain-name:value = 'hanggia-daiphat.vn']",
    "[url:value = 'https://hanggia-daiphat.vn/shop?id=1&x=\\'a\\'']",
    "[ipv4-addr:value = '203.0.113.7']",
    "[ipv6-addr:value = '2001:db8::7']",
    "[domain-name:value = 'canhan-public.vn']",
    "[domain-name:value = 'chan-cong-khai.vn']",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
}
NAMED = {"[ipv4-addr:value = '203.0.113.7']", "[ipv6-addr:value = '2001:db8::7']"}  # shared with the partner
STATE_ONLY = {"[domain-name:value = 'kin-state.vn']", "[domain-name:value = 'chan-noi-bo.vn']"}


def _pull(client, headers, **query):  # type: ignore[no-untyped-def]
    answer = client.get(URL, query_string=query, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.content_type == MEDIA
    return answer


def _strict() -> ValidationOptions:
    return ValidationOptions(version="2.1", strict=True, strict_types=True, strict_properties=True)


def _patterns(bundle) -> set[str]:  # type: ignore[no-untyped-def]
    return {one.pattern for one in bundle.objects if one.type == "indicator"}


def test_the_bundle_parses_and_validates_strictly(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    text = _pull(client, actors.headers(PARTNER, purpose=None)).get_data(as_text=True)
    bundle = stix2.parse(text, allow_custom=False)
    assert bundle.type == "bundle"
    results = validate_string(text, _strict())
    assert results.is_valid, [str(error) for error in results.errors]
    assert not results.warnings, [str(warning) for warning in results.warnings]
    kinds = {one.type for one in bundle.objects}
    assert {"identity", "indicator", "sighting", "relationship", "course-of-action"} <= kinds
    assert "marking-definition" in kinds


def test_indicators_round_trip_to_what_the_caller_may_see(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    partner = stix2.parse(_pull(client, actors.headers(PARTNER)).get_data(as_text=True), allow_custom=False)
    assert _patterns(partner) == PARTNER_PATTERNS
    office = stix2.parse(_pull(client, actors.headers("NSC389")).get_data(as_text=True), allow_custom=False)
    # The Standing Office is a state body: state records too; not those shared by name with others, nor
    # another agency's owner-only ones.
    assert _patterns(office) == (PARTNER_PATTERNS - NAMED) | STATE_ONLY
    everything = " ".join(_patterns(office))
    assert "rieng-owner.vn" not in everything and "nghi-ngo.vn" not in everything


def test_relationships_sightings_and_blocks_point_at_exported_objects(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    bundle = stix2.parse(_pull(client, actors.headers(PARTNER)).get_data(as_text=True), allow_custom=False)
    by_id = {one.id: one for one in bundle.objects}
    related = [r for r in bundle.objects if r.type == "relationship" and r.relationship_type == "related-to"]
    sellers = {by_id[r.target_ref].name for r in related}
    assert "Công ty TNHH Hàng Giả Đại Phát" in sellers and "Công ty CP Mỹ phẩm Lậu" in sellers
    assert all(by_id[r.source_ref].type == "indicator" for r in related)
    for sighting in (one for one in bundle.objects if one.type == "sighting"):
        assert by_id[sighting.sighting_of_ref].type == "indicator"
        assert [by_id[ref].name for ref in sighting.where_sighted_refs] == [
            "Domestic Market Surveillance and Development Department"
        ]
    blocked = {
        by_id[r.target_ref].pattern
        for r in bundle.objects
        if r.type == "relationship" and r.relationship_type == "mitigates"
    }
    assert blocked == {
        "[domain-name:value = 'chan-cong-khai.vn']",
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
    }
    for one in bundle.objects:
        for ref in one.get("object_marking_refs", []):
            assert ref in by_id


def test_tlp_follows_the_records_visibility(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    bundle = stix2.parse(_pull(client, actors.headers(PARTNER)).get_data(as_text=True), allow_custom=False)
    marking = {one.pattern: one.object_marking_refs for one in bundle.objects if one.type == "indicator"}
    assert marking["[domain-name:value = 'hanggia-daiphat.vn']"] == [stix2.TLP_WHITE.id]
    assert marking["[ipv4-addr:value = '203.0.113.7']"] == [stix2.TLP_AMBER.id]


def test_a_partner_gets_no_personal_data(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    for agency in (PARTNER, "NSC389"):
        text = _pull(client, actors.headers(agency)).get_data(as_text=True)
        for secret in (*PERSONAL_IDS, *PHONES, *ACCOUNTS, "84912345678", "0011001234567", "12010000123456"):
            assert secret not in text, (agency, secret)
        # Individuals are pseudonyms; organisations keep their names.
        assert "Lê Văn Công Khai" not in text and "Trần Thị Kín" not in text
        assert "Công ty TNHH Hàng Giả Đại Phát" in text
    partner = stix2.parse(_pull(client, actors.headers(PARTNER)).get_data(as_text=True), allow_custom=False)
    names = {one.name for one in partner.objects if one.type == "identity"}
    assert "Công ty Riêng" not in names  # another agency's owner-only seller
    individuals = [
        one for one in partner.objects if one.type == "identity" and one.identity_class == "individual"
    ]
    assert len(individuals) == 1 and individuals[0].name.startswith("individual ")


def test_a_re_export_is_identical_and_since_gives_what_changed(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(PARTNER)
    first = _pull(client, headers).get_data()
    assert _pull(client, headers).get_data() == first
    objects = json.loads(first)["objects"]
    newest = max(one.get("modified", one.get("created")) for one in objects)
    assert json.loads(_pull(client, headers, since=newest).get_data()).get("objects", []) == []
    # The owner publishes its owner-only case, seller and link: the next incremental pull brings them.
    owner = actors.headers("MOIT-DMS")
    for path in (
        f"violations/{data.cases['owner']}",
        f"subjects/{data.ids['owner']}",
        f"links/{data.ids['link:rieng-owner.vn']}",
    ):
        answer = client.post(
            f"/api/v1/{path}/visibility", json={"visibility": "public", "reason": "published"}, headers=owner
        )
        assert answer.status_code == 200, answer.json
    later = stix2.parse(_pull(client, headers, since=newest).get_data(as_text=True), allow_custom=False)
    assert "[domain-name:value = 'rieng-owner.vn']" in _patterns(later)
    assert "Công ty Riêng" in {one.name for one in later.objects if one.type == "identity"}


def test_since_must_be_a_time(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(URL, query_string={"since": "yesterday"}, headers=actors.headers(PARTNER))
    assert answer.status_code == 422 and "since" in answer.json["errors"]
