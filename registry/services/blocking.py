"""Block requests: submission, review under four-eyes, dispatch, executors' replies, appeals and expiry.

Every state change goes through `services.workflow.apply` on MACHINE. Rules documented in
docs/blocking.md; the configurable parts (deciding and oversight agencies, deadlines) are in
registry/data/blocking.json.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.db import utcnow
from registry.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.identifiers import IdentifierError, ParsedIdentifier, parse
from registry.models import (
    Agency,
    AgencyKind,
    BlockAcknowledgement,
    BlockAppeal,
    BlockExecutor,
    BlockRequest,
    BlockTarget,
    Decision,
    Link,
    Subject,
    Violation,
    block_request_subject,
)
from registry.services import competence, workflow
from registry.services import identifiers as identifier_service
from registry.services.agencies import codes as agency_codes
from registry.services.history import Event, Section
from registry.services.protected import Guard
from registry.services.visibility import visible_clause as shared_visible_clause

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "blocking.json"
VIETNAM = timezone(timedelta(hours=7))  # decisions are dated in Vietnam

DECIDE, SUBMIT, EXECUTE = (
    Scope.BLOCKING_DECIDE.value,
    Scope.BLOCKING_SUBMIT.value,
    Scope.BLOCKING_EXECUTE.value,
)
REVIEWING = ("submit",)  # four-eyes: no reviewing decision by an officer who submitted the request

MACHINE = workflow.Machine("block_request")
MACHINE.add("submit", {"draft", "returned"}, "submitted", SUBMIT, needs_officer=True)
MACHINE.add(
    "start_review",
    {"submitted"},
    "under_review",
    DECIDE,
    needs_officer=True,
    not_same_officer_as=REVIEWING,
    keeps_deadline=True,
)
MACHINE.add(
    "override",
    {"under_review"},
    "under_review",
    DECIDE,
    needs_officer=True,
    not_same_officer_as=REVIEWING,
    keeps_deadline=True,
)
MACHINE.add("return", {"under_review"}, "returned", DECIDE, needs_officer=True, not_same_officer_as=REVIEWING)
MACHINE.add(
    "approve", {"under_review"}, "approved", DECIDE, needs_officer=True, not_same_officer_as=REVIEWING
)
MACHINE.add("reject", {"under_review"}, "rejected", DECIDE, needs_officer=True, not_same_officer_as=REVIEWING)
MACHINE.add("dispatch", {"approved"}, "dispatched", DECIDE, needs_officer=True)
# The first `executed` reply; a deciding agency records it for a platform without a registry account.
MACHINE.add("take_effect", {"dispatched"}, "in_effect", (EXECUTE, DECIDE))
MACHINE.add("file_appeal", {"in_effect"}, "in_effect", (SUBMIT, DECIDE))
MACHINE.add(
    "dismiss_appeal", {"in_effect"}, "in_effect", DECIDE, needs_officer=True, not_same_officer_as=("approve",)
)
MACHINE.add(
    "uphold_appeal", {"in_effect"}, "lifted", DECIDE, needs_officer=True, not_same_officer_as=("approve",)
)
MACHINE.add("lift", {"in_effect"}, "lifted", DECIDE, needs_officer=True)
MACHINE.add("revoke", {"approved", "dispatched", "in_effect"}, "revoked", DECIDE, needs_officer=True)
MACHINE.add("expire", {"approved", "dispatched", "in_effect"}, "expired", None)

DECIDING_ACTIONS = ("start_review", "return", "approve", "reject", "dispatch", "lift", "revoke")
NEEDS_REASON = frozenset({"return", "reject", "lift", "revoke"})
TERMINAL = frozenset({"rejected", "lifted", "expired", "revoked"})
KINDS_BY_ACTION = {
    "block_at_isp": ("domain", "url", "ip", "ip_range"),
    "suspend_domain": ("domain",),
    "remove_listing": ("marketplace_shop", "url"),
}


# -- configuration -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    deciding_agencies: frozenset[str]
    oversight_agencies: frozenset[str]
    deadlines: dict[str, tuple[timedelta, timedelta]]  # step -> (normal, urgent)
    rpz_origin_suffix: str

    def deadline(self, step: str, urgent: bool) -> timedelta | None:
        pair = self.deadlines.get(step)
        return pair[1 if urgent else 0] if pair else None


@functools.cache
def rules(path: str | None = None) -> Rules:
    source = Path(path or os.environ.get("REGISTRY_BLOCKING_RULES_FILE") or RULES_FILE)
    raw = json.loads(source.read_text(encoding="utf-8"))
    return Rules(
        deciding_agencies=frozenset(raw["deciding_agencies"]),
        oversight_agencies=frozenset(raw["oversight_agencies"]),
        deadlines={
            step: (timedelta(hours=hours["normal"]), timedelta(hours=hours["urgent"]))
            for step, hours in raw["deadlines_hours"].items()
        },
        rpz_origin_suffix=raw.get("rpz_origin_suffix", "rpz.registry.nsc389.gov.vn"),
    )


# -- who sees and who acts -----------------------------------------------------------------------------


def is_decider(principal: Principal) -> bool:
    return principal.agency in rules().deciding_agencies


def is_oversight(principal: Principal) -> bool:
    return principal.agency in rules().oversight_agencies


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """Submitter: all of its own. Deciding and oversight agencies: all but others' drafts.

    Executors: the requests dispatched to them (and then only their part, see `is_full_view`).
    """
    own = BlockRequest.owner_agency_id == principal.agency_id
    if is_decider(principal) or is_oversight(principal):
        return or_(own, BlockRequest.state != "draft")
    addressed = exists().where(
        BlockExecutor.request_id == BlockRequest.id,
        BlockExecutor.agency_id == principal.agency_id,
        BlockExecutor.dispatched_at.is_not(None),
    )
    return or_(own, addressed)


def is_full_view(principal: Principal, request: BlockRequest) -> bool:
    return request.owner_agency_id == principal.agency_id or is_decider(principal) or is_oversight(principal)


def get_visible(session: Session, request_id: Any, principal: Principal) -> BlockRequest:
    """The request, or NotFound whether it is missing or hidden from the caller."""
    try:
        key = request_id if isinstance(request_id, uuid.UUID) else uuid.UUID(str(request_id))
    except ValueError:
        raise NotFound(f"No block request with id {request_id}.") from None
    found = session.scalars(
        select(BlockRequest).where(BlockRequest.id == key, visible_clause(principal))
    ).first()
    if found is None:
        raise NotFound(f"No block request with id {key}.")
    return found


def require_decider(principal: Principal) -> None:
    if not is_decider(principal):
        deciders = ", ".join(sorted(rules().deciding_agencies))
        raise PermissionDenied(
            f"Only the deciding agency ({deciders}) takes this decision on block requests."
        )


def require_owner(principal: Principal, request: BlockRequest) -> None:
    if request.owner_agency_id != principal.agency_id:
        raise PermissionDenied("Only the submitting agency edits or submits its block request.")


# -- content: targets, executors, violations, decision -------------------------------------------------


def _parse_target(kind: str, value: str, index: int) -> ParsedIdentifier:
    return identifier_service.parse_or_fail(kind, value, field=f"targets.{index}.value")


def _platform_of(parsed: ParsedIdentifier) -> str | None:
    shops = [parsed] if parsed.kind == "marketplace_shop" else parsed.related
    return next((p.attributes.get("platform") for p in shops if p.kind == "marketplace_shop"), None)


def _targets(
    session: Session, cipher: FieldCipher, principal: Principal, action: str, specs: list[dict[str, Any]]
) -> list[BlockTarget]:
    allowed = KINDS_BY_ACTION[action]
    targets: list[BlockTarget] = []
    seen: set[tuple[str, str]] = set()
    for index, spec in enumerate(specs):
        field = f"targets.{index}"
        if spec["kind"] not in allowed:
            hint = (
                " (block shops and listings with remove_listing)"
                if spec["kind"] == "marketplace_shop"
                else ""
            )
            raise ValidationFailed(
                f"{action} cannot take a {spec['kind']} target{hint}.",
                errors={f"{field}.kind": [f"must be one of {', '.join(allowed)} for {action}"]},
            )
        parsed = _parse_target(spec["kind"], spec["value"], index)
        if (parsed.kind, parsed.value) in seen:
            raise ValidationFailed(
                f"Target {parsed.display} is named twice.", errors={field: ["duplicate target"]}
            )
        seen.add((parsed.kind, parsed.value))
        platform = _platform_of(parsed) if action == "remove_listing" else None
        if action == "suspend_domain" and not parsed.value.endswith(".vn"):
            raise ValidationFailed(
                f"Only .vn domains are suspended at the .vn registry; {parsed.display} is not one "
                "(block it at the ISPs instead).",
                errors={f"{field}.value": ["not a .vn domain"]},
            )
        if action == "remove_listing" and platform is None:
            raise ValidationFailed(
                f"{parsed.display} is not a shop or listing on a known platform.",
                errors={f"{field}.value": ["not a listing on shopee, lazada, tiki or tiktok_shop"]},
            )
        registered = identifier_service.ensure(session, cipher=cipher, principal=principal, parsed=parsed)
        targets.append(
            BlockTarget(
                position=index,
                kind=parsed.kind,
                value=parsed.value,
                display=parsed.display,
                identifier_id=registered.identifier.id,
                platform=platform,
                override_requested=bool(spec.get("override_requested")),
                override_justification=spec.get("override_justification"),
            )
        )
    return targets


def _executors(
    session: Session, action: str, codes: list[str], targets: list[BlockTarget]
) -> list[BlockExecutor]:
    if action == "remove_listing":
        if codes:
            raise ValidationFailed(
                "remove_listing is addressed to the platform hosting each shop; leave executors empty.",
                errors={"executors": ["derived from the targets' platforms"]},
            )
        return [BlockExecutor(platform=p) for p in sorted({t.platform for t in targets if t.platform})]
    kind = AgencyKind.EXECUTOR_ISP if action == "block_at_isp" else AgencyKind.DOMAIN_REGISTRY
    if not codes and action == "suspend_domain":
        agencies = list(session.scalars(select(Agency).where(Agency.kind == kind).order_by(Agency.code)))
    else:
        found = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(codes)))}
        wrong = [c for c in codes if c not in found or found[c].kind != kind]
        if wrong:
            raise ValidationFailed(
                f"{action} is addressed to agencies of kind {kind}; not: {', '.join(wrong)}.",
                errors={"executors": [f"{c} is not an agency of kind {kind}" for c in wrong]},
            )
        agencies = [found[c] for c in dict.fromkeys(codes)]
    return [BlockExecutor(agency_id=a.id) for a in agencies]


def _violations(session: Session, principal: Principal, ids: list[uuid.UUID]) -> list[Violation]:
    if not ids:
        return []
    found = {
        v.id: v
        for v in session.scalars(
            select(Violation).where(Violation.id.in_(ids), shared_visible_clause(Violation, principal))
        )
    }
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationFailed(
            "Unknown violation.", errors={"violation_ids": [f"no visible violation {m}" for m in missing]}
        )
    return [found[i] for i in dict.fromkeys(ids)]


def _decision(session: Session, principal: Principal, decision_id: uuid.UUID | None) -> Decision | None:
    if decision_id is None:
        return None
    found = session.scalars(
        select(Decision).where(Decision.id == decision_id, shared_visible_clause(Decision, principal))
    ).first()
    if found is None:
        raise ValidationFailed(
            "Unknown decision.", errors={"decision_id": [f"no decision {decision_id} visible to you"]}
        )
    return found


def _subjects(session: Session, principal: Principal, request: BlockRequest) -> list[Subject]:
    """Subjects of the justifying violations and subjects linked to the targets (visible links only)."""
    ids = {s.id for v in request.violations for s in v.subjects}
    identifier_ids = [t.identifier_id for t in request.targets]
    if identifier_ids:
        ids |= set(
            session.scalars(
                select(Link.subject_id).where(
                    Link.identifier_id.in_(identifier_ids), shared_visible_clause(Link, principal)
                )
            )
        )
    if not ids:
        return []
    return list(session.scalars(select(Subject).where(Subject.id.in_(ids)).order_by(Subject.created_at)))


def _set_content(
    session: Session,
    *,
    cipher: FieldCipher,
    principal: Principal,
    request: BlockRequest,
    data: dict[str, Any],
) -> None:
    if "measure" in data or "action" in data:
        measure = data.get("measure")
        if request.action != "suspend_domain" and measure:
            raise ValidationFailed(
                "measure applies to suspend_domain only.", errors={"measure": ["not allowed"]}
            )
        request.measure = (measure or "suspend") if request.action == "suspend_domain" else None
    for name in ("urgent", "reason", "valid_from", "valid_until"):
        if name in data and data[name] is not None:
            setattr(request, name, data[name])
    if request.valid_until <= request.valid_from:
        raise ValidationFailed(
            "valid_until must be after valid_from.", errors={"valid_until": ["must be after valid_from"]}
        )
    codes = data.get("executors")
    if codes is None and request.action != "remove_listing":
        codes = [_code(session, e) for e in request.executors]  # kept when only the targets change
    if "targets" in data:
        if request.targets:
            request.targets.clear()
            session.flush()
        request.targets.extend(_targets(session, cipher, principal, request.action, data["targets"]))
    if "targets" in data or "executors" in data:
        executors = _executors(session, request.action, codes or [], request.targets)
        request.executors.clear()
        session.flush()
        request.executors.extend(executors)
    if "violation_ids" in data:
        request.violations = _violations(session, principal, data["violation_ids"])
    if "decision_id" in data:
        decision = _decision(session, principal, data["decision_id"])
        request.decision_id = decision.id if decision else None
    request.subjects = _subjects(session, principal, request)


def _code(session: Session, executor: BlockExecutor) -> str:
    return session.get(Agency, executor.agency_id).code if executor.agency_id else ""  # type: ignore[union-attr]


# -- checks at submission, approval and dispatch --------------------------------------------------------


def _vn_date(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def check_decision(session: Session, request: BlockRequest, *, now: datetime | None = None) -> Decision:
    """The written decision: present, issued by a body competent for the action, in force for the validity."""
    if request.decision_id is None:
        raise ValidationFailed(
            "A block request rests on a written decision; none is attached.",
            errors={"decision_id": ["a decision is required before submission"]},
        )
    decision = session.get(Decision, request.decision_id)
    assert decision is not None
    issuer = session.get(Agency, decision.issuer_agency_id)
    assert issuer is not None
    competence.require_competent(request.action, issuer.code)
    problems = []
    if decision.effective_to is not None and _vn_date(request.valid_until) > decision.effective_to:
        problems.append(
            f"valid_until is after the decision's effective_to {decision.effective_to.isoformat()}"
        )
    if _vn_date(request.valid_from) < decision.effective_from:
        problems.append(
            f"valid_from is before the decision's effective_from {decision.effective_from.isoformat()}"
        )
    if decision.effective_to is not None and _vn_date(now or utcnow()) > decision.effective_to:
        problems.append(f"the decision ceased to have effect on {decision.effective_to.isoformat()}")
    if problems:
        raise ValidationFailed(
            f"Decision {decision.number} does not cover this request: {'; '.join(problems)}.",
            errors={"decision_id": problems},
        )
    return decision


def _check_complete(request: BlockRequest) -> None:
    errors: dict[str, list[str]] = {}
    if not request.targets:
        errors["targets"] = ["at least one target is required"]
    if not request.executors:
        errors["executors"] = ["at least one executor is required"]
    if not request.violations:
        errors["violation_ids"] = ["name the violations that justify the request"]
    if errors:
        raise ValidationFailed("The block request is incomplete.", errors=errors)


def _refuse_protected(targets: list[tuple[BlockTarget, str]], what: str) -> None:
    if targets:
        names = ", ".join(t.display for t, _ in targets)
        raise ValidationFailed(
            f"Refused: {names} cannot be blocked whole. {targets[0][1]}. {what}",
            errors={f"targets.{t.position}": [reason] for t, reason in targets},
            protected_targets=[t.display for t, _ in targets],
        )


def check_protection(session: Session, request: BlockRequest, *, stage: str) -> None:
    """At submission a protected target needs an override request with a justification; at approval,
    a reviewer's recorded override. Evaluated against the lists as they are now."""
    guard = Guard.load(session)
    refused = []
    for target in request.targets:
        identifier = _attributes(target)
        target.protection = guard.protection(target.kind, target.value, identifier)
        if target.protection is None:
            continue
        if stage == "submit" and not (target.override_requested and target.override_justification):
            refused.append((target, target.protection))
        if stage == "approve" and target.override_at is None:
            refused.append((target, target.protection))
    if stage == "submit":
        _refuse_protected(
            refused,
            "To ask for it anyway, set override_requested with an override_justification; "
            "a reviewer must then record an override.",
        )
    else:
        _refuse_protected(refused, "A reviewer must record a justified override on each before approval.")


