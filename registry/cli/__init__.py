"""The `registry` command. Each area's commands live in a module of this package, added here by name."""

from __future__ import annotations

import click

from registry.cli import (
    agencies,
    audit,
    blocking,
    clients,
    config,
    db,
    decisions,
    demo,
    health,
    jobs,
    keys,
    serve,
    workflows,
)


@click.group(help="Inter-agency e-commerce violator registry (National Steering Committee 389).")
@click.version_option(package_name="registry")
def main() -> None:
    pass


main.add_command(db.db)
main.add_command(serve.serve)
main.add_command(agencies.agencies)
main.add_command(demo.demo_data)
main.add_command(clients.clients)
main.add_command(keys.keys)
main.add_command(audit.audit)
main.add_command(blocking.blocking)
main.add_command(decisions.decisions)
main.add_command(workflows.workflows)
main.add_command(config.config)
main.add_command(health.ready)
main.add_command(jobs.jobs)
