"""`registry clients ...` and `registry keys ...` against a migrated database of their own."""

from __future__ import annotations

import base64
import json

import pytest
from click.testing import CliRunner
from joserfc.jwk import ECKey
from sqlalchemy import select

from registry.auth.credentials import verify_secret
from registry.cli import main
from registry.db import make_engine, make_sessionmaker
from registry.models import OAuthClient


@pytest.fixture
def cli(fresh_database, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REGISTRY_DATABASE_URL", fresh_database)
    monkeypatch.setenv("REGISTRY_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("REGISTRY_DATA_KEY", base64.b64encode(b"d" * 32).decode())
    monkeypatch.setenv("REGISTRY_LOOKUP_KEY", base64.b64encode(b"l" * 32).decode())
    runner = CliRunner()

    def run(*args: str, input: str | None = None, ok: bool = True):  # type: ignore[no-untyped-def]
        result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result

    return run


def stored(database_url: str, client_id: str) -> OAuthClient:
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        client = session.scalars(select(OAuthClient).where(OAuthClient.client_id == client_id)).one()
        session.expunge(client)
    engine.dispose()
    return client


def test_create_prints_id_and_one_time_secret_stored_only_as_hash(cli, fresh_database):
    data = json.loads(
        cli(
            "clients",
            "create",
            "--agency",
            "MOIT-DMS",
            "--scopes",
            "registry:read registry:write",
            "--name",
            "DMS case system",
            "--json",
        ).output
    )
    assert data["client_id"].startswith("moit-dms-") and len(data["client_secret"]) >= 40
    assert data["scopes"] == ["registry:read", "registry:write"]
    client = stored(fresh_database, data["client_id"])
    assert data["client_secret"] not in (client.secret_hash or "")
    assert client.secret_hash.startswith("scrypt$") and verify_secret(
        data["client_secret"], client.secret_hash
    )
    text = cli("clients", "create", "--agency", "MOIT-DMS", "--scopes", "registry:read").output
    assert "client_secret:" in text and "shown only now" in text


def test_create_refuses_scopes_beyond_the_agency_kind(cli):
    result = cli(
        "clients", "create", "--agency", "ISP-VNPT", "--scopes", "blocking:execute registry:read", ok=False
    )
    assert "registry:read" in result.output
    assert (
        "No agency"
        in cli("clients", "create", "--agency", "NOPE", "--scopes", "registry:read", ok=False).output
    )


def test_add_key_disable_enable_rotate_and_list(cli, fresh_database):
    client_id = json.loads(
        cli("clients", "create", "--agency", "SBV", "--scopes", "freeze:process", "--json").output
    )["client_id"]
    key = ECKey.generate_key("P-256", private=True)
    public = json.dumps(key.as_dict(private=False))
    assert "registered" in cli("clients", "add-key", client_id, "--jwk", "-", input=public).output
    assert "already has" in cli("clients", "add-key", client_id, "--jwk", "-", input=public, ok=False).output
    private = json.dumps(key.as_dict(private=True))
    assert "private" in cli("clients", "add-key", client_id, "--jwk", "-", input=private, ok=False).output
    cli("clients", "disable", client_id)
    assert stored(fresh_database, client_id).enabled is False
    cli("clients", "enable", client_id)
    assert stored(fresh_database, client_id).enabled is True
    old_hash = stored(fresh_database, client_id).secret_hash
    secret = json.loads(cli("clients", "rotate-secret", client_id, "--json").output)["client_secret"]
    new_hash = stored(fresh_database, client_id).secret_hash
    assert new_hash != old_hash and verify_secret(secret, new_hash)
    listed = json.loads(cli("clients", "list", "--agency", "SBV", "--json").output)
    mine = next(entry for entry in listed if entry["client_id"] == client_id)
    assert mine["auth_methods"] == ["client_secret_basic", "private_key_jwt"] and len(mine["keys"]) == 1
    assert "No client" in cli("clients", "disable", "nobody", ok=False).output


def test_keys_rotate_keeps_the_previous_key_verifying(cli):
    first = json.loads(cli("keys", "rotate", "--json").output)
    second = json.loads(cli("keys", "rotate", "--json").output)
    assert first["active"]["kid"] in [key["kid"] for key in second["retired"]]
    listed = json.loads(cli("keys", "list", "--json").output)
    states = {key["kid"]: key for key in listed}
    assert states[second["active"]["kid"]]["state"] == "active"
    assert states[first["active"]["kid"]]["state"] == "retired"
    assert states[first["active"]["kid"]]["verifies_until"] is not None
    assert second["active"]["kid"] in cli("keys", "list").output
