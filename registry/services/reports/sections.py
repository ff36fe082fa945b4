"""The report's sections: one function each, registered in order in SECTIONS (adding one is one function).

Each figure counts with the same query as the list it links to (the list's own service function, its
visibility and the filters the link names), so that following the link gives a list whose `total` is the
figure. The cases and amounts add up the summary of the cases instead (summary.py: the same rules, kept
exact by the writes' marks; tests/api/test_report_summary.py holds the two to the same figures), with the
cases it cannot answer for counted by the list's query. How the scope filters each section:

- cases, amounts, referrals (violations): agency -> the detecting agency (owner); province -> the
  violation's province; counted by detection time within the period (amounts: of those cases, with the tax
  authorities' additions; referrals: by the time of the referral);
- removals, blocks (block requests): agency -> the submitting agency; province -> the province of a
  violation the request answers; by the time the request took effect or was lifted;
- freezes (freeze orders and transaction delays): agency -> the issuing agency (a delay: the bank);
  province -> the account holder's province (a delay: a subject linked to the account); by the time an
  account was frozen, or the delay made;
- overdue: the steps late now (not the period): agency -> the agency whose move it is; province -> the
  case's province;
- tips: agency -> the agency a tip is routed to now; province -> the province the reporter named; received
  in the period, and resolved (handled or dismissed) in it whenever received. Only the routed agency reads
  a tip, so these are counts without a list behind them (no link).

A section whose records the caller may not read at all is shown as not available, without figures.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select, true
from sqlalchemy.orm import Session

from registry.errors import PermissionDenied
from registry.models import CATEGORIES, GOODS_GROUPS, Referral, TaxRecovery, Violation
from registry.models.freezing import FreezeAccount
from registry.services import blocking, freezing, overdue, violations
from registry.services.blocking.access import ANY_BLOCKING
from registry.services.freezing.filters import account_clauses, delay_clauses, order_clauses
from registry.services.reports import summary
from registry.services.reports.model import HANDLED, Context, Figure, Link, Section, SectionFunction

SECTIONS: dict[str, SectionFunction] = {}


def section(key: str) -> Callable[[SectionFunction], SectionFunction]:
    def register(function: SectionFunction) -> SectionFunction:
        SECTIONS[key] = function
        return function

    return register


def _param(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _link(path: str, filters: dict[str, Any]) -> Link:
    return Link(path, {key: _param(value) for key, value in filters.items() if value is not None})


def _count(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


# -- violations ------------------------------------------------------------------------------------------

VIOLATIONS = "/api/v1/violations"


def _case_filters(ctx: Context) -> dict[str, Any]:
    filters: dict[str, Any] = {"detected_from": ctx.period.since, "detected_to": ctx.period.until}
    if ctx.scope.kind == "agency":
        filters["detected_by"] = ctx.scope.agency
    elif ctx.scope.kind == "province":
        filters["province"] = ctx.scope.province
    return filters


def _cases(ctx: Context, *where: Any) -> Select[Any]:
    """The cases the caller sees in the period and scope: the violations list's own query."""
    return violations.search(ctx.session, ctx.principal, _case_filters(ctx)).where(*where)


def _totals(ctx: Context) -> tuple[int, int, int, int, int]:
    """(detected, handled, fines, tax recovered with the additions, goods value): the summary's rows,
    and the cases it does not answer for (others' `named` records shared with the caller) counted live
    with the list's query, the tax authorities' additions joined from their own (small) table."""

    def compute() -> tuple[int, int, int, int, int]:
        summarised = summary.totals(ctx.session, ctx.principal, ctx.period, ctx.scope)
        live = _cases(ctx, *summary.named_elsewhere(ctx.principal))
        row = ctx.session.execute(
            live.with_only_columns(
                func.count(),
                func.coalesce(func.sum(case((Violation.status == HANDLED, 1), else_=0)), 0),
                func.coalesce(func.sum(Violation.fine_vnd), 0),
                func.coalesce(func.sum(Violation.tax_recovered_vnd), 0),
                func.coalesce(func.sum(Violation.goods_value_vnd), 0),
            )
        ).one()
        added = ctx.session.scalar(
            live.join(TaxRecovery, TaxRecovery.violation_id == Violation.id).with_only_columns(
                func.coalesce(func.sum(TaxRecovery.amount_vnd), 0)
            )
        )
        detected, handled, fines, tax, goods = (int(a) + int(b) for a, b in zip(summarised, row, strict=True))
        return detected, handled, fines, tax + int(added or 0), goods

    return ctx.once("case_totals", compute)


