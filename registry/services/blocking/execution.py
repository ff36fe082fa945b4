"""The executors' acknowledgements: of the block (per target), and of its removal once it ended."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import Conflict, InvalidTransition, ValidationFailed
from registry.messages import msg
from registry.models import BlockAcknowledgement, BlockExecutor, BlockRequest
from registry.models.blocking import AckOutcome, BlockState
from registry.services import workflow
from registry.services.blocking.access import addressed_executor, require_decider
from registry.services.blocking.expiry import shown_state
from registry.services.blocking.machine import ADDRESSED, MACHINE
from registry.services.blocking.removal import ENDED, executed


def _executor(principal: Principal, block_request: BlockRequest, platform: str | None) -> BlockExecutor:
    """The caller's own part of the order, or (deciding agency) the part of a platform it speaks for."""
    if platform is None:
        return addressed_executor(principal, block_request)
    require_decider(principal, block_request)
    addressed = next((e for e in block_request.executors if e.platform == platform), None)
    if addressed is None:
        raise ValidationFailed(
            msg("This request is not addressed to platform {platform}.", platform=platform),
            errors={"platform": ["not addressed"]},
        )
    return addressed


def confirm_removal(
    session: Session,
    *,
    principal: Principal,
    block_request: BlockRequest,
    note: str | None,
    platform: str | None = None,
) -> BlockExecutor:
    """An executor confirms it removed the block of a request that ended (lifted, revoked, expired)."""
    executor = _executor(principal, block_request, platform)
    if block_request.state not in ENDED:
        raise InvalidTransition(
            msg(
                "A removal is confirmed once the block request has ended; this one is {state}.",
                state=shown_state(block_request),
            ),
            current=block_request.state,
            allowed=MACHINE.allowed(block_request.state),
        )
    if not executed(executor):
        raise Conflict("This executor did not execute the block: there is nothing to remove.")
    if executor.unblocked_at is not None:
        raise Conflict(
            msg("The removal was already confirmed at {when}.", when=executor.unblocked_at.isoformat())
        )
    executor.unblocked_at, executor.unblocked_by, executor.unblock_note = utcnow(), principal.officer, note
    executor.unblock_agency_id, executor.unblock_client_id = principal.agency_id, principal.client_id
    session.flush()
    return executor


def acknowledge(
    session: Session,
    *,
    principal: Principal,
    block_request: BlockRequest,
    items: list[dict[str, Any]],
    platform: str | None = None,
) -> BlockExecutor:
    """An executor's replies per target; the first `executed` puts the request in effect."""
    executor = _executor(principal, block_request, platform)
    if block_request.state not in ADDRESSED:
        raise InvalidTransition(
            msg(
                "Replies are recorded for a dispatched or in-effect block request; this one is {state}.",
                state=block_request.state,
            ),
            current=block_request.state,
            allowed=MACHINE.allowed(block_request.state),
        )
    targets = {t.id: t for t in block_request.targets}
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
                msg("{target} was already acknowledged by this executor.", target=target.display),
                target_id=str(target.id),
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
        if item["outcome"] == AckOutcome.EXECUTED:
            executed.append(target.display)
    session.flush()
    if executed and block_request.state == BlockState.DISPATCHED:
        name = platform or principal.agency
        workflow.apply(
            session,
            machine=MACHINE,
            record=block_request,
            action_name="take_effect",
            principal=principal,
            reason=f"{name} executed {', '.join(executed)}",
            detail={"executor": name, "executed": executed},
        )
    return executor
