"""Per-request state: the database session, the caller, the purpose of access and the audit facts.

Every request gets one session. The handler loads, checks access and acts; the domain flushes; and
`finish_request` is the one place that commits, together with the request's audit entry.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from flask import Response, current_app, g, request
from flask import session as cookie
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.exceptions import UnsupportedMediaType

from registry.audit.recorder import AuditEvent, change_hash, record
from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.errors import PermissionDenied, Unauthenticated, ValidationFailed
from registry.messages import msg
from registry.replica import format_lsn, parse_lsn
from registry.schemas.common import sensitive_requested
from registry.schemas.output import Output, dumping
from registry.schemas.output import current as current_output

JSON_TYPES = ("application/json",)

log = logging.getLogger(__name__)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def app_state() -> Any:
    return current_app.extensions["registry"]


def writes_on_read(view: Callable) -> Callable:
    """Mark a GET that writes (a feed's serial bumped when its content changed; the audit log's reads,
    which sequence what is committed first): it gets a transaction, like a write."""
    view.writes_on_read = True  # type: ignore[attr-defined]
    return view


def replica_reads(view: Callable) -> Callable:
    """Mark a read whose answer may be a moment old (a list, a history, a search, a report, the public
    check and list): with `REGISTRY_READ_DATABASE_URL` its SELECTs of the domain's tables are answered
    by the streaming replica (registry.replica: never the access checks, the audit log or a write).
    Not for a view marked `writes_on_read`, nor for one resource read by its id, which a client reads
    right after writing it; those stay on the primary. The one list of what is marked:
    deploy/README.md, "From one machine to many"."""
    view.replica_reads = True  # type: ignore[attr-defined]
    return view


POSITION = "X-Registry-Position"
_CONSOLE_POSITION = "registry_position"  # the console's session cookie carries its officer's position


def _reads_only() -> bool:
    if request.method in WRITE_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "writes_on_read", False)


def _written_at() -> int | None:
    """The WAL position the caller's last write committed at, as it sends it back (`X-Registry-Position`,
    or the console's session): its reads wait for a replica that has replayed it, or go to the primary."""
    sent = request.headers.get(POSITION)
    if sent is None and request.blueprint == "console":
        sent = cookie.get(_CONSOLE_POSITION)
    return parse_lsn(sent) if isinstance(sent, str) else None


def _may_use_replica() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    replica = app_state().replica
    return (
        replica is not None
        and getattr(view, "replica_reads", False)
        and not getattr(view, "writes_on_read", False)
        and replica.usable(_written_at())
    )


def db() -> Session:
    """The request's session. A request that is not a write (GET, HEAD, OPTIONS) may write nothing but
    its audit entry (`RegistryState.read_session`, unless its view is marked `writes_on_read`): on
    PostgreSQL it runs in autocommit, without the BEGIN and COMMIT round trips, and the entry commits
    in its one statement. A read marked `replica_reads` may also read from the replica."""
    if "session" not in g:
        state = app_state()
        if _reads_only():
            g.session = state.read_session(replica=_may_use_replica())
        else:
            g.session = state.sessionmaker()
    return g.session


def _tell_position(session: Session, response: Response) -> None:
    """After a write commits, with a replica configured: the WAL position it committed at, in
    `X-Registry-Position` (and the console's session), for the caller's next reads to wait for."""
    found = session.connection().scalar(text("SELECT pg_current_wal_lsn()::text"))
    position = parse_lsn(found) if found else None
    if position is None:
        return
    response.headers[POSITION] = format_lsn(position)
    if request.blueprint == "console":
        cookie[_CONSOLE_POSITION] = format_lsn(position)


def caller() -> Principal:
    principal = g.get("principal")
    if principal is None:  # only reachable if a view forgot its @access decorator
        raise Unauthenticated("no authenticated caller")
    return principal


def audit_resource(resource_type: str, resource_id: Any) -> None:
    g.audit_resource = (resource_type, str(resource_id))


