"""A blocked site's owner's own complaint channel (issue 15): filed without an account, read back with a
receipt code, and handled by the deciding agency (linked to the block, answered, or turned into an
appeal through the appeal path of services/blocking/appeals.py).

The receipt code is random (100 bits), shown once; only its keyed hash is stored. The complainant's
name, phone and e-mail are stored only encrypted (fieldcrypt, bound to the complaint's id) and never
written to a log or an error message.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from registry import identifiers
from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, record_name
from registry.fieldcrypt import FieldCipher
from registry.identifiers import IdentifierError
from registry.messages import msg
from registry.models import BlockComplaint, BlockRequest, BlockTarget, ComplaintStatus
from registry.models.blocking import BlockState
from registry.models.complaint import CLOSED
from registry.services.blocking.access import load_visible, require_a_decider, require_decider
from registry.services.blocking.appeals import file_appeal
from registry.services.blocking.checks import _vn_date
from registry.services.blocking.expiry import is_due

RECEIPT_KIND = "block_complaint_receipt"
CONTACT_FIELDS = ("name", "phone", "email")
SYSTEM = "system"


def _normal_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_receipt_code() -> str:
    """`KN-` and 20 base32 characters (100 random bits) in five groups of four, joined by hyphens."""
    raw = base64.b32encode(secrets.token_bytes(15)).decode("ascii")[:20]
    return "KN-" + "-".join(raw[i : i + 4] for i in range(0, 20, 4))


def receipt_hash(cipher: FieldCipher, code: str) -> str:
    return cipher.lookup_hash(RECEIPT_KIND, _normal_code(code))


def _context(complaint_id: uuid.UUID, name: str) -> str:
    return f"block_complaint:{complaint_id}:{name}"


def contact(cipher: FieldCipher, complaint: BlockComplaint) -> dict[str, str | None]:
    """The complainant's name, phone and e-mail, decrypted (for a caller allowed to see them)."""
    return {
        name: cipher.decrypt(blob, _context(complaint.id, name)) if blob else None
        for name, blob in (
            ("name", complaint.name_enc),
            ("phone", complaint.phone_enc),
            ("email", complaint.email_enc),
        )
    }


def _target(text: str) -> tuple[str, str]:
    """(kind, canonical value) of the domain or URL the owner names."""
    kind = "url" if "/" in text.strip() else "domain"
    try:
        return kind, identifiers.parse(kind, text).value
    except IdentifierError as exc:
        raise ValidationFailed(
            msg("target: {reason}", reason=exc.reason), errors={"target": [str(exc)]}
        ) from None


def _contact_value(kind: str, text: str | None) -> str | None:
    if not text:
        return None
    try:
        return identifiers.parse(kind, text).value
    except IdentifierError:  # the value itself is not echoed: it is personal data
        raise ValidationFailed(
            msg("{kind}: not a valid {what}", kind=kind, what=kind.replace("_", " ")),
            errors={kind: [f"not a valid {kind}"]},
        ) from None


def _candidates(kind: str, value: str) -> list[tuple[str, str]]:
    """Block targets that would block what the owner named: the same URL, the host or a parent domain."""
    host = identifiers.parse("url", value).attributes["host"] if kind == "url" else value
    labels = host.split(".")
    found = [("domain", ".".join(labels[i:])) for i in range(len(labels) - 1)]
    return [("url", value), *found] if kind == "url" else found


def blocks_in_effect(session: Session, kind: str, value: str, now: datetime) -> list[BlockRequest]:
    """Requests in effect with a target that blocks the named domain or URL (not past their validity)."""
    pairs = _candidates(kind, value)
    conditions = [(BlockTarget.kind == k) & (BlockTarget.value == v) for k, v in pairs]
    query = (
        select(BlockRequest)
        .join(BlockTarget, BlockTarget.request_id == BlockRequest.id)
        .where(BlockRequest.state == BlockState.IN_EFFECT, or_(*conditions))
        .order_by(BlockRequest.created_at)
    )
    return [r for r in session.scalars(query).unique() if not is_due(r, now)]


def file_complaint(
    session: Session, *, cipher: FieldCipher, data: dict[str, Any]
) -> tuple[BlockComplaint, str]:
    """Record an owner's complaint; link it at once to the one block in effect on what they named, if
    there is exactly one (otherwise the deciding agency links it). The answer is the same either way,
    so the public form tells nobody what is blocked. Returns the complaint and its receipt code."""
    kind, value = _target(data["target"])
    phone = _contact_value("phone", data.get("phone"))
    email = _contact_value("email", data.get("email"))
    if not (phone or email):
        raise ValidationFailed(
            "Give a phone number or an e-mail address, so the deciding agency can reach you.",
            errors={"phone": ["phone or email required"], "email": ["phone or email required"]},
        )
    code = new_receipt_code()
    complaint = BlockComplaint(
        id=uuid.uuid4(),
        receipt_hash=receipt_hash(cipher, code),
        target_kind=kind,
        target=value,
        statement=data["statement"],
        status=ComplaintStatus.RECEIVED.value,
    )
    for name, text in (("name", data["name"].strip()), ("phone", phone), ("email", email)):
        setattr(
            complaint, f"{name}_enc", cipher.encrypt(text, _context(complaint.id, name)) if text else None
        )
    now = utcnow()
    complaint.filed_at = now
    blocks = blocks_in_effect(session, kind, value, now)
    if len(blocks) == 1:
        complaint.block_request, complaint.linked_by, complaint.linked_at = blocks[0], SYSTEM, now
    session.add(complaint)
    session.flush()
    return complaint, code


