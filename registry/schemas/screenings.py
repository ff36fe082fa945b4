"""Bulk screening and match-only answers: what is accepted and what is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from marshmallow import Schema, fields, missing, validate

from registry.identifiers import KINDS
from registry.models import JobStatus, ScreeningJob
from registry.schemas.common import SensitiveFlag
from registry.schemas.output import Compute, Output, OutputSchema, loaded
from registry.services.screening import INTERRUPTED, MAX_ITEMS, MAX_JOB_ITEMS, interrupted

STATUSES = ("invalid", "no_match", "match")


VALUE_LENGTH = 2048


class ScreeningItem(Schema):
    kind = fields.String(
        validate=validate.OneOf(KINDS), metadata={"description": "optional: guessed from the value if absent"}
    )
    value = fields.String(required=True, validate=validate.Length(min=1, max=VALUE_LENGTH))


_ITEM_KEYS = frozenset(ScreeningItem._declared_fields)
_KINDS = frozenset(KINDS)


def _plain(item: Any) -> bool:
    """Whether ScreeningItem would load `item` unchanged: only its fields, a value of 1-2048 characters
    and a known kind (if any)."""
    if type(item) is not dict or not item.keys() <= _ITEM_KEYS:
        return False
    value, kind = item.get("value"), item.get("kind", KINDS[0])
    return type(value) is str and 0 < len(value) <= VALUE_LENGTH and type(kind) is str and kind in _KINDS


class ScreeningItems(fields.List):
    """A list of ScreeningItem. A list whose every item ScreeningItem would load unchanged is taken as
    it is (copied); otherwise marshmallow loads it item by item, with its errors. For 10,000 items the
    item-by-item load was 5-10% of the request. The tests hold both ways equal."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if type(value) is list and all(_plain(item) for item in value):
            return [dict(item) for item in value]
        return super()._deserialize(value, attr, data, **kwargs)


class ScreeningCreate(Schema):
    items = ScreeningItems(
        fields.Nested(ScreeningItem),
        required=True,
        validate=validate.Length(min=1, max=MAX_JOB_ITEMS),
        metadata={
            "description": f"Up to {MAX_ITEMS} are answered at once; longer lists (up to {MAX_JOB_ITEMS}) "
            "become a job (202)."
        },
    )


class OpenOrders(Schema):
    block_requests = fields.Integer(metadata={"description": "open block requests visible to the caller"})
    freeze_orders = fields.Integer(metadata={"description": "running freeze orders visible to the caller"})


def _canonical(result: dict[str, Any], output: Output) -> Any:
    """Canonical values of sensitive kinds only when revealed; otherwise the key is left out."""
    if result.get("sensitive") and not output.revealed:
        return missing
    return result.get("canonical", missing)


def _subjects(result: dict[str, Any], output: Output) -> Any:
    """Who holds a sensitive identifier only for registry:read_sensitive, checked for the client that
    fetches the answer (a job's may be another client of the agency); otherwise the key is left out."""
    if result.get("sensitive") and not output.shows_holders:
        return missing
    subjects = result.get("subjects", missing)
    if subjects is not missing:
        output.reach(subjects)  # a match reached its subjects: the request's audit entry lists them
    return subjects


class ScreeningResult(OutputSchema):
    """One input's answer (services.screening builds it; jobs keep it sealed as JSON)."""

    computed: ClassVar[dict[str, Compute]] = {"canonical": _canonical, "subjects": _subjects}

    input_index = fields.Integer()
    status = fields.String(metadata={"description": " | ".join(STATUSES)})
    kind = fields.String(allow_none=True, metadata={"description": "as given, or as guessed"})
    canonical = fields.String(
        metadata={"description": "absent for sensitive kinds unless revealed (?sensitive=true)"}
    )
    sensitive = fields.Boolean()
    reason = fields.String(metadata={"description": "why an input is invalid"})
    identifier_id = fields.UUID()
    subjects = fields.List(
        fields.UUID(),
        metadata={
            "description": "subjects visible to the caller; absent for sensitive kinds (bank account, "
            "personal ID) unless the caller has registry:read_sensitive"
        },
    )
    violations_by_category = fields.Dict(keys=fields.String(), values=fields.Integer())
    open_orders = fields.Nested(OpenOrders)


