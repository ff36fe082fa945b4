from __future__ import annotations

from datetime import datetime

import click

from registry.cli.common import emit, session_scope
from registry.models import AgencyKind
from registry.services import agencies as service


@click.group(help="Participating agencies (seeded by migration 0002).")
def agencies() -> None:
    pass


@agencies.command("list", help="List agencies.")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json: bool) -> None:
    with session_scope() as session:
        rows = service.all_agencies(session)
        data = [{"code": a.code, "kind": a.kind, "name_en": a.name_en, "bank_bin": a.bank_bin} for a in rows]
        emit(data, as_json, "\n".join(f"{a.code:14} {a.kind:16} {a.name_en}" for a in rows))


@agencies.command(help="Add an agency (a province, a bank, a body created by a reorganisation).")
@click.argument("code")
@click.option("--kind", required=True, type=click.Choice([k.value for k in AgencyKind]))
@click.option("--name-vi", required=True)
@click.option("--name-en", required=True)
@click.option("--parent", help="Code of the parent agency.")
@click.option("--bank-bin", help="NAPAS BIN, for an executor bank.")
@click.option("--valid-from", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
def add(
    code: str,
    kind: str,
    name_vi: str,
    name_en: str,
    parent: str | None,
    bank_bin: str | None,
    valid_from: datetime | None,
) -> None:
    with session_scope() as session:
        service.add(
            session,
            code=code,
            kind=kind,
            name_vi=name_vi,
            name_en=name_en,
            parent=parent,
            bank_bin=bank_bin,
            valid_from=valid_from.date() if valid_from else None,
        )
    click.echo(f"added {code}")


@agencies.command(help="End an agency's validity (merger, renaming); name the agency taking over.")
@click.argument("code")
@click.option("--last-day", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--successor", help="Code of the agency that takes over its functions.")
def retire(code: str, last_day: datetime, successor: str | None) -> None:
    with session_scope() as session:
        service.retire(session, code=code, last_day=last_day.date(), successor=successor)
    click.echo(f"{code} valid until {last_day:%Y-%m-%d}" + (f"; successor {successor}" if successor else ""))