def _groups(ctx: Context) -> dict[tuple[str, str], tuple[int, int]]:
    """(detected, handled) per category and per goods group: the summary's, and the cases it does not
    answer for counted live. The API refuses a list naming a value twice (schemas.violations), so a case
    counts once under each value it names, as the list's filter finds it."""
    found = summary.groups(ctx.session, ctx.principal, ctx.period, ctx.scope)
    sanctioned = func.sum(case((Violation.status == HANDLED, 1), else_=0))
    for dim, column in summary.DIMENSIONS:
        element = summary.elements(ctx.session, column)
        query = (
            _cases(ctx, *summary.named_elsewhere(ctx.principal))
            .join(element, true())
            .with_only_columns(element.c.value, func.count(), sanctioned)
            .group_by(element.c.value)
        )
        for value, detected, handled in ctx.session.execute(query).tuples():
            before = found.get((dim, str(value)), (0, 0))
            found[dim, str(value)] = (before[0] + int(detected), before[1] + int(handled or 0))
    return found


@section("cases")
def cases_section(ctx: Context) -> Section:
    filters = _case_filters(ctx)
    detected, handled, *_ = _totals(ctx)
    handled_filters = {**filters, "status": HANDLED}
    result = Section("cases", "Cases detected and handled")
    result.figures += [
        Figure("detected", "Cases detected", detected, "count", _link(VIOLATIONS, filters)),
        Figure("handled", "Cases handled (sanctioned)", handled, "count", _link(VIOLATIONS, handled_filters)),
    ]
    counted = _groups(ctx)
    for group, names, name in (
        ("by_category", CATEGORIES, "category"),
        ("by_goods_group", GOODS_GROUPS, "goods_group"),
    ):
        values = {value for dim, value in counted if dim == name}
        for value in [n for n in names if n in values] + sorted(values - set(names)):
            for measure, number, extra in (
                ("detected", counted[name, value][0], {}),
                ("handled", counted[name, value][1], {"status": HANDLED}),
            ):
                result.figures.append(
                    Figure(
                        f"{group}.{value}.{measure}",
                        f"Cases {measure}",
                        number,
                        "count",
                        _link(VIOLATIONS, {**filters, name: value, **extra}),
                        group=group,
                        item=value,
                    )
                )
    return result


@section("amounts")
def amounts_section(ctx: Context) -> Section:
    _, _, fines, tax, goods = _totals(ctx)
    link = _link(VIOLATIONS, _case_filters(ctx))
    result = Section("amounts", "Fines, tax recovered and goods value (VND), of the cases detected")
    result.figures += [
        Figure("fines_vnd", "Fines", fines, "vnd", link, counts=False),
        Figure("tax_recovered_vnd", "Tax recovered", tax, "vnd", link, counts=False),
        Figure("goods_value_vnd", "Value of goods", goods, "vnd", link, counts=False),
    ]
    return result


# -- block requests --------------------------------------------------------------------------------------

BLOCKS = "/api/v1/block-requests"
# What each action's targets are: removals of listings, accounts (URLs) and shops; blocks of websites
# (domains, URLs) and IPs at the ISPs; suspensions of .vn domains.
ACTION_KINDS = {
    "remove_listing": ("url", "marketplace_shop"),
    "block_at_isp": ("domain", "url", "ip", "ip_range"),
    "suspend_domain": ("domain",),
}


