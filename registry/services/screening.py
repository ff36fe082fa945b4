"""Bulk screening: a list of identifier spellings checked against the registry in a bounded number of queries.

Each input is normalised by the identifier parsers, each (kind, spelling) once per list. The database
work is set-based whatever the length of the list: one query per identifier kind present (its keyed
hashes), then one for the visible links and subjects of every match, two for the visible violations, and
one per kind of open order. On PostgreSQL each takes its values as one array parameter (`among`); on
SQLite as IN lists of CHUNK, repeated once per CHUNK values. A list of MAX_ITEMS costs at most a few dozen
queries.

What "match" means follows the registry's rule for identifiers (services.visibility): a state agency
sees every identifier, others only those reached through a visible link. An identifier the caller may not
see is answered `no_match`, exactly like an unknown one, so screening reveals nothing that
/identifiers/lookup does not. Subjects and violations are counted only as far as the caller may see them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import re
import uuid
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import rfc8785
from sqlalchemy import ColumnElement, Text, any_, bindparam, cast, delete, distinct, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import NotFound, id_or_not_found
from registry.fieldcrypt import FieldCipher
from registry.identifiers import KINDS, IdentifierError, ParsedIdentifier, parse
from registry.messages import msg
from registry.models import (
    Identifier,
    JobStatus,
    Link,
    ScreeningJob,
    ScreeningJobPart,
    Subject,
    Violation,
    violation_identifier,
    violation_subject,
)
from registry.models.blocking import BlockRequest, BlockState, BlockTarget
from registry.models.freezing import FreezeAccount, FreezeOrder
from registry.services import blocking, freezing, visibility
from registry.services.blocking.expiry import unrecorded_expiry

log = logging.getLogger(__name__)

MAX_ITEMS = 10_000  # answered in the request
MAX_JOB_ITEMS = 200_000  # answered by a background job
CHUNK = 5_000  # bind parameters per IN list: under SQLite's limit, cheap for PostgreSQL to plan

# Inputs without a kind: anything with a "/" (but a CIDR range) is a URL, parsed once, whose shop,
# profile or app comes first. Anything else is tried by these parsers in this order, skipping those
# whose shape the input cannot have (the phone parser would otherwise pull digits out of "VCB:123").
# Every parser that accepts it gives a candidate (at most MAX_CANDIDATES); all are looked up and the
# first that matches answers. So "0100109106" is tried as a tax code and as a phone number.
GUESS_ORDER = (
    "personal_id", "tax_code", "phone", "email", "bank_account", "ip", "ip_range",
    "marketplace_shop", "social_account", "app", "domain",
)  # fmt: skip
PLATFORM_KINDS = frozenset({"marketplace_shop", "social_account", "app"})
MAX_CANDIDATES = 3
_NUMERIC = re.compile(r"^[\d\s.\-]+$")
_PHONE = re.compile(r"^[\d\s.\-+()]+$")
_CIDR = re.compile(r"^[0-9A-Fa-f:.]+/\d{1,3}$")
_SHAPES: dict[str, Callable[[str], bool]] = {
    "personal_id": lambda v: bool(_NUMERIC.match(v)) and len(re.sub(r"\D", "", v)) in (9, 12),
    "tax_code": lambda v: bool(_NUMERIC.match(v)),
    "phone": lambda v: bool(_PHONE.match(v)),
    "email": lambda v: "@" in v and "/" not in v,
    "bank_account": lambda v: ":" in v and "/" not in v,
    "ip": lambda v: ":" in v or v[:1].isdigit(),
    "ip_range": lambda v: bool(_CIDR.match(v)),
    "marketplace_shop": lambda v: "/" in v or ":" in v,
    "social_account": lambda v: "/" in v or ":" in v,
    "app": lambda v: "/" in v or ":" in v,
    "domain": lambda v: "." in v and not any(c in v for c in "/:@ "),
}
NO_KIND_REASON = "not a valid identifier of any kind; give `kind` to see why"


@dataclass
class Input:
    index: int
    kind: str | None  # as given
    value: str
    candidates: list[ParsedIdentifier] = field(default_factory=list)
    reason: str | None = None
    taken_as: str | None = None  # the kind an invalid kind-less input was read as (a mistyped tax code)


@dataclass
class Screening:
    results: list[dict[str, Any]]
    elements: list[list[str]]  # the canonical list, keyed-hashed (see list_elements)
    matches: int

    @functools.cached_property
    def list_sha256(self) -> str:  # RFC 8785 of 10,000 elements: tens of milliseconds, so once
        return list_hash(self.elements)

    @property
    def total(self) -> int:
        return len(self.results)

    processed = total


_TAX_SHAPE = re.compile(r"^(?:\d{10}|\d{13}|\d{10}-\d{3})$")

# parse(), or the IdentifierError it raised: what one list's parsing remembers (see `normalise`).
Parsed = ParsedIdentifier | IdentifierError
Parser = Callable[[str, str], Parsed]


def _parse(kind: str, value: str) -> Parsed:
    try:
        return parse(kind, value, hints=False)  # a screening answers the key, never the hints
    except IdentifierError as exc:
        return exc


def _mistyped_tax_code(text: str, parse_: Parser = _parse) -> str | None:
    """The reason a kind-less input is a tax code with a typo, or None if it is not one.

    Ten or thirteen digits (separators allowed), or `NNNNNNNNNN-BBB`, that fail the tax code's check are
    a mistyped tax code: phone numbers are not written that way, except a valid Vietnamese number of ten
    digits beginning with 0 (a mobile such as 0912 345 678), which stays a phone. "Valid" is
    phonenumbers' range check, stricter than the "possible" (right length) the phone parser accepts, so a
    tax code typo such as 0100109107 (01x is no longer a phone range) is not read as a phone."""
    compact = re.sub(r"[\s.]", "", text)
    if not _TAX_SHAPE.match(compact) and not _TAX_SHAPE.match(compact.replace("-", "")):
        return None
    as_tax_code = parse_("tax_code", text)
    if not isinstance(as_tax_code, IdentifierError):
        return None
    digits = compact.replace("-", "")
    # The phone parser drops the same separators: `text` reads as the phone `digits` spell, and is
    # the spelling _guess parses next.
    if len(digits) == 10 and digits.startswith("0") and _valid_vn_phone(parse_("phone", text)):
        return None
    return as_tax_code.reason


def _valid_vn_phone(parsed: Parsed) -> bool:
    return not isinstance(parsed, IdentifierError) and bool(parsed.attributes.get("valid"))


def _guess(value: str, parse_: Parser = _parse) -> list[ParsedIdentifier]:
    text = value.strip()
    if "/" in text and not _SHAPES["ip_range"](text):
        # A URL: parsed once; the shop, profile or app it designates (if any) is the first candidate.
        url = parse_("url", text)
        if isinstance(url, IdentifierError):
            return []
        return [*(r for r in url.related if r.kind in PLATFORM_KINDS), url]
    found: list[ParsedIdentifier] = []
    for kind in GUESS_ORDER:
        if not _SHAPES[kind](text):
            continue
        parsed = parse_(kind, text)
        if isinstance(parsed, IdentifierError):
            continue
        if parsed not in found:
            found.append(parsed)
        if len(found) == MAX_CANDIDATES or parsed.kind in PLATFORM_KINDS:
            break
    return found


def _read(kind: str | None, value: Any, index: int, parse_: Parser) -> Input:
    entry = Input(index, kind, value)
    if kind:
        parsed = parse_(kind, value)
        if isinstance(parsed, IdentifierError):
            entry.reason = parsed.reason
        else:
            entry.candidates = [parsed]
        return entry
    mistyped = _mistyped_tax_code(value.strip(), parse_) if isinstance(value, str) else None
    if mistyped is not None:
        entry.reason, entry.taken_as = f"invalid tax code: {mistyped}", "tax_code"
        return entry
    entry.candidates = _guess(value, parse_) if isinstance(value, str) else []
    if not entry.candidates:
        entry.reason = NO_KIND_REASON
    return entry


def normalise(items: Sequence[dict[str, Any]], *, offset: int = 0) -> list[Input]:
    """Each input parsed: with its kind as given, or guessed; invalid ones carry a safe reason.

    A list parses each (kind, spelling) once: an input spelled as an earlier one gets its reading, and
    the parsers a guess tries after the mistyped-tax-code check (the tax code, the phone) are not run
    again for the same text."""
    parses: dict[tuple[str, str], Parsed] = {}

    def parse_once(kind: str, value: str) -> Parsed:
        key = (kind, value)
        if not isinstance(value, str):
            return _parse(kind, value)
        if key not in parses:
            parses[key] = _parse(kind, value)
        return parses[key]

    out = []
    seen: dict[tuple[Any, Any], Input] = {}
    for position, item in enumerate(items):
        kind, value = item.get("kind"), item.get("value", "")
        index = offset + position
        key = (kind, value) if isinstance(value, str) else None
        earlier = seen.get(key) if key is not None else None
        if earlier is not None:
            out.append(Input(index, kind, value, earlier.candidates, earlier.reason, earlier.taken_as))
            continue
        entry = _read(kind, value, index, parse_once)
        if key is not None:
            seen[key] = entry
        out.append(entry)
    return out


def list_elements(
    inputs: Iterable[Input], cipher: FieldCipher, *, unparsed: str = "invalid"
) -> list[list[str]]:
    """The canonical list, each element a *keyed* hash: [kind, HMAC(kind, canonical)].

    Keyed, so an audit reader cannot brute-force a short list of phone or account numbers from its
    hash; the registry (which holds the key) can recompute it from a list an agency produces. Invalid
    inputs count as ["invalid", HMAC of the kind given and the raw value] (`unparsed` names the label).
    """
    elements = []
    for entry in inputs:
        if entry.candidates:
            first = entry.candidates[0]
            elements.append([first.kind, cipher.lookup_hash(first.kind, first.value)])
        else:
            raw = f"{entry.kind or ''}\x00{entry.value if isinstance(entry.value, str) else ''}"
            elements.append([unparsed, cipher.lookup_hash(unparsed, raw)])
    return elements


def list_hash(elements: list[list[str]]) -> str:
    """SHA-256 of the RFC 8785 JSON of the keyed-hash list: the same value audit_change() records."""
    return hashlib.sha256(rfc8785.dumps(elements)).hexdigest()


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def among(session: Session, column: Any, values: Sequence[Any]) -> Iterator[ColumnElement[bool]]:
    """`column IN values` as conditions for as few statements as the database allows.

    PostgreSQL: one condition, `column = ANY(:array)`, which it plans as the IN list it stands for,
    while the driver sends one array value instead of a placeholder per value (building and parsing a
    statement of 5,000 placeholders cost more than running it). Elsewhere (SQLite): IN lists of CHUNK.
    """
    if not values:
        return
    if session.get_bind().dialect.name == "postgresql":
        yield column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return
    for part in chunks(values):
        yield column.in_(part)


def _find_identifiers(
    session: Session, cipher: FieldCipher, principal: Principal, inputs: list[Input]
) -> dict[tuple[str, str], uuid.UUID]:
    """(kind, canonical) -> id of every candidate the caller may see: one query per kind (per CHUNK)."""
    wanted: dict[str, dict[str, str]] = defaultdict(dict)  # kind -> digest -> canonical
    for entry in inputs:
        for parsed in entry.candidates:
            wanted[parsed.kind][cipher.lookup_hash(parsed.kind, parsed.value)] = parsed.value
    found: dict[tuple[str, str], uuid.UUID] = {}
    seen_by_caller = visibility.identifier_visible(principal)
    for kind in (k for k in KINDS if k in wanted):
        for among_digests in among(session, Identifier.value_hash, list(wanted[kind])):
            rows = session.execute(
                select(Identifier.value_hash, Identifier.id).where(
                    Identifier.kind == kind, among_digests, seen_by_caller
                )
            ).tuples()
            for digest, identifier_id in rows:
                found[(kind, wanted[kind][digest])] = identifier_id
    return found


def _visible_subjects(
    session: Session, principal: Principal, identifier_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    subjects: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for among_ids in among(session, Link.identifier_id, identifier_ids):
        rows = session.execute(
            select(Link.identifier_id, Link.subject_id)
            .join(Subject, Subject.id == Link.subject_id)
            .where(
                among_ids,
                visibility.record_visible(Link, principal),
                visibility.record_visible(Subject, principal),
            )
        ).tuples()
        for identifier_id, subject_id in rows:
            subjects[identifier_id].add(subject_id)
    return {key: sorted(value, key=str) for key, value in subjects.items()}


def _violations(
    session: Session,
    principal: Principal,
    identifier_ids: list[uuid.UUID],
    subjects: dict[uuid.UUID, list[uuid.UUID]],
) -> dict[uuid.UUID, Counter[str]]:
    """Visible violations touching each identifier or one of its visible subjects, counted by category.

    Categories are read as their JSON text and each distinct text decoded once: a screening reads tens
    of thousands of violations with a few dozen distinct lists of categories."""
    touching: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)  # identifier -> violation ids
    categories: dict[uuid.UUID, str | None] = {}
    seen = visibility.record_visible(Violation, principal)
    categories_text = cast(Violation.categories, Text)
    for among_ids in among(session, violation_identifier.c.identifier_id, identifier_ids):
        rows = session.execute(
            select(violation_identifier.c.identifier_id, Violation.id, categories_text)
            .join(Violation, Violation.id == violation_identifier.c.violation_id)
            .where(among_ids, seen)
        ).tuples()
        for identifier_id, violation_id, cats in rows:
            touching[identifier_id].add(violation_id)
            categories[violation_id] = cats
    by_subject: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for identifier_id, subject_ids in subjects.items():
        for subject_id in subject_ids:
            by_subject[subject_id].append(identifier_id)
    for among_subjects in among(session, violation_subject.c.subject_id, list(by_subject)):
        rows = session.execute(
            select(violation_subject.c.subject_id, Violation.id, categories_text)
            .join(Violation, Violation.id == violation_subject.c.violation_id)
            .where(among_subjects, seen)
        ).tuples()
        for subject_id, violation_id, cats in rows:
            categories[violation_id] = cats
            for identifier_id in by_subject[subject_id]:
                touching[identifier_id].add(violation_id)
    decoded = {text: json.loads(text) if text else [] for text in set(categories.values())}
    counts: dict[uuid.UUID, Counter[str]] = {}
    for identifier_id, violation_ids in touching.items():
        counter: Counter[str] = Counter()
        for violation_id in violation_ids:
            counter.update(decoded[categories[violation_id]] or [])
        counts[identifier_id] = counter
    return counts


def _open_block_requests(
    session: Session, principal: Principal, identifier_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Block requests submitted and not closed (not draft, rejected, lifted, expired or revoked; past its
    validity counts as expired even before the workflows' tick records it)."""
    counts: Counter[uuid.UUID] = Counter()
    now = utcnow()
    for among_ids in among(session, BlockTarget.identifier_id, identifier_ids):
        rows = session.execute(
            select(BlockTarget.identifier_id, func.count(distinct(BlockRequest.id)))
            .join(BlockRequest, BlockRequest.id == BlockTarget.request_id)
            .where(
                among_ids,
                BlockRequest.state.not_in([*blocking.TERMINAL, BlockState.DRAFT]),
                ~unrecorded_expiry(now),
                blocking.block_request_visible(principal),
            )
            .group_by(BlockTarget.identifier_id)
        ).tuples()
        counts.update(dict(rows.all()))
    return counts


