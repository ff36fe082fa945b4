"""`registry blocking ...`: the over-blocking guard's lists (protected domains, shared address ranges)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from sqlalchemy import select

from registry.cli.common import emit, session_scope
from registry.models import ProtectedDomain, SharedInfrastructure
from registry.services import protected


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else date.today()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


@click.group(help="Block requests: the over-blocking guard's lists.")
def blocking() -> None:
    pass


@blocking.group(
    "protected", help="Protected domains (and their subdomains): never blocked whole without an override."
)
def protected_() -> None:
    pass


@protected_.command("list", help="List protected domains.")
@click.option("--json", "as_json", is_flag=True)
def list_protected(as_json: bool) -> None:
    with session_scope() as session:
        rows = list(session.scalars(select(ProtectedDomain).order_by(ProtectedDomain.domain)))
        data = [
            {
                "domain": p.domain,
                "category": p.category,
                "note": p.note,
                "source": p.source,
                "listed_on": p.listed_on.isoformat(),
            }
            for p in rows
        ]
        text = "\n".join(f"{p.domain:32} {p.category:15} {p.listed_on} {p.note or ''}" for p in rows)
        emit(data, as_json, text)


@protected_.command("add", help="Add or update one protected domain.")
@click.argument("domain")
@click.option("--category", required=True, help="platform, government, bank, payments, cdn, ...")
@click.option("--note", help="operator or reason")
@click.option("--source", default="registry blocking protected add", show_default=True)
@click.option("--date", "listed_on", callback=_date, help="date of the source (default today)")
def add_protected(domain: str, category: str, note: str | None, source: str, listed_on: date) -> None:
    try:
        row = {"domain": protected.normalise_domain(domain), "category": category, "note": note}
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    with session_scope() as session:
        counts = protected.load_protected(session, [row], source=source, listed_on=listed_on)
    click.echo(f"{row['domain']}: {'added' if counts['added'] else 'updated'}")


@protected_.command("remove", help="Remove a protected domain.")
@click.argument("domain")
def remove_protected(domain: str) -> None:
    with session_scope() as session:
        removed = protected.remove_protected(session, domain)
    if not removed:
        raise click.ClickException(f"{domain} is not in the list")
    click.echo(f"{domain}: removed")


@protected_.command("load", help="Add or update protected domains from a CSV (domain,category,operator).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--date", "listed_on", callback=_date, required=True, help="date of the list (YYYY-MM-DD)")
@click.option("--source", help="where the list comes from (default: the file name)")
def load_protected(file: Path, listed_on: date, source: str | None) -> None:
    try:
        rows = protected.read_protected_csv(file)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    with session_scope() as session:
        counts = protected.load_protected(session, rows, source=source or file.name, listed_on=listed_on)
    click.echo(f"{counts['added']} added, {counts['updated']} updated")


@blocking.group("shared-infra", help="Address ranges serving many unrelated sites (CDNs, shared hosts).")
def shared_infra() -> None:
    pass


@shared_infra.command("list", help="List shared-infrastructure ranges.")
@click.option("--json", "as_json", is_flag=True)
def list_shared(as_json: bool) -> None:
    with session_scope() as session:
        rows = list(session.scalars(select(SharedInfrastructure).order_by(SharedInfrastructure.cidr)))
        data = [
            {
                "cidr": s.cidr,
                "operator": s.operator,
                "kind": s.kind,
                "source": s.source,
                "listed_on": s.listed_on.isoformat(),
            }
            for s in rows
        ]
        text = "\n".join(f"{s.cidr:24} {s.kind:14} {s.listed_on} {s.operator}" for s in rows)
        emit(data, as_json, text)


@shared_infra.command("load", help="Add or update ranges from a CSV (cidr,operator,kind).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--date", "listed_on", callback=_date, required=True, help="date of the list (YYYY-MM-DD)")
@click.option("--source", help="where the list comes from (default: the file name)")
def load_shared(file: Path, listed_on: date, source: str | None) -> None:
    try:
        rows = protected.read_shared_csv(file)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    with session_scope() as session:
        counts = protected.load_shared(session, rows, source=source or file.name, listed_on=listed_on)
    click.echo(f"{counts['added']} added, {counts['updated']} updated")
