"""Where a seller history's time goes: the registry beside a variant of itself, against the ceiling.

    python -m bench.anatomy [--url postgresql://postgres@localhost/registry_bench] [--duration 12]

Measures `GET /api/v1/subjects/{id}/history` (as bench.http does) on three servers in turn:

  ceiling    bench.ceiling: the same reads on raw psycopg, no auth, no audit
  registry   the registry as it is (on PostgreSQL the history is one statement, services.history_json)
  snapshot   the registry with the history's reads replaced by a copy of one answer taken at the
             first request: everything else runs (token check and generation read, rate limiter,
             arguments, HistoryRead's dump, timeline, JSON, audit insert and commit), so its figure is the
             most the history can reach by making its reads cheaper

`snapshot` is a measurement instrument, not the product: it monkeypatches the history view's
collaborators.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

VARIANT_ENV = "BENCH_ANATOMY_VARIANT"


def _snapshot(views: Any) -> None:
    from sqlalchemy import inspect

    from registry.services import violations

    real_history, real_references = views.history_service.history, violations.visible_references
    taken: dict[str, Any] = {}

    def copy(record: Any) -> SimpleNamespace:
        columns = {a.key: getattr(record, a.key) for a in inspect(record).mapper.column_attrs}
        return SimpleNamespace(**columns, record_type=getattr(record, "record_type", None))

    def history(session: Any, *, principal: Any, subject_id: Any) -> Any:
        if "history" not in taken:
            found = real_history(session, principal=principal, subject_id=subject_id)
            links = []
            for link in found.links:
                links.append(copy(link))
                links[-1].identifier = copy(link.identifier)
            taken["references"] = real_references(session, principal, found.violations)
            taken["history"] = SimpleNamespace(
                subject=copy(found.subject), links=links, violations=[copy(v) for v in found.violations],
                sections=found.sections, timeline=found.timeline,
            )  # fmt: skip
        return taken["history"]

    views.history_service = SimpleNamespace(history=history)
    violations.visible_references = lambda *_: taken["references"]  # ViolationRead's page query
    views.history_json = SimpleNamespace(applies=lambda *_, **__: False)  # always the path above


def __getattr__(name: str) -> Any:
    """`bench.anatomy:app` for gunicorn: the registry with the variant named in BENCH_ANATOMY_VARIANT."""
    if name != "app":
        raise AttributeError(name)
    from registry.api import subjects as views
    from registry.wsgi import app

    {"snapshot": _snapshot}[os.environ[VARIANT_ENV]](views)
    globals()["app"] = app
    return app


def main() -> None:
    from bench import http

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=http.DEFAULT_URL)
    parser.add_argument("--duration", type=int, default=12, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    wrk, load, client = http.ensure_wrk(), http.workload(args.url), http.new_client(args.url)
    with tempfile.TemporaryDirectory(prefix="registry-anatomy-") as tmp:
        work = Path(tmp)
        env = http.server_env(args.url, work / "var", http.rate_limit_storage())
        servers = [
            ("ceiling", "bench.ceiling:app", http.CEILING_PORT, load.ceiling_history, False),
            ("registry", "registry.wsgi:app", http.REGISTRY_PORT, load.history, True),
            ("snapshot", "bench.anatomy:app", http.REGISTRY_PORT, load.history, True),
        ]
        ceiling = None
        for name, app, port, paths, authorised in servers:
            with http.gunicorn(
                app, port, {**env, VARIANT_ENV: name}, args.workers, work / f"{name}.log"
            ) as pid:
                bearer = http.token(client) if authorised else ""
                http.settle(args.url)
                figures = http.run_wrk(wrk, f"history {name}", port, paths, bearer, args.duration, work, pid)
            ceiling = ceiling or figures
            print(f"{figures.line()}   {figures.rps / ceiling.rps:.0%} of the ceiling", flush=True)


if __name__ == "__main__":
    sys.exit(main())