def _attributes(target: BlockTarget) -> dict[str, Any]:
    """What the guard needs beyond kind and value: a URL's host."""
    return {"host": urlsplit(target.value).hostname or ""} if target.kind == "url" else {}


# -- use cases -------------------------------------------------------------------------------------------


def _mirror_decision(
    session: Session, principal: Principal, original: BlockRequest, request: BlockRequest
) -> None:
    """Reuse the original's decision if it covers every new target, else the caller must give one.

    A decision covers a target that it names (its `targets` list, compared after normalisation), or a
    target linked in the registry to a subject the original request concerns (same operator).
    """
    if original.decision_id is None:
        return
    decision = session.get(Decision, original.decision_id)
    assert decision is not None
    subject_ids = {s.id for s in original.subjects}
    uncovered = []
    for target in request.targets:
        named = False
        for text in decision.targets:
            try:
                named = parse(target.kind, text).value == target.value
            except IdentifierError:
                named = False
            if named:
                break
        linked = bool(subject_ids) and session.scalar(
            select(func.count())
            .select_from(Link)
            .where(
                Link.identifier_id == target.identifier_id,
                Link.subject_id.in_(subject_ids),
                shared_visible_clause(Link, principal),
            )
        )
        if not (named or linked):
            uncovered.append(target.display)
    if uncovered:
        raise ValidationFailed(
            f"Decision {decision.number} of the original request does not cover {', '.join(uncovered)} "
            "(neither named in it nor linked to the original's subjects); attach a decision_id.",
            errors={"decision_id": [f"{t} is not covered by {decision.number}" for t in uncovered]},
        )
    request.decision_id = decision.id