def _block_scope(ctx: Context) -> dict[str, Any]:
    if ctx.scope.kind == "agency":
        return {"submitted_by": ctx.scope.agency}
    if ctx.scope.kind == "province":
        return {"province": ctx.scope.province}
    return {}


def _block_figures(ctx: Context, actions: tuple[str, ...]) -> list[Figure]:
    figures = []
    period = {"effective_from": ctx.period.since, "effective_to": ctx.period.until}
    lifted = {"lifted_from": ctx.period.since, "lifted_to": ctx.period.until}
    for action in actions:
        base = {"action": action, **_block_scope(ctx)}
        asked = [("effective", period, None, "Requests that took effect")] + [
            ("effective", period, kind, "Requests that took effect") for kind in ACTION_KINDS[action]
        ]
        asked.append(("lifted", lifted, None, "Requests lifted"))
        for measure, when, kind, words in asked:
            filters = {**base, **when, **({"target_kind": kind} if kind else {})}
            number = _count(ctx.session, blocking.list_query(ctx.principal, filters, ctx.now))
            key = f"{action}.{kind}.{measure}" if kind else f"{action}.{measure}"
            label = words + (f", with a {kind} target" if kind else "")
            figures.append(
                Figure(key, label, number, "count", _link(BLOCKS, filters), group=action, item=kind or "all")
            )
    return figures


def _blocks(ctx: Context, key: str, title: str, actions: tuple[str, ...]) -> Section:
    try:
        blocking.require_reader(ctx.principal, *ANY_BLOCKING)
    except PermissionDenied:
        return Section(key, title, available=False, note="The caller does not read block requests.")
    return Section(key, title, _block_figures(ctx, actions))


@section("removals")
def removals_section(ctx: Context) -> Section:
    return _blocks(ctx, "removals", "Listings, shops and accounts removed", ("remove_listing",))


@section("blocks")
def blocks_section(ctx: Context) -> Section:
    return _blocks(
        ctx, "blocks", "Websites, domains and IPs blocked and lifted", ("block_at_isp", "suspend_domain")
    )


# -- freezes ---------------------------------------------------------------------------------------------

ORDERS, DELAYS = "/api/v1/freeze-orders", "/api/v1/transaction-delays"


@section("freezes")
def freezes_section(ctx: Context) -> Section:
    title = "Accounts frozen and transactions delayed"
    try:
        v = freezing.reader(ctx.session, ctx.principal)
    except PermissionDenied:
        return Section("freezes", title, available=False, note="The caller does not read freeze orders.")
    order_filters: dict[str, Any] = {"executed_from": ctx.period.since, "executed_to": ctx.period.until}
    delay_filters: dict[str, Any] = {"delayed_from": ctx.period.since, "delayed_to": ctx.period.until}
    if ctx.scope.kind == "agency":
        order_filters["issuer"] = delay_filters["bank"] = ctx.scope.agency
    elif ctx.scope.kind == "province":
        order_filters["province"] = delay_filters["province"] = ctx.scope.province
    orders = freezing.order_query(v).where(*order_clauses(v, order_filters))
    accounts, frozen = ctx.session.execute(
        select(func.count(), func.coalesce(func.sum(FreezeAccount.amount_frozen_vnd), 0)).where(
            FreezeAccount.order_id.in_(select(orders.order_by(None).subquery().c.id)),
            *account_clauses(v, order_filters),
        )
    ).one()
    delays = freezing.delay_query(v).where(*delay_clauses(delay_filters)).subquery()
    delayed, amount = ctx.session.execute(
        select(func.count(), func.coalesce(func.sum(delays.c.amount_vnd), 0))
    ).one()
    order_link, delay_link = _link(ORDERS, order_filters), _link(DELAYS, delay_filters)
    result = Section("freezes", title)
    result.figures += [
        Figure(
            "orders", "Freeze orders with accounts frozen", _count(ctx.session, orders), "count", order_link
        ),
        Figure("accounts", "Accounts frozen", accounts, "count", order_link, counts=False),
        Figure("frozen_vnd", "Amount frozen", int(frozen), "vnd", order_link, counts=False),
        Figure("delays", "Transactions delayed", delayed, "count", delay_link),
        Figure("delayed_vnd", "Amount delayed", int(amount), "vnd", delay_link, counts=False),
    ]
    return result


