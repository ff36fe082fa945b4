"""Checks on the caller that views and workflows share."""

from __future__ import annotations

from registry.auth.principal import Principal
from registry.errors import PermissionDenied


def require_officer(principal: Principal) -> str:
    """The officer acting, for steps a named person must take (four-eyes); refused for a bare system."""
    if not principal.officer:
        raise PermissionDenied(
            "This step must be taken by a named officer: use a token obtained with the jwt-bearer grant.",
            officer_required=True,
        )
    return principal.officer
