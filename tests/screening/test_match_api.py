from __future__ import annotations

from tests.factories import create_link, create_subject, create_violation
from tests.screening.helpers import MATCH, audit_entries

BANK = "VCB:0011001234567"
PHONE = "0912 345 678"


def ask(client, headers, kind, value):
    response = client.get(MATCH, query_string={"kind": kind, "value": value}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_bank_account_and_phone_yes_no_without_read_sensitive(client, actors, db):
    dms = actors.headers("MOIT-DMS")
    seller = create_subject(client, dms)
    bank = create_link(client, dms, seller["id"], "bank_account", BANK)
    create_link(client, dms, seller["id"], "phone", PHONE)
    case = create_violation(client, dms, [seller["id"]], [bank["identifier_id"]])
    customs = actors.headers("MOF-CUSTOMS", scopes=["registry:read"], purpose=None)

    known = ask(client, customs, "bank_account", "970436:0011-0012-34567")
    assert known == {"known": True, "reference": f"violation:{case['id']}"}
    phone = ask(client, customs, "phone", "+84912345678")
    assert phone["known"] is True and phone["reference"].startswith("link:")
    assert ask(client, customs, "bank_account", "VCB:0011001234568") == {"known": False, "reference": None}
    assert ask(client, customs, "phone", "0987 654 321") == {"known": False, "reference": None}

    entries = [e for e in audit_entries(db, "identifier:match") if e["outcome"] == "allowed"]
    assert [e["detail"]["known"] for e in entries[-4:]] == [True, True, False, False]
    assert all("0011001234567" not in str(e) and "912345678" not in str(e) for e in entries)


def test_hidden_identifier_is_unknown_to_those_who_cannot_see_it(client, actors):
    police = actors.headers("MPS-C03")
    suspect = create_subject(client, police, name="Đối tượng", visibility="owner")
    create_link(client, police, suspect["id"], "phone", PHONE, visibility="owner")
    assert ask(client, actors.headers("VECOM"), "phone", PHONE) == {"known": False, "reference": None}
    # A state agency sees identifiers as shared facts, but has nothing to follow up: no reference.
    assert ask(client, actors.headers("MOF-TAX"), "phone", PHONE) == {"known": True, "reference": None}
    assert ask(client, police, "phone", PHONE)["reference"].startswith("link:")


def test_invalid_value_is_422_without_echoing_it(client, actors):
    headers = actors.headers("MOF-CUSTOMS", scopes=["registry:read"])
    response = client.get(
        MATCH, query_string={"kind": "bank_account", "value": "0011001234567:VCB"}, headers=headers
    )
    assert response.status_code == 422
    assert b"0011001234567" not in response.data
