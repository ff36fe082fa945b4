"""The API checks no connection before use (no pool pre-ping): a connection the server dropped fails its
request with a clean 503 that changed nothing, and the next request works without a restart."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from registry.app import create_app
from registry.audit.models import AuditEntry
from registry.config import Settings
from registry.db import make_engine
from tests.factories import DATA_KEY, LOOKUP_KEY, Actors, create_subject
from tests.signing import write_trust_dir

pytestmark = pytest.mark.postgres_only


def test_a_dropped_connection_fails_one_request_with_503_and_the_next_reconnects(fresh_database, tmp_path):
    settings = Settings.from_env(
        {},
        env="testing",
        database_url=fresh_database,
        var_dir=tmp_path / "var",
        data_key=DATA_KEY,
        lookup_key=LOOKUP_KEY,
        rate_limit="100000 per minute",
        trust_dir=write_trust_dir(tmp_path / "trust"),
        public_rate_limit="100000 per minute",
    )
    app = create_app(settings)
    engine = app.extensions["registry"].engine
    assert engine.pool._pre_ping is False  # the premise: nothing checks a connection before use
    session = app.extensions["registry"].sessionmaker()
    headers = Actors(app, session).headers("MOIT-DMS")
    session.commit()
    session.close()
    client = app.test_client()
    subject = create_subject(client, headers, tax_code="0100109106")
    path = f"/api/v1/subjects/{subject['id']}/history"
    assert client.get(path, headers=headers).status_code == 200

    admin = make_engine(fresh_database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        entries_before = conn.scalar(select(func.max(AuditEntry.id)))
        dropped = conn.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert dropped >= 1  # the app's pooled connection

    failed = client.get(path, headers=headers)
    assert failed.status_code == 503
    assert failed.mimetype == "application/problem+json"
    assert failed.json["type"].endswith("/database-unavailable")
    assert failed.headers["Retry-After"] == "1"
    assert "0100109106" not in failed.get_data(as_text=True)

    again = client.get(path, headers=headers)
    assert again.status_code == 200 and again.json["subject"]["id"] == subject["id"]
    with admin.connect() as conn:
        # The failed request stopped at its token check (the rate limiter's, before the view): it read
        # nothing and wrote nothing, its own audit entry included; the next one is audited as usual.
        statuses = (
            conn.execute(
                select(AuditEntry.status_code).where(AuditEntry.id > entries_before).order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
    assert statuses == [200]
    admin.dispose()
    engine.dispose()
