"""The seller history as one PostgreSQL statement that builds HistoryRead's JSON.

services.history reads a history in four statements and HistoryRead dumps it in Python. This
statement makes the same reads with the same rules (`visibility.visible_to_agency`, the block
requests' `blocking.access` rule) and builds the same answer in one round trip, for about half the
CPU (bench/README.md, "The seller history in one statement"). Its objects are not written by hand:
`_from_schema` walks each Read schema's fields (SubjectRead, LinkRead, IdentifierRead, ViolationRead,
EventRead, ...) and takes each from the column the field names, so the schemas stay the only
definition of the output; only the values a schema computes in Python are given here in SQL.
`applies` says when the statement gives exactly what the schema gives: on PostgreSQL, when no
sensitive value is asked for and the caller may not read freeze orders (their masking lives in Python);
otherwise the view takes the ORM path. The tests build every history they request on PostgreSQL both
ways and require equal answers (`history_paths_agree` in tests/conftest.py).
"""

from __future__ import annotations

import functools
from typing import Any

import psycopg
from marshmallow import Schema, fields
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    Text,
    and_,
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
from registry.errors import NotFound, id_or_not_found, record_name
from registry.messages import msg
from registry.models import (
    Agency,
    BlockRequest,
    BlockTarget,
    Decision,
    Identifier,
    Link,
    RecordShare,
    Referral,
    Subject,
    TaxRecovery,
    Violation,
    Visibility,
    block_request_subject,
    violation_identifier,
    violation_subject,
)
from registry.models.blocking import BlockState
from registry.schemas.blocking import BlockRequestHistoryItem
from registry.schemas.identifiers import IdentifierRead
from registry.schemas.output import AgencyCode
from registry.schemas.subjects import EventRead, HistoryRead, LinkRead, OrdersRead, SubjectRead
from registry.schemas.violations import (
    AcknowledgementRead,
    DecisionRef,
    ReferralRead,
    TaxRecoveryRead,
    ViolationRead,
)
from registry.services import visibility
from registry.services.blocking.access import sees_all_but_drafts
from registry.services.blocking.access import visible_to_caller as block_visible_to_caller
from registry.services.blocking.expiry import EXPIRING
from registry.services.freezing.history import readable

_EMPTY: ColumnElement[Any] = literal_column("'[]'::json")


def _text(value: str) -> ColumnElement[str]:
    """A constant of the statement (our own words, never input) written into its text: with every
    constant a parameter, the statement carried ~190 of them, each converted and sent on every call."""
    return literal_column("'" + value.replace("'", "''") + "'", String())


def _object(**pairs: Any) -> Any:
    """json_build_object with the keys written into the statement's text, in the given order."""
    return func.json_build_object(*[part for key, value in pairs.items() for part in (_text(key), value)])


