"""Agencies: who takes part in the registry (read-only over HTTP; managed with `registry agencies`)."""

from __future__ import annotations

from sqlalchemy import select

from registry.api.blueprint import RegistryBlueprint
from registry.api.context import db
from registry.errors import NotFound
from registry.models import Agency
from registry.schemas.agencies import AgencyRead

blp = RegistryBlueprint(
    "agencies", __name__, url_prefix="/api/v1/agencies", description="Participating agencies"
)


@blp.route("")
@blp.access("agency:list", None)
@blp.response(200, AgencyRead(many=True))
def list_agencies():  # type: ignore[no-untyped-def]
    """List agencies"""
    return list(db().scalars(select(Agency).order_by(Agency.code)))


@blp.route("/<string:code>")
@blp.access("agency:read", None)
@blp.response(200, AgencyRead)
@blp.alt_response(404, description="No such agency")
def get_agency(code: str):  # type: ignore[no-untyped-def]
    """Get one agency"""
    agency = db().scalars(select(Agency).where(Agency.code == code)).first()
    if agency is None:
        raise NotFound(f"No agency with code {code}.")
    return agency
