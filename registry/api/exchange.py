"""The partner exchange: a STIX 2.1 bundle, a MISP feed and a TAXII 2.1 collection of what the caller
may see (services/exchange). Read-only; scope exchange:read (partners; the Standing Office).

No X-Purpose: feeds are pulled by machines (a MISP instance, a TAXII client) that send fixed headers,
and the exchange carries no person's data (individuals are pseudonyms; no personal ID, phone or
account leaves). Every pull is audited with the subjects it reached.

A partner's whole export at national scale is a job (`POST /exports`, services.exchange.export): the
job queue's workers build the bundle in parts, and the partner fetches it once done. Its request is a
write, and says why in X-Purpose as every write does."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from flask import Response, current_app, request, url_for
from stix2.serialization import STIXJSONEncoder
from werkzeug.exceptions import NotAcceptable

from registry import jobs
from registry.api.blueprint import RegistryBlueprint
from registry.api.context import (
    app_state,
    audit_change,
    audit_detail,
    audit_resource,
    audit_subjects,
    caller,
    db,
)
from registry.api.jobs import start_job
from registry.auth.scopes import Scope
from registry.db import utcnow
from registry.errors import NotFound
from registry.messages import msg
from registry.models import ExchangeExport
from registry.schemas.exchange import ExportCreate, ExportRead, StixQuery, TaxiiObjectsQuery
from registry.services.exchange import export as exports
from registry.services.exchange import misp, sources, stix, taxii

blp = RegistryBlueprint(
    "exchange",
    __name__,
    url_prefix="/api/v1/exchange",
    description="Partner exchange: STIX 2.1, MISP feed, TAXII 2.1 (docs/exchange.md)",
)
READ = Scope.EXCHANGE_READ
API_ROOT = "/taxii2/registry/"
COLLECTION = f"{API_ROOT}collections/<uuid:collection_id>/"


def _gather(record: uuid.UUID | None = None) -> sources.Sources:
    found = sources.gather(db(), caller(), utcnow(), record)
    audit_subjects(found.subjects)
    return found


def _json(body: Any, content_type: str, status: int = 200) -> Response:
    text = json.dumps(body, cls=STIXJSONEncoder, sort_keys=True, ensure_ascii=False)
    return current_app.response_class(text, status, content_type=content_type)


def _content(content_type: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "content": {content_type: {"schema": schema or {"type": "object"}}},
        }
    }


# -- STIX ------------------------------------------------------------------------------------------------


@blp.route("/stix", methods=["GET"])
@blp.access("exchange:stix", READ, purpose=False)
@blp.arguments(StixQuery, location="query")
@blp.doc(responses=_content(stix.MEDIA_TYPE, "A STIX 2.1 bundle"))
@blp.alt_response(409, description="More than one pull answers: request an export (POST /exports)")
def stix_bundle(args: dict[str, Any]) -> Response:
    """A STIX 2.1 bundle of what your agency may see

    Identities (the registry, the agencies, the sellers: organisations by name and tax code, individuals
    as pseudonyms), indicators with STIX patterns for domains, URLs and IP addresses and ranges,
    sightings (a case's detection by its agency), relationships (indicator `related-to` seller; a block
    in effect, a course-of-action, `mitigates` its targets) and TLP markings. Sources: cases confirmed
    or sanctioned, and blocks in effect whose written decision you may see. Ids and timestamps come from
    the records: the same records give the same bundle. `since`: only objects modified after it.
    Media type `application/stix+json;version=2.1`. More than 10,000 cases and blocks are refused (409
    `pull-too-large`): request them as an export (`POST /exports`).
    """
    found = stix.changed_since(stix.objects(_gather()), args.get("since"))
    audit_resource("exchange", "stix")
    audit_detail(objects=len(found))
    return current_app.response_class(stix.serialize(stix.bundle(found)), 200, content_type=stix.MEDIA_TYPE)


# -- whole exports, on the job queue ------------------------------------------------------------------------

BUNDLE_CHUNK = 64 * 1024  # characters of the bundle sent at a time


def _export_read(export: ExchangeExport) -> dict[str, Any]:
    status = exports.shown_status(export)
    done = status == "done"
    return {
        "id": export.id,
        "url": url_for("exchange.get_export", export_id=export.id),
        "status": status,
        "since": export.since,
        "total": export.total,
        "processed": export.processed,
        "objects": export.objects,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
        "expires_at": exports.expires_at(export),
        "error": exports.INTERRUPTED if status != export.status else export.error,
        "bundle_url": url_for("exchange.export_bundle", export_id=export.id) if done else None,
    }


@blp.route("/exports", methods=["POST"])
@blp.access("exchange:export_create", READ, purpose=True)
@blp.arguments(ExportCreate, required=False)
@blp.response(202, ExportRead)
def create_export(args: dict[str, Any]):
    """Request everything your agency may receive as one STIX bundle, built by a job

    The bundle `GET /stix` gives, byte for byte, for a pull too large for one request (the whole registry
    at national scale). The job queue's workers build it in parts, keeping each part as it is done (a
    worker stopped halfway is followed by another, which goes on). Follow `url` for its progress; once
    `done`, fetch `bundle_url`. A finished export is kept for 7 days; only your agency sees it. The blocks
    in effect are those when you asked; the rest as it stands when each part runs.
    """
    export = exports.create(db(), principal=caller(), since=args.get("since"))
    audit_resource("exchange_export", export.id)
    audit_change({"since": export.since.isoformat() if export.since else None})
    start_job(jobs.EXPORT, export.id)
    return _export_read(export), 202, {"Location": url_for("exchange.get_export", export_id=export.id)}


@blp.route("/exports/<uuid:export_id>", methods=["GET"])
@blp.access("exchange:export_read", READ, purpose=False)
@blp.response(200, ExportRead)
@blp.alt_response(404, description="No such export, or requested by another agency")
def get_export(export_id: uuid.UUID):
    """An export's progress, and where to fetch its bundle once done"""
    audit_resource("exchange_export", export_id)
    return _export_read(exports.get(db(), principal=caller(), export_id=export_id))