def audit_subjects(subject_ids: Iterable[Any]) -> None:
    """Subjects the request reached besides its resource (found by `resource=subject:<id>` searches).

    Answers dumped by a Read schema record theirs as they dump (schemas.output.Output.reach); this is
    for what a view knows itself, e.g. the subject a list was filtered on, even when nothing matched."""
    g.setdefault("audit_subjects", set()).update(str(subject_id) for subject_id in subject_ids)


def audit_only_resource() -> None:
    """The request is recorded as a read of its resource alone, whatever its answer refers to: the
    seller history, whose two paths (services.history_json, or the Read schemas) must audit alike."""
    g.audit_only_resource = True


def audit_change(payload: Any) -> None:
    g.audit_change = change_hash(payload)


def audit_change_digest(digest: str) -> None:
    """`audit_change` for a view that holds the payload's change_hash already (a screening's list hash)."""
    g.audit_change = digest


def audit_detail(**facts: Any) -> None:
    g.setdefault("audit_detail", {}).update(facts)


def start_request() -> None:
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(12)


def bearer_token() -> str | None:
    """The access token of the request's `Authorization: Bearer` header, None if it sends none."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def authenticate() -> Principal:
    token = bearer_token()
    if token is None:
        raise Unauthenticated("a bearer access token is required")
    principal = app_state().authenticate(db(), token)
    g.principal = principal
    return principal


PURPOSE = "X-Purpose"
PURPOSE_EXTENDED = "X-Purpose*"
PURPOSE_LENGTH = (3, 300)
# RFC 8187 ext-value, UTF-8 only: `UTF-8'<language>'<value>`, the value percent-encoded. Visible ASCII other
# than `%` is taken as itself (RFC 8187 wants all but attr-char encoded; `urllib.parse.quote` leaves `/`).
_EXT_VALUE = re.compile(
    r"^UTF-8'[A-Za-z0-9-]{0,35}'((?:%[0-9A-Fa-f]{2}|[\x21-\x24\x26-\x7e])*)$", re.IGNORECASE
)
# Characters a purpose may not hold: controls (C0, DEL, C1), format characters (bidi embeddings,
# overrides, isolates and marks; zero-width space, joiners, BOM; soft hyphen), line and paragraph
# separators, surrogates and private use. They make an audit entry read other than it is stored.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


class PurposeError(ValueError):
    """Why a purpose header cannot be read: said without echoing the value."""


def decode_purpose(value: str, *, extended: bool) -> str:
    """The text of a purpose header as the WSGI server gives it (PEP 3333: its bytes as Latin-1).

    `X-Purpose*` (extended) is an RFC 8187 ext-value in UTF-8, percent-decoded; so is an `X-Purpose`
    that starts `UTF-8''`. Otherwise `X-Purpose` is its raw bytes decoded as UTF-8: Vietnamese has
    letters Latin-1 lacks (Đ, ư, ơ, ế, ...), so clients that send raw text send UTF-8, and non-ASCII
    Latin-1 text is practically never valid UTF-8. Bytes that are not UTF-8 are refused rather than
    guessed at: the audit must record what the caller meant.
    The text is NFC-normalised (a decomposed "ế" is stored composed), stripped, and must be 3-300
    characters without control, bidi or zero-width characters."""
    # An RFC 8187 ext-value is read as such in X-Purpose too: a client generated from the OpenAPI
    # document has one purpose parameter (X-Purpose and X-Purpose* make one Python name).
    if extended or value.strip()[:7].upper() == "UTF-8''":
        found = _EXT_VALUE.match(value.strip())
        if found is None:
            raise PurposeError("Send UTF-8'' followed by the percent-encoded UTF-8 text (RFC 8187).")
        raw = urllib.parse.unquote_to_bytes(found.group(1))
    else:
        try:
            raw = value.encode("latin-1")
        except UnicodeEncodeError:  # not from a WSGI server: already text
            raw = value.encode("utf-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PurposeError(
            "Not UTF-8: send the text as UTF-8, or percent-encoded in X-Purpose* (UTF-8''...)."
        ) from None
    return purpose_text(text)


def purpose_text(text: str) -> str:
    """A purpose as recorded: NFC, stripped, 3-300 characters without control, bidi or zero-width
    characters (PurposeError otherwise). The console's case field is checked by the same rule."""
    text = unicodedata.normalize("NFC", text).strip()
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in text):
        raise PurposeError("Control, bidirectional and zero-width characters are not allowed.")
    low, high = PURPOSE_LENGTH
    if not low <= len(text) <= high:
        raise PurposeError(
            msg("A purpose is {low}-{high} characters (a case or decision number).", low=low, high=high)
        )
    return text