def create(
    session: Session, *, cipher: FieldCipher, principal: Principal, data: dict[str, Any]
) -> BlockRequest:
    """A new request as a draft, submitted at once unless `draft` is set."""
    data = dict(data)
    original = None
    if data.get("mirror_of"):
        try:
            original = get_visible(session, data["mirror_of"], principal)
        except NotFound:
            raise ValidationFailed(
                "Unknown original request.", errors={"mirror_of": ["no such request"]}
            ) from None
        if original.state not in ("approved", "dispatched", "in_effect"):
            raise ValidationFailed(
                f"A mirror is linked to a request that was approved; the original is {original.state}.",
                errors={"mirror_of": [f"original is {original.state}"]},
            )
        if not data.get("violation_ids"):
            data["violation_ids"] = [v.id for v in original.violations]
    now = utcnow()
    request = BlockRequest(
        id=uuid.uuid4(),
        action=data["action"],
        owner_agency_id=principal.agency_id,
        mirror_of_id=original.id if original else None,
        valid_from=data.get("valid_from") or now,
        valid_until=data["valid_until"],
        reason=data["reason"],
        urgent=data.get("urgent", False),
    )
    _set_content(session, cipher=cipher, principal=principal, request=request, data=data)
    if original is not None and data.get("decision_id") is None:
        _mirror_decision(session, principal, original, request)
    workflow.start(
        session,
        machine=MACHINE,
        record=request,
        state="draft",
        principal=principal,
        reason=data["reason"],
        decision_id=request.decision_id,
    )
    if not data.get("draft"):
        submit(session, principal=principal, request=request)
    return request