@blp.route("/exports/<uuid:export_id>/bundle", methods=["GET"])
@blp.access("exchange:export_bundle", READ, purpose=False)
@blp.doc(responses=_content(stix.MEDIA_TYPE, "The STIX 2.1 bundle, streamed"))
@blp.alt_response(404, description="No such export, or requested by another agency")
@blp.alt_response(409, description="Not done yet (or failed): see its status")
def export_bundle(export_id: uuid.UUID) -> Response:
    """A done export's STIX 2.1 bundle (streamed; audited with the sellers it names)"""
    audit_resource("exchange_export", export_id)
    export = exports.get(db(), principal=caller(), export_id=export_id)
    exports.ready(export)
    audit_subjects(exports.sellers(db(), export))
    audit_detail(objects=export.objects)
    factory, key = app_state().sessionmaker, export.id

    def chunks() -> Iterator[str]:
        # Its own session: the request commits (with this download's audit entry) before the body is sent.
        pending: list[str] = []
        size = 0
        with factory() as session:
            for piece in exports.bundle_text(session, session.get_one(ExchangeExport, key)):
                pending.append(piece)
                size += len(piece)
                if size > BUNDLE_CHUNK:
                    yield "".join(pending)
                    pending, size = [], 0
        yield "".join(pending)

    return Response(
        chunks(),
        content_type=stix.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="registry-export-{key}.json"'},
    )


# -- MISP feed ---------------------------------------------------------------------------------------------


@blp.route("/misp/manifest.json", methods=["GET"])
@blp.access("exchange:misp_manifest", READ, purpose=False)
@blp.doc(responses=_content("application/json", "The feed's manifest: event uuid to its summary"))
@blp.alt_response(409, description="More than one pull answers: request an export (POST /exports)")
def misp_manifest() -> Response:
    """The MISP feed's manifest.json

    Point a MISP instance's feed (format "MISP Feed") at `/api/v1/exchange/misp` with an
    `Authorization: Bearer <token>` header: it reads this manifest, then the events it lacks.
    One event per case confirmed or sanctioned and per block in effect that you may see.
    """
    events = misp.events(_gather())
    audit_resource("exchange", "misp")
    audit_detail(events=len(events))
    return _json(misp.manifest(events), "application/json")


@blp.route("/misp/hashes.csv", methods=["GET"])
@blp.access("exchange:misp_hashes", READ, purpose=False)
@blp.doc(
    responses=_content("text/csv", "md5 of each attribute's value, and its event's uuid", {"type": "string"})
)
@blp.alt_response(409, description="More than one pull answers: request an export (POST /exports)")
def misp_hashes() -> Response:
    """The MISP feed's hashes.csv: `md5(value),event uuid` per attribute (MISP's correlation cache)"""
    events = misp.events(_gather())
    audit_resource("exchange", "misp")
    audit_detail(events=len(events))
    return current_app.response_class(misp.hashes(events), 200, content_type="text/csv; charset=utf-8")


