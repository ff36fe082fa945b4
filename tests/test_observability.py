"""Prometheus metrics (/metrics), JSON log lines with the request id, and nothing sensitive in either."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from registry import logs
from registry.audit.models import AuditEntry
from registry.models.screening import ScreeningJob
from tests.factories import create_link, create_subject

TOKEN = "scraper-" + uuid.uuid4().hex
PERSONAL_ID = "001190012345"
ACCOUNT = "0011001234567"


@pytest.fixture
def scraped(app, settings, monkeypatch):
    """The app with a scraper's token configured (only its SHA-256, as in production)."""
    state = app.extensions["registry"]
    token_hash = hashlib.sha256(TOKEN.encode()).hexdigest()
    monkeypatch.setattr(state, "settings", replace(settings, metrics_token_sha256=token_hash))
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def log_lines(app, settings):
    """Every log line the app writes during the test, in production's JSON format."""
    stream = io.StringIO()
    handler = logs.configure(replace(settings, log_format="json"), stream)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    root.setLevel(level)
    logs.configure(settings)


def _samples(text: str) -> dict[str, float]:
    """`name{labels}` -> value, for the lines of the exposition that are samples."""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def test_no_metrics_unless_a_scraper_token_is_configured(client):
    answer = client.get("/metrics")
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"


def test_metrics_need_the_scraper_token(client, scraped):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "registry_http_requests_total" not in refused.get_data(as_text=True)


def test_metrics_count_requests_by_route_and_status(client, actors, scraped):
    headers = actors.headers("MOIT-DMS")
    subject = create_subject(client, headers)
    route = "/api/v1/subjects/<uuid:subject_id>"
    key = f'registry_http_requests_total{{endpoint="{route}",method="GET",status="200"}}'
    missing = f'registry_http_requests_total{{endpoint="{route}",method="GET",status="404"}}'
    before = _samples(client.get("/metrics", headers=scraped).get_data(as_text=True))
    for _ in range(3):
        assert client.get(f"/api/v1/subjects/{subject['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/subjects/{uuid.uuid4()}", headers=headers).status_code == 404
    page = client.get("/metrics", headers=scraped)
    assert page.status_code == 200
    assert page.mimetype == "text/plain"
    after = _samples(page.get_data(as_text=True))
    assert after[key] - before.get(key, 0) == 3
    assert after[missing] - before.get(missing, 0) == 1
    count = f'registry_http_request_duration_seconds_count{{endpoint="{route}",method="GET"}}'
    assert after[count] - before.get(count, 0) == 4
    # The route's rule, never the path: no identifier becomes a label.
    assert subject["id"] not in page.get_data(as_text=True)


def test_metrics_read_the_audit_log_overdue_steps_and_jobs(client, actors, db, scraped):
    headers = actors.headers("MOIT-DMS")
    create_subject(client, headers)  # an audit entry waits for the sequencer (none runs in the tests)
    waiting = db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    assert waiting is not None
    db.add(ScreeningJob(**_job(db)))
    db.flush()
    values = _samples(client.get("/metrics", headers=scraped).get_data(as_text=True))
    assert values["registry_audit_backlog_entries"] >= 1
    assert values["registry_audit_oldest_waiting_seconds"] >= 0
    assert values['registry_jobs{kind="screening",status="queued"}'] >= 1
    assert 'registry_overdue_steps{workflow="block_request"}' in values
    assert 'registry_overdue_steps{workflow="freeze_order"}' in values


def _job(db) -> dict:
    """A queued screening job's columns."""
    from registry.models.agency import Agency

    agency = db.scalar(select(Agency.id).where(Agency.code == "MOIT-DMS"))
    return {
        "status": "queued",
        "agency_id": agency,
        "client_id": "test",
        "total": 10,
        "list_sha256": "0" * 64,
    }


def test_log_lines_are_json_with_the_request_id_of_the_answer_and_the_audit_entry(
    client, actors, db, log_lines, monkeypatch
):
    from registry.api import subjects as views

    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, ConnectionError("server closed the connection"))

    headers = actors.headers("MOIT-DMS")
    subject = create_subject(client, headers)
    monkeypatch.setattr(views, "load_visible", broken, raising=True)
    failed = client.get(f"/api/v1/subjects/{subject['id']}", headers=headers)
    assert failed.status_code == 503
    request_id = failed.headers["X-Request-Id"]
    assert failed.json["request_id"] == request_id
    lines = log_lines()
    mine = [line for line in lines if line.get("request_id") == request_id]
    assert mine and {"time", "level", "logger", "message"} <= set(mine[0])
    assert any(line["level"] == "WARNING" and "database unavailable" in line["message"] for line in mine)
    access = [line for line in mine if line["logger"] == "registry.access"]
    assert [(line["route"], line["status"], line["agency"]) for line in access] == [
        ("/api/v1/subjects/<uuid:subject_id>", 503, "MOIT-DMS")
    ]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.request_id == request_id))
    assert entry is not None and entry.outcome == "error"


def test_nothing_sensitive_in_log_lines_or_metrics(client, actors, scraped, log_lines):
    """The values a run of requests sent (a personal ID, an account number, a token) appear in no log
    line and no metric, whether the request succeeded or was refused."""
    headers = actors.headers("MPS-C03")
    token = headers["Authorization"].split(" ", 1)[1]
    seller = create_subject(client, headers, kind="individual", name="Trần Thị B", personal_id=PERSONAL_ID)
    create_link(client, headers, seller["id"], "bank_account", f"VCB:{ACCOUNT}")
    client.get("/api/v1/subjects", query_string={"q": PERSONAL_ID}, headers=headers)
    client.get(
        "/api/v1/identifiers/lookup",
        query_string={"kind": "bank_account", "value": f"VCB:{ACCOUNT}"},
        headers=headers,
    )
    client.get("/api/v1/identifiers/lookup", query_string={"kind": "bank_account", "value": f"XXX:{ACCOUNT}"})
    client.post(
        "/api/v1/subjects", json={"kind": "individual", "name": "X", "personal_id": "12" + PERSONAL_ID}
    )
    client.post(
        "/api/v1/subjects",
        json={"kind": "individual", "name": "X", "personal_id": "99" + PERSONAL_ID},
        headers=headers,
    )
    written = json.dumps(log_lines(), ensure_ascii=False) + client.get("/metrics", headers=scraped).get_data(
        as_text=True
    )
    assert log_lines(), "the requests wrote no log line at all: the test would prove nothing"
    for value in (PERSONAL_ID, ACCOUNT, token, TOKEN):
        assert value not in written
