"""The MISP feed (/api/v1/exchange/misp/): manifest.json, hashes.csv and one event per case or block,
checked against MISP's own library: PyMISP loads each event and computes the same manifest entry and
the same hashes as the feed serves."""

from __future__ import annotations

import copy
import csv
import io

from pymisp import MISPEvent

from tests.exchange.conftest import ACCOUNTS, PARTNER, PERSONAL_IDS, PHONES

URL = "/api/v1/exchange/misp"


def _get(client, headers, path: str):  # type: ignore[no-untyped-def]
    answer = client.get(f"{URL}/{path}", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer


def _feed(client, headers):  # type: ignore[no-untyped-def]
    manifest = _get(client, headers, "manifest.json").json
    events = {uuid: _get(client, headers, f"{uuid}.json").json for uuid in manifest}
    hashes = list(csv.reader(io.StringIO(_get(client, headers, "hashes.csv").get_data(as_text=True))))
    return manifest, events, hashes


def test_manifest_events_and_hashes_agree_with_pymisp(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(PARTNER, purpose=None)
    manifest, events, hashes = _feed(client, headers)
    assert set(manifest) == {data.cases[k] for k in ("public", "named", "person")} | {data.blocks["public"]}
    expected_hashes = []
    for uuid, served in events.items():
        event = MISPEvent()
        event.load(copy.deepcopy(served))  # load() takes the dict apart
        assert event.uuid == uuid
        feed = event.to_feed(with_meta=True)
        expected_hashes += [[h, uuid] for h in feed["Event"].pop("_hashes")]
        assert feed["Event"].pop("_manifest") == {uuid: manifest[uuid]}
        assert feed == served  # PyMISP writes the event back exactly as served
    assert sorted(hashes) == sorted(expected_hashes)


def test_attributes_are_the_network_identifiers_the_partner_may_see(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    _, events, _ = _feed(client, actors.headers(PARTNER))
    values = {
        (a["type"], a["value"])
        for event in events.values()
        for a in event["Event"]["Attribute"]
        if a["to_ids"]
    }
    assert values == {
        ("domain", "hanggia-daiphat.vn"),
        ("url", "https://hanggia-daiphat.vn/shop?id=1&x='a'"),
        ("ip-dst", "203.0.113.7"),
        ("ip-dst", "2001:db8::7"),
        ("domain", "canhan-public.vn"),
        ("domain", "chan-cong-khai.vn"),
        ("ip-dst", "198.51.100.0/24"),
    }
    public = events[data.cases["public"]]["Event"]
    assert next(t["name"] for t in public["Tag"]) == "tlp:white"
    assert public["Orgc"]["name"] == "Domestic Market Surveillance and Development Department"
    assert {"type": "text", "value": "Công ty TNHH Hàng Giả Đại Phát"}.items() <= next(
        a for a in public["Attribute"] if a["type"] == "text"
    ).items()
    assert next(t["name"] for t in events[data.cases["named"]]["Event"]["Tag"]) == "tlp:amber"


def test_no_personal_data_and_hidden_events_are_not_found(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(PARTNER)
    manifest, events, _ = _feed(client, headers)
    text = str(manifest) + str(events)
    for secret in (*PERSONAL_IDS, *PHONES, *ACCOUNTS, "Lê Văn Công Khai", "Trần Thị Kín", "kin-state.vn"):
        assert secret not in text
    for hidden in (data.cases["state"], data.cases["owner"], data.cases["suspected"], data.blocks["state"]):
        answer = client.get(f"{URL}/{hidden}.json", headers=headers)
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    # The Standing Office sees the state ones.
    office = actors.headers("NSC389")
    assert client.get(f"{URL}/{data.cases['state']}.json", headers=office).status_code == 200
    assert client.get(f"{URL}/{data.blocks['state']}.json", headers=office).status_code == 200


def test_the_feed_is_the_same_on_every_pull(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(PARTNER)
    assert _feed(client, headers) == _feed(client, headers)
