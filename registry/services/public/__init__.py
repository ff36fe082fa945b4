"""What the public may know: published violations and blocks in effect (issue 18, the public face).

Published violation: a violation whose owner made it `public` and whose status is `confirmed` or
`sanctioned`. A `suspected` case is not established and a `dismissed` one was found not to be a
violation: neither is ever shown, whatever its visibility. Of a published violation the public sees its
categories, goods groups, status, detection date and its sanction decision's number, date and issuing
body; never its subjects, summary, amounts or the agencies' internal records.

Block in effect: a block request in state `in_effect` whose validity has not ended. A block is public by
nature (the site is unreachable); the public sees its target, its action, and its decision's number,
date and issuing body; once it ends (lifted, revoked, expired) the list of violators shows the ending.

Modules: check.py (is this website, URL or shop flagged?), ranges.py (the k-anonymity range query of
bank accounts and phones), violators.py (the list of violating websites and shops, and its Atom feed).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_

from registry.models import Decision, Violation, ViolationStatus, Visibility

PUBLISHED_STATUSES = (ViolationStatus.CONFIRMED.value, ViolationStatus.SANCTIONED.value)
WEBSITE_KINDS = ("domain", "url", "marketplace_shop")


def published(violation: Any = Violation) -> ColumnElement[bool]:
    """The violations the public may see (see the module's docstring)."""
    return and_(violation.visibility == Visibility.PUBLIC.value, violation.status.in_(PUBLISHED_STATUSES))


def decision_facts(decision: Decision | None, reference: str | None = None) -> dict[str, Any] | None:
    """A decision as the public sees it: number, date, issuing body; a bare reference when the case
    names its decision by number only; None without either."""
    if decision is not None:
        return {
            "number": decision.number,
            "issued_on": decision.issued_on,
            "issuing_body": decision.issuing_body,
        }
    if reference:
        return {"number": reference, "issued_on": None, "issuing_body": None}
    return None
