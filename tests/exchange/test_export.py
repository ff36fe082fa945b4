"""POST /api/v1/exchange/exports: the whole STIX export as a job of the job queue, built in parts and
resumable, whose bundle is the live `GET /stix` bundle byte for byte (services.exchange.export)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.models import ExchangeExport, ExchangeExportObject, JobStatus
from registry.services.exchange import export as exports
from registry.services.exchange import sources
from registry.services.exchange.taxii import COLLECTION_ID
from tests.auth.test_limits import redis_url  # noqa: F401 - the fixture queued_app needs
from tests.exchange.conftest import OWNER, PARTNER, PERSONAL_IDS, add_partner
from tests.factories import Actors, create_link, create_subject, create_violation
from tests.screening.test_job_queue import _worker, queued_app  # noqa: F401 - the fixture

EXPORTS = "/api/v1/exchange/exports"
STIX = "/api/v1/exchange/stix"


@pytest.fixture
def more(client, actors, data):  # type: ignore[no-untyped-def]
    """Beside the exchange's records: a second case naming the public seller's domain (the indicator
    gathers both cases' labels, whichever part holds it) and a case naming no network identifier."""
    owner = actors.headers(OWNER)
    other = create_subject(client, owner, name="Công ty TNHH Bán Lại", visibility="public")["id"]
    domain = create_link(client, owner, other, "domain", "hanggia-daiphat.vn", visibility="public")
    create_violation(
        client, owner, [other], [domain["identifier_id"]], status="confirmed", visibility="public",
        categories=["SMUGGLED"], goods_groups=["electronics_phones"],
    )  # fmt: skip
    lone = create_subject(client, owner, name="Công ty Không Mạng", visibility="public")["id"]
    create_violation(client, owner, [lone], [], status="confirmed", visibility="public")
    return data


@pytest.fixture
def small_parts(monkeypatch):  # type: ignore[no-untyped-def]
    """A part of one record and pages of three objects: every object crosses parts and pages."""
    monkeypatch.setattr(exports, "PART", 1)
    monkeypatch.setattr(exports, "PAGE", 3)


def _request(client, headers, **body):  # type: ignore[no-untyped-def]
    answer = client.post(EXPORTS, json=body, headers=headers)
    assert answer.status_code == 202, answer.get_json()
    assert answer.headers["Location"] == answer.json["url"] == f"{EXPORTS}/{answer.json['id']}"
    return answer.json


def _bundle(client, headers, export_id):  # type: ignore[no-untyped-def]
    shown = client.get(f"{EXPORTS}/{export_id}", headers=headers)
    assert shown.status_code == 200, shown.get_json()
    assert shown.json["status"] == "done", shown.json
    answer = client.get(shown.json["bundle_url"], headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert answer.content_type == exports.stix.MEDIA_TYPE
    return shown.json, answer.get_data(as_text=True)


@pytest.mark.parametrize("agency", [PARTNER, "NSC389"])
def test_the_export_is_the_live_bundle_byte_for_byte(client, actors, more, small_parts, agency) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(agency)
    live = client.get(STIX, headers=headers).get_data(as_text=True)
    shown, bundle = _bundle(client, headers, _request(client, headers)["id"])
    assert bundle == live
    assert shown["objects"] == live.count('"spec_version": "2.1"') > 20
    assert shown["processed"] == shown["total"] > 10 and shown["error"] is None
    assert "Công ty Không Mạng" in bundle  # a case's seller though the case names no network identifier
    for secret in PERSONAL_IDS:
        assert secret not in bundle
    assert "rieng-owner.vn" not in bundle  # another agency's owner-only case


def test_an_incremental_export_is_the_live_incremental_pull(client, actors, more, small_parts) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(PARTNER)
    objects = client.get(STIX, headers=headers).json["objects"]
    since = sorted(one.get("modified", one["created"]) for one in objects)[len(objects) // 2]
    live = client.get(STIX, query_string={"since": since}, headers=headers).get_data(as_text=True)
    shown, bundle = _bundle(client, headers, _request(client, headers, since=since)["id"])
    assert bundle == live and 0 < shown["objects"] < len(objects)
    later = "2099-01-01T00:00:00Z"
    empty = client.get(STIX, query_string={"since": later}, headers=headers).get_data(as_text=True)
    assert _bundle(client, headers, _request(client, headers, since=later)["id"])[1] == empty


def _principal(db, code: str) -> Principal:  # type: ignore[no-untyped-def]
    from registry.models import Agency

    agency = db.scalar(select(Agency).where(Agency.code == code))
    return Principal("partner-client", agency.code, agency.id, agency.kind, frozenset({"exchange:read"}))


class Killed(BaseException):
    """The worker's process ending mid-part (not an error the job could catch)."""


def test_a_stopped_export_goes_on_from_the_last_part_kept(client, actors, more, small_parts, db) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(PARTNER)
    live = client.get(STIX, headers=headers).get_data(as_text=True)
    export = exports.create(db, principal=_principal(db, PARTNER), since=None)
    commits = 0

    def dies_at_the_sixth_commit() -> None:
        nonlocal commits
        commits += 1
        if commits == 6:
            raise Killed
        db.flush()

    with pytest.raises(Killed):
        exports.run(db, export_id=export.id, commit=dies_at_the_sixth_commit)
    db.expire_all()
    stopped = db.get(ExchangeExport, export.id)
    assert stopped.status == JobStatus.RUNNING and stopped.phase == "identifiers" and stopped.attempts == 1
    kept = db.scalar(select(func.count()).where(ExchangeExportObject.export_id == export.id))
    assert kept > 0 and 0 < stopped.processed < stopped.total
    shown = client.get(f"{EXPORTS}/{export.id}", headers=headers).json
    assert shown["status"] == "running" and shown["bundle_url"] is None
    unready = client.get(f"{EXPORTS}/{export.id}/bundle", headers=headers)
    assert unready.status_code == 409 and unready.mimetype == "application/problem+json"
    assert unready.json["type"].endswith("/export-not-ready")

    # Silent for longer than INTERRUPTED_AFTER: the tick queues it again, and the next run goes on.
    requeued: list[uuid.UUID] = []
    later = utcnow() + exports.INTERRUPTED_AFTER + timedelta(seconds=1)
    counts = exports.tick(db, now=later, requeue=requeued.append)
    assert counts == {"exports_failed": 0, "exports_requeued": 1, "exports_deleted": 0}
    assert requeued == [export.id]
    commits = 0
    exports.run(db, export_id=export.id, commit=db.flush)
    db.expire_all()
    assert db.get(ExchangeExport, export.id).attempts == 2
    assert _bundle(client, headers, export.id)[1] == live


def test_only_the_requesting_agency_sees_its_export(client, actors, data) -> None:  # type: ignore[no-untyped-def]
    export_id = _request(client, actors.headers(PARTNER))["id"]
    office = actors.headers("NSC389")
    for url in (f"{EXPORTS}/{export_id}", f"{EXPORTS}/{export_id}/bundle"):
        answer = client.get(url, headers=office)
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
        assert export_id in answer.json["detail"]


def test_the_download_is_audited_with_the_sellers_it_names(client, actors, data, db) -> None:  # type: ignore[no-untyped-def]
    from registry.audit.models import AuditEntry

    headers = actors.headers(PARTNER)
    export_id = _request(client, headers)["id"]
    _bundle(client, headers, export_id)
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.agency, entry.resource_id) == ("exchange:export_bundle", PARTNER, export_id)
    assert set(entry.subjects or []) == {data.ids["public"], data.ids["named"], data.ids["person"]}


def test_bad_requests_change_nothing(client, actors, data, db) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(PARTNER)
    for body in ({"since": "yesterday"}, {"format": "misp"}):
        answer = client.post(EXPORTS, json=body, headers=headers)
        assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
        assert answer.json["errors"], answer.json
    assert db.scalar(select(func.count()).select_from(ExchangeExport)) == 0


def test_the_tick_fails_an_export_out_of_attempts_and_deletes_old_ones(db, partner) -> None:  # type: ignore[no-untyped-def]
    principal = _principal(db, PARTNER)
    stuck = exports.create(db, principal=principal, since=None)
    stuck.status, stuck.attempts = JobStatus.RUNNING, exports.MAX_ATTEMPTS
    old = exports.create(db, principal=principal, since=None)
    db.flush()
    db.add(ExchangeExportObject(export_id=old.id, stix_id="identity--x", modified=utcnow(), body="{}"))
    old.status, old.finished_at = JobStatus.DONE, utcnow() - exports.EXPORT_KEPT - timedelta(minutes=1)
    db.flush()
    later = utcnow() + exports.INTERRUPTED_AFTER + timedelta(seconds=1)
    requeued: list[uuid.UUID] = []
    counts = exports.tick(db, now=later, requeue=requeued.append)
    assert counts == {"exports_failed": 1, "exports_requeued": 0, "exports_deleted": 1}
    assert requeued == [] and stuck.status == JobStatus.FAILED and stuck.error == exports.INTERRUPTED
    db.expire_all()
    assert db.get(ExchangeExport, old.id) is None
    assert db.scalar(select(func.count()).select_from(ExchangeExportObject)) == 0


def test_a_worker_process_builds_the_export(queued_app, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """With RQ, as production runs it: the request only queues the export; `registry jobs worker`, a
    process of its own, builds it."""
    state = queued_app.extensions["registry"]
    session = state.sessionmaker()
    add_partner(session)
    actors = Actors(queued_app, session)
    owner, headers = actors.headers(OWNER), actors.headers(PARTNER)
    session.commit()  # the clients registered: the requests and the worker write from now on
    client = queued_app.test_client()
    seller = create_subject(client, owner, name="Công ty Giao Hàng Lậu", visibility="public")["id"]
    link = create_link(client, owner, seller, "domain", "giaohang-lau.vn", visibility="public")
    create_violation(
        client, owner, [seller], [link["identifier_id"]], visibility="public", status="confirmed"
    )
    requested = client.post(EXPORTS, json={}, headers=headers)
    assert requested.status_code == 202 and requested.json["status"] == "queued", requested.json
    requested.close()  # the response's close hands the committed export to the queue
    assert client.get(requested.json["url"], headers=headers).json["status"] == "queued"
    worker = _worker(state.settings.database_url, state.settings.job_queue, tmp_path, burst=True)
    assert worker.wait(timeout=180) == 0
    live = client.get(STIX, headers=headers).get_data(as_text=True)
    shown, bundle = _bundle(client, headers, requested.json["id"])
    assert bundle == live and "giaohang-lau.vn" in bundle and shown["objects"] > 3
    session.close()


def test_an_export_with_nothing_shared_is_the_live_one(client, actors, partner) -> None:  # type: ignore[no-untyped-def]
    headers = actors.headers(PARTNER)
    live = client.get(STIX, headers=headers).get_data(as_text=True)
    shown, bundle = _bundle(client, headers, _request(client, headers)["id"])
    assert bundle == live and shown["objects"] == 2  # the registry's identity and its TLP marking


def test_a_pull_too_large_for_a_request_says_to_request_an_export(client, actors, data, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Beyond LIVE_MAX cases and blocks the live pulls refuse (at 100,000 subjects the Standing Office's
    pull passed PostgreSQL's 65,535 parameters); the export job builds it all the same."""
    headers = actors.headers(PARTNER)
    whole = client.get(STIX, headers=headers).get_data(as_text=True)
    monkeypatch.setattr(sources, "LIVE_MAX", 2)  # the partner receives 3 cases and 1 block
    collection = f"/api/v1/exchange/taxii2/registry/collections/{COLLECTION_ID}"
    for url in (
        STIX,
        "/api/v1/exchange/misp/manifest.json",
        f"{collection}/objects/",
        f"{collection}/manifest/",
    ):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 409 and answer.mimetype == "application/problem+json", url
        assert answer.json["type"].endswith("/pull-too-large") and EXPORTS in answer.json["detail"]
    one = client.get(f"/api/v1/exchange/misp/{data.cases['public']}.json", headers=headers)
    assert one.status_code == 200  # one event is one record
    assert _bundle(client, headers, _request(client, headers)["id"])[1] == whole


def test_an_export_may_be_requested_without_a_body(client, actors, partner) -> None:  # type: ignore[no-untyped-def]
    answer = client.post(EXPORTS, headers=actors.headers(PARTNER))
    assert answer.status_code == 202 and answer.json["since"] is None, answer.get_json()


def test_an_export_is_asked_for_with_a_purpose(client, actors, partner, db) -> None:  # type: ignore[no-untyped-def]
    """A write, like every other: X-Purpose says why (the pulls are machines' reads and need none)."""
    answer = client.post(EXPORTS, json={}, headers=actors.headers(PARTNER, purpose=None))
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json", answer.get_json()
    assert "X-Purpose" in answer.json["detail"]
    assert db.scalar(select(func.count()).select_from(ExchangeExport)) == 0
