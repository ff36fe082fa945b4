"""`registry ready`: wait until a running registry answers /readyz (systemd's ExecStartPost, scripts)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import click


def _ask(url: str, timeout: float) -> tuple[int | None, str]:
    """(HTTP status or None when nothing answered, the body or why nothing answered)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - an operator's URL
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        return None, str(getattr(error, "reason", error))


def _checks(body: str) -> str:
    try:
        return json.dumps(json.loads(body).get("checks", {}), sort_keys=True)
    except (ValueError, AttributeError):
        return body[:200]


@click.command(
    help="Wait until the registry at URL answers /readyz with 200 (exit 0), or fail (exit 1) after "
    "--wait seconds, printing its checks. For systemd's ExecStartPost and deployment scripts."
)
@click.option("--url", default="http://127.0.0.1:8000/readyz", show_default=True, help="The /readyz URL.")
@click.option("--wait", default=60.0, show_default=True, help="Seconds to keep asking.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between questions.")
def ready(url: str, wait: float, interval: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        status, body = _ask(url, timeout=max(1.0, min(5.0, wait)))
        if status == 200:
            click.echo(f"ready: {_checks(body)}")
            return
        if time.monotonic() + interval > deadline:
            said = f"HTTP {status}: {_checks(body)}" if status is not None else f"no answer ({body})"
            raise click.ClickException(f"not ready after {wait:g} s at {url}: {said}")
        time.sleep(interval)