def by_receipt(session: Session, *, cipher: FieldCipher, code: str) -> BlockComplaint:
    found = session.scalars(
        select(BlockComplaint).where(BlockComplaint.receipt_hash == receipt_hash(cipher, code))
    ).first()
    if found is None:
        raise NotFound("No complaint has this receipt code.")
    return found


def list_query(principal: Principal, args: dict[str, Any]) -> Select[tuple[BlockComplaint]]:
    """The deciding agency's list: every complaint (deciding agencies decide every block request)."""
    require_a_decider(principal)
    query = select(BlockComplaint)
    if args.get("status"):
        query = query.where(BlockComplaint.status == args["status"])
    if args.get("block_request_id"):
        query = query.where(BlockComplaint.request_id == args["block_request_id"])
    if args.get("unlinked"):
        query = query.where(BlockComplaint.request_id.is_(None))
    return query


def load(session: Session, principal: Principal, complaint_id: Any) -> BlockComplaint:
    require_a_decider(principal)
    found = session.get(BlockComplaint, complaint_id)
    if found is None:
        raise NotFound(
            msg("No {what} with id {value}.", what=record_name("block complaint"), value=complaint_id)
        )
    return found


def _require_open(complaint: BlockComplaint) -> None:
    if complaint.status in CLOSED:
        raise Conflict(msg("This complaint was already answered: {status}.", status=complaint.status))
    if complaint.appeal_id is not None:
        raise Conflict("This complaint was turned into an appeal; it is decided as the appeal is.")


def _require_officer(principal: Principal) -> None:
    if not principal.officer:
        raise PermissionDenied(
            "This step needs a named officer: use a token obtained for an officer (jwt-bearer grant)."
        )


def link(
    session: Session, *, principal: Principal, complaint: BlockComplaint, request_id: uuid.UUID
) -> BlockComplaint:
    """Tie the complaint to the block request it is about (in effect); it is then under review."""
    require_a_decider(principal)
    _require_officer(principal)
    _require_open(complaint)
    block_request = load_visible(session, principal, request_id)
    require_decider(principal, block_request)
    if block_request.state != BlockState.IN_EFFECT or is_due(block_request, utcnow()):
        raise Conflict(
            msg(
                "A complaint is linked to a block in effect; this request is {state}.",
                state=block_request.state,
            )
        )
    complaint.block_request, complaint.linked_by, complaint.linked_at = (
        block_request,
        principal.actor,
        utcnow(),
    )
    complaint.status = ComplaintStatus.UNDER_REVIEW.value
    session.flush()
    return complaint


def answer(
    session: Session, *, principal: Principal, complaint: BlockComplaint, data: dict[str, Any]
) -> BlockComplaint:
    """The deciding agency's answer, which the owner reads with the receipt code. `upheld` says the
    complaint is right (the block is then lifted or revoked by its own step); `dismissed` that it is
    not; `answered` replies without a finding (e.g. the site is not blocked by any order)."""
    require_a_decider(principal)
    _require_officer(principal)
    _require_open(complaint)
    complaint.status = data["outcome"]
    complaint.answer = data["answer"]
    complaint.answered_by, complaint.answered_agency_id = principal.actor, principal.agency_id
    complaint.answered_at = utcnow()
    session.flush()
    return complaint


def to_appeal(session: Session, *, principal: Principal, complaint: BlockComplaint) -> BlockComplaint:
    """File the complaint as an appeal against the block it is linked to (the appeal path: one pending
    appeal per request, decided by an officer other than the approver). The complaint then shows the
    appeal's outcome and reason."""
    require_a_decider(principal)
    _require_officer(principal)
    _require_open(complaint)
    if complaint.block_request is None:
        raise Conflict("Link the complaint to the block request it is about first.")
    require_decider(principal, complaint.block_request)
    appeal = file_appeal(
        session,
        principal=principal,
        block_request=complaint.block_request,
        data={
            "appellant": f"Site owner, complaint {complaint.id}",
            "grounds": complaint.statement,
            "received_on": _vn_date(complaint.filed_at),
        },
    )
    complaint.appeal = appeal
    complaint.status = ComplaintStatus.UNDER_REVIEW.value
    session.flush()
    return complaint
