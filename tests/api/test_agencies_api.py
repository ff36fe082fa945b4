"""Agencies over HTTP: the list in code order, one by code, 404 for an unknown code."""

from __future__ import annotations

URL = "/api/v1/agencies"


def test_list_and_get_agencies(client, actors):
    headers = actors.headers("MOF-TAX")
    listed = client.get(URL, headers=headers)
    assert listed.status_code == 200
    codes = [a["code"] for a in listed.json]
    assert codes == sorted(codes) and "MOF-TAX" in codes
    one = client.get(f"{URL}/MOF-TAX", headers=headers)
    assert one.status_code == 200 and one.json == next(a for a in listed.json if a["code"] == "MOF-TAX")
    missing = client.get(f"{URL}/NOPE", headers=headers)
    assert missing.status_code == 404 and missing.json["detail"] == "No agency NOPE."
