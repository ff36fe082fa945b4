"""Recording written decisions, storing the document they rest on, and finding them for later use."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.db import utcnow
from registry.errors import (
    Conflict,
    DecisionNotGrounding,
    Duplicate,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from registry.messages import msg
from registry.models import (
    Agency,
    Decision,
    DecisionDocument,
    IssuerConfirmation,
    SignatureStatus,
    Visibility,
)
from registry.services import pdfcheck, signatures, visibility

PDF = "application/pdf"


def normalise_number(number: str) -> str:
    """`123 / QĐ-CSKT` and `123/QĐ-CSKT` are the same document number."""
    return re.sub(r"\s*/\s*", "/", " ".join(number.split()))


def agency_id(session: Session, code: str, field: str) -> int:
    found = session.scalar(select(Agency.id).where(Agency.code == code))
    if found is None:
        raise ValidationFailed(
            msg("Unknown agency {code}.", code=code), errors={field: [f"unknown agency {code}"]}
        )
    return found


def find_duplicate(
    session: Session, *, issuer_agency_id: int, number: str, issued_on: date
) -> Decision | None:
    return session.scalars(
        select(Decision).where(
            Decision.issuer_agency_id == issuer_agency_id,
            Decision.number == number,
            Decision.issued_on == issued_on,
        )
    ).first()


def _sharing_with_issuer(visibility: str, shared_with: list[str], issuer: str) -> tuple[str, list[str]]:
    """A record made on the issuer's behalf is shown to the issuer, which must confirm it."""
    if visibility == Visibility.OWNER:
        return Visibility.NAMED, [issuer]
    if visibility == Visibility.NAMED and issuer not in shared_with:
        return visibility, [*shared_with, issuer]
    return visibility, shared_with


def create(session: Session, *, principal: Principal, data: dict[str, Any]) -> Decision:
    """A new decision owned by the caller's agency; the same issuer, number and date is a 409.

    The issuer is the caller's agency unless `issuer` names another body: the record is then made on
    that body's behalf, shown to it, and `pending` until it confirms (`confirm`); nothing rests on it
    before.
    """
    fields = dict(data)
    issuer_code = fields.pop("issuer", None) or principal.agency
    on_behalf = issuer_code != principal.agency
    sharing = fields.pop("visibility"), fields.pop("shared_with")
    if on_behalf:
        sharing = _sharing_with_issuer(*sharing, issuer_code)
    issuer_id = agency_id(session, issuer_code, "issuer")
    number = normalise_number(fields.pop("number"))
    existing = find_duplicate(
        session, issuer_agency_id=issuer_id, number=number, issued_on=fields["issued_on"]
    )
    if existing is not None:
        visible = session.scalar(
            select(Decision.id).where(
                Decision.id == existing.id, visibility.record_visible(Decision, principal)
            )
        )
        if visible is None:
            # Do not hand out the id of a record the caller may not see; the number alone they already hold.
            raise Conflict(
                "This decision is already registered by another agency and not shared with you; "
                "ask the recording agency to share it."
            )
        raise Duplicate("This decision is already registered.", existing=str(existing.id))
    fields["document_sha256"] = fields["document_sha256"].lower()
    decision = Decision(
        **fields,
        number=number,
        issuer_agency_id=issuer_id,
        owner_agency_id=principal.agency_id,
        recorded_by=principal.actor,
        issuer_confirmation=IssuerConfirmation.PENDING if on_behalf else IssuerConfirmation.OWN,
        signature_status=SignatureStatus.UNCHECKED,
        signatures=[],
    )
    try:
        with session.begin_nested():  # a concurrent registration of the same document loses here
            session.add(decision)
    except IntegrityError:
        raise Conflict("This decision was registered by someone else at the same moment.") from None
    visibility.initialise(session, decision, principal, *sharing)
    session.flush()
    return decision


def get_decision_for_use(session: Session, decision_id: uuid.UUID | str, principal: Principal) -> Decision:
    """The decision if the caller may see it, else NotFound (missing and hidden look the same).

    The one entry point for workflows (blocking, freezing, sanctions) that rest on a decision.
    """
    return visibility.load_visible(session, Decision, decision_id, principal)