@blp.route("/misp/<uuid:event_id>.json", methods=["GET"])
@blp.access("exchange:misp_event", READ, purpose=False)
@blp.doc(responses=_content("application/json", 'One MISP event: {"Event": {...}}'))
@blp.alt_response(404, description="No such event, or not one you may see")
def misp_event(event_id: uuid.UUID) -> Response:
    """One event of the MISP feed (its uuid is the case's or the block request's id)"""
    audit_resource("exchange", f"misp:{event_id}")
    event = misp.events(_gather(event_id)).get(str(event_id))
    if event is None:
        raise NotFound(msg("No MISP event {value}.", value=event_id))
    return _json(event, "application/json")


# -- TAXII 2.1 ---------------------------------------------------------------------------------------------


def _accept_taxii() -> None:
    """TAXII 2.1: a client names the media type it takes; 406 when it takes neither it nor any JSON."""
    accepted = request.headers.get("Accept")
    if not accepted:
        return
    for part in accepted.split(","):
        media, *params = (piece.strip().lower() for piece in part.split(";"))
        version = next((p.split("=", 1)[1] for p in params if p.startswith("version=")), "2.1")
        if media in ("application/taxii+json", "application/*", "*/*") and version == "2.1":
            return
    raise NotAcceptable(msg("This address answers {media}.", media=taxii.TAXII_MEDIA_TYPE))


