"""The TAXII 2.1 collection (/api/v1/exchange/taxii2/): OASIS's client discovers it and pages through
it; the pages hold exactly the STIX export's objects, each once; the specification's paging,
`added_after`, `match[...]`, headers and media types."""

from __future__ import annotations

import urllib.parse
from datetime import datetime

import pytest
import requests
import stix2
from requests.structures import CaseInsensitiveDict
from taxii2client.common import _HTTPConnection
from taxii2client.v21 import Server, as_pages

from registry.services.exchange.taxii import COLLECTION_ID
from tests.exchange.conftest import PARTNER

BASE = "/api/v1/exchange/taxii2/"
COLLECTION = f"{BASE}registry/collections/{COLLECTION_ID}/"
TAXII = "application/taxii+json;version=2.1"


class FlaskAdapter(requests.adapters.BaseAdapter):
    """requests' transport onto the Flask test client: the client library runs unchanged, in the test's
    transaction."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.client = client

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        url = urllib.parse.urlsplit(request.url)
        answer = self.client.open(
            url.path,
            method=request.method,
            query_string=url.query,
            headers=dict(request.headers),
            data=request.body,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.get_data()
        response.url, response.request, response.encoding = request.url, request, "utf-8"
        return response

    def close(self) -> None:
        pass


class Bearer(requests.auth.AuthBase):
    def __init__(self, headers: dict[str, str]) -> None:
        self.value = headers["Authorization"]

    def __call__(self, request):  # type: ignore[no-untyped-def]
        request.headers["Authorization"] = self.value
        return request


def _export(client, headers) -> dict[str, str]:  # type: ignore[no-untyped-def]
    bundle = stix2.parse(client.get("/api/v1/exchange/stix", headers=headers).get_data(as_text=True))
    return {one.id: one.get("modified", one.get("created")) for one in bundle.objects}


def test_taxii2_client_discovers_and_pages_through_the_collection(client, actors, data, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(PARTNER, purpose=None)
    opened = _HTTPConnection.__init__

    def through_flask(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        opened(self, *args, **kwargs)  # the client opens one per endpoint object (server, root, collection)
        self.session.mount("http://", FlaskAdapter(client))

    monkeypatch.setattr(_HTTPConnection, "__init__", through_flask)
    server = Server("http://registry.test" + BASE, auth=Bearer(headers))
    assert len(server.api_roots) == 1
    root = server.default
    assert root.versions == [TAXII]
    (collection,) = root.collections
    assert collection.id == COLLECTION_ID and collection.can_read and not collection.can_write
    pages = list(as_pages(collection.get_objects, per_request=3))
    assert len(pages) > 2 and all(len(page["objects"]) <= 3 for page in pages)
    assert [page["more"] for page in pages] == [True] * (len(pages) - 1) + [False]
    sent = [stix2.parse(one, allow_custom=False) for page in pages for one in page["objects"]]
    assert len({one.id for one in sent}) == len(sent)  # none twice
    assert {one.id: one.get("modified", one.get("created")) for one in sent} == _export(client, headers)
    manifest = [
        entry for page in as_pages(collection.get_manifest, per_request=5) for entry in page["objects"]
    ]
    assert [entry["id"] for entry in manifest] == [one.id for one in sent]


def _get(client, headers, path: str = "objects/", **query):  # type: ignore[no-untyped-def]
    return client.get(COLLECTION + path, query_string=query, headers={**headers, "Accept": TAXII})


def test_paging_by_hand_added_after_and_match(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(PARTNER)
    first = _get(client, headers, limit=2)
    assert first.status_code == 200 and first.content_type == TAXII
    assert first.json["more"] is True and len(first.json["objects"]) == 2
    assert first.headers["X-TAXII-Date-Added-First"] <= first.headers["X-TAXII-Date-Added-Last"]
    second = _get(client, headers, limit=2, next=first.json["next"])
    assert {o["id"] for o in second.json["objects"]}.isdisjoint({o["id"] for o in first.json["objects"]})
    whole = _get(client, headers, limit=1000).json
    assert whole["more"] is False and "next" not in whole
    assert [o["id"] for o in whole["objects"][:4]] == [
        o["id"] for o in first.json["objects"] + second.json["objects"]
    ]
    middle = second.headers["X-TAXII-Date-Added-Last"]
    after = _get(client, headers, limit=1000, added_after=middle).json.get("objects", [])
    assert after and all(o.get("modified", o.get("created")) > middle for o in after)
    indicators = _get(client, headers, limit=1000, **{"match[type]": "indicator"}).json["objects"]
    assert indicators and {o["type"] for o in indicators} == {"indicator"}
    one = indicators[0]["id"]
    assert [o["id"] for o in _get(client, headers, **{"match[id]": one}).json["objects"]] == [one]
    assert [o["id"] for o in _get(client, headers, f"objects/{one}/").json["objects"]] == [one]
    versions = _get(client, headers, f"objects/{one}/versions/").json
    assert versions["more"] is False and len(versions["versions"]) == 1
    assert datetime.fromisoformat(versions["versions"][0]) == datetime.fromisoformat(
        indicators[0]["modified"]
    )


@pytest.mark.parametrize(
    ("path", "query", "accept", "status"),
    [
        ("objects/", {"next": "not-a-token"}, TAXII, 422),
        ("objects/", {"limit": 0}, TAXII, 422),
        ("objects/", {}, "application/xml", 406),
        ("objects/", {}, "application/taxii+json;version=2.0", 406),
        ("objects/", {}, "application/taxii+json", 200),
        ("objects/indicator--00000000-0000-4000-8000-000000000000/", {}, TAXII, 404),
    ],
)
def test_refusals(client, actors, data, path, query, accept, status) -> None:  # type: ignore[no-untyped-def]
    headers = {**actors.headers(PARTNER), "Accept": accept}
    answer = client.get(COLLECTION + path, query_string=query, headers=headers)
    assert answer.status_code == status, answer.get_json()
    if status >= 400:
        assert answer.mimetype == "application/problem+json"


def test_another_collection_is_not_found(client, actors, partner) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(
        f"{BASE}registry/collections/00000000-0000-4000-8000-000000000000/objects/",
        headers=actors.headers(PARTNER),
    )
    assert answer.status_code == 404