def require_grounding(decision: Decision, *, field: str = "decision_id") -> None:
    """Refuse (422 `decision-not-grounding`) unless `decision` can ground a step: a block request, a freeze
    order, a lift, an amendment, an appeal's outcome or a mirror extension.

    It can when its document is stored, its issuing body recorded or confirmed it, and the document's
    signatures verify against the trust list (or a reviewing officer overrode the failure), or it
    carries none (an unsigned scan, shown as such).

    The one check every workflow calls wherever it rests a step on a decision, at submission, approval
    and dispatch alike.
    """
    problems = []
    if decision.document_id is None:
        problems.append("its document has not been uploaded (PUT /decisions/{id}/document)")
    if decision.issuer_confirmation == IssuerConfirmation.PENDING:
        problems.append(
            "it was recorded on the issuing body's behalf and the issuing body has not confirmed it"
        )
    elif decision.issuer_confirmation == IssuerConfirmation.REFUSED:
        problems.append("the issuing body refused to confirm it")
    if decision.document_id is not None and decision.signature_status == SignatureStatus.UNCHECKED:
        problems.append("its signatures have not been checked (registry decisions check-signatures)")
    if decision.signature_status == SignatureStatus.FAILED and decision.signature_override_at is None:
        problems.append(
            "its digital signature does not verify; a reviewing officer may override with a reason "
            "(POST /decisions/{id}/signature-override)"
        )
    if problems:
        raise DecisionNotGrounding(
            msg(
                "Decision {number} cannot ground this step yet: {problems}.",
                number=decision.number,
                problems="; ".join(problems),
            ),
            errors={field: problems},
        )


def search(principal: Principal, filters: dict[str, Any]) -> Select[tuple[Decision]]:
    query = select(Decision).where(visibility.record_visible(Decision, principal))
    if filters.get("issuer"):
        query = query.where(
            Decision.issuer_agency_id
            == select(Agency.id).where(Agency.code == filters["issuer"]).scalar_subquery()
        )
    if filters.get("number"):
        query = query.where(Decision.number == normalise_number(filters["number"]))
    if filters.get("document_type"):
        query = query.where(Decision.document_type == filters["document_type"])
    if filters.get("issued_from"):
        query = query.where(Decision.issued_on >= filters["issued_from"])
    if filters.get("issued_to"):
        query = query.where(Decision.issued_on <= filters["issued_to"])
    return query


ORDER = [Decision.issued_on.desc(), Decision.id]


def check_can_attach(principal: Principal, decision: Decision) -> None:
    """Only the agency that recorded a decision uploads its document (checked before reading the body)."""
    if decision.owner_agency_id != principal.agency_id:
        raise PermissionDenied("Only the agency that recorded the decision can upload its document.")


def attach_document(
    session: Session, *, principal: Principal, decision: Decision, content: bytes, content_type: str
) -> DecisionDocument:
    """Store the document the decision was recorded with: owner only, a PDF, matching its SHA-256."""
    check_can_attach(principal, decision)
    if content_type != PDF:
        raise ValidationFailed("The document must be a PDF.", errors={"content_type": [f"must be {PDF}"]})
    pdfcheck.check_pdf(content)
    digest = hashlib.sha256(content).hexdigest()
    if digest != decision.document_sha256:
        raise ValidationFailed(
            "The document does not match the SHA-256 recorded for this decision.",
            errors={"document": [f"SHA-256 is {digest}, the decision records {decision.document_sha256}"]},
        )
    if decision.document_id is not None:
        # The same bytes (the hash is fixed): uploading again changes nothing.
        existing = session.get(DecisionDocument, decision.document_id)
        assert existing is not None
        return existing
    document = DecisionDocument(sha256=digest, content_type=content_type, size=len(content), content=content)
    session.add(document)
    session.flush()
    decision.document_id = document.id
    decision.document_uploaded_by = principal.actor
    record_signatures(decision, signatures.check(content))
    session.flush()
    return document


