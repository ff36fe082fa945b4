"""The audit log over HTTP: signed checkpoints, entries, Merkle proofs, search and witness cosignatures.

Who may read what:
* checkpoint, verifier key and proofs: any authenticated caller. They reveal only hashes and sizes,
  and an agency checking that its own entries are in the log needs them.
* the accesses to one subject (CSV): scope `audit:read`.
* entries and search: scope `audit:read` for every entry; without it, only entries about the caller's
  own agency's requests (the rest are left out; asking for another agency is 403).
* cosignatures: any authenticated caller, but only a cosignature that verifies under a configured
  witness key (`registry audit witnesses add`) is accepted.

Reads of checkpoints, entries and proofs first run the sequencer in the request's transaction, so
they see every entry committed before the request (the request's own entry is sequenced later).
"""

from __future__ import annotations

import base64
import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

from flask import Response, current_app

from registry.api.blueprint import PERSONAL_DATA, RegistryBlueprint
from registry.api.context import app_state, audit_change, audit_resource, caller, db, writes_on_read
from registry.audit import retention as audit_retention
from registry.audit import search as audit_search
from registry.audit.keys import AuditKeyError
from registry.audit.log import AuditLog, LogCorrupt
from registry.audit.sequencer import SequencerError, latest_checkpoint
from registry.auth.scopes import Scope
from registry.errors import NotFound
from registry.schemas.audit import (
    AuditHit,
    AuditHits,
    AuditSearchQuery,
    CheckpointQuery,
    ConsistencyProof,
    ConsistencyQuery,
    CosignatureCreate,
    CosignatureRead,
    EntriesPage,
    EntriesQuery,
    InclusionProof,
    InclusionQuery,
)

log = logging.getLogger(__name__)
blp = RegistryBlueprint("audit", __name__, url_prefix="/api/v1/audit", description="Tamper-evident audit log")
TEXT = "text/plain; charset=utf-8"
CSV_CHUNK = 64 * 1024  # characters of CSV sent at a time


def audit_log() -> AuditLog:
    """One AuditLog per app (its proof cache is shared by requests)."""
    extensions = current_app.extensions
    if "registry.audit" not in extensions:
        registry = app_state()
        extensions["registry.audit"] = AuditLog.from_settings(registry.settings, registry.cipher)
    return extensions["registry.audit"]


def fresh() -> None:
    """Sequence what is committed so reads are current; a broken log state is logged, never papered over."""
    try:
        # A write (leaves, a checkpoint, in development the first key): the views that call this are
        # marked `writes_on_read`, so their session is a transaction (context.db).
        audit_log().sequence(db())
    except (SequencerError, AuditKeyError, LogCorrupt):
        log.exception("audit sequencer refused to run; serving the last signed checkpoint")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def own_agency_only() -> str | None:
    """None for auditors; else the caller's agency, the only one whose entries it may read."""
    return audit_search.own_agency_only(caller())


# -- views ------------------------------------------------------------------------------------------
@blp.route("/checkpoint", methods=["GET"])
@blp.access("audit:checkpoint", None)
@blp.arguments(CheckpointQuery, location="query")
@blp.response(
    200,
    description="C2SP signed note (tlog-checkpoint) with any witness cosignatures",
    content_type="text/plain",
)
@blp.alt_response(404, description="Nothing signed yet, or no such checkpoint")
@writes_on_read
def get_checkpoint(args: dict[str, Any]) -> Response:
    """The newest signed checkpoint

    `?size=N` returns the checkpoint of that size, `?witnessed=true` the newest one that a witness cosigned.
    """
    fresh()
    row = audit_log().checkpoint(db(), args.get("size"), args["witnessed"])
    audit_resource("audit_checkpoint", row.size)
    return Response(audit_log().cosigned_note(db(), row), mimetype="text/plain")


@blp.route("/verifier-key", methods=["GET"])
@blp.access("audit:verifier_key", None)
@blp.response(
    200, description="signed-note verifier keys, one a line, signing keys first", content_type="text/plain"
)
@writes_on_read
def get_verifier_key() -> Response:
    """The log's verifier keys"""
    keys = audit_log().keys
    if not keys.verifier_keys(db()):
        keys.signers(db())  # first use in development creates the key (a write: `writes_on_read`)
    return Response("".join(f"{key}\n" for key in keys.verifier_keys(db())), mimetype="text/plain")


@blp.route("/entries", methods=["GET"])
@blp.access("audit:entries", None)
@blp.arguments(EntriesQuery, location="query")
@blp.response(200, EntriesPage)
@writes_on_read
def get_entries(args: dict[str, Any]):
    """Sequenced entries by leaf index

    `[start, end)`, at most 1000 per call and never past the newest signed tree size. Callers without
    `audit:read` get only the entries about their own agency's requests.
    """
    fresh()
    only = own_agency_only()
    page = {**audit_log().entries(db(), args["start"], args["end"], agency=only), "only_agency": only}
    audit_resource("audit_entries", f"{page['start']}-{page['end']}")
    page["entries"] = [{"leaf_index": e["leaf_index"], "body": b64(e["body"])} for e in page["entries"]]
    return page