def sent_purpose() -> str | None:
    """The request's purpose of access, decoded (see decode_purpose), None if it sends none; a 422
    naming the header if it cannot be read. `X-Purpose*` wins over `X-Purpose` (RFC 8187 section 4.2)."""
    for header, extended in ((PURPOSE_EXTENDED, True), (PURPOSE, False)):
        value = request.headers.get(header)
        if value is None or not value.strip():
            continue
        try:
            return decode_purpose(value, extended=extended)
        except PurposeError as exc:
            raise ValidationFailed(
                msg("The {header} header cannot be read.", header=header), errors={header: [str(exc)]}
            ) from None
    return None


def require_purpose(principal: Principal) -> str:
    purpose = sent_purpose()
    if purpose is None:
        raise ValidationFailed(
            "This request needs a purpose of access in the X-Purpose header (a case or decision number).",
            errors={PURPOSE: ["Missing: a case or decision number, 3-300 characters."]},
        )
    g.purpose = purpose
    return purpose


def json_text(text: str, status: int = 200) -> Response:
    """JSON the database wrote already (services.history_json), as the response."""
    return current_app.response_class(text, status, mimetype="application/json")


def reveal(requested: bool) -> bool:
    """Whether the answer shows sensitive values in full: asked for (the guard has required a purpose)
    and allowed by the scope. The Read schemas of this request then show them."""
    if requested and not caller().has(Scope.REGISTRY_READ_SENSITIVE):
        raise PermissionDenied(
            "Sensitive values need the scope registry:read_sensitive.",
            required_scope=Scope.REGISTRY_READ_SENSITIVE.value,
        )
    current_output().revealed = requested
    return requested


def wants_sensitive() -> bool:
    """`?sensitive=` as the query schemas read it (schemas.common.SensitiveFlag): one parser of the flag,
    so no spelling of true reveals without the purpose the guard requires for it."""
    return sensitive_requested(request.args.get("sensitive"))


def check_content_type(accepted: tuple[str, ...]) -> None:
    """415 for a body of a type the view does not take (JSON unless the view says otherwise)."""
    if request.method not in WRITE_METHODS or not (request.content_length or request.data):
        return
    mimetype = request.mimetype
    if mimetype in accepted or (mimetype.endswith("+json") and "application/json" in accepted):
        return
    raise UnsupportedMediaType(
        f"This endpoint takes {' or '.join(accepted)}, not {mimetype or 'an untyped body'}."
    )


ScopeRequirement = str | tuple[str, ...] | None


def scopes_of(scope: ScopeRequirement) -> tuple[str, ...]:
    if scope is None:
        return ()
    return (scope,) if isinstance(scope, str) else tuple(scope)


def guard(action: str, scope: ScopeRequirement, *, purpose: bool | None = None) -> Callable:
    """Authenticate, check the scope, require a purpose where needed, and name the audit action.

    `scope` is one scope, a tuple of which any one will do, or None for any valid token.
    `purpose=None` means: required for writes and for sensitive reads (`?sensitive=true`).
    """
    accepted = scopes_of(scope)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.audit_action = action
            principal = authenticate()
            if accepted and not any(principal.has(one) for one in accepted):
                needed = " or ".join(accepted)
                raise PermissionDenied(
                    msg("This needs the scope {needed}.", needed=needed), required_scope=needed
                )
            check_content_type(getattr(view, "content_types", JSON_TYPES))
            needs_purpose = (
                purpose if purpose is not None else (request.method in WRITE_METHODS or wants_sensitive())
            )
            if needs_purpose:
                require_purpose(principal)
            else:
                g.purpose = sent_purpose()
            with dumping(Output(session=db(), cipher=app_state().cipher, principal=principal)) as output:
                g.output = output
                return view(*args, **kwargs)

        wrapper.required_scope = scope  # type: ignore[attr-defined]
        return wrapper

    return decorator


