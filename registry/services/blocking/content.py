"""A request's content: targets, executors, violations, decision and subjects."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.identifiers import ParsedIdentifier
from registry.messages import msg
from registry.models import (
    Agency,
    AgencyKind,
    BlockExecutor,
    BlockRequest,
    BlockTarget,
    Decision,
    Link,
    Subject,
    Violation,
)
from registry.services import decisions
from registry.services import identifiers as identifier_service
from registry.services.blocking.config import rules
from registry.services.blocking.machine import KINDS_BY_ACTION
from registry.services.visibility import record_visible


def _parse_target(kind: str, value: str, index: int) -> ParsedIdentifier:
    return identifier_service.parse_or_fail(kind, value, field=f"targets.{index}.value")


def _platform_of(parsed: ParsedIdentifier) -> str | None:
    shops = [parsed] if parsed.kind == "marketplace_shop" else parsed.related
    return next((p.attributes.get("platform") for p in shops if p.kind == "marketplace_shop"), None)


def _host(parsed: ParsedIdentifier) -> str | None:
    if parsed.kind == "domain":
        return parsed.value
    if parsed.kind == "url":
        return urlsplit(parsed.value).hostname
    return None


def _refuse_social_platform(parsed: ParsedIdentifier, action: str, field: str) -> None:
    """A page or group on Facebook, Zalo or TikTok is taken down by the platform; blocking the platform's
    domain (or a URL on it, which an ISP can only block by its host) would cut off everyone."""
    host = _host(parsed)
    platform = rules().social_platform(host) if host else None
    if platform is None:
        return
    measure = "an ISP block" if action == "block_at_isp" else "a .vn domain suspension"
    errors = {f"{field}.value": [f"{platform}: ask the platform for a takedown, not {measure}"]}
    if action == "block_at_isp":
        raise ValidationFailed(
            msg(
                "Refused: {target} is on {platform}. Pages and groups on {platform} are taken down by the "
                "platform (a takedown request to {platform}), never by an ISP block of the platform.",
                target=parsed.display,
                platform=platform,
            ),
            errors=errors,
            platform=platform,
        )
    raise ValidationFailed(
        msg(
            "Refused: {target} is on {platform}. Pages and groups on {platform} are taken down by the "
            "platform (a takedown request to {platform}), never by a .vn domain suspension of the platform.",
            target=parsed.display,
            platform=platform,
        ),
        errors=errors,
        platform=platform,
    )


def _targets(
    session: Session, cipher: FieldCipher, principal: Principal, action: str, specs: list[dict[str, Any]]
) -> list[BlockTarget]:
    allowed = KINDS_BY_ACTION[action]
    pending: list[tuple[int, dict[str, Any], Any, str | None]] = []
    seen: set[tuple[str, str]] = set()
    for index, spec in enumerate(specs):
        field = f"targets.{index}"
        if spec["kind"] not in allowed:
            wrong_kind = {f"{field}.kind": [f"must be one of {', '.join(allowed)} for {action}"]}
            if spec["kind"] == "marketplace_shop":
                raise ValidationFailed(
                    msg(
                        "{action} cannot take a {kind} target "
                        "(block shops and listings with remove_listing).",
                        action=action,
                        kind=spec["kind"],
                    ),
                    errors=wrong_kind,
                )
            raise ValidationFailed(
                msg("{action} cannot take a {kind} target.", action=action, kind=spec["kind"]),
                errors=wrong_kind,
            )
        parsed = _parse_target(spec["kind"], spec["value"], index)
        if (parsed.kind, parsed.value) in seen:
            raise ValidationFailed(
                msg("Target {target} is named twice.", target=parsed.display),
                errors={field: ["duplicate target"]},
            )
        seen.add((parsed.kind, parsed.value))
        platform = _platform_of(parsed) if action == "remove_listing" else None
        if action in ("block_at_isp", "suspend_domain"):
            _refuse_social_platform(parsed, action, field)
        if action == "suspend_domain" and not parsed.value.endswith(".vn"):
            raise ValidationFailed(
                msg(
                    "Only .vn domains are suspended at the .vn registry; {target} is not one "
                    "(block it at the ISPs instead).",
                    target=parsed.display,
                ),
                errors={f"{field}.value": ["not a .vn domain"]},
            )
        if action == "remove_listing" and platform is None:
            raise ValidationFailed(
                msg("{target} is not a shop or listing on a known platform.", target=parsed.display),
                errors={f"{field}.value": ["not a listing on shopee, lazada, tiki or tiktok_shop"]},
            )
        pending.append((index, spec, parsed, platform))
    # New identifiers are registered in one order whatever the request's order, so two submissions
    # naming the same new targets in opposite orders wait for each other instead of deadlocking.
    identifier_ids = {}
    for _, _, parsed, _ in sorted(pending, key=lambda item: (item[2].kind, item[2].value)):
        registered = identifier_service.ensure(session, cipher=cipher, principal=principal, parsed=parsed)
        identifier_ids[parsed.kind, parsed.value] = registered.identifier.id
    return [
        BlockTarget(
            position=index,
            kind=parsed.kind,
            value=parsed.value,
            display=parsed.display,
            identifier_id=identifier_ids[parsed.kind, parsed.value],
            platform=platform,
            override_requested=bool(spec.get("override_requested")),
            override_justification=spec.get("override_justification"),
        )
        for index, spec, parsed, platform in pending
    ]


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
                msg(
                    "{action} is addressed to agencies of kind {kind}; not: {codes}.",
                    action=action,
                    kind=kind,
                    codes=", ".join(wrong),
                ),
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
            select(Violation).where(Violation.id.in_(ids), record_visible(Violation, principal))
        )
    }
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationFailed(
            "Unknown violation.", errors={"violation_ids": [f"no visible violation {m}" for m in missing]}
        )
    return [found[i] for i in dict.fromkeys(ids)]


def _decision(
    session: Session, principal: Principal, decision_id: uuid.UUID | None, *, grounding: bool = True
) -> Decision | None:
    """The decision a step names, visible to the caller and, unless `grounding` is False (a draft's
    decision, checked at submission), able to ground the step."""
    if decision_id is None:
        return None
    found = session.scalars(
        select(Decision).where(Decision.id == decision_id, record_visible(Decision, principal))
    ).first()
    if found is None:
        raise ValidationFailed(
            "Unknown decision.", errors={"decision_id": [f"no decision {decision_id} visible to you"]}
        )
    if grounding:
        decisions.require_grounding(found)
    return found


def _subjects(session: Session, principal: Principal, block_request: BlockRequest) -> list[Subject]:
    """Subjects of the justifying violations and subjects linked to the targets (visible links only)."""
    ids = {s.id for v in block_request.violations for s in v.subjects}
    identifier_ids = [t.identifier_id for t in block_request.targets]
    if identifier_ids:
        ids |= set(
            session.scalars(
                select(Link.subject_id).where(
                    Link.identifier_id.in_(identifier_ids), record_visible(Link, principal)
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
    block_request: BlockRequest,
    data: dict[str, Any],
) -> None:
    if "measure" in data or "action" in data:
        measure = data.get("measure")
        if block_request.action != "suspend_domain" and measure:
            raise ValidationFailed(
                "measure applies to suspend_domain only.", errors={"measure": ["not allowed"]}
            )
        block_request.measure = (measure or "suspend") if block_request.action == "suspend_domain" else None
    for name in ("urgent", "reason", "valid_from", "valid_until"):
        if name in data and data[name] is not None:
            setattr(block_request, name, data[name])
    if block_request.valid_until <= block_request.valid_from:
        raise ValidationFailed(
            "valid_until must be after valid_from.", errors={"valid_until": ["must be after valid_from"]}
        )
    codes = data.get("executors")
    if codes is None and block_request.action != "remove_listing":
        codes = [_code(session, e) for e in block_request.executors]  # kept when only the targets change
    if "targets" in data:
        if block_request.targets:
            block_request.targets.clear()
            session.flush()
        block_request.targets.extend(
            _targets(session, cipher, principal, block_request.action, data["targets"])
        )
    if "targets" in data or "executors" in data:
        executors = _executors(session, block_request.action, codes or [], block_request.targets)
        block_request.executors.clear()
        session.flush()
        block_request.executors.extend(executors)
    if "violation_ids" in data:
        block_request.violations = _violations(session, principal, data["violation_ids"])
    if "decision_id" in data:
        decision = _decision(session, principal, data["decision_id"], grounding=False)
        block_request.decision_id = decision.id if decision else None
    block_request.subjects = _subjects(session, principal, block_request)


def _code(session: Session, executor: BlockExecutor) -> str:
    return session.get(Agency, executor.agency_id).code if executor.agency_id else ""  # type: ignore[union-attr]
