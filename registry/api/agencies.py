"""Agencies: who takes part in the registry (read-only over HTTP; managed with `registry agencies`)."""

from __future__ import annotations

from registry.api.blueprint import RegistryBlueprint
from registry.api.context import db
from registry.schemas.agencies import AgencyRead
from registry.services import agencies

blp = RegistryBlueprint(
    "agencies", __name__, url_prefix="/api/v1/agencies", description="Participating agencies"
)


@blp.route("")
@blp.access("agency:list", None)
@blp.response(200, AgencyRead(many=True))
def list_agencies():
    """List agencies"""
    return agencies.all_agencies(db())


@blp.route("/<string:code>")
@blp.access("agency:read", None)
@blp.response(200, AgencyRead)
@blp.alt_response(404, description="No such agency")
def get_agency(code: str):
    """Get one agency"""
    return agencies.by_code(db(), code)