def public_guard(action: str, *, lookup: bool = False) -> Callable:
    """For the few forms anyone may send without a token (a site owner's complaint): no caller, the
    stricter per-address limit of `api.limits.check_public_form`, the body's content type, and the audit
    action like every other request. A token sent anyway is ignored. `lookup`: a public read (the
    check of a website, the range query, the list of violators), counted against the look-ups' own
    per-address limit (`api.limits.check_public_lookup`) instead."""
    from registry.api.limits import check_public_form, check_public_lookup

    check_public = check_public_lookup if lookup else check_public_form

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.audit_action = action
            limited = check_public()
            if limited is not None:
                return limited
            check_content_type(getattr(view, "content_types", JSON_TYPES))
            with dumping(Output(session=db(), cipher=app_state().cipher, principal=None)):
                return view(*args, **kwargs)

        wrapper.public = True  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _reached(outcome: str, resource: tuple[str | None, str | None]) -> tuple[str, ...] | None:
    """The subjects an allowed answer reached besides its resource, sorted; None for none."""
    output: Output | None = g.get("output")
    if outcome != "allowed" or g.get("audit_only_resource"):
        return None
    reached = set(g.get("audit_subjects", ())) | (output.reached if output is not None else set())
    if resource[0] == "subject":
        reached.discard(resource[1])  # the resource column finds it already
    return tuple(sorted(reached)) or None


def _event(outcome: str, status: int) -> AuditEvent:
    principal: Principal | None = g.get("principal")
    resource = g.get("audit_resource") or (None, None)
    output: Output | None = g.get("output")
    return AuditEvent(
        action=g.audit_action,
        outcome=outcome,
        agency=principal.agency if principal else None,
        client_id=principal.client_id if principal else None,
        officer=principal.officer if principal else None,
        resource_type=resource[0],
        resource_id=resource[1],
        purpose=g.get("purpose"),
        request_id=g.get("request_id"),
        status_code=status,
        change_hash=g.get("audit_change"),
        detail=g.get("audit_detail"),
        method=request.method,
        path=request.path,
        subjects=_reached(outcome, resource),
        revealed=True if output is not None and output.revealed and outcome == "allowed" else None,
    )


def finish_request(response: Response) -> Response:
    """Commit the request's work with its audit entry, or roll it back and audit the failure."""
    from registry.api.problems import problem

    response.headers["X-Request-Id"] = g.get("request_id", "")
    session: Session | None = g.pop("session", None)
    audited = "audit_action" in g
    if session is None and not audited:
        return response
    session = session or app_state().sessionmaker()
    try:
        if response.status_code < 400:
            if audited:
                record(session, _event("allowed", response.status_code))
            session.commit()
            if app_state().replica is not None and request.method in WRITE_METHODS:
                try:
                    _tell_position(session, response)
                except SQLAlchemyError as exc:  # committed already: the write stands, unpositioned
                    session.rollback()
                    log.warning("could not read the WAL position (%s)", type(exc).__name__)
            return response
        session.rollback()
        if audited:
            outcome = "denied" if response.status_code in (401, 403, 404, 429) else "error"
            record(session, _event(outcome, response.status_code))
            session.commit()
        return response
    except SQLAlchemyError:
        session.rollback()
        log.exception("could not commit request %s", g.get("request_id"))
        if current_app.testing:
            raise
        refused = problem(
            503,
            "database-unavailable",
            msg("The registry could not record this request; nothing was changed."),
        )
        refused.headers["Retry-After"] = "1"
        return refused
    finally:
        session.close()


def teardown(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("session", None)
    if session is not None:
        session.rollback()
        session.close()
