"""The seller history as one PostgreSQL statement that builds the answer's JSON.

services.history reads a history in four statements and the presenters turn it into JSON in Python.
This statement makes the same reads with the same rules (`visibility.visible_to_agency`, the block
requests' `blocking.access` rule) and builds the same answer in one round trip, for about half the
CPU (bench/README.md, "The seller history in one statement"). `applies` says when it gives exactly
what the presenters give: on PostgreSQL, when no sensitive value is asked for and the caller may not
read freeze orders (their masking lives in Python); otherwise the view takes the ORM path. The tests
build every history they request on PostgreSQL both ways and require equal answers
(`history_paths_agree` in tests/conftest.py).
"""

from __future__ import annotations

import functools
from typing import Any

import psycopg
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Text,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    select,
    union,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import NotFound, id_or_not_found
from registry.models import (
    Agency,
    BlockRequest,
    BlockTarget,
    Decision,
    Identifier,
    Link,
    RecordShare,
    Subject,
    Violation,
    Visibility,
    block_request_subject,
    violation_identifier,
    violation_subject,
)
from registry.services import visibility
from registry.services.blocking.access import sees_all_but_drafts
from registry.services.blocking.access import visible_to_caller as block_visible_to_caller
from registry.services.freezing.history import readable

_EMPTY = literal_column("'[]'::json")


def _text(value: str) -> ColumnElement[str]:
    """A constant of the statement (our own words, never input) written into its text: with every
    constant a parameter, the statement carried ~190 of them, each converted and sent on every call."""
    return literal_column("'" + value.replace("'", "''") + "'", String())


def _object(**pairs: Any) -> Any:
    """json_build_object with the keys written into the statement's text, in the presenters' order."""
    return func.json_build_object(*[part for key, value in pairs.items() for part in (_text(key), value)])


def _iso(column: Any) -> ColumnElement[str]:
    """A UTC timestamp as Python's isoformat() writes it (no fraction when the microseconds are 0)."""
    written = func.to_char(func.timezone(_text("UTC"), column), _text('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'))
    return func.replace(written, _text(".000000+"), _text("+"))


def _code(agency_id: Any) -> Any:
    return select(Agency.code).where(Agency.id == agency_id).scalar_subquery()


def _list(value: Any, *order: Any, where: Any = None, froms: Any = None) -> Any:
    """A JSON array of `value`, in `order`, `[]` when empty."""
    query = select(func.coalesce(func.json_agg(aggregate_order_by(value, *order)), _EMPTY))
    if froms is not None:
        query = query.select_from(froms)
    if where is not None:
        query = query.where(*where) if isinstance(where, list | tuple) else query.where(where)
    return query.scalar_subquery()


