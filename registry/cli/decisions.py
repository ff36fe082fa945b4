"""Written decisions from the command line: checking the stored documents' signatures again."""

from __future__ import annotations

import click

from registry.cli.common import emit, session_scope
from registry.services import decisions as service


@click.group(help="Written decisions of competent bodies.")
def decisions() -> None:
    pass


@decisions.command(
    "check-signatures",
    help="Check the digital signatures of every stored decision document against the trust list "
    "(REGISTRY_TRUST_DIR) again: once after upgrading to migration 0015, and whenever the trust list "
    "changes. A finding that changes clears an override made on the old one.",
)
@click.option("--json", "as_json", is_flag=True)
def check_signatures(as_json: bool) -> None:
    with session_scope() as session:

        def progress(done: int) -> None:
            if done % 100 == 0:
                click.echo(f"  {done} documents checked", err=True)

        counts = service.recheck_signatures(session, progress=progress)
    emit(
        counts,
        as_json,
        "\n".join(f"{status:10} {count}" for status, count in sorted(counts.items())) or "no documents",
    )