def _taxii(body: Any, headers: dict[str, str] | None = None) -> Response:
    response = _json(body, taxii.TAXII_MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def _collection_info() -> dict[str, Any]:
    return {
        "id": taxii.COLLECTION_ID,
        "title": "Violators' network indicators",
        "description": "Cases confirmed or sanctioned and blocks in effect, as the caller may see them.",
        "can_read": True,
        "can_write": False,
        "media_types": [stix.MEDIA_TYPE],
    }


def _collection(collection_id: uuid.UUID) -> None:
    if str(collection_id) != taxii.COLLECTION_ID:
        raise NotFound(msg("No collection {value}.", value=collection_id))
    audit_resource("exchange", f"taxii:{collection_id}")


def _taxii_doc(description: str) -> dict[str, Any]:
    return _content(taxii.TAXII_MEDIA_TYPE, description)


@blp.route("/taxii2/", methods=["GET"])
@blp.access("exchange:taxii_discovery", READ, purpose=False)
@blp.doc(responses=_taxii_doc("TAXII 2.1 discovery"))
def taxii_discovery() -> Response:
    """TAXII 2.1 server discovery: the one API root"""
    _accept_taxii()
    root = app_state().settings.issuer.rstrip("/") + blp.url_prefix + API_ROOT
    return _taxii(
        {
            "title": stix.REGISTRY_NAME,
            "description": "The registry's partner exchange (docs/exchange.md).",
            "default": root,
            "api_roots": [root],
        }
    )


@blp.route(API_ROOT, methods=["GET"])
@blp.access("exchange:taxii_api_root", READ, purpose=False)
@blp.doc(responses=_taxii_doc("TAXII 2.1 API root information"))
def taxii_api_root() -> Response:
    """TAXII 2.1 API root information"""
    _accept_taxii()
    return _taxii(
        {
            "title": "Partner exchange",
            "versions": [taxii.TAXII_MEDIA_TYPE],
            "max_content_length": 0,  # read-only: it accepts no content
        }
    )


@blp.route(f"{API_ROOT}collections/", methods=["GET"])
@blp.access("exchange:taxii_collections", READ, purpose=False)
@blp.doc(responses=_taxii_doc("The collections: one, read-only"))
def taxii_collections() -> Response:
    """TAXII 2.1 collections: one, read-only"""
    _accept_taxii()
    return _taxii({"collections": [_collection_info()]})


@blp.route(COLLECTION, methods=["GET"])
@blp.access("exchange:taxii_collection", READ, purpose=False)
@blp.doc(responses=_taxii_doc("The collection"))
@blp.alt_response(404, description="No such collection")
def taxii_collection(collection_id: uuid.UUID) -> Response:
    """TAXII 2.1: the collection's information"""
    _accept_taxii()
    _collection(collection_id)
    return _taxii(_collection_info())


def _selected(args: dict[str, Any], ids: list[str] | None = None) -> list[Any]:
    found = stix.objects(_gather())
    types = args["match_type"].split(",") if args.get("match_type") else None
    wanted = ids or (args["match_id"].split(",") if args.get("match_id") else None)
    return taxii.select(found, added_after=args.get("added_after"), types=types, ids=wanted)


def _dates(page: taxii.Page) -> dict[str, str]:
    if page.first_added is None or page.last_added is None:
        return {}
    return {
        "X-TAXII-Date-Added-First": taxii.taxii_timestamp(page.first_added),
        "X-TAXII-Date-Added-Last": taxii.taxii_timestamp(page.last_added),
    }


def _envelope(page: taxii.Page, key: str, items: list[Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"more": page.more}
    if page.next:
        body["next"] = page.next
    if items:
        body[key] = items
    return body


@blp.route(f"{COLLECTION}objects/", methods=["GET"])
@blp.access("exchange:taxii_objects", READ, purpose=False)
@blp.arguments(TaxiiObjectsQuery, location="query")
@blp.doc(responses=_taxii_doc("An envelope: `more`, `next` and a page of STIX objects"))
@blp.alt_response(409, description="More than one pull answers: request an export (POST /exports)")
@blp.alt_response(404, description="No such collection")
def taxii_objects(args: dict[str, Any], collection_id: uuid.UUID) -> Response:
    """TAXII 2.1: the collection's objects, a page at a time

    The objects of the STIX export, oldest added first. `limit` per page; `next` from the previous
    page's envelope for the page after it (`more` says whether there is one); `added_after`,
    `match[type]`, `match[id]`. `X-TAXII-Date-Added-First` and `-Last` give the page's range.
    """
    _accept_taxii()
    _collection(collection_id)
    page = taxii.page(_selected(args), limit=args["limit"], after=args.get("next"))
    audit_detail(objects=len(page.objects))
    return _taxii(_envelope(page, "objects", page.objects), _dates(page))


@blp.route(f"{COLLECTION}manifest/", methods=["GET"])
@blp.access("exchange:taxii_manifest", READ, purpose=False)
@blp.arguments(TaxiiObjectsQuery, location="query")
@blp.doc(responses=_taxii_doc("A manifest: `more`, `next` and a page of object entries"))
@blp.alt_response(409, description="More than one pull answers: request an export (POST /exports)")
@blp.alt_response(404, description="No such collection")
def taxii_manifest(args: dict[str, Any], collection_id: uuid.UUID) -> Response:
    """TAXII 2.1: the collection's manifest (id, date added, version, media type), paged like its objects"""
    _accept_taxii()
    _collection(collection_id)
    page = taxii.page(_selected(args), limit=args["limit"], after=args.get("next"))
    entries = [taxii.manifest_entry(one) for one in page.objects]
    return _taxii(_envelope(page, "objects", entries), _dates(page))


def _one(args: dict[str, Any], collection_id: uuid.UUID, object_id: str) -> taxii.Page:
    _collection(collection_id)
    page = taxii.page(_selected(args, [object_id]), limit=args["limit"], after=args.get("next"))
    if not page.objects and not args.get("next"):
        raise NotFound(msg("No object {value} in this collection.", value=object_id))
    return page


@blp.route(f"{COLLECTION}objects/<object_id>/", methods=["GET"])
@blp.access("exchange:taxii_object", READ, purpose=False)
@blp.arguments(TaxiiObjectsQuery, location="query")
@blp.doc(responses=_taxii_doc("An envelope with the object"))
@blp.alt_response(404, description="No such collection or object (or not one you may see)")
def taxii_object(args: dict[str, Any], collection_id: uuid.UUID, object_id: str) -> Response:
    """TAXII 2.1: one object of the collection (its one, current version)"""
    _accept_taxii()
    page = _one(args, collection_id, object_id)
    return _taxii(_envelope(page, "objects", page.objects), _dates(page))


@blp.route(f"{COLLECTION}objects/<object_id>/versions/", methods=["GET"])
@blp.access("exchange:taxii_versions", READ, purpose=False)
@blp.arguments(TaxiiObjectsQuery, location="query")
@blp.doc(responses=_taxii_doc("The object's versions: its current one"))
@blp.alt_response(404, description="No such collection or object (or not one you may see)")
def taxii_versions(args: dict[str, Any], collection_id: uuid.UUID, object_id: str) -> Response:
    """TAXII 2.1: an object's versions (the registry keeps its current one)"""
    _accept_taxii()
    page = _one(args, collection_id, object_id)
    versions = [taxii.manifest_entry(one)["version"] for one in page.objects]
    return _taxii(_envelope(page, "versions", versions), _dates(page))
