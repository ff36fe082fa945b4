from __future__ import annotations

import click
from sqlalchemy import select

from registry.cli.common import emit, session_scope
from registry.models import Agency


def register(main: click.Group) -> None:
    @main.group(help="Participating agencies (seeded by migration 0002).")
    def agencies() -> None:
        pass

    @agencies.command("list", help="List agencies.")
    @click.option("--json", "as_json", is_flag=True)
    def list_(as_json: bool) -> None:
        with session_scope() as session:
            rows = list(session.scalars(select(Agency).order_by(Agency.code)))
            data = [
                {"code": a.code, "kind": a.kind, "name_en": a.name_en, "bank_bin": a.bank_bin} for a in rows
            ]
            emit(data, as_json, "\n".join(f"{a.code:14} {a.kind:16} {a.name_en}" for a in rows))
