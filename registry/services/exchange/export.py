"""A partner's whole STIX export as a job of the job queue (registry/jobs.py), for a national-scale pull.

`GET /exchange/stix` builds the bundle in the request: fine for an incremental pull (`since`), not for
everything a partner may receive at national scale (every object held in one web worker's memory). An
export job builds the same bundle, byte for byte, in parts of PART records, keeping each part's objects
(`exchange_export_object`) and where it stands (`phase`, `cursor`) in the part's transaction; a worker
stopped halfway is followed by one that goes on from the last part done. The bundle is then streamed
from the kept objects, a page at a time.

The parts go through:

1. `identifiers`: the network identifiers the caller receives (named by an exported case it may see and
   visible to it, or targeted by a block in effect on a decision it may see), by id. A part gathers
   every case and block naming its identifiers, so an identifier's indicator, sightings, relationships
   and mitigations are made whole in the one part that holds it, as the live export makes them.
2. `cases`: every exported case, by creation, for its sellers and agencies (a case may name no network
   identifier, and its seller is exported all the same).
3. `blocks`: every block in effect, by creation, for its course of action.

The same object met in two parts (a seller, an agency, a block's course of action) is the same object
both times: it is kept once. The blocks in effect are those at the export's `as_of`, the instant it was
requested, so a resumed job exports what its first part saw. The caller's visibility is the requesting
client's, as it stands when each part runs.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, false, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import Conflict, NotFound, id_or_not_found
from registry.messages import msg
from registry.models import (
    BlockRequest,
    Decision,
    ExchangeExport,
    ExchangeExportObject,
    Identifier,
    JobStatus,
    Violation,
)
from registry.models.blocking import BlockTarget
from registry.models.violation import violation_identifier
from registry.services.exchange import stix
from registry.services.exchange.sources import (
    NETWORK_KINDS,
    Sources,
    blocks_in_effect,
    exported_cases,
    gather_part,
)
from registry.services.visibility import identifier_visible

log = logging.getLogger(__name__)

PART = 2_000  # records a part goes through: seconds of work, committed together
PAGE = 1_000  # objects read at a time while the bundle streams
INSERT_BATCH = 500  # objects per INSERT (SQLite's bound parameters)
PHASES = ("identifiers", "cases", "blocks")
EXPORT_KEPT = timedelta(days=7)  # a finished export, then deleted by the workflows' tick
INTERRUPTED_AFTER = timedelta(minutes=10)  # a part takes seconds; a job silent this long lost its worker
MAX_ATTEMPTS = 3
INTERRUPTED = "The export was interrupted too often; request it again."
FAILED = "The export failed; request it again or contact the registry."
STATUSES = ("queued", "running", "done", "failed")


class ExportNotReady(Conflict):
    type_slug = "export-not-ready"
    title = msg("The export is not ready")


def create(session: Session, *, principal: Principal, since: datetime | None) -> ExchangeExport:
    """A queued export of everything the caller may receive (modified after `since`, if given)."""
    export = ExchangeExport(
        id=uuid.uuid4(),
        agency_id=principal.agency_id,
        client_id=principal.client_id,
        caller=principal.as_caller(),
        status=JobStatus.QUEUED,
        since=since,
        as_of=utcnow(),
        phase="count",
        processed=0,
        objects=0,
    )
    session.add(export)
    session.flush()
    return export


def get(session: Session, *, principal: Principal, export_id: Any) -> ExchangeExport:
    """The export, only for the agency that requested it; NotFound otherwise (hidden looks missing)."""
    key = id_or_not_found(export_id, "export")
    export = session.get(ExchangeExport, key)
    if export is None or export.agency_id != principal.agency_id:
        raise NotFound(msg("No export {key}.", key=key))
    return export


def shown_status(export: ExchangeExport, now: datetime | None = None) -> str:
    """Its status; a stalled export that cannot go on (its attempts used) shows failed at once."""
    return JobStatus.FAILED if interrupted(export, now) else export.status


def stalled(export: ExchangeExport, now: datetime | None = None) -> bool:
    last_progress = export.updated_at or export.created_at
    return (
        export.status in (JobStatus.QUEUED, JobStatus.RUNNING)
        and last_progress < (now or utcnow()) - INTERRUPTED_AFTER
    )


def interrupted(export: ExchangeExport, now: datetime | None = None) -> bool:
    return stalled(export, now) and export.attempts >= MAX_ATTEMPTS


# -- running -----------------------------------------------------------------------------------------------


def run(session: Session, *, export_id: uuid.UUID, commit: Callable[[], None]) -> None:
    """Go through the export's parts from where it stands, committing each; then its bundle's id.
    An export done, failed or gone (its request rolled back) is left alone; a run that another run took
    over (the tick queued the export again) stops at its next part."""
    export = session.get(ExchangeExport, export_id)
    if export is None or export.status in (JobStatus.DONE, JobStatus.FAILED):
        return
    export.status = JobStatus.RUNNING
    export.attempts += 1
    attempt = export.attempts
    commit()
    try:
        principal = Principal.from_caller(export.caller)
        if export.phase == "count":
            export.total = _count(session, principal, export.as_of)
            _keep(session, export, Sources())  # what every bundle holds: the registry's identity
            export.phase = PHASES[0]
            commit()
        while export.phase != "done":
            session.refresh(export)
            if export.attempts != attempt or export.status != JobStatus.RUNNING:
                return
            _part(session, export, principal)
            commit()
        _finish(session, export)
    except Exception:
        log.exception("exchange export %s failed", export_id)
        session.rollback()
        _fail(session, export_id, FAILED, commit)
        return
    commit()


def _identifier_page(principal: Principal, now: datetime) -> Any:
    """The network identifiers the caller receives, by id (the live export's, services.exchange.sources)."""
    from_cases = exists(
        select(violation_identifier.c.violation_id)
        .join(Violation, Violation.id == violation_identifier.c.violation_id)
        .where(violation_identifier.c.identifier_id == Identifier.id, exported_cases(principal))
    )
    from_blocks = exists(
        select(BlockTarget.id)
        .join(BlockRequest, BlockRequest.id == BlockTarget.request_id)
        .join(Decision, Decision.id == BlockRequest.decision_id)
        .where(BlockTarget.identifier_id == Identifier.id, blocks_in_effect(principal, now))
    )
    return select(Identifier.id).where(
        Identifier.kind.in_(NETWORK_KINDS),
        Identifier.value.is_not(None),
        or_(and_(identifier_visible(principal), from_cases), from_blocks),
    )


def _cases_page(principal: Principal) -> Any:
    return select(Violation.id, Violation.created_at).where(exported_cases(principal))


def _blocks_page(principal: Principal, now: datetime) -> Any:
    return (
        select(BlockRequest.id, BlockRequest.created_at)
        .join(Decision, Decision.id == BlockRequest.decision_id)
        .where(blocks_in_effect(principal, now))
    )


def _count(session: Session, principal: Principal, now: datetime) -> int:
    return sum(
        session.scalar(select(func.count()).select_from(query.subquery())) or 0
        for query in (_identifier_page(principal, now), _cases_page(principal), _blocks_page(principal, now))
    )


def _part(session: Session, export: ExchangeExport, principal: Principal) -> None:
    """One part of the current phase, kept with the cursor after it; the next phase when none is left."""
    now = export.as_of
    if export.phase == "identifiers":
        query = _identifier_page(principal, now)
        if export.cursor:
            query = query.where(Identifier.id > uuid.UUID(export.cursor))
        ids = list(session.scalars(query.order_by(Identifier.id).limit(PART)))
        cursor = str(ids[-1]) if ids else None
        named = select(violation_identifier.c.violation_id).where(
            violation_identifier.c.identifier_id.in_(ids)
        )
        targeting = select(BlockTarget.request_id).where(BlockTarget.identifier_id.in_(ids))
        cases: list[ColumnElement[bool]] = [Violation.id.in_(named)]
        blocks: list[ColumnElement[bool]] = [BlockRequest.id.in_(targeting)]
        only = set(ids)
    else:
        model = Violation if export.phase == "cases" else BlockRequest
        query = _cases_page(principal) if model is Violation else _blocks_page(principal, now)
        if export.cursor:
            when, _, last = export.cursor.partition("|")
            query = query.where(
                tuple_(model.created_at, model.id) > (datetime.fromisoformat(when), uuid.UUID(last))
            )
        rows = session.execute(query.order_by(model.created_at, model.id).limit(PART)).all()
        ids = [row.id for row in rows]
        cursor = f"{rows[-1].created_at.isoformat()}|{rows[-1].id}" if rows else None
        cases = [Violation.id.in_(ids)] if model is Violation else [false()]
        blocks = [BlockRequest.id.in_(ids)] if model is BlockRequest else [false()]
        only = set()  # the identifiers' part made their objects
    if not ids:
        following = PHASES.index(export.phase) + 1
        export.phase = PHASES[following] if following < len(PHASES) else "done"
        export.cursor = None
        return
    found = gather_part(session, principal, now, cases=cases, blocks=blocks, only=only)
    _keep(session, export, found)
    export.cursor = cursor
    export.processed += len(ids)


def _keep(session: Session, export: ExchangeExport, found: Sources) -> None:
    """The part's objects (modified after `since`), each kept once however many parts make it. Sellers
    and agencies an earlier part kept are not made again (STIX objects are slow to make)."""
    sellers = {stix.subject_id(subject): subject for subject in found.subjects}
    agencies = {stix.agency_id(code): code for code in found.agencies}
    kept = session.scalars(
        select(ExchangeExportObject.stix_id).where(
            ExchangeExportObject.export_id == export.id,
            ExchangeExportObject.stix_id.in_([*sellers, *agencies]),
        )
    )
    for stix_id in kept:
        if stix_id in sellers:
            del found.subjects[sellers[stix_id]]
        else:
            del found.agencies[agencies[stix_id]]
    rows = [
        {
            "export_id": export.id,
            "stix_id": one.id,
            "modified": stix.last_modified(one),
            "subject_id": sellers.get(one.id),
            "body": stix.serialize(one),
        }
        for one in stix.changed_since(stix.objects(found), export.since)
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(rows), INSERT_BATCH):
        statement = insert(ExchangeExportObject).on_conflict_do_nothing(
            index_elements=["export_id", "stix_id"]
        )
        session.execute(statement, rows[start : start + INSERT_BATCH])


def _ordered(session: Session, export: ExchangeExport, *columns: Any) -> Iterator[Any]:
    """The export's objects in the bundle's order (modified, then id), PAGE at a time."""
    order = (ExchangeExportObject.modified, ExchangeExportObject.stix_id)
    after: tuple[datetime, str] | None = None
    while True:
        query = select(*order, *columns).where(ExchangeExportObject.export_id == export.id)
        if after is not None:
            query = query.where(tuple_(*order) > after)
        rows = session.execute(query.order_by(*order).limit(PAGE)).all()
        yield from rows
        if len(rows) < PAGE:
            return
        after = (rows[-1].modified, rows[-1].stix_id)


def _finish(session: Session, export: ExchangeExport) -> None:
    """Done: the number of objects and the bundle's id, derived from them as stix.bundle derives it."""
    digest = hashlib.sha256()
    count = 0
    for row in _ordered(session, export):
        digest.update(f"{chr(10) if count else ''}{row.stix_id} {row.modified.isoformat()}".encode())
        count += 1
    export.bundle_id = stix.stix_id("bundle", digest.hexdigest())
    export.objects = count
    export.total = max(export.total or 0, export.processed)  # records added while it ran
    export.status = JobStatus.DONE
    export.finished_at = utcnow()


def _fail(session: Session, export_id: uuid.UUID, error: str, commit: Callable[[], None]) -> None:
    export = session.get(ExchangeExport, export_id)
    if export is None:
        return
    export.status, export.error, export.finished_at = JobStatus.FAILED, error, utcnow()
    session.execute(delete(ExchangeExportObject).where(ExchangeExportObject.export_id == export_id))
    commit()


# -- reading -----------------------------------------------------------------------------------------------


def ready(export: ExchangeExport) -> None:
    """ExportNotReady unless its bundle can be fetched."""
    if export.status != JobStatus.DONE or export.bundle_id is None:
        status = shown_status(export)
        raise ExportNotReady(msg("The export is {status}: fetch it once it is done.", status=status))


def expires_at(export: ExchangeExport) -> datetime | None:
    return export.finished_at + EXPORT_KEPT if export.finished_at else None


def bundle_text(session: Session, export: ExchangeExport) -> Iterator[str]:
    """The bundle of a done export, as `GET /exchange/stix` serialises it, a page of objects at a time."""
    ready(export)
    if not export.objects:  # stix2 leaves an empty bundle's objects out
        yield f'{{"id": "{export.bundle_id}", "type": "bundle"}}'
        return
    yield f'{{"id": "{export.bundle_id}", "objects": ['
    first = True
    for row in _ordered(session, export, ExchangeExportObject.body):
        yield row.body if first else ", " + row.body
        first = False
    yield '], "type": "bundle"}'


def sellers(session: Session, export: ExchangeExport) -> list[uuid.UUID]:
    """The sellers the export names (its download's audit entry records them)."""
    return list(
        session.scalars(
            select(ExchangeExportObject.subject_id)
            .where(ExchangeExportObject.export_id == export.id, ExchangeExportObject.subject_id.is_not(None))
            .order_by(ExchangeExportObject.subject_id)
        )
    )


# -- the workflows' tick -----------------------------------------------------------------------------------


def tick(
    session: Session, *, now: datetime, requeue: Callable[[uuid.UUID], None] | None = None
) -> dict[str, int]:
    """For `registry workflows tick`: fail the stalled exports that used their attempts, hand the other
    stalled ones to `requeue` (the job queue's), and delete those finished EXPORT_KEPT ago."""
    stale = session.scalars(
        select(ExchangeExport).where(
            ExchangeExport.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
            func.coalesce(ExchangeExport.updated_at, ExchangeExport.created_at) < now - INTERRUPTED_AFTER,
        )
    ).all()
    failed = requeued = 0
    for export in stale:
        if interrupted(export, now):
            export.status, export.error, export.finished_at = JobStatus.FAILED, INTERRUPTED, now
            session.execute(delete(ExchangeExportObject).where(ExchangeExportObject.export_id == export.id))
            failed += 1
        elif requeue is not None:
            export.status, export.updated_at = JobStatus.QUEUED, now
            session.flush()
            requeue(export.id)
            requeued += 1
    old = list(
        session.scalars(select(ExchangeExport.id).where(ExchangeExport.finished_at < now - EXPORT_KEPT))
    )
    session.execute(delete(ExchangeExportObject).where(ExchangeExportObject.export_id.in_(old)))
    session.execute(delete(ExchangeExport).where(ExchangeExport.id.in_(old)))
    session.flush()
    return {"exports_failed": failed, "exports_requeued": requeued, "exports_deleted": len(old)}