@functools.cache
def _statement(all_but_drafts: bool, is_state: bool) -> Select[Any]:
    """Built once per kind of caller (block-request rule, state body or not); its only parameters are
    the subject and the caller's agency, so its text never changes: the driver converts it once and
    PostgreSQL plans it once per connection."""

    def visible(model: Any) -> Any:
        return visibility.visible_to_agency(model, is_state)

    s = select(Subject.__table__).where(Subject.id == bindparam("subject_id"), visible(Subject)).cte("s")
    links = (
        select(
            Link.__table__,
            Identifier.kind.label("i_kind"),
            Identifier.value.label("i_value"),
            Identifier.display.label("i_display"),
            Identifier.attributes.label("i_attributes"),
            Identifier.created_at.label("i_created_at"),
        )
        .join(Identifier, Identifier.id == Link.identifier_id)
        .where(Link.subject_id == select(s.c.id).scalar_subquery(), visible(Link))
        .cte("l")
    )
    subject_id = select(s.c.id).scalar_subquery()
    identifier_ids = select(links.c.identifier_id)

    def touching(record: Any, subject: Any, record_of_identifier: Any, identifier: Any) -> Any:
        """Ids of the records naming the subject, or one of its visible identifiers (one UNION, as in
        services.history: with OR PostgreSQL would scan every record)."""
        return union(
            select(record).where(subject == subject_id),
            select(record_of_identifier).where(identifier.in_(identifier_ids)),
        )

    v = (
        select(Violation.__table__)
        .where(
            Violation.id.in_(
                touching(
                    violation_subject.c.violation_id,
                    violation_subject.c.subject_id,
                    violation_identifier.c.violation_id,
                    violation_identifier.c.identifier_id,
                )
            ),
            visible(Violation),
        )
        .cte("v")
    )
    b = (
        select(BlockRequest.__table__)
        .where(
            BlockRequest.id.in_(
                touching(
                    block_request_subject.c.request_id,
                    block_request_subject.c.subject_id,
                    BlockTarget.request_id,
                    BlockTarget.identifier_id,
                )
            ),
            block_visible_to_caller(all_but_drafts),
        )
        .cte("b")
    )

    subject = (
        select(
            _object(
                id=s.c.id,
                kind=s.c.kind,
                name=s.c.name,
                tax_code=s.c.tax_code,
                personal_id=None,
                has_personal_id=s.c.personal_id_hash.is_not(None),
                business_registration=s.c.business_registration,
                addresses=s.c.addresses,
                province=s.c.province,
                created_by=_code(s.c.owner_agency_id),
                visibility=s.c.visibility,
                created_at=_iso(s.c.created_at),
                updated_at=_iso(s.c.updated_at),
            )
        )
        .select_from(s)
        .scalar_subquery()
    )
    identifiers = _list(
        _object(
            id=links.c.id,
            subject_id=links.c.subject_id,
            identifier_id=links.c.identifier_id,
            identifier=_object(
                id=links.c.identifier_id,
                kind=links.c.i_kind,
                value=links.c.i_value,
                display=links.c.i_display,
                sensitive=links.c.i_value.is_(None),
                attributes=links.c.i_attributes,
                created_at=_iso(links.c.i_created_at),
            ),
            asserted_by=_code(links.c.owner_agency_id),
            confidence=links.c.confidence,
            source=links.c.source,
            first_seen=_iso(links.c.first_seen),
            last_seen=_iso(links.c.last_seen),
            note=links.c.note,
            visibility=links.c.visibility,
            created_at=_iso(links.c.created_at),
        ),
        links.c.first_seen,
        links.c.id,
        froms=links,
    )
    referenced_subjects = _list(
        Subject.id,
        Subject.created_at,
        Subject.id,
        froms=violation_subject.join(Subject, Subject.id == violation_subject.c.subject_id),
        where=[violation_subject.c.violation_id == v.c.id, visible(Subject)],
    )
    referenced_identifiers = _list(
        Identifier.id,
        Identifier.created_at,
        Identifier.id,
        froms=violation_identifier.join(Identifier, Identifier.id == violation_identifier.c.identifier_id),
        where=[
            violation_identifier.c.violation_id == v.c.id,
            visibility.identifier_visible_to_agency(is_state),
        ],
    )
    decision_visible = exists().where(Decision.id == v.c.sanction_decision_id, visible(Decision))
    shared_with = case(
        (
            v.c.visibility == _text(Visibility.NAMED.value),
            _list(
                Agency.code,
                Agency.code,
                froms=RecordShare.__table__.join(Agency, Agency.id == RecordShare.agency_id),
                where=[
                    RecordShare.record_type == _text(Violation.record_type),
                    RecordShare.record_id == v.c.id,
                ],
            ),
        ),
        else_=_EMPTY,
    )
    violations = _list(
        _object(
            id=v.c.id,
            subjects=referenced_subjects,
            identifiers=referenced_identifiers,
            categories=v.c.categories,
            goods_groups=v.c.goods_groups,
            summary=v.c.summary,
            detected_by=_code(v.c.owner_agency_id),
            detected_at=_iso(v.c.detected_at),
            province=v.c.province,
            status=v.c.status,
            sanction_decision_id=case((decision_visible, v.c.sanction_decision_id), else_=None),
            sanction_reference=v.c.sanction_reference,
            fine_vnd=v.c.fine_vnd,
            tax_recovered_vnd=v.c.tax_recovered_vnd,
            goods_value_vnd=v.c.goods_value_vnd,
            visibility=v.c.visibility,
            shared_with=shared_with,
            created_at=_iso(v.c.created_at),
            updated_at=_iso(v.c.updated_at),
        ),
        v.c.detected_at,
        v.c.id,
        froms=v,
    )
    target_displays = (
        select(func.string_agg(BlockTarget.display, aggregate_order_by(_text(", "), BlockTarget.position)))
        .where(BlockTarget.request_id == b.c.id)
        .scalar_subquery()
    )
    block_requests = _list(
        _object(
            id=b.c.id,
            action=b.c.action,
            state=b.c.state,
            urgent=b.c.urgent,
            submitted_by=_code(b.c.owner_agency_id),
            valid_from=_iso(b.c.valid_from),
            valid_until=_iso(b.c.valid_until),
            targets=_list(BlockTarget.display, BlockTarget.position, where=BlockTarget.request_id == b.c.id),
            mirror_of=b.c.mirror_of_id,
            created_at=_iso(b.c.created_at),
        ),
        b.c.created_at,
        b.c.id,
        froms=b,
    )
    categories = literal_column(
        "(SELECT string_agg(c.value, ', ' ORDER BY c.n) FROM jsonb_array_elements_text(v.categories) "
        "WITH ORDINALITY AS c(value, n))",
        Text,
    )
    events = union_all(
        select(
            s.c.created_at.label("at"),
            _text("subject_registered").label("kind"),
            s.c.id,
            s.c.owner_agency_id.label("agency_id"),
            s.c.name.label("summary"),
        ),
        select(
            links.c.first_seen,
            _text("identifier_linked"),
            links.c.id,
            links.c.owner_agency_id,
            links.c.i_kind + _text(" ") + links.c.i_display + _text(" (") + links.c.source + _text(")"),
        ),
        select(
            v.c.detected_at,
            _text("violation"),
            v.c.id,
            v.c.owner_agency_id,
            func.coalesce(categories, _text("")) + _text(": ") + v.c.status,
        ),
        select(
            b.c.created_at,
            _text("block_request"),
            b.c.id,
            b.c.owner_agency_id,
            func.replace(b.c.action, _text("_"), _text(" "))
            + _text(" ")
            + func.coalesce(target_displays, _text(""))
            + _text(": ")
            + b.c.state,
        ),
    ).subquery("e")
    timeline = _list(
        _object(
            at=_iso(events.c.at),
            kind=events.c.kind,
            id=events.c.id,
            agency=_code(events.c.agency_id),
            summary=events.c.summary,
        ),
        events.c.at,
        events.c.kind.collate("C"),
        cast(events.c.id, Text).collate("C"),
        froms=events,
    )
    answer = _object(
        subject=subject,
        identifiers=identifiers,
        violations=violations,
        orders=_object(block_requests=block_requests, freeze_orders=_EMPTY, transaction_delays=_EMPTY),
        timeline=timeline,
    )
    # No visible subject: no row at all, as the ORM path's NotFound.
    return select(cast(answer, Text)).where(exists(select(s.c.id)))