def update(
    session: Session,
    *,
    cipher: FieldCipher,
    principal: Principal,
    request: BlockRequest,
    data: dict[str, Any],
) -> None:
    """Change a draft, or a request returned for changes (submitting agency only)."""
    require_owner(principal, request)
    if request.state not in ("draft", "returned"):
        raise InvalidTransition(
            f"Only a draft or returned block request can be changed; this one is {request.state}.",
            current=request.state,
            allowed=MACHINE.allowed(request.state),
        )
    _set_content(session, cipher=cipher, principal=principal, request=request, data=data)
    session.flush()


def submit(
    session: Session, *, principal: Principal, request: BlockRequest, reason: str | None = None
) -> None:
    require_owner(principal, request)

    def check() -> None:
        _check_complete(request)
        check_decision(session, request)
        check_protection(session, request, stage="submit")

    workflow.apply(
        session,
        machine=MACHINE,
        record=request,
        action_name="submit",
        principal=principal,
        reason=reason,
        decision_id=request.decision_id,
        check=check,
        deadline=rules().deadline("review", request.urgent),
    )
    request.submitted_by = principal.officer


def decide(
    session: Session,
    *,
    principal: Principal,
    request: BlockRequest,
    action: str,
    reason: str | None = None,
    decision_id: uuid.UUID | None = None,
) -> None:
    """A deciding agency's step: start review, return, approve, reject, dispatch, lift or revoke."""
    if action not in DECIDING_ACTIONS:
        raise ValueError(action)
    require_decider(principal)
    if action in NEEDS_REASON and not (reason and reason.strip()):
        raise ValidationFailed(f"A reason is required to {action}.", errors={"reason": ["required"]})
    document = _decision(session, principal, decision_id) if decision_id else None
    check: Callable[[], None] | None = None
    deadline = None
    if action == "approve":
        deadline = rules().deadline("dispatch", request.urgent)

        def check() -> None:
            check_decision(session, request)
            check_protection(session, request, stage="approve")

    elif action == "dispatch":
        deadline = rules().deadline("acknowledge", request.urgent)

        def check() -> None:
            check_decision(session, request)

    now = utcnow()
    workflow.apply(
        session,
        machine=MACHINE,
        record=request,
        action_name=action,
        principal=principal,
        reason=reason,
        decision_id=(document.id if document else request.decision_id),
        check=check,
        deadline=deadline,
        now=now,
    )
    if action == "approve":
        request.approved_by = principal.officer
    if action == "dispatch":
        for executor in request.executors:
            executor.dispatched_at, executor.due_at = now, now + deadline if deadline else None
    session.flush()


