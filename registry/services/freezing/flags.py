"""Defects of form the State Bank flags to an order's issuer, and the issuer's answers.

The State Bank may check an order's form but may not hold back or return an order of a competent body
(it dispatches it, or the issuer already has: an urgent order). What it finds it flags: a recorded flag
the issuer sees and answers (and may correct its order before dispatch). A flag changes no state.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import Conflict, NotFound, PermissionDenied, id_or_not_found
from registry.messages import msg
from registry.models.freezing import FreezeOrder, FreezeOrderFlag, OrderState
from registry.services.freezing.access import require_issuer, require_processor, viewer

NO_FLAGS = frozenset({OrderState.CLOSED, OrderState.WITHDRAWN})


def raise_flag(
    session: Session, *, principal: Principal, order: FreezeOrder, defect: str, now: datetime | None = None
) -> FreezeOrderFlag:
    """A named State Bank officer flags a defect of the order's form to its issuer."""
    require_processor(viewer(session, principal))
    if not principal.officer:
        raise PermissionDenied("A flag is raised by a named officer (a token obtained for one).")
    if order.state in NO_FLAGS:
        raise Conflict(msg("The order is {state}: there is no one to answer a flag.", state=order.state))
    flag = FreezeOrderFlag(
        order_id=order.id,
        agency_id=principal.agency_id,
        officer=principal.officer,
        defect=defect,
        raised_at=now or utcnow(),
    )
    session.add(flag)
    session.flush()
    return flag


def answer_flag(
    session: Session,
    *,
    principal: Principal,
    order: FreezeOrder,
    flag_id: Any,
    answer: str,
    now: datetime | None = None,
) -> FreezeOrderFlag:
    """The issuer answers a flag once, by a named officer."""
    require_issuer(viewer(session, principal), order)
    if not principal.officer:
        raise PermissionDenied("A flag is answered by a named officer (a token obtained for one).")
    key = id_or_not_found(flag_id, "flag")
    flag = session.get(FreezeOrderFlag, key, with_for_update=True)
    if flag is None or flag.order_id != order.id:
        raise NotFound(msg("No flag with id {key} on this order.", key=key))
    if flag.answered_at is not None:
        raise Conflict("This flag has been answered already.")
    flag.answer = answer
    flag.answered_by_agency_id = principal.agency_id
    flag.answered_by_officer = principal.officer
    flag.answered_at = now or utcnow()
    session.flush()
    return flag


def flags_of(session: Session, orders: Iterable[FreezeOrder]) -> dict[uuid.UUID, list[FreezeOrderFlag]]:
    """For each order, its flags in the order raised, in one query for all of them."""
    result: dict[uuid.UUID, list[FreezeOrderFlag]] = {o.id: [] for o in orders}
    if result:
        rows = session.scalars(
            select(FreezeOrderFlag)
            .where(FreezeOrderFlag.order_id.in_(list(result)))
            .order_by(FreezeOrderFlag.raised_at, FreezeOrderFlag.id)
        )
        for flag in rows:
            result[flag.order_id].append(flag)
    return result
