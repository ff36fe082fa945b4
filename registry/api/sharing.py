"""The visibility endpoints every shared resource exposes, built from one function."""

from __future__ import annotations

from typing import Any

from registry.api.blueprint import RegistryBlueprint
from registry.api.context import audit_change, audit_resource, caller, db
from registry.auth.scopes import Scope
from registry.models import SharedRecord
from registry.schemas.common import VisibilityChangeArgs, VisibilityRead
from registry.services import visibility


def add_visibility_route(blp: RegistryBlueprint, model: type[SharedRecord], path: str) -> None:
    """POST <path>/<id>/visibility: the owner changes who may see the record; the change is recorded."""
    name = model.record_type

    @blp.route(f"{path}/<uuid:record_id>/visibility", methods=["POST"], endpoint=f"{name}_visibility")
    @blp.access(f"{name}:change_visibility", Scope.REGISTRY_WRITE)
    @blp.arguments(VisibilityChangeArgs)
    @blp.response(200, VisibilityRead)
    @blp.alt_response(404, description="Not found, or not visible to the caller")
    def change_visibility(args: dict[str, Any], record_id: Any) -> SharedRecord:
        """Change the visibility of a record (owner only)"""
        audit_resource(name, record_id)
        record = visibility.load_visible(db(), model, record_id, caller())
        visibility.change(
            db(),
            record,
            caller(),
            visibility=args["visibility"],
            agencies=args["shared_with"],
            reason=args["reason"],
        )
        audit_change({"visibility": args["visibility"], "shared_with": sorted(args["shared_with"])})
        return record

    change_visibility.__name__ = f"change_{name}_visibility"