def override(
    session: Session, *, principal: Principal, request: BlockRequest, target_id: uuid.UUID, justification: str
) -> BlockTarget:
    """A reviewer's explicit, justified override of the guard on one protected target."""
    require_decider(principal)
    target = next((t for t in request.targets if t.id == target_id), None)
    if target is None:
        raise NotFound(f"No target {target_id} in this block request.")

    def check() -> None:
        guard = Guard.load(session)
        target.protection = guard.protection(target.kind, target.value, _attributes(target))
        if target.protection is None:
            raise ValidationFailed(
                f"{target.display} is not protected; no override is needed.",
                errors={"target_id": ["not protected"]},
            )

    transition = workflow.apply(
        session,
        machine=MACHINE,
        record=request,
        action_name="override",
        principal=principal,
        reason=justification,
        check=check,
        detail={"target": target.display, "protection": target.protection},
    )
    target.override_by, target.override_agency_id = principal.officer, principal.agency_id
    target.override_reason, target.override_at = justification, transition.at
    session.flush()
    return target


def acknowledge(
    session: Session,
    *,
    principal: Principal,
    request: BlockRequest,
    items: list[dict[str, Any]],
    platform: str | None = None,
) -> BlockExecutor:
    """An executor's replies per target; the first `executed` puts the request in effect."""
    if platform is None:
        executor = next(
            (e for e in request.executors if e.agency_id == principal.agency_id and e.dispatched_at), None
        )
        if executor is None:
            raise PermissionDenied("This block request is not addressed to your agency.")
    else:
        require_decider(principal)
        executor = next((e for e in request.executors if e.platform == platform), None)
        if executor is None:
            raise ValidationFailed(
                f"This request is not addressed to platform {platform}.",
                errors={"platform": ["not addressed"]},
            )
    if request.state not in ("dispatched", "in_effect"):
        raise InvalidTransition(
            f"Replies are recorded for a dispatched or in-effect block request; this one is {request.state}.",
            current=request.state,
            allowed=MACHINE.allowed(request.state),
        )
    targets = {t.id: t for t in request.targets}
    done = {a.target_id for a in executor.acknowledgements}
    executed = []
    for index, item in enumerate(items):
        target = targets.get(item["target_id"])
        if target is None:
            raise ValidationFailed(
                "Unknown target.",
                errors={f"acknowledgements.{index}.target_id": ["not a target of this request"]},
            )
        if target.id in done:
            raise Conflict(
                f"{target.display} was already acknowledged by this executor.", target_id=str(target.id)
            )
        done.add(target.id)
        executor.acknowledgements.append(
            BlockAcknowledgement(
                target_id=target.id,
                outcome=item["outcome"],
                reason=item.get("reason"),
                note=item.get("note"),
                agency_id=principal.agency_id,
                client_id=principal.client_id,
                officer=principal.officer,
            )
        )
        if item["outcome"] == "executed":
            executed.append(target.display)
    session.flush()
    if executed and request.state == "dispatched":
        name = platform or principal.agency
        workflow.apply(
            session,
            machine=MACHINE,
            record=request,
            action_name="take_effect",
            principal=principal,
            reason=f"{name} executed {', '.join(executed)}",
            detail={"executor": name, "executed": executed},
        )
    return executor


