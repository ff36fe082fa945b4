"""`registry config ...`: what the registry reads from its environment."""

from __future__ import annotations

import click

from registry.config import variables, variables_markdown


@click.group(help="The registry's configuration (REGISTRY_* environment variables).")
def config() -> None:
    pass


@config.command(
    "variables", help="Every REGISTRY_* variable: its default, what it means, whether it is a secret."
)
@click.option("--markdown", is_flag=True, help="As the Markdown table of deploy/README.md.")
def variables_command(markdown: bool) -> None:
    if markdown:
        click.echo(variables_markdown(), nl=False)
        return
    for variable in variables():
        secret = " (secret)" if variable.secret else ""
        click.echo(f"{variable.name}{secret}\n  default: {variable.default}\n  {variable.meaning}")
