"""The purpose of access (X-Purpose, issue #14): when it is required, how it is sent and what is audited."""

from __future__ import annotations

import pytest

from tests.factories import create_link, create_subject
from tests.screening.helpers import audit_entries

SUBJECTS = "/api/v1/subjects"
IDENTIFIERS = "/api/v1/identifiers"


@pytest.fixture
def bank(client, actors):
    """A bank account linked to a seller, registered by MOIT-DMS: its identifier id."""
    dms = actors.headers("MOIT-DMS")
    seller = create_subject(client, dms)
    return create_link(client, dms, seller["id"], "bank_account", "VCB:0011001234567")["identifier_id"]


@pytest.mark.parametrize("flag", ["true", "on", "On", "ON", "t", "T", "y", "Y", "yes", "1", "True"])
def test_every_spelling_of_sensitive_true_needs_a_purpose(client, actors, db, bank, flag):
    no_purpose = actors.headers("MOIT-DMS", purpose=None)
    response = client.get(f"{IDENTIFIERS}/{bank}", query_string={"sensitive": flag}, headers=no_purpose)
    assert response.status_code == 422, response.json
    assert "X-Purpose" in response.json["errors"]
    assert not [e for e in audit_entries(db, "identifier:read") if e["status_code"] == 200]
    with_purpose = actors.headers("MOIT-DMS", purpose="123/QD-CVT")
    revealed = client.get(f"{IDENTIFIERS}/{bank}", query_string={"sensitive": flag}, headers=with_purpose)
    assert revealed.status_code == 200 and revealed.json["value"] == "970436:0011001234567"
    assert audit_entries(db, "identifier:read")[-1]["purpose"] == "123/QD-CVT"


@pytest.mark.parametrize("flag", ["false", "off", "0", "n", "F"])
def test_sensitive_false_needs_no_purpose_and_reveals_nothing(client, actors, bank, flag):
    no_purpose = actors.headers("MOIT-DMS", purpose=None)
    response = client.get(f"{IDENTIFIERS}/{bank}", query_string={"sensitive": flag}, headers=no_purpose)
    assert response.status_code == 200 and response.json["value"] is None


def test_a_flag_neither_true_nor_false_is_422_naming_it(client, actors, bank):
    response = client.get(
        f"{IDENTIFIERS}/{bank}", query_string={"sensitive": "maybe"}, headers=actors.headers("MOIT-DMS")
    )
    assert response.status_code == 422 and "sensitive" in str(response.json["errors"])
