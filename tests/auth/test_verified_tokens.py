"""Verified tokens are kept per process, and every change to the rows behind them takes effect at once."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import text, update

from registry.db import make_engine
from registry.generation import GenerationCache, current
from registry.models import AccessGeneration, Agency, OAuthClient
from registry.services import agencies
from tests.screening.helpers import counting

PROTECTED = "/api/v1/identifiers"
WATCHED = ("agency", "oauth_client", "signing_key", "revoked_token")


def call(client, headers):  # type: ignore[no-untyped-def]
    return client.get(PROTECTED, headers=headers)


def generation(db) -> str:  # type: ignore[no-untyped-def]
    return db.execute(text("SELECT value FROM access_generation")).scalar_one()


def test_a_token_is_verified_once_then_only_the_generation_is_read(client, actors, engine):
    headers = actors.headers("MOF-CUSTOMS")
    with counting(engine) as first:
        assert call(client, headers).status_code == 200
    with counting(engine) as second:
        assert call(client, headers).status_code == 200
    assert any("FROM oauth_client" in s for s in first)
    assert not any("FROM oauth_client" in s or "FROM signing_key" in s for s in second)
    assert sum("FROM access_generation" in s for s in second) == 1
    assert len(second) < len(first)


@pytest.mark.parametrize("table", WATCHED)
def test_every_change_to_a_watched_table_changes_the_generation(db, actors, table):
    client = actors.oauth_client("MOF-CUSTOMS")
    statements = {
        "agency": [
            "INSERT INTO agency (code, kind, name_vi, name_en, valid_from, created_at) "
            "VALUES ('GEN-TEST', 'province', 'Thử', 'Test', '2026-01-01', '2026-01-01')",
            "UPDATE agency SET name_en = 'Tested' WHERE code = 'GEN-TEST'",
            "DELETE FROM agency WHERE code = 'GEN-TEST'",
        ],
        "oauth_client": [
            f"UPDATE oauth_client SET enabled = false WHERE id = {client.id}",
            f"DELETE FROM oauth_client WHERE id = {client.id}",
        ],
        "signing_key": [
            "INSERT INTO signing_key (kid, purpose, private_key_enc, public_jwk, created_at) "
            "VALUES ('gen-test', 'token', :key, '{}', '2026-01-01')",
            "UPDATE signing_key SET retired_at = '2026-01-02' WHERE kid = 'gen-test'",
            "DELETE FROM signing_key WHERE kid = 'gen-test'",
        ],
        "revoked_token": [
            "INSERT INTO revoked_token (jti, expires_at, revoked_at) "
            "VALUES ('gen-test', '2099-01-01', '2026-01-01')",
            "UPDATE revoked_token SET expires_at = '2098-01-01' WHERE jti = 'gen-test'",
            "DELETE FROM revoked_token WHERE jti = 'gen-test'",
        ],
    }[table]
    db.flush()
    seen = [generation(db)]
    for statement in statements:
        db.execute(text(statement), {"key": b"\x00"})
        seen.append(generation(db))
    assert len(set(seen)) == len(seen), f"a change to {table} left the generation as it was"


def test_other_tables_leave_the_generation_alone(client, actors, db):
    headers = actors.headers("MOIT-DMS")
    assert call(client, headers).status_code == 200
    before = generation(db)
    response = client.post(
        "/api/v1/subjects", json={"kind": "organisation", "name": "Công ty Thử"}, headers=headers
    )
    assert response.status_code == 201, response.json
    assert generation(db) == before  # subjects, links, audit entries: no invalidation


def test_withdrawn_scope_takes_effect_on_the_next_request(client, actors, db):
    headers = actors.headers("MOF-CUSTOMS", ["registry:read"])
    assert call(client, headers).status_code == 200
    db.execute(update(OAuthClient).where(OAuthClient.client_id.like("test-mof-customs-%")).values(scopes=[]))
    response = call(client, headers)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_retired_agency_takes_effect_on_the_next_request(client, actors, db):
    headers = actors.headers("MOF-TAX")
    assert call(client, headers).status_code == 200
    agencies.retire(db, code="MOF-TAX", last_day=date.today() - timedelta(days=1))
    assert call(client, headers).status_code == 401


def test_a_kept_token_is_refused_once_it_expires(client, actors, monkeypatch):
    headers = actors.headers("MOF-CUSTOMS")
    assert call(client, headers).status_code == 200
    later = time.time() + 3 * 3600  # past the token's lifetime and the clock skew
    monkeypatch.setattr(time, "time", lambda: later)
    assert call(client, headers).status_code == 401


def test_a_change_committed_by_another_process_takes_effect_at_once(live_server):
    """Another process disables the client with plain SQL: no application code tells this one."""
    system = live_server.client("MOF-CUSTOMS", "registry:read")
    token = requests.post(
        live_server.token_url,
        data={"grant_type": "client_credentials"},
        auth=(system.client_id, system.secret),
        timeout=10,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(live_server.url + PROTECTED, headers=headers, timeout=10).status_code == 200
    assert requests.get(live_server.url + PROTECTED, headers=headers, timeout=10).status_code == 200
    other = make_engine(str(live_server.app.extensions["registry"].engine.url.render_as_string(False)))
    try:
        with other.begin() as connection:
            connection.execute(
                text("UPDATE oauth_client SET enabled = false WHERE client_id = :c"), {"c": system.client_id}
            )
    finally:
        other.dispose()
    assert requests.get(live_server.url + PROTECTED, headers=headers, timeout=10).status_code == 401


def test_the_cache_holds_one_generation_and_a_bounded_number_of_entries(db):
    cache: GenerationCache[str, int] = GenerationCache(size=2)
    assert cache.get(db, "a") is None
    for key, value in (("a", 1), ("b", 2), ("c", 3)):
        cache.put(db, key, value)
    assert (cache.get(db, "a"), cache.get(db, "b"), cache.get(db, "c")) == (None, 2, 3)
    db.execute(update(AccessGeneration).values(value="changed-by-hand"))
    db.expire_all()
    assert cache.get(db, "b") == 2  # this transaction read its generation already
    db.commit()  # a new transaction reads it again
    assert current(db) == "changed-by-hand"
    assert cache.get(db, "b") is None


def test_an_agency_added_in_the_session_is_known_at_once(db):
    before = agencies.codes(db)
    added = agencies.add(db, code="GEN-NEW", kind="province", name_vi="Mới", name_en="New")
    assert added.id not in before
    assert agencies.code(db, added.id) == "GEN-NEW"
    assert db.get(Agency, added.id) is not None


def test_an_update_statement_in_the_same_transaction_is_seen_at_once(db, actors):
    client = actors.oauth_client("MOF-CUSTOMS")
    db.flush()
    before = current(db)
    db.execute(update(OAuthClient).where(OAuthClient.id == client.id).values(enabled=False))
    assert current(db) != before  # read again: the trigger gave it a new value


def test_without_the_generation_row_nothing_is_kept(client, actors, db, engine):
    headers = actors.headers("MOF-CUSTOMS")
    db.execute(text("DELETE FROM access_generation"))
    assert current(db) is None
    for _ in range(2):
        with counting(engine) as statements:
            assert call(client, headers).status_code == 200
        assert any("FROM oauth_client" in s for s in statements)  # verified again each time
