"""Recording written decisions, storing the document they rest on, and finding them for later use."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import (
    Conflict,
    DecisionNotGrounding,
    Duplicate,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from registry.models import Agency, Decision, DecisionDocument
from registry.services import pdfcheck, visibility

PDF = "application/pdf"


def normalise_number(number: str) -> str:
    """`123 / QĐ-CSKT` and `123/QĐ-CSKT` are the same document number."""
    return re.sub(r"\s*/\s*", "/", " ".join(number.split()))


def agency_id(session: Session, code: str, field: str) -> int:
    found = session.scalar(select(Agency.id).where(Agency.code == code))
    if found is None:
        raise ValidationFailed(f"Unknown agency {code}.", errors={field: [f"unknown agency {code}"]})
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


def create(session: Session, *, principal: Principal, data: dict[str, Any]) -> Decision:
    """A new decision owned by the caller's agency; the same issuer, number and date is a 409."""
    fields = dict(data)
    sharing = fields.pop("visibility"), fields.pop("shared_with")
    issuer_id = agency_id(session, fields.pop("issuer"), "issuer")
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
        **fields, number=number, issuer_agency_id=issuer_id, owner_agency_id=principal.agency_id
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

    The one check every workflow calls wherever it rests a step on a decision, at submission, approval
    and dispatch alike.
    """
    problems = []
    if decision.document_id is None:
        problems.append("its document has not been uploaded (PUT /decisions/{id}/document)")
    if problems:
        raise DecisionNotGrounding(
            f"Decision {decision.number} cannot ground this step yet: {'; '.join(problems)}.",
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
    session.flush()
    return document


def document_of(session: Session, decision: Decision) -> DecisionDocument:
    if decision.document_id is None:
        raise NotFound("No document has been uploaded for this decision.")
    document = session.get(DecisionDocument, decision.document_id)
    assert document is not None
    return document
