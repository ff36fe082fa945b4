"""The audit API through the test client with real tokens, and what every request leaves in the log."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from registry.api.audit import audit_log
from registry.audit import merkle
from registry.audit.models import AuditEntry
from registry.audit.note import (
    Checkpoint,
    CosignatureSigner,
    Verifier,
    generate_cosigner,
    open_note,
    sign_note,
    verify_cosignature,
)
from registry.audit.verify import save_state
from registry.cli import audit as audit_cli
from registry.cli import main
from tests.audit.helpers import FlaskHttp

AUDITOR = "AUDIT"
# MOIT-DMS may hold audit:read as a state body; these tests give it ordinary registry work only.
REGISTRY_ONLY = ["registry:read", "registry:write"]


def b64d(text: str) -> bytes:
    return base64.b64decode(text)


def entries_for(db, request_id: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(
        db.scalars(select(AuditEntry).where(AuditEntry.request_id == request_id).order_by(AuditEntry.id))
    )


def checkpoint_of(client, headers) -> tuple[Checkpoint, str]:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/audit/checkpoint", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    keys = client.get("/api/v1/audit/verifier-key", headers=headers).get_data(as_text=True).split()
    body, _ = open_note(response.get_data(as_text=True), [Verifier(k) for k in keys])
    return Checkpoint.parse(body), response.get_data(as_text=True)


# -- what a request leaves in the log ---------------------------------------------------------------
def test_a_read_records_who_what_why_and_the_outcome(client, actors, db):
    headers = actors.headers("MOIT-DMS", scopes=REGISTRY_ONLY, officer="officer-7", purpose="CASE-2026-17")
    response = client.get("/api/v1/identifiers", headers=headers)
    assert response.status_code == 200
    [entry] = entries_for(db, response.headers["X-Request-Id"])
    assert (entry.agency, entry.officer, entry.action, entry.outcome, entry.status_code, entry.purpose) == (
        "MOIT-DMS",
        "officer-7",
        "identifier:list",
        "allowed",
        200,
        "CASE-2026-17",
    )
    assert entry.client_id.startswith("test-moit-dms-")
    assert entry.leaf_hash == hashlib.sha256(b"\x00" + entry.body).digest()
    body = json.loads(entry.body)
    assert body["agency"] == "MOIT-DMS" and body["action"] == "identifier:list" and body["v"] == 1
    assert "Authorization" not in entry.body.decode() and "Bearer" not in entry.body.decode()


def test_a_write_records_its_resource_and_a_hash_of_the_change(client, actors, db):
    headers = actors.headers("MOIT-DMS", scopes=REGISTRY_ONLY, purpose="CASE-3")
    created = client.post(
        "/api/v1/identifiers", json={"kind": "tax_code", "value": "0100109106"}, headers=headers
    )
    assert created.status_code == 201
    [entry] = entries_for(db, created.headers["X-Request-Id"])
    assert (entry.action, entry.resource_type, entry.resource_id, entry.outcome) == (
        "identifier:create",
        "identifier",
        created.json["id"],
        "allowed",
    )
    assert len(json.loads(entry.body)["change_hash"]) == 64
    assert (
        "0100109106" not in entry.body.decode()
    )  # the value appears only as its keyed hash, inside the hash


@pytest.mark.parametrize(
    ("case", "status", "outcome"),
    [("no token", 401, "denied"), ("missing scope", 403, "denied"), ("invalid input", 422, "error")],
)
def test_failed_requests_are_recorded_and_a_rolled_back_write_leaves_no_allowed_entry(
    client, actors, db, case, status, outcome
):  # type: ignore[no-untyped-def]
    headers = {
        "no token": {"X-Purpose": "CASE-1"},
        "missing scope": actors.headers("MOIT-DMS", scopes=["registry:read"]),
        "invalid input": actors.headers("MOIT-DMS", scopes=REGISTRY_ONLY),
    }[case]
    response = client.post(
        "/api/v1/identifiers", json={"kind": "tax_code", "value": "0101245487"}, headers=headers
    )
    assert response.status_code == status
    [entry] = entries_for(db, response.headers["X-Request-Id"])
    assert (entry.action, entry.outcome, entry.status_code) == ("identifier:create", outcome, status)
    assert entry.agency == (None if case == "no token" else "MOIT-DMS")
    assert not db.scalars(
        select(AuditEntry).where(
            AuditEntry.request_id == response.headers["X-Request-Id"], AuditEntry.outcome == "allowed"
        )
    ).first()
    listed = client.get("/api/v1/identifiers", headers=actors.headers("MOIT-DMS", scopes=REGISTRY_ONLY))
    assert listed.json["total"] == 0


# -- reading the log --------------------------------------------------------------------------------
def test_entries_rehash_to_the_signed_root_and_every_proof_verifies(client, actors):
    auditor = actors.headers(AUDITOR)
    for _ in range(6):
        client.get("/api/v1/identifiers", headers=actors.headers("MOIT-DMS", scopes=REGISTRY_ONLY))
    first, _ = checkpoint_of(client, auditor)
    assert first.size >= 6
    page = client.get(
        "/api/v1/audit/entries", query_string={"start": 0, "end": first.size}, headers=auditor
    ).json
    assert [e["leaf_index"] for e in page["entries"]] == list(range(first.size))
    hashes = [merkle.leaf_hash(b64d(e["body"])) for e in page["entries"]]
    assert merkle.root_from_leaf_hashes(hashes) == first.root_hash

    second, _ = checkpoint_of(client, auditor)  # the reads above were audited: the tree grew
    assert second.size > first.size
    for index in range(first.size):
        proof = client.get(
            "/api/v1/audit/proofs/inclusion",
            query_string={"index": index, "tree_size": first.size},
            headers=auditor,
        ).json
        merkle.verify_inclusion(
            hashes[index], index, first.size, [b64d(h) for h in proof["proof"]], first.root_hash
        )
    consistency = client.get(
        "/api/v1/audit/proofs/consistency",
        query_string={"first": first.size, "second": second.size},
        headers=auditor,
    ).json
    merkle.verify_consistency(
        first.size, second.size, first.root_hash, second.root_hash, [b64d(h) for h in consistency["proof"]]
    )
    # A proof for a fixed signed size does not change while the log keeps growing (reads are audited too).
    again = client.get(
        "/api/v1/audit/proofs/inclusion", query_string={"index": 0, "tree_size": first.size}, headers=auditor
    ).json
    assert again["root_hash"] == base64.b64encode(first.root_hash).decode()


def test_proofs_only_for_signed_sizes(client, actors):
    auditor = actors.headers(AUDITOR)
    cp, _ = checkpoint_of(client, auditor)
    response = client.get(
        "/api/v1/audit/proofs/inclusion",
        query_string={"index": 0, "tree_size": cp.size + 50},
        headers=auditor,
    )
    assert response.status_code == 422
    response = client.get(
        "/api/v1/audit/proofs/consistency",
        query_string={"first": cp.size + 1, "second": cp.size},
        headers=auditor,
    )
    assert response.status_code == 422


def test_without_audit_read_an_agency_sees_only_its_own_entries(client, actors):
    client.get("/api/v1/identifiers", headers=actors.headers("MOIT-DMS", scopes=REGISTRY_ONLY))
    client.get("/api/v1/identifiers", headers=actors.headers("VECOM"))
    checkpoint_of(client, actors.headers(AUDITOR))
    own = client.get(
        "/api/v1/audit/entries", query_string={"start": 0, "end": 1000}, headers=actors.headers("VECOM")
    ).json
    agencies = {json.loads(b64d(e["body"])).get("agency") for e in own["entries"]}
    assert agencies == {"VECOM"}
    everything = client.get(
        "/api/v1/audit/entries", query_string={"start": 0, "end": 1000}, headers=actors.headers(AUDITOR)
    ).json
    assert {"VECOM", "MOIT-DMS", AUDITOR} <= {
        json.loads(b64d(e["body"])).get("agency") for e in everything["entries"]
    }
    hits = client.get("/api/v1/audit/search", headers=actors.headers("VECOM")).json
    assert hits["total"] >= 1 and {h["agency"] for h in hits["items"]} == {"VECOM"}
    assert (
        client.get(
            "/api/v1/audit/search", query_string={"agency": "MOIT-DMS"}, headers=actors.headers("VECOM")
        ).status_code
        == 403
    )


def test_search_filters_and_reports_leaf_indexes(client, actors):
    headers = actors.headers("MOIT-DMS", scopes=REGISTRY_ONLY, officer="officer-42")
    client.get("/api/v1/identifiers", headers=headers)
    client.post("/api/v1/identifiers", json={"kind": "tax_code", "value": "0101245487"}, headers=headers)
    auditor = actors.headers(AUDITOR)
    found = client.get("/api/v1/audit/search", query_string={"officer": "officer-42"}, headers=auditor).json
    assert found["archived_before"] is None  # nothing dropped by retention (test_retention.py)
    assert [(h["action"], h["outcome"]) for h in found["items"]] == [
        ("identifier:list", "allowed"),
        ("identifier:create", "error"),
    ]
    errors = client.get(
        "/api/v1/audit/search",
        query_string={"officer": "officer-42", "outcome": "error", "resource": "identifier"},
        headers=auditor,
    ).json
    assert errors["total"] == 0  # the failed create never reached a resource id
    checkpoint_of(client, auditor)  # sequences them
    found = client.get(
        "/api/v1/audit/search",
        query_string={"officer": "officer-42", "action": "identifier:list", "from": "2000-01-01T00:00:00Z"},
        headers=auditor,
    ).json
    assert found["total"] == 1 and isinstance(found["items"][0]["leaf_index"], int)
    later = client.get(
        "/api/v1/audit/search",
        query_string={"officer": "officer-42", "from": "2999-01-01T00:00:00"},
        headers=auditor,
    ).json
    assert later["total"] == 0


# -- who may call what ------------------------------------------------------------------------------
ENDPOINTS = {
    "checkpoint": ("GET", "/api/v1/audit/checkpoint", None),
    "verifier-key": ("GET", "/api/v1/audit/verifier-key", None),
    "entries": ("GET", "/api/v1/audit/entries?start=0&end=10", None),
    "inclusion": ("GET", "/api/v1/audit/proofs/inclusion?index=0", None),
    "consistency": ("GET", "/api/v1/audit/proofs/consistency?first=0", None),
    "search": ("GET", "/api/v1/audit/search", None),
    "search other agency": ("GET", "/api/v1/audit/search?agency=SBV", None),
    "cosign (not a witness)": ("POST", "/api/v1/audit/cosignatures", "cosign"),
    "subject accesses (CSV)": (
        "GET",
        "/api/v1/audit/subjects/00000000-0000-4000-8000-000000000000/accesses",
        None,
    ),
}
# Read by tests/test_permission_matrix.py to check every route has a matrix.
COVERED_CALLS = [(method, url) for method, url, _ in ENDPOINTS.values()]
# 200 = allowed, "own" = allowed but filtered to the caller's agency, 401/403 = refused.
MATRIX = {
    #                          AUDIT  MOIT-DMS  ISP-VNPT  VECOM  (no token)
    "checkpoint":             (200,   200,      200,      200,   401),
    "verifier-key":           (200,   200,      200,      200,   401),
    "entries":                (200,   "own",    "own",    "own", 401),
    "inclusion":              (200,   200,      200,      200,   401),
    "consistency":            (200,   200,      200,      200,   401),
    "search":                 (200,   "own",    "own",    "own", 401),
    "search other agency":    (200,   403,      403,      403,   401),
    "cosign (not a witness)": (403,   403,      403,      403,   401),
    "subject accesses (CSV)": (200,   403,      403,      403,   401),
}  # fmt: skip
CALLERS = (AUDITOR, "MOIT-DMS", "ISP-VNPT", "VECOM", None)


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_permission_matrix(client, actors, endpoint):
    method, url, payload = ENDPOINTS[endpoint]
    client.get(
        "/api/v1/audit/checkpoint", headers=actors.headers(AUDITOR)
    )  # something signed to prove against
    for caller, expected in zip(CALLERS, MATRIX[endpoint], strict=True):
        headers = (
            {}
            if caller is None
            else actors.headers(caller, scopes=REGISTRY_ONLY if caller == "MOIT-DMS" else None)
        )
        json_body = None
        if payload == "cosign":
            signer = generate_cosigner("not-a-witness")[0]
            cp, _ = checkpoint_of(client, actors.headers(AUDITOR))
            json_body = {"size": cp.size, "cosignature": CosignatureSigner(signer).cosign(cp.body())}
        response = client.open(url, method=method, headers=headers, json=json_body)
        want = 200 if expected == "own" else expected
        assert response.status_code == want, (endpoint, caller, response.get_data(as_text=True))
        if expected == "own":
            items = response.json.get("entries") or response.json.get("items") or []
            agencies = {
                json.loads(b64d(i["body"])).get("agency") if "body" in i else i["agency"] for i in items
            }
            assert agencies <= {caller}, (endpoint, caller, agencies)


# -- witnesses and the verifier over HTTP -----------------------------------------------------------
@pytest.fixture
def http(client, monkeypatch):  # type: ignore[no-untyped-def]
    adapter = FlaskHttp(client)
    monkeypatch.setattr(audit_cli, "http_session", lambda: adapter)
    return adapter


def test_witness_cosigns_and_the_log_serves_the_cosigned_checkpoint(client, actors, http, tmp_path, app, db):
    with app.app_context():
        log = audit_log()
    skey, vkey = generate_cosigner("witness.mps.gov.vn")
    log.add_witness(db, "witness.mps.gov.vn", vkey)
    (tmp_path / "witness.key").write_text(skey)
    token = actors.token("MPS-A05")
    keys = client.get("/api/v1/audit/verifier-key", headers=actors.headers(AUDITOR)).get_data(as_text=True)
    (tmp_path / "log.keys").write_text(keys)
    args = [
        "audit",
        "witness",
        "--url",
        "http://registry.test",
        "--log-key",
        str(tmp_path / "log.keys"),
        "--witness-key",
        str(tmp_path / "witness.key"),
        "--state",
        str(tmp_path / "witness.json"),
        "--token",
        token,
    ]

    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(main, args)  # checks consistency with the checkpoint it cosigned first
    assert second.exit_code == 0, second.output
    assert "consistent with" in second.output

    served = client.get(
        "/api/v1/audit/checkpoint", query_string={"witnessed": "true"}, headers=actors.headers(AUDITOR)
    )
    note = served.get_data(as_text=True)
    assert verify_cosignature(note, vkey) > 0
    body, _ = open_note(note, [Verifier(k) for k in keys.split()])  # and the log's own signature
    saved = json.loads((tmp_path / "witness.json").read_text())
    assert Checkpoint.parse(body).size == saved["size"]


def test_witness_refuses_a_log_that_forked(client, actors, http, tmp_path, app, db):
    with app.app_context():
        log = audit_log()
    skey, _ = generate_cosigner("witness.mps.gov.vn")
    (tmp_path / "witness.key").write_text(skey)
    cp, _ = checkpoint_of(client, actors.headers(AUDITOR))
    # What the witness saw last: a checkpoint of the same size over another history, under the log's key.
    forged = Checkpoint(cp.origin, cp.size, hashlib.sha256(b"other history").digest())
    save_state(tmp_path / "witness.json", sign_note(forged.body(), log.keys.signers(db)))
    keys = (
        client.get("/api/v1/audit/verifier-key", headers=actors.headers(AUDITOR))
        .get_data(as_text=True)
        .split()
    )
    result = CliRunner().invoke(
        main,
        [
            "audit",
            "witness",
            "--url",
            "http://registry.test",
            *[arg for k in keys for arg in ("--log-key", k)],
            "--witness-key",
            str(tmp_path / "witness.key"),
            "--state",
            str(tmp_path / "witness.json"),
            "--token",
            actors.token("MPS-A05"),
        ],
    )
    assert result.exit_code == 1
    assert "forked" in result.output


def test_verify_over_http_and_against_saved_state(client, actors, http, tmp_path):
    for _ in range(3):
        client.get("/api/v1/identifiers", headers=actors.headers("MOIT-DMS", scopes=REGISTRY_ONLY))
    keys = (
        client.get("/api/v1/audit/verifier-key", headers=actors.headers(AUDITOR))
        .get_data(as_text=True)
        .split()
    )
    base = [
        "audit",
        "verify",
        "--url",
        "http://registry.test",
        *[arg for k in keys for arg in ("--verifier-key", k)],
    ]
    args = [*base, "--state", str(tmp_path / "state.json"), "--token", actors.token(AUDITOR)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert "extends the saved checkpoint" in second.output
    # Without audit:read the verifier cannot see every entry, and says so instead of passing.
    limited = CliRunner().invoke(main, [*base, "--token", actors.token("VECOM")])
    assert limited.exit_code == 1 and "this token may not read the audit log" in limited.output


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/api/v1/audit/cosignatures", {"size": 2**64, "cosignature": "— w AAAAAAAAAAAAAAAA"}),
        ("GET", f"/api/v1/audit/proofs/inclusion?index={2**64}", None),
        ("GET", f"/api/v1/audit/checkpoint?size={2**70}", None),
        ("GET", f"/api/v1/audit/entries?start=0&end={2**64}", None),
    ],
)
def test_numbers_beyond_64_bits_are_invalid_input_not_server_errors(client, actors, method, url, body):
    response = client.open(url, method=method, json=body, headers=actors.headers(AUDITOR))
    assert response.status_code == 422, response.get_data(as_text=True)


def test_production_without_a_log_key_yet_answers_without_server_errors(app, db, actors):
    """Production never generates the log key itself (an operator runs `registry audit rotate-key`);
    until then the log answers that it is empty, not with a server error."""
    import dataclasses

    from registry.app import create_app

    production = create_app(dataclasses.replace(app.extensions["registry"].settings, env="production"))
    production.extensions["registry"].sessionmaker = app.extensions["registry"].sessionmaker
    client = production.test_client()
    headers = actors.headers(AUDITOR)
    assert client.get("/api/v1/audit/checkpoint", headers=headers).status_code == 404
    unset = client.get("/api/v1/audit/verifier-key", headers=headers)
    assert unset.status_code == 503 and unset.json["type"].endswith("/not-configured")
    assert "rotate-key" in unset.json["detail"]
    assert client.get("/api/v1/audit/entries?start=0&end=5", headers=headers).status_code in (200, 404)
    assert client.get("/api/v1/audit/proofs/inclusion?index=0", headers=headers).status_code in (404, 422)
    production.extensions["registry"].engine.dispose()
