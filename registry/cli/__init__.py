"""The `registry` command. Each area's commands live in a module of this package, added here by name."""

from __future__ import annotations

import os

import click

from registry import logs
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
from registry.config import ConfigError, check_log_format, log_format


@click.group(help="Inter-agency e-commerce violator registry (National Steering Committee 389).")
@click.version_option(package_name="registry")
def main() -> None:
    """Every command logs as the API does, set up here once (registry/logs.py): to stderr, JSON lines
    in production (REGISTRY_LOG_FORMAT), so that the sequencer's, the clock's, the zone publisher's and
    the job workers' lines reach the collector like the API's. A command's answer (tables, `--json`,
    a key, "added ...") stays on stdout, and a person's progress at a terminal (a loader's "n/N
    written", a verification's verdict) on stderr as plain text: neither is a log line."""
    kind = log_format(os.environ)
    try:
        check_log_format(kind)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    logs.configure_format(kind)


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