def record_signatures(decision: Decision, found: signatures.SignatureCheck) -> None:
    """Keep what the signature check found; a new finding clears an override made on an older one."""
    if (decision.signature_status, decision.signatures) != (found.status, found.signatures):
        decision.signature_override_reason = decision.signature_override_by = None
        decision.signature_override_agency_id = decision.signature_override_at = None
    decision.signature_status, decision.signatures = found.status, found.signatures
    decision.signature_checked_at = utcnow()


def recheck_signatures(session: Session, *, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Check the signatures of every stored document again (after an upgrade or a trust list change)."""
    counts: dict[str, int] = {}
    query = select(Decision).where(Decision.document_id.is_not(None)).order_by(Decision.id)
    for done, decision in enumerate(session.scalars(query), start=1):
        document = session.get(DecisionDocument, decision.document_id)
        assert document is not None
        record_signatures(decision, signatures.check(document.content))
        counts[decision.signature_status] = counts.get(decision.signature_status, 0) + 1
        if progress is not None:
            progress(done)
    session.flush()
    return counts


def _officer_of(principal: Principal) -> str:
    if not principal.officer:
        raise PermissionDenied(
            "This step needs a named officer: use a token obtained for an officer (jwt-bearer grant)."
        )
    return principal.officer


def confirm(
    session: Session, *, principal: Principal, decision: Decision, confirmed: bool, note: str | None
) -> None:
    """The issuing body, through its own client and officer, confirms (or refuses) a record made on its
    behalf by another agency."""
    if decision.issuer_agency_id != principal.agency_id:
        raise PermissionDenied("Only the issuing body confirms a decision recorded on its behalf.")
    if decision.issuer_confirmation != IssuerConfirmation.PENDING:
        raise Conflict(
            msg("This decision is not waiting for confirmation: {state}.", state=decision.issuer_confirmation)
        )
    officer = _officer_of(principal)
    decision.issuer_confirmation = IssuerConfirmation.CONFIRMED if confirmed else IssuerConfirmation.REFUSED
    decision.issuer_confirmed_by, decision.issuer_confirmed_at = officer, utcnow()
    decision.issuer_confirmation_note = note
    session.flush()


REVIEWING_SCOPES = (Scope.BLOCKING_DECIDE, Scope.FREEZE_PROCESS)


def is_reviewing_body(principal: Principal) -> bool:
    """The bodies that review what orders rest on: those deciding block requests and those processing
    freeze orders (the State Bank), as the workflows' rule files name them."""
    # Imported here: both workflows import this module.
    from registry.services.blocking.access import is_decider
    from registry.services.freezing.config import _matches
    from registry.services.freezing.config import rules as freezing_rules

    return (principal.has(Scope.BLOCKING_DECIDE) and is_decider(principal)) or (
        principal.has(Scope.FREEZE_PROCESS) and _matches(principal.agency, freezing_rules().processors)
    )


def override_signature(session: Session, *, principal: Principal, decision: Decision, reason: str) -> None:
    """A reviewing officer (of a body that decides blocks or processes freezes) lets a decision whose
    signature does not verify ground orders, with a reason: four-eyes, never the officer who recorded
    the decision or uploaded its document."""
    if not is_reviewing_body(principal):
        raise PermissionDenied(
            "Only a reviewing body (one deciding block requests or processing freeze orders) overrides "
            "a signature check."
        )
    officer = _officer_of(principal)
    if decision.signature_status != SignatureStatus.FAILED:
        raise Conflict(
            msg(
                "Only a failed signature check can be overridden; this one is {state}.",
                state=decision.signature_status,
            )
        )
    if decision.signature_override_at is not None:
        raise Conflict("This signature check was already overridden.")
    if principal.agency_id == decision.owner_agency_id and officer in {
        decision.recorded_by,
        decision.document_uploaded_by,
    }:
        raise PermissionDenied(
            "Four-eyes rule: the officer who recorded the decision or uploaded its document cannot also "
            "override its signature check."
        )
    decision.signature_override_reason, decision.signature_override_by = reason, officer
    decision.signature_override_agency_id, decision.signature_override_at = principal.agency_id, utcnow()
    session.flush()


def document_of(session: Session, decision: Decision) -> DecisionDocument:
    if decision.document_id is None:
        raise NotFound("No document has been uploaded for this decision.")
    document = session.get(DecisionDocument, decision.document_id)
    assert document is not None
    return document
