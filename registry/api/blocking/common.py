"""What every block request route shares: the blueprint, loading a request, the audit payload."""

from __future__ import annotations

from typing import Any

from registry.api.blueprint import RegistryBlueprint
from registry.api.context import audit_resource, caller, db
from registry.models import BlockRequest
from registry.schemas.blocking import show
from registry.services import blocking as service

blp = RegistryBlueprint(
    "blocking",
    "registry.api.blocking",
    url_prefix="/api/v1",
    description="Domain, IP, URL and shop block requests",
)

NOT_FOUND = "Not found, or not visible to the caller"
INVALID_STATE = (
    "Not allowed in the current state: `current_state` and `allowed` name them, or a concurrent change"
)


def load(request_id: Any) -> BlockRequest:
    """A request the caller may see, for a read (404 otherwise). Reads expire nothing."""
    audit_resource("block_request", request_id)
    return service.load_visible(db(), caller(), request_id)


def load_for_change(request_id: Any) -> BlockRequest:
    """A request the caller may see, for a write: expired first if its validity has ended (the write
    records it, so the step then meets the request as it is)."""
    record = load(request_id)
    service.expire_if_due(db(), record)
    return record


def shown(records: list[BlockRequest], *, as_executor: bool = False, with_transitions: bool) -> None:
    """Dump each record (BlockRequestItem) in the view the access rules give the caller."""
    principal = caller()
    show(
        records,
        [service.view_for(principal, r, as_executor=as_executor) for r in records],
        with_transitions=with_transitions,
    )


def change(record: BlockRequest) -> dict[str, Any]:
    """The audited change of a step on a request."""
    return {
        "id": str(record.id),
        "state": record.state,
        "version": record.version,
        "action": record.action,
        "targets": [[t.kind, t.value] for t in record.targets],
        "decision_id": str(record.decision_id) if record.decision_id else None,
        "valid_until": record.valid_until.isoformat(),
    }