def _job(job: Any, name: str, if_interrupted: Callable[[], Any]) -> Any:
    """A job's field, as it stands when its process was lost and the tick has not recorded it yet."""
    if not isinstance(job, ScreeningJob):
        return missing  # an answer given at once has no job fields
    return if_interrupted() if interrupted(job) else getattr(job, name)


class ScreeningRead(OutputSchema):
    """The answer to a list (200: services.screening.Screening), or the job that will answer it (202:
    the ScreeningJob, with its answer's page once done)."""

    computed: ClassVar[dict[str, Compute]] = {
        "status": lambda job, _: _job(job, "status", lambda: JobStatus.FAILED),
        "error": lambda job, _: _job(job, "error", lambda: INTERRUPTED),
        "finished_at": lambda job, _: _job(job, "finished_at", lambda: job.updated_at or job.created_at),
        "url": loaded("url", missing),
        "list_sha256": lambda answer, _: answer.list_sha256 or None,
        "page": loaded("page", missing),
        "per_page": loaded("per_page", missing),
        "results": lambda answer, output: (
            output.loaded.get(("results", answer.id), missing) if hasattr(answer, "id") else answer.results
        ),
    }

    id = fields.UUID(metadata={"description": "job only"})
    url = fields.String(metadata={"description": "job only: where to fetch progress and the answer"})
    status = fields.String(metadata={"description": "job only: queued | running | done | failed"})
    total = fields.Integer()
    processed = fields.Integer()
    matches = fields.Integer(allow_none=True)
    list_sha256 = fields.String(
        allow_none=True, metadata={"description": "SHA-256 of the keyed-hash canonical list (as audited)"}
    )
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    error = fields.String(allow_none=True)
    page = fields.Integer()
    per_page = fields.Integer()
    results = fields.Nested(
        ScreeningResult, many=True, metadata={"description": "ScreeningResult per input, in input order"}
    )


_OPEN_ORDERS = tuple(OpenOrders._declared_fields)


def present_results(results: list[dict[str, Any]], output: Output) -> list[dict[str, Any]]:
    """ScreeningResult's dump of each result, written out: marshmallow took an eighth of a 10,000-item
    screening to walk 100,000 fields. The same computed fields (`_canonical`, `_subjects`) decide what
    is shown; the tests dump every answer both ways and require them equal (tests/conftest.py)."""
    presented = []
    for result in results:
        shown: dict[str, Any] = {}
        for name in ("input_index", "status", "kind"):
            if name in result:
                shown[name] = result[name]
        canonical = _canonical(result, output)
        if canonical is not missing:
            shown["canonical"] = canonical
        for name in ("sensitive", "reason"):
            if name in result:
                shown[name] = result[name]
        if "identifier_id" in result:
            shown["identifier_id"] = str(result["identifier_id"])
        subjects = _subjects(result, output)
        if subjects is not missing:
            shown["subjects"] = [str(subject) for subject in subjects]
        if "violations_by_category" in result:
            shown["violations_by_category"] = result["violations_by_category"]
        if "open_orders" in result:
            orders = result["open_orders"]
            shown["open_orders"] = {name: orders[name] for name in _OPEN_ORDERS if name in orders}
        presented.append(shown)
    return presented


# ScreeningRead without its results, which present_results writes (see `read_json`).
_ENVELOPE = ScreeningRead(exclude=("results",))


def read_json(answer: Any, output: Output) -> dict[str, Any]:
    """ScreeningRead's dump of an answer or a job, its results written by `present_results`."""
    body: dict[str, Any] = _ENVELOPE.dump(answer)
    results = ScreeningRead.computed["results"](answer, output)
    if results is not missing:
        body["results"] = present_results(results, output)
    return body


class ScreeningJobQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=MAX_ITEMS, validate=validate.Range(min=1, max=MAX_ITEMS))
    sensitive = SensitiveFlag()


class MatchQuery(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    value = fields.String(required=True, validate=validate.Length(min=1, max=2048))


class MatchRead(Schema):
    known = fields.Boolean(metadata={"description": "registered and visible to the caller's agency"})
    reference = fields.String(
        allow_none=True,
        metadata={"description": "opaque case reference to follow up: violation:<id> or link:<id>"},
    )