def file_appeal(
    session: Session, *, principal: Principal, request: BlockRequest, data: dict[str, Any]
) -> BlockAppeal:
    """Record a complaint against a request in effect (submitting or deciding agency)."""
    if not (request.owner_agency_id == principal.agency_id or is_decider(principal)):
        raise PermissionDenied("Appeals are recorded by the submitting or the deciding agency.")
    if any(a.status == "pending" for a in request.appeals):
        raise Conflict("An appeal against this block request is already pending; decide it first.")
    transition = workflow.apply(
        session,
        machine=MACHINE,
        record=request,
        action_name="file_appeal",
        principal=principal,
        reason=data["grounds"],
        detail={"appellant": data["appellant"]},
        deadline=rules().deadline("appeal", request.urgent),
    )
    appeal = BlockAppeal(
        appellant=data["appellant"],
        grounds=data["grounds"],
        received_on=data.get("received_on") or _vn_date(transition.at),
        filed_by_agency_id=principal.agency_id,
        filed_by=principal.actor,
        filed_at=transition.at,
    )
    request.appeals.append(appeal)
    session.flush()
    return appeal


def decide_appeal(
    session: Session,
    *,
    principal: Principal,
    request: BlockRequest,
    appeal_id: uuid.UUID,
    data: dict[str, Any],
) -> BlockAppeal:
    """Upheld: the block is lifted. Dismissed: it stays in effect. Not by the officer who approved it."""
    require_decider(principal)
    appeal = next((a for a in request.appeals if a.id == appeal_id), None)
    if appeal is None:
        raise NotFound(f"No appeal {appeal_id} against this block request.")
    if appeal.status != "pending":
        raise Conflict(f"This appeal was already decided: {appeal.status}.")
    document = _decision(session, principal, data.get("decision_id"))
    action = "uphold_appeal" if data["outcome"] == "upheld" else "dismiss_appeal"
    transition = workflow.apply(
        session,
        machine=MACHINE,
        record=request,
        action_name=action,
        principal=principal,
        reason=data["reason"],
        decision_id=document.id if document else None,
        detail={"appeal": str(appeal.id)},
    )
    appeal.status, appeal.decided_by, appeal.decided_at = data["outcome"], principal.officer, transition.at
    appeal.decision_reason, appeal.decision_id = data["reason"], document.id if document else None
    session.flush()
    return appeal