def _open_freeze_orders(
    session: Session, principal: Principal, identifier_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Freeze orders naming the account and still running, as far as the freeze workflow shows them
    to the caller (issuer, State Bank, Standing Office, and a bank for orders dispatched to it)."""
    viewer = freezing.viewer(session, principal)
    counts: Counter[uuid.UUID] = Counter()
    for among_ids in among(session, FreezeAccount.identifier_id, identifier_ids):
        rows = session.execute(
            select(FreezeAccount.identifier_id, func.count(distinct(FreezeOrder.id)))
            .join(FreezeOrder, FreezeOrder.id == FreezeAccount.order_id)
            .where(
                among_ids,
                FreezeOrder.state.in_(freezing.RUNNING),
                freezing.orders_seen_by(viewer),
            )
            .group_by(FreezeAccount.identifier_id)
        ).tuples()
        counts.update(dict(rows.all()))
    return counts


def _open_orders(
    session: Session, principal: Principal, identifier_ids: list[uuid.UUID]
) -> dict[str, dict[uuid.UUID, int]]:
    """Counts per identifier of the open orders the caller may see."""
    if not identifier_ids:
        return {"block_requests": {}, "freeze_orders": {}}
    return {
        "block_requests": _open_block_requests(session, principal, identifier_ids),
        "freeze_orders": _open_freeze_orders(session, principal, identifier_ids),
    }


def screen(
    session: Session,
    *,
    cipher: FieldCipher,
    principal: Principal,
    items: Sequence[dict[str, Any]],
    offset: int = 0,
) -> Screening:
    """The answer for each input, in order. `canonical` is always filled here; the API strips it."""
    inputs = normalise(items, offset=offset)
    found = _find_identifiers(session, cipher, principal, inputs)
    identifier_ids = sorted(set(found.values()), key=str)
    subjects = _visible_subjects(session, principal, identifier_ids)
    violations = _violations(session, principal, identifier_ids, subjects)
    open_orders = _open_orders(session, principal, identifier_ids)
    results = []
    matches = 0
    for entry in inputs:
        if not entry.candidates:
            results.append(
                {
                    "input_index": entry.index,
                    "status": "invalid",
                    "kind": entry.kind or entry.taken_as,
                    "reason": entry.reason,
                }
            )
            continue
        hit = next((p for p in entry.candidates if (p.kind, p.value) in found), None)
        parsed = hit or entry.candidates[0]
        result: dict[str, Any] = {
            "input_index": entry.index,
            "status": "match" if hit else "no_match",
            "kind": parsed.kind,
            "canonical": parsed.value,
            "sensitive": parsed.sensitive,
        }
        if hit:
            matches += 1
            identifier_id = found[(hit.kind, hit.value)]
            result["identifier_id"] = identifier_id
            result["subjects"] = subjects.get(identifier_id, [])
            result["violations_by_category"] = dict(sorted(violations.get(identifier_id, Counter()).items()))
            result["open_orders"] = {
                name: counts.get(identifier_id, 0) for name, counts in open_orders.items()
            }
        results.append(result)
    return Screening(results, list_elements(inputs, cipher), matches)


# -- jobs: lists longer than MAX_ITEMS ------------------------------------------------------------------


# A part of MAX_ITEMS takes seconds; a job silent this long has lost its process.
INTERRUPTED_AFTER = timedelta(minutes=10)


def create_job(
    session: Session, *, principal: Principal, items: Sequence[dict[str, Any]], cipher: FieldCipher
) -> ScreeningJob:
    """A queued job holding its list (encrypted: it may name accounts and personal IDs) and the
    submitting caller, for whichever worker runs it (registry/jobs.py)."""
    job = ScreeningJob(
        id=uuid.uuid4(),
        agency_id=principal.agency_id,
        client_id=principal.client_id,
        officer=principal.officer,
        status=JobStatus.QUEUED,
        total=len(items),
        processed=0,
        list_sha256="",
        caller=principal.as_caller(),
    )
    job.items_enc = _seal(list(items), cipher, f"screening-list:{job.id}")
    session.add(job)
    session.flush()
    return job


def _seal(value: Any, cipher: FieldCipher, context: str) -> bytes:
    packed = zlib.compress(json.dumps(value, default=str, separators=(",", ":")).encode(), 6)
    return cipher.encrypt(base64.b64encode(packed).decode(), context)


def _unseal(sealed: bytes, cipher: FieldCipher, context: str) -> Any:
    return json.loads(zlib.decompress(base64.b64decode(cipher.decrypt(sealed, context))))


def job_results(job: ScreeningJob, cipher: FieldCipher) -> list[dict[str, Any]]:
    if job.result_enc is None:
        return []
    return _unseal(job.result_enc, cipher, f"screening:{job.id}")


def run_job(session: Session, *, cipher: FieldCipher, job_id: uuid.UUID, commit: Callable[[], None]) -> None:
    """Screen the job's list MAX_ITEMS at a time, keeping each part's answer as it is committed; a run
    that finds parts done (a stopped worker's) goes on after them. The answer is assembled once every
    part is done, and the list and the parts are then deleted.

    The caller's visibility is that of the submitting client, as it stood when each part ran. A job
    already done or failed, or gone (its submission rolled back), is left alone.
    """
    job = session.get(ScreeningJob, job_id)
    if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
        return
    if job.items_enc is None or job.caller is None:  # submitted before jobs were resumable
        _fail(session, job_id, INTERRUPTED, commit)
        return
    job.status = JobStatus.RUNNING
    job.attempts += 1
    attempt = job.attempts
    commit()
    try:
        items = _unseal(job.items_enc, cipher, f"screening-list:{job.id}")
        principal = Principal.from_caller(job.caller)
        done = set(session.scalars(select(ScreeningJobPart.start).where(ScreeningJobPart.job_id == job.id)))
        for start in range(0, len(items), MAX_ITEMS):
            if start in done:
                continue
            session.refresh(job)
            if job.attempts != attempt or job.status != JobStatus.RUNNING:
                return  # another run took the job over (it was queued again): that one goes on
            part = screen(
                session,
                cipher=cipher,
                principal=principal,
                items=items[start : start + MAX_ITEMS],
                offset=start,
            )
            sealed = _seal([part.results, part.elements], cipher, f"screening-part:{job.id}:{start}")
            session.add(
                ScreeningJobPart(
                    job_id=job.id, start=start, size=len(part.results), matches=part.matches, sealed=sealed
                )
            )
            job.processed = min(job.total, job.processed + len(part.results))
            commit()
        _assemble(session, job, cipher)
    except IntegrityError:  # a part stored meanwhile by another run of the job: that one goes on
        session.rollback()
        return
    except Exception:
        log.exception("screening job %s failed", job_id)
        session.rollback()
        _fail(session, job_id, "The screening failed; submit the list again or contact the registry.", commit)
        return
    commit()


def _assemble(session: Session, job: ScreeningJob, cipher: FieldCipher) -> None:
    parts = session.scalars(
        select(ScreeningJobPart).where(ScreeningJobPart.job_id == job.id).order_by(ScreeningJobPart.start)
    ).all()
    results: list[dict[str, Any]] = []
    elements: list[list[str]] = []
    for part in parts:
        part_results, part_elements = _unseal(part.sealed, cipher, f"screening-part:{job.id}:{part.start}")
        results += part_results
        elements += part_elements
    job.result_enc = _seal(results, cipher, f"screening:{job.id}")
    job.list_sha256 = list_hash(elements)
    job.matches = sum(part.matches for part in parts)
    job.processed = job.total
    job.status = JobStatus.DONE
    job.finished_at = utcnow()
    job.items_enc = None  # the list is not kept longer than its job
    for part in parts:
        session.delete(part)


def _fail(session: Session, job_id: uuid.UUID, error: str, commit: Callable[[], None]) -> None:
    job = session.get(ScreeningJob, job_id)
    if job is None:
        return
    job.status, job.error, job.finished_at, job.items_enc = JobStatus.FAILED, error, utcnow(), None
    session.execute(delete(ScreeningJobPart).where(ScreeningJobPart.job_id == job_id))
    commit()


def get_job(session: Session, *, principal: Principal, job_id: Any) -> ScreeningJob:
    """The job, only for the agency that submitted it; NotFound otherwise (hidden looks like missing).

    A queued or running job without progress for INTERRUPTED_AFTER lost the process that ran it (a
    restart): ScreeningRead shows it failed (see `interrupted`), so the caller submits the list again
    instead of waiting for ever; `tick` records it.
    """
    key = id_or_not_found(job_id, "screening")
    job = session.get(ScreeningJob, key)
    if job is None or job.agency_id != principal.agency_id:
        raise NotFound(msg("No screening {key}.", key=key))
    return job


INTERRUPTED = "The screening was interrupted (the server restarted); submit the list again."
MAX_ATTEMPTS = 3  # runs of one job: a list that stops every worker it meets is failed, not retried for ever


def stalled(job: ScreeningJob, now: datetime | None = None) -> bool:
    """A queued or running job with no progress for INTERRUPTED_AFTER: its worker stopped, or the queue
    lost it (the workflows' tick queues it again)."""
    last_progress = job.updated_at or job.created_at
    return (
        job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
        and last_progress < (now or utcnow()) - INTERRUPTED_AFTER
    )


def interrupted(job: ScreeningJob, now: datetime | None = None) -> bool:
    """Whether a stalled job cannot go on (it kept no list, or has used its attempts): shown as failed at
    once, and marked failed by `tick`. A stalled job that can go on is shown as it is."""
    return stalled(job, now) and (job.items_enc is None or job.attempts >= MAX_ATTEMPTS)


def tick(
    session: Session, *, now: datetime, requeue: Callable[[uuid.UUID], None] | None = None
) -> dict[str, int]:
    """For `registry workflows tick`: fail the stalled jobs that cannot go on, and hand the others to
    `requeue` (the job queue's; registry/jobs.py). Without one, stalled jobs are only counted."""
    stale = session.scalars(
        select(ScreeningJob).where(
            ScreeningJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
            func.coalesce(ScreeningJob.updated_at, ScreeningJob.created_at) < now - INTERRUPTED_AFTER,
        )
    ).all()
    failed = requeued = 0
    for job in stale:
        if interrupted(job, now):
            job.status, job.error, job.finished_at, job.items_enc = JobStatus.FAILED, INTERRUPTED, now, None
            failed += 1
        elif requeue is not None:
            job.status, job.updated_at = JobStatus.QUEUED, now
            session.flush()
            requeue(job.id)  # a worker that starts it before this commits runs it all the same
            requeued += 1
    session.flush()
    return {"screenings_failed": failed, "screenings_requeued": requeued}


# -- match-only answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    known: bool
    reference: str | None
    identifier_id: uuid.UUID | None = None


def match(session: Session, *, cipher: FieldCipher, principal: Principal, parsed: ParsedIdentifier) -> Match:
    """Is this identifier known to the caller's agency? Only the keyed hash is used; no record is returned.

    "Known" is the identifier visibility rule (state agencies: registered at all; others: reached through
    a link they may see). An identifier hidden from the caller is not known: a yes would tell an
    association or a bank that some agency is quietly watching this account. The reference is the most
    recent visible violation touching the identifier, else its oldest visible link, else None.
    """
    digest = cipher.lookup_hash(parsed.kind, parsed.value)
    identifier_id = session.scalars(
        select(Identifier.id).where(
            Identifier.kind == parsed.kind,
            Identifier.value_hash == digest,
            visibility.identifier_visible(principal),
        )
    ).first()
    if identifier_id is None:
        return Match(False, None)
    violation_id = session.scalars(
        select(Violation.id)
        .join(violation_identifier, violation_identifier.c.violation_id == Violation.id)
        .where(
            violation_identifier.c.identifier_id == identifier_id,
            visibility.record_visible(Violation, principal),
        )
        .order_by(Violation.detected_at.desc(), Violation.id)
        .limit(1)
    ).first()
    if violation_id is not None:
        return Match(True, f"violation:{violation_id}", identifier_id)
    link_id = session.scalars(
        select(Link.id)
        .where(Link.identifier_id == identifier_id, visibility.record_visible(Link, principal))
        .order_by(Link.first_seen, Link.id)
        .limit(1)
    ).first()
    return Match(True, f"link:{link_id}" if link_id else None, identifier_id)


def raw_inputs(items: Sequence[dict[str, Any]]) -> list[Input]:
    """Inputs as submitted, unparsed (a job's submission is audited before the job parses them)."""
    return [Input(index, item.get("kind"), item.get("value", "")) for index, item in enumerate(items)]