def _latest_size() -> int:
    latest = latest_checkpoint(db())
    if latest is None:
        raise NotFound("The log is empty.")
    return latest.size


@blp.route("/proofs/inclusion", methods=["GET"])
@blp.access("audit:proof", None)
@blp.arguments(InclusionQuery, location="query")
@blp.response(200, InclusionProof)
@writes_on_read
def get_inclusion_proof(args: dict[str, Any]):
    """Inclusion proof of a leaf in a signed tree"""
    fresh()
    size = args.get("tree_size") or _latest_size()
    audit_resource("audit_proof", f"inclusion:{args['index']}:{size}")
    proof = audit_log().inclusion_proof(db(), args["index"], size)
    return {
        **proof,
        "leaf_hash": b64(proof["leaf_hash"]),
        "root_hash": b64(proof["root_hash"]),
        "proof": [b64(h) for h in proof["proof"]],
    }


@blp.route("/proofs/consistency", methods=["GET"])
@blp.access("audit:proof", None)
@blp.arguments(ConsistencyQuery, location="query")
@blp.response(200, ConsistencyProof)
@writes_on_read
def get_consistency_proof(args: dict[str, Any]):
    """Consistency proof between two tree sizes (the second a signed one)"""
    fresh()
    second = args["second"] if args.get("second") is not None else _latest_size()
    audit_resource("audit_proof", f"consistency:{args['first']}:{second}")
    proof = audit_log().consistency_proof(db(), args["first"], second)
    return {**proof, "second_root": b64(proof["second_root"]), "proof": [b64(h) for h in proof["proof"]]}


@blp.route("/search", methods=["GET"])
@blp.access("audit:search", None)
@blp.arguments(AuditSearchQuery, location="query")
@blp.response(200, AuditHits)
def search(args: dict[str, Any]):
    """Search entries by who, what, outcome and time

    Without `audit:read` the search is limited to the caller's own agency.
    """
    filters = audit_search.Filters(**{f.name: args.get(f.name) for f in fields(audit_search.Filters)})
    filters = audit_search.visible_filters(caller(), filters)
    found = audit_search.search(db(), filters, page=args["page"], per_page=args["per_page"])
    items = [
        {**{c: getattr(e, c) for c in AuditHit._declared_fields if c != "leaf_index"}, "leaf_index": leaf}
        for e, leaf in found.rows
    ]
    return {
        "items": items,
        "page": args["page"],
        "per_page": args["per_page"],
        "total": found.total,
        "archived_before": audit_retention.archived_before(db()),
    }


@blp.route("/subjects/<uuid:subject_id>/accesses", methods=["GET"])
@blp.access("audit:subject_accesses", Scope.AUDIT_READ, purpose=PERSONAL_DATA)
@blp.response(
    200,
    description="CSV (RFC 4180), a header line then one line per entry, oldest first: "
    + ", ".join(audit_search.ACCESS_COLUMNS),
    content_type="text/csv",
)
def export_subject_accesses(subject_id: Any) -> Response:
    """Every access to one subject, as CSV

    Each audit entry that reached the subject (what `GET /audit/search?resource=subject:<id>` finds: reads
    of it and of its history and graph, writes, searches, lookups, screenings and graphs whose answer
    showed it, lists filtered on it): who (agency, client, officer), when, the purpose given, what
    (method, path, action, resource), the outcome, and `sensitive` = `yes` for a read that showed personal
    ID or bank account numbers in full. Streamed; cells a spreadsheet would read as a formula start `'`.
    """
    return subject_accesses_csv(subject_id)


def subject_accesses_csv(subject_id: Any) -> Response:
    """The CSV of every access to one subject, streamed (the API's export and the console's download)."""
    audit_resource("audit_subject_accesses", subject_id)
    factory, key = app_state().sessionmaker, str(subject_id)

    def lines() -> Iterator[str]:
        # Its own session: the request's commits (with this export's own audit entry) before the body
        # is sent, so the rows are read as the response streams.
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(audit_search.ACCESS_COLUMNS)
        with factory() as session:
            for row in audit_search.access_rows(session, key):
                writer.writerow(row)
                if buffer.tell() > CSV_CHUNK:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return Response(
        lines(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="subject-{key}-accesses.csv"'},
    )


@blp.route("/cosignatures", methods=["POST"])
@blp.access("audit:cosign", None)
@blp.arguments(CosignatureCreate)
@blp.response(201, CosignatureRead)
@blp.alt_response(404, description="No signed checkpoint of that size")
def add_cosignature(args: dict[str, Any]):
    """Hand in a witness cosignature (C2SP tlog-cosignature)

    Accepted only if it verifies under a configured witness key over the checkpoint of `size`.
    """
    audit_resource("audit_checkpoint", args["size"])
    cosignature = audit_log().add_cosignature(db(), args["size"], args["cosignature"])
    audit_change({"size": args["size"], "cosignature": cosignature.line})
    name = cosignature.line[2:].split(" ", 1)[0]
    return {"size": cosignature.checkpoint_size, "witness": name, "timestamp": cosignature.timestamp}