def _from_schema(schema: type[Schema], columns: Any, **sql: Any) -> Any:
    """The JSON object `schema` dumps, built by the statement: the schema's fields in its order, each
    from the column its `attribute` names (dates as `_iso`, agency codes as `_code`). Fields whose value
    the schema computes in Python (`OutputSchema.computed`), nested objects and lists of references
    have no column: `sql` gives their SQL, and a field without either is an error when the statement is
    built (tests/api/test_history_statement.py builds every variant on both databases), so a field added
    to a Read schema cannot be left out of the history's answer."""
    computed = getattr(schema, "computed", {})
    pairs: dict[str, Any] = {}
    for name, field in schema._declared_fields.items():
        attribute = field.attribute or name
        key = field.data_key or name
        if key in sql:
            pairs[key] = sql[key]
        elif attribute in computed or isinstance(field, fields.Nested | fields.Method | fields.Function):
            raise LookupError(f"{schema.__name__}.{name} is computed in Python: give history_json its SQL")
        elif isinstance(field, AgencyCode):
            pairs[key] = _code(columns[attribute])
        elif isinstance(field, fields.DateTime):
            pairs[key] = _iso(columns[attribute])
        else:
            pairs[key] = columns[attribute]
    unused = set(sql) - set(pairs)
    assert not unused, f"{schema.__name__} has no fields {sorted(unused)}"
    return _object(**pairs)


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
    # The identifier's columns as IdentifierRead names them (the link CTE carries them as i_*).
    identifier_columns = {
        "id": links.c.identifier_id,
        "kind": links.c.i_kind,
        "value": links.c.i_value,
        "display": links.c.i_display,
        "attributes": links.c.i_attributes,
        "created_at": links.c.i_created_at,
    }
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
            _from_schema(
                SubjectRead,
                s.c,
                personal_id=None,  # only revealed, and a revealing caller takes the ORM path
                has_personal_id=s.c.personal_id_hash.is_not(None),
            )
        )
        .select_from(s)
        .scalar_subquery()
    )
    identifiers = _list(
        _from_schema(
            LinkRead,
            links.c,
            identifier=_from_schema(
                IdentifierRead,
                identifier_columns,
                # Sensitive values are stored only encrypted (value null) and shown only when revealed,
                # which takes the ORM path.
                value=links.c.i_value,
                sensitive=links.c.i_value.is_(None),
            ),
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

    def decision_ref(decision_id: Any) -> Any:
        """DecisionRef of the decision, or null when the caller may not see it."""
        return (
            select(_from_schema(DecisionRef, Decision.__table__.c, issued_on=Decision.issued_on))
            .where(Decision.id == decision_id, visible(Decision))
            .scalar_subquery()
        )

    tax = TaxRecovery.__table__
    tax_recoveries = _list(
        _from_schema(TaxRecoveryRead, tax.c),
        tax.c.recorded_at,
        tax.c.id,
        froms=tax,
        where=tax.c.violation_id == v.c.id,
    )
    tax_total = v.c.tax_recovered_vnd + cast(
        select(func.coalesce(func.sum(tax.c.amount_vnd), 0))
        .where(tax.c.violation_id == v.c.id)
        .scalar_subquery(),
        BigInteger,
    )
    r = Referral.__table__
    acknowledgement = case(
        (
            r.c.acknowledged_at.is_not(None),
            _from_schema(AcknowledgementRead, r.c, received_on=r.c.received_on),
        ),
        else_=None,
    )
    referrals = _list(
        _from_schema(
            ReferralRead, r.c, decision=decision_ref(r.c.decision_id), acknowledgement=acknowledgement
        ),
        r.c.referred_at,
        r.c.id,
        froms=r,
        where=r.c.violation_id == v.c.id,
    )
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
        _from_schema(
            ViolationRead,
            v.c,
            subjects=referenced_subjects,
            identifiers=referenced_identifiers,
            sanction_decision_id=case((decision_visible, v.c.sanction_decision_id), else_=None),
            sanction_decision=decision_ref(v.c.sanction_decision_id),
            tax_recoveries=tax_recoveries,
            tax_recovered_total_vnd=tax_total,
            referrals=referrals,
            shared_with=shared_with,
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
    # The state a reader sees (blocking.expiry.shown_state): expired once the validity has ended, even
    # before the workflows' tick records it.
    shown_state = case(
        (
            and_(b.c.state.in_([_text(s) for s in EXPIRING]), b.c.valid_until <= func.now()),
            _text(BlockState.EXPIRED),
        ),
        else_=b.c.state,
    )
    block_requests = _list(
        _from_schema(
            BlockRequestHistoryItem,
            b.c,
            state=shown_state,
            targets=_list(BlockTarget.display, BlockTarget.position, where=BlockTarget.request_id == b.c.id),
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
            + shown_state,
        ),
        # A visible case's referrals to the police and their receipt (services.history.referral_events).
        select(
            r.c.referred_at,
            _text("criminal_referral"),
            r.c.id,
            r.c.referring_agency_id,
            _text("case referred to ") + func.coalesce(_code(r.c.police_agency_id), _text("")),
        ).where(r.c.violation_id.in_(select(v.c.id))),
        select(
            r.c.acknowledged_at,
            _text("referral_acknowledged"),
            r.c.id,
            r.c.police_agency_id,
            _text("received by ")
            + func.coalesce(_code(r.c.police_agency_id), _text(""))
            + _text(" as ")
            + r.c.police_reference,
        ).where(r.c.violation_id.in_(select(v.c.id)), r.c.acknowledged_at.is_not(None)),
    ).subquery("e")
    timeline = _list(
        _from_schema(EventRead, events.c, agency=_code(events.c.agency_id)),
        events.c.at,
        events.c.kind.collate("C"),
        cast(events.c.id, Text).collate("C"),
        froms=events,
    )
    # Freeze sections: empty, since the statement answers only callers who read no freeze orders.
    orders = _from_schema(OrdersRead, {}, block_requests=block_requests, freeze_orders=_EMPTY,
                          transaction_delays=_EMPTY)  # fmt: skip
    answer = _from_schema(
        HistoryRead,
        {},
        subject=subject,
        identifiers=identifiers,
        violations=violations,
        orders=orders,
        timeline=timeline,
    )
    # No visible subject: no row at all, as the ORM path's NotFound.
    return select(cast(answer, Text)).where(exists(select(s.c.id)))


def applies(session: Session, principal: Principal, *, revealed: bool) -> bool:
    """Whether `answer` can give HistoryRead's exact answer for this caller."""
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
    """The seller history's JSON text, as HistoryRead dumps services.history's answer."""
    key = id_or_not_found(subject_id, Subject.record_type)
    driver = session.connection().connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    with psycopg.RawCursor(driver) as cursor:
        cursor.execute(_sql(sees_all_but_drafts(principal), principal.is_state), (key, principal.agency_id))
        found = cursor.fetchone()
    if found is None:
        raise NotFound(msg("No {what} with id {value}.", what=record_name(Subject.record_type), value=key))
    return found[0]
