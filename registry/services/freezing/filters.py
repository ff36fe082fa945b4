"""The filters the reports link with (services.reports): orders with an account frozen in a period, of an
issuing agency, with an account holder in a province; delays in a period, of a bank, in a province."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, select

from registry.models import Agency, Link, Subject
from registry.models.freezing import FreezeAccount, FreezeOrder, TransactionDelay
from registry.services.freezing.access import Viewer


def _agency(code: str) -> Any:
    return select(Agency.id).where(Agency.code == code).scalar_subquery()


def account_clauses(v: Viewer, filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    """An account (of an order) that `filters` asks about: executed in the period, its holder in the
    province; a bank sees only its own accounts. Empty when the filters say nothing of accounts."""
    clauses: list[ColumnElement[bool]] = []
    if filters.get("executed_from") is not None:
        clauses.append(FreezeAccount.executed_at >= filters["executed_from"])
    if filters.get("executed_to") is not None:
        clauses.append(FreezeAccount.executed_at <= filters["executed_to"])
    if filters.get("province"):
        clauses.append(
            FreezeAccount.subject_id.in_(select(Subject.id).where(Subject.province == filters["province"]))
        )
    if clauses and v.bank_bin and not (v.processor or v.overseer):
        clauses.append(FreezeAccount.bank_bin == v.bank_bin)
    return clauses


def order_clauses(v: Viewer, filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.get("issuer"):
        clauses.append(FreezeOrder.issuer_agency_id == _agency(filters["issuer"]))
    account = account_clauses(v, filters)
    if account:
        clauses.append(exists().where(FreezeAccount.order_id == FreezeOrder.id, *account))
    return clauses


def delay_clauses(filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    """A delay's province is that of a subject the registry links to the delayed account."""
    clauses: list[ColumnElement[bool]] = []
    if filters.get("delayed_from") is not None:
        clauses.append(TransactionDelay.delayed_at >= filters["delayed_from"])
    if filters.get("delayed_to") is not None:
        clauses.append(TransactionDelay.delayed_at <= filters["delayed_to"])
    if filters.get("bank"):
        clauses.append(TransactionDelay.bank_agency_id == _agency(filters["bank"]))
    if filters.get("province"):
        clauses.append(
            exists().where(
                Link.identifier_id == TransactionDelay.identifier_id,
                Subject.id == Link.subject_id,
                Subject.province == filters["province"],
            )
        )
    return clauses