@section("referrals")
def referrals_section(ctx: Context) -> Section:
    filters = _case_filters(ctx)
    del filters["detected_from"], filters["detected_to"]
    filters.update(referred_from=ctx.period.since, referred_to=ctx.period.until)
    found = violations.search(ctx.session, ctx.principal, filters).subquery()
    referred = _count(ctx.session, select(found.c.id))
    referrals = ctx.session.scalar(
        select(func.count()).where(
            Referral.violation_id.in_(select(found.c.id)),
            Referral.referred_at >= ctx.period.since,
            Referral.referred_at <= ctx.period.until,
        )
    )
    link = _link(VIOLATIONS, filters)
    result = Section("referrals", "Cases referred to the police", chart=False)
    result.figures += [
        Figure("cases_referred", "Cases referred", referred, "count", link),
        Figure(
            "referrals", "Referrals (a case may go to several bodies)", referrals or 0, "count", link, False
        ),
    ]
    return result


# -- overdue ---------------------------------------------------------------------------------------------


@section("overdue")
def overdue_section(ctx: Context) -> Section:
    title = "Workflow steps overdue (now)"
    try:
        steps = overdue.late_steps(ctx.session, ctx.principal, ctx.now)
    except PermissionDenied:
        return Section("overdue", title, available=False, note="The caller does not read overdue steps.")
    where: dict[str, Any] = {}
    if ctx.scope.kind == "agency":
        where["agency"] = ctx.scope.agency
    elif ctx.scope.kind == "province":
        where["province"] = ctx.scope.province
    chosen = overdue.select_steps(steps, agency=where.get("agency"), province=where.get("province"))
    result = Section("overdue", title)
    result.figures.append(
        Figure("steps", "Steps overdue", len(chosen), "count", _link("/api/v1/overdue", where))
    )
    for workflow in overdue.WORKFLOWS:
        try:  # the list of one workflow is refused to a caller who may not read it
            overdue.late_steps(ctx.session, ctx.principal, ctx.now, workflow=workflow)
        except PermissionDenied:
            continue
        number = sum(1 for step in chosen if step.workflow == workflow)
        result.figures.append(
            Figure(
                f"{workflow}.steps",
                "Steps overdue",
                number,
                "count",
                _link("/api/v1/overdue", {**where, "workflow": workflow}),
                group="by_workflow",
                item=workflow,
            )
        )
    return result


# Not yet here: "tips received and resolved" (issue 18's tips, another part of the work): a function
# decorated @section("tips") counting the tips the caller may see, linked to the tips list.


# -- tips --------------------------------------------------------------------------------------------------


@section("tips")
def tips_section(ctx: Context) -> Section:
    from registry.services.tips.figures import counts

    found = counts(
        ctx.session,
        ctx.period.since,
        ctx.period.until + timedelta(microseconds=1),  # counts() takes [start, end)
        agency_ids=[ctx.scope.agency_id] if ctx.scope.kind == "agency" and ctx.scope.agency_id else None,
        province=ctx.scope.province if ctx.scope.kind == "province" else None,
    )
    result = Section("tips", "Tips from the public")
    result.figures += [
        Figure("received", "Tips received", found["received"], "count", None, counts=False),
        Figure("resolved", "Tips resolved", found["resolved"], "count", None, counts=False),
        Figure("handled", "Tips handled (acted upon)", found["handled"], "count", None, counts=False),
    ]
    return result