def applies(session: Session, principal: Principal, *, revealed: bool) -> bool:
    """Whether `answer` can give the presenters' exact answer for this caller."""
    return (
        session.get_bind().dialect.name == "postgresql" and not revealed and not readable(session, principal)
    )


@functools.cache
def _sql(all_but_drafts: bool, is_state: bool) -> str:
    """The statement as PostgreSQL's own text ($1 the subject, $2 the caller's agency), compiled once.

    It runs on a raw cursor of the session's connection, in the request's transaction: at 14 KB the
    text is beyond what psycopg caches when it turns named placeholders into PostgreSQL's, so through
    SQLAlchemy it was parsed again on every request.
    """
    compiled = _statement(all_but_drafts, is_state).compile(dialect=postgresql.psycopg.dialect())
    sql = compiled.string.replace("%(subject_id)s", "$1").replace("%(caller_agency_id)s", "$2")
    for name, value in compiled.params.items():  # constants of the rules it reuses, e.g. 'draft'
        if name not in ("subject_id", "caller_agency_id"):
            sql = sql.replace(f"%({name})s", compiled.render_literal_value(value, compiled.binds[name].type))
    sql = sql.replace("%%", "%")
    assert "%(" not in sql, sql
    return sql


def answer(session: Session, *, principal: Principal, subject_id: Any) -> str:
    """The seller history's JSON text (HistoryRead), as services.history and the presenters give it."""
    key = id_or_not_found(subject_id, Subject.record_type)
    driver = session.connection().connection.driver_connection
    with psycopg.RawCursor(driver) as cursor:
        cursor.execute(_sql(sees_all_but_drafts(principal), principal.is_state), (key, principal.agency_id))
        found = cursor.fetchone()
    if found is None:
        raise NotFound(f"No {Subject.record_type} with id {key}.")
    return found[0]
