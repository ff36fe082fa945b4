from __future__ import annotations

from tests.factories import create_link, create_subject
from tests.screening.helpers import counting


def graph(client, headers, path, **query):
    response = client.get(path, headers=headers, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def subjects_of(body) -> set[str]:
    return {n["id"] for n in body["nodes"] if n["type"] == "subject"}


def test_subjects_sharing_bank_account_and_phone_are_connected(client, actors):
    dms = actors.headers("MOIT-DMS")
    a = create_subject(client, dms, name="Shop A", tax_code="0100109106")
    b = create_subject(client, dms, name="Shop B")
    c = create_subject(client, dms, name="Shop C")
    bank_a = create_link(client, dms, a["id"], "bank_account", "VCB:0011001234567")
    bank_b = create_link(client, dms, b["id"], "bank_account", "970436:0011001234567")
    create_link(client, dms, a["id"], "phone", "0912345678")
    create_link(client, dms, b["id"], "phone", "+84 912 345 678")
    create_link(client, dms, b["id"], "domain", "shop-b.vn")
    create_link(client, dms, c["id"], "domain", "SHOP-B.vn")
    customs = actors.headers("MOF-CUSTOMS")

    one = graph(client, customs, f"/api/v1/subjects/{a['id']}/graph")
    assert subjects_of(one) == {a["id"], b["id"]}
    assert one["truncated"] is False
    identifiers = {n["identifier_kind"]: n for n in one["nodes"] if n["type"] == "identifier"}
    assert set(identifiers) == {"bank_account", "phone", "tax_code"}
    assert "0011001234567" not in identifiers["bank_account"]["label"]  # masked
    edge_ids = {e["id"] for e in one["edges"]}
    assert {bank_a["id"], bank_b["id"]} <= edge_ids
    assert {n["depth"] for n in one["nodes"] if n["id"] == b["id"]} == {1}

    two = graph(client, customs, f"/api/v1/subjects/{a['id']}/graph", depth=2)
    assert subjects_of(two) == {a["id"], b["id"], c["id"]}
    only_phones = graph(client, customs, f"/api/v1/subjects/{a['id']}/graph", depth=3, kinds="phone")
    assert subjects_of(only_phones) == {a["id"], b["id"]}

    from_bank = graph(client, customs, f"/api/v1/identifiers/{bank_a['identifier_id']}/graph")
    assert subjects_of(from_bank) == {a["id"], b["id"], c["id"]}


def test_hidden_links_are_not_followed(client, actors):
    dms, police = actors.headers("MOIT-DMS"), actors.headers("MPS-C03")
    a = create_subject(client, dms, name="Shop A")
    b = create_subject(client, dms, name="Shop B")
    create_link(client, dms, a["id"], "phone", "0912345678")
    create_link(client, police, b["id"], "phone", "0912345678", visibility="owner")  # police-only assertion
    customs = graph(client, actors.headers("MOF-CUSTOMS"), f"/api/v1/subjects/{a['id']}/graph")
    assert subjects_of(customs) == {a["id"]}
    assert subjects_of(graph(client, police, f"/api/v1/subjects/{a['id']}/graph")) == {a["id"], b["id"]}


def test_node_bound_truncates_and_depth_is_bounded(client, actors):
    dms = actors.headers("MOIT-DMS")
    hub = create_subject(client, dms, name="Hub")
    for n in range(6):
        other = create_subject(client, dms, name=f"Spoke {n}")
        create_link(client, dms, other["id"], "ip", "203.113.1.10")
    create_link(client, dms, hub["id"], "ip", "203.113.1.10")
    customs = actors.headers("MOF-CUSTOMS")
    cut = graph(client, customs, f"/api/v1/subjects/{hub['id']}/graph", max_nodes=4)
    assert cut["truncated"] is True and len(cut["nodes"]) == 4
    node_ids = {n["id"] for n in cut["nodes"]}
    assert all(e["subject_id"] in node_ids and e["identifier_id"] in node_ids for e in cut["edges"])
    assert (
        client.get(
            f"/api/v1/subjects/{hub['id']}/graph", headers=customs, query_string={"depth": 4}
        ).status_code
        == 422
    )
    assert (
        client.get(
            f"/api/v1/subjects/{hub['id']}/graph", headers=customs, query_string={"max_nodes": 501}
        ).status_code
        == 422
    )


def test_one_query_per_level(client, actors, engine):
    dms = actors.headers("MOIT-DMS")
    chain = [create_subject(client, dms, name=f"Chain {n}") for n in range(5)]
    for n in range(4):
        create_link(client, dms, chain[n]["id"], "domain", f"chain{n}.vn")
        create_link(client, dms, chain[n + 1]["id"], "domain", f"chain{n}.vn")
    customs = actors.headers("MOF-CUSTOMS")
    graph(client, customs, f"/api/v1/subjects/{chain[0]['id']}/graph", depth=1)  # token now verified
    counts = []
    for depth in (1, 2, 3):
        with counting(engine) as statements:
            body = graph(client, customs, f"/api/v1/subjects/{chain[0]['id']}/graph", depth=depth)
        assert len(subjects_of(body)) == depth + 1
        counts.append(len(statements))
    assert counts[1] - counts[0] == 1 and counts[2] - counts[1] == 1