# -- expiry and deadlines --------------------------------------------------------------------------------

EXPIRING = tuple(sorted(MACHINE.actions["expire"].sources))


def expire_if_due(session: Session, request: BlockRequest, now: datetime | None = None) -> bool:
    """Read-time check: a request past its validity is expired in the reader's transaction."""
    now = now or utcnow()
    if request.state not in EXPIRING or request.valid_until > now:
        return False
    try:
        with session.begin_nested():
            workflow.apply(
                session,
                machine=MACHINE,
                record=request,
                action_name="expire",
                principal=None,
                reason=f"validity ended {request.valid_until.isoformat()}",
                now=now,
            )
    except Conflict:
        session.refresh(request)  # someone else changed it at the same moment; their state stands
        return False
    return True


def expire_due(session: Session, now: datetime | None = None, limit: int = 500) -> int:
    now = now or utcnow()
    due = session.scalars(
        select(BlockRequest)
        .where(BlockRequest.state.in_(EXPIRING), BlockRequest.valid_until <= now)
        .order_by(BlockRequest.valid_until)
        .limit(limit)
    )
    return sum(expire_if_due(session, request, now) for request in list(due))


def tick(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """For `registry workflows tick`: expire every request past its validity."""
    return {"block_requests_expired": expire_due(session, now, limit=100_000)}


def _late_executor(now: datetime) -> ColumnElement[bool]:
    acknowledged = (
        select(func.count())
        .select_from(BlockAcknowledgement)
        .where(BlockAcknowledgement.executor_id == BlockExecutor.id)
        .scalar_subquery()
    )
    targets = (
        select(func.count())
        .select_from(BlockTarget)
        .where(BlockTarget.request_id == BlockRequest.id)
        .scalar_subquery()
    )
    return exists().where(
        BlockExecutor.request_id == BlockRequest.id, BlockExecutor.due_at < now, acknowledged < targets
    )


def overdue_query(principal: Principal, now: datetime) -> Select[tuple[BlockRequest]]:
    """Requests whose current step is past due: the Standing Office sees all, a submitter its own."""
    late = or_(
        and_(
            BlockRequest.state_due_at.is_not(None),
            BlockRequest.state_due_at < now,
            BlockRequest.state.not_in(TERMINAL),
        ),
        and_(BlockRequest.state.in_(("dispatched", "in_effect")), _late_executor(now)),
    )
    scope = true() if is_oversight(principal) else BlockRequest.owner_agency_id == principal.agency_id
    return select(BlockRequest).where(late, scope)


def late_executors(request: BlockRequest, now: datetime) -> list[BlockExecutor]:
    count = len(request.targets)
    return [
        e
        for e in request.executors
        if e.due_at is not None
        and e.due_at < now
        and len(e.acknowledgements) < count
        and request.state in ("dispatched", "in_effect")
    ]


def search(principal: Principal, filters: dict[str, Any]) -> Select[tuple[BlockRequest]]:
    query = select(BlockRequest).where(visible_clause(principal))
    if filters.get("executor") == "me":
        query = query.where(
            exists().where(
                BlockExecutor.request_id == BlockRequest.id,
                BlockExecutor.agency_id == principal.agency_id,
                BlockExecutor.dispatched_at.is_not(None),
            )
        )
    for name in ("state", "action"):
        if filters.get(name):
            query = query.where(getattr(BlockRequest, name) == filters[name])
    if filters.get("mirror_of"):
        query = query.where(BlockRequest.mirror_of_id == filters["mirror_of"])
    return query


def transitions(session: Session, request: BlockRequest) -> list[workflow.WorkflowTransition]:
    return workflow.transitions(session, MACHINE.record_type, request.id)


# -- seller history --------------------------------------------------------------------------------------


def history_section(
    session: Session, *, principal: Principal, subject: Subject, identifier_ids: list[uuid.UUID]
) -> Section:
    """Block requests concerning the subject or one of its identifiers, as far as the caller may see them."""
    touching = [
        BlockRequest.id.in_(
            select(block_request_subject.c.request_id).where(block_request_subject.c.subject_id == subject.id)
        )
    ]
    if identifier_ids:
        touching.append(
            BlockRequest.id.in_(
                select(BlockTarget.request_id).where(BlockTarget.identifier_id.in_(identifier_ids))
            )
        )
    requests = list(
        session.scalars(
            select(BlockRequest)
            .options(selectinload(BlockRequest.targets))
            .where(or_(*touching), visible_clause(principal))
            .order_by(BlockRequest.created_at, BlockRequest.id)
        )
    )
    codes = agency_codes(session)
    items = [
        {
            "id": r.id,
            "action": r.action,
            "state": r.state,
            "urgent": r.urgent,
            "submitted_by": codes.get(r.owner_agency_id),
            "valid_from": r.valid_from,
            "valid_until": r.valid_until,
            "targets": [t.display for t in r.targets],
            "mirror_of": r.mirror_of_id,
            "created_at": r.created_at,
        }
        for r in requests
    ]
    events = [
        Event(
            r.created_at,
            "block_request",
            r.id,
            codes.get(r.owner_agency_id),
            f"{r.action.replace('_', ' ')} {', '.join(t.display for t in r.targets)}: {r.state}",
        )
        for r in requests
    ]
    return Section("block_requests", items, events)
