"""What every freeze route shares: the blueprint, loading an order, the audit payload.

Who sees what is the rule in services/freezing/access.py (issuer, State Bank, Standing Office, and the
banks addressed, each bank its own accounts only); everyone else gets 404. Reads need a freeze scope
(or, for the Standing Office, `registry:read`). Full account numbers: to a bank for its own accounts;
to the issuer and the State Bank with `?sensitive=true` (scope `registry:read_sensitive` and a purpose).
Answers to submissions are kept for idempotent replays, so they never carry a full account number.
"""

from __future__ import annotations

from typing import Any

from registry.api.blueprint import RegistryBlueprint
from registry.api.context import audit_change, audit_resource, caller, db
from registry.auth.scopes import Scope
from registry.models.freezing import FreezeOrder
from registry.services import freezing as service

blp = RegistryBlueprint(
    "freezing",
    "registry.api.freezing",
    url_prefix="/api/v1",
    description="Account-freeze orders and transaction delays",
)
ORDERS = "/freeze-orders"
DELAYS = "/transaction-delays"
NOT_FOUND = "Not found, or not visible to the caller (another bank's order or account)"
INVALID_STATE = "Invalid transition: `current_state` and `allowed` actions; or changed concurrently"
READERS = (*service.READ_SCOPES, Scope.REGISTRY_READ)


def load(order_id: Any) -> FreezeOrder:
    """An order the caller may see, for a read (404 otherwise). Reads expire nothing."""
    audit_resource("freeze_order", order_id)
    return service.load_visible(db(), caller(), order_id)


def load_for_step(order_id: Any) -> FreezeOrder:
    """An order the caller may see, for a step: expired first if its validity has ended (the step
    records it, so the step then meets the order as it is)."""
    audit_resource("freeze_order", order_id)
    return service.load_for_step(db(), caller(), order_id)


def changed(order: FreezeOrder, action: str, **facts: Any) -> None:
    audit_change({"order": str(order.id), "action": action, "state": order.state, **facts})


def account_hashes(order: FreezeOrder) -> list[dict[str, str]]:
    return [{"bank_bin": a.bank_bin, "value_hash": a.identifier.value_hash} for a in order.accounts]


def terms(order: FreezeOrder) -> dict[str, Any]:
    return {key: str(value) if value is not None else None for key, value in service.terms_of(order).items()}
