"""`make run`'s demo data has a partner whose exchange holds something: the records shared with it."""

from __future__ import annotations

import stix2
from stix2validator import ValidationOptions, validate_string

from registry.services import demo


def test_the_demo_partner_pulls_what_the_demo_shares_with_it(app, client, actors, db) -> None:  # type: ignore[no-untyped-def]
    demo.generate(db, cipher=app.extensions["registry"].cipher, subjects=40, seed=389)
    partner = demo.DEMO_PARTNER["code"]
    assert demo.demo_partner(db).kind == "partner"  # added once, found again
    answer = client.get("/api/v1/exchange/stix", headers=actors.headers(partner))
    assert answer.status_code == 200, answer.get_json()
    text = answer.get_data(as_text=True)
    bundle = stix2.parse(text, allow_custom=False)
    assert any(one.type == "indicator" for one in bundle.objects)
    assert validate_string(text, ValidationOptions(version="2.1", strict=True)).is_valid
    manifest = client.get("/api/v1/exchange/misp/manifest.json", headers=actors.headers(partner))
    assert manifest.status_code == 200 and manifest.json
