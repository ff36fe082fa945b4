"""Where a seller history's time goes: the registry beside two variants of itself, against the ceiling.

    python -m bench.anatomy [--url postgresql://postgres@localhost/registry_bench] [--duration 12]

Measures `GET /api/v1/subjects/{id}/history` (as bench.http does) on four servers in turn:

  ceiling    bench.ceiling: the same reads on raw psycopg, no auth, no audit
  registry   the registry as it is
  snapshot   the registry with the history's reads replaced by a copy of one answer taken at the
             first request: everything else runs (token check and generation read, rate limiter,
             arguments, presenters, timeline, JSON, audit insert and commit), so its figure is the
             most the history can reach by making its reads cheaper
  one-trip   the registry with the history read as ONE PostgreSQL statement that builds the JSON
             answer (PROTOTYPE: a subject, its identifiers, violations with their visible references,
             block requests and the timeline, for a caller not asking for sensitive values; block
             request items carry only id, action and state, and freeze sections are left empty)

`snapshot` and `one-trip` are measurement instruments, not the product: they monkeypatch the
history view's collaborators. They answer one question, whether one round trip would reach 40% of
the ceiling, and what it would cost to build is in bench/README.md.
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


def _rule(table: str, record_type: str) -> str:
    """services.visibility's rule, written out for the prototype's SQL."""
    return (
        f"({table}.owner_agency_id = %(ag)s OR {table}.visibility = 'public' OR "
        f"({table}.visibility = 'state' AND %(st)s) OR ({table}.visibility = 'named' AND EXISTS "
        f"(SELECT 1 FROM record_share WHERE record_type = '{record_type}' AND record_id = {table}.id "
        "AND agency_id = %(ag)s OFFSET 0)))"
    )


def _code(agency_id: str) -> str:
    return f"(SELECT code FROM agency WHERE agency.id = {agency_id})"


ONE_TRIP_SQL = f"""
WITH s AS (SELECT * FROM subject WHERE id = %(sid)s AND {_rule("subject", "subject")}),
l AS (SELECT link.*, i.kind AS ikind, i.display, i.value AS ivalue, i.attributes AS iattrs,
             i.created_at AS icreated
      FROM s JOIN link ON link.subject_id = s.id JOIN identifier i ON i.id = link.identifier_id
      WHERE {_rule("link", "link")}),
v AS (SELECT violation.* FROM violation WHERE violation.id IN (
        SELECT violation_id FROM violation_subject WHERE subject_id = %(sid)s
        UNION SELECT violation_id FROM violation_identifier
              WHERE identifier_id IN (SELECT identifier_id FROM l))
      AND {_rule("violation", "violation")}),
b AS (SELECT br.* FROM block_request br WHERE br.id IN (
        SELECT request_id FROM block_request_subject WHERE subject_id = %(sid)s
        UNION SELECT request_id FROM block_target WHERE identifier_id IN (SELECT identifier_id FROM l))
      AND (br.owner_agency_id = %(ag)s OR EXISTS (SELECT 1 FROM block_executor e WHERE e.request_id = br.id
           AND e.agency_id = %(ag)s AND e.dispatched_at IS NOT NULL))),
ev AS (SELECT created_at AS at, 'subject_registered' AS kind, id, owner_agency_id AS ag, name AS summary
       FROM s
       UNION ALL SELECT first_seen, 'identifier_linked', id, owner_agency_id,
                        ikind || ' ' || display || ' (' || source || ')' FROM l
       UNION ALL SELECT detected_at, 'violation', id, owner_agency_id,
                        array_to_string(ARRAY(SELECT json_array_elements_text(categories::json)), ', ')
                        || ': ' || status FROM v
       UNION ALL SELECT created_at, 'block_request', id, owner_agency_id, action || ': ' || state FROM b)
SELECT json_build_object(
  'subject', (SELECT json_build_object('id', s.id, 'kind', s.kind, 'name', s.name, 'tax_code', s.tax_code,
      'personal_id', NULL, 'has_personal_id', s.personal_id_hash IS NOT NULL,
      'business_registration', s.business_registration, 'addresses', s.addresses, 'province', s.province,
      'created_by', {_code("s.owner_agency_id")}, 'visibility', s.visibility, 'created_at', s.created_at,
      'updated_at', s.updated_at) FROM s),
  'identifiers', (SELECT coalesce(json_agg(json_build_object('id', l.id, 'subject_id', l.subject_id,
      'identifier_id', l.identifier_id,
      'identifier', json_build_object('id', l.identifier_id, 'kind', l.ikind, 'value', l.ivalue,
          'display', l.display, 'sensitive', l.ivalue IS NULL, 'attributes', l.iattrs,
          'created_at', l.icreated),
      'asserted_by', {_code("l.owner_agency_id")}, 'confidence', l.confidence, 'source', l.source,
      'first_seen', l.first_seen, 'last_seen', l.last_seen, 'note', l.note, 'visibility', l.visibility,
      'created_at', l.created_at) ORDER BY l.first_seen, l.id), '[]'::json) FROM l),
  'violations', (SELECT coalesce(json_agg(json_build_object('id', v.id,
      'subjects', (SELECT coalesce(json_agg(x.id ORDER BY x.created_at, x.id), '[]'::json)
                   FROM violation_subject vs JOIN subject x ON x.id = vs.subject_id
                   WHERE vs.violation_id = v.id AND {_rule("x", "subject")}),
      'identifiers', (SELECT coalesce(json_agg(y.id ORDER BY y.created_at, y.id), '[]'::json)
                   FROM violation_identifier vi JOIN identifier y ON y.id = vi.identifier_id
                   WHERE vi.violation_id = v.id AND (%(st)s OR y.created_by_agency_id = %(ag)s OR EXISTS
                     (SELECT 1 FROM link WHERE link.identifier_id = y.id AND {_rule("link", "link")}))),
      'categories', v.categories, 'goods_groups', v.goods_groups, 'summary', v.summary,
      'detected_by', {_code("v.owner_agency_id")}, 'detected_at', v.detected_at, 'province', v.province,
      'status', v.status, 'sanction_decision_id', NULL, 'sanction_reference', v.sanction_reference,
      'fine_vnd', v.fine_vnd, 'tax_recovered_vnd', v.tax_recovered_vnd, 'goods_value_vnd', v.goods_value_vnd,
      'visibility', v.visibility, 'shared_with', '[]'::json, 'created_at', v.created_at,
      'updated_at', v.updated_at) ORDER BY v.detected_at, v.id), '[]'::json) FROM v),
  'orders', json_build_object(
      'block_requests', (SELECT coalesce(json_agg(json_build_object('id', b.id, 'action', b.action,
          'state', b.state) ORDER BY b.created_at, b.id), '[]'::json) FROM b),
      'freeze_orders', '[]'::json, 'transaction_delays', '[]'::json),
  'timeline', (SELECT coalesce(json_agg(json_build_object('at', at, 'kind', kind, 'id', id,
      'agency', {_code("ev.ag")}, 'summary', summary) ORDER BY at, kind, id::text COLLATE "C"), '[]'::json)
      FROM ev)
)::text
"""


def _snapshot(views: Any) -> None:
    from sqlalchemy import inspect

    real_history, real_present = views.history_service.history, views.violation_service.present
    taken: dict[str, Any] = {}

    def copy(record: Any) -> SimpleNamespace:
        return SimpleNamespace(**{a.key: getattr(record, a.key) for a in inspect(record).mapper.column_attrs})

    def history(session: Any, *, principal: Any, subject_id: Any) -> Any:
        if "history" not in taken:
            found = real_history(session, principal=principal, subject_id=subject_id)
            links = []
            for link in found.links:
                links.append(copy(link))
                links[-1].identifier = copy(link.identifier)
            taken["present"] = real_present(session, principal, found.violations)
            taken["history"] = SimpleNamespace(
                subject=copy(found.subject), links=links, violations=[], sections=found.sections,
                timeline=found.timeline,
            )  # fmt: skip
        return taken["history"]

    views.history_service = SimpleNamespace(history=history)
    views.violation_service = SimpleNamespace(present=lambda *_: taken["present"])


def _one_trip(views: Any) -> None:
    from flask import Response

    def history(session: Any, *, principal: Any, subject_id: Any) -> Any:
        driver = session.connection().connection.driver_connection
        params = {"sid": subject_id, "ag": principal.agency_id, "st": principal.is_state}
        answer = driver.execute(ONE_TRIP_SQL, params).fetchone()[0]
        return SimpleNamespace(subject=answer, links=[], violations=[], sections={}, timeline=[])

    reveal = views.presenters.reveal
    views.history_service = SimpleNamespace(history=history)
    views.violation_service = SimpleNamespace(present=lambda *_: [])
    views.presenters = SimpleNamespace(
        reveal=reveal,
        subject=lambda answer, _revealed: answer,
        as_json=lambda payload: Response(payload["subject"], 200, mimetype="application/json"),
    )


def __getattr__(name: str) -> Any:
    """`bench.anatomy:app` for gunicorn: the registry with the variant named in BENCH_ANATOMY_VARIANT."""
    if name != "app":
        raise AttributeError(name)
    from registry.api import subjects as views
    from registry.wsgi import app

    {"snapshot": _snapshot, "one-trip": _one_trip}[os.environ[VARIANT_ENV]](views)
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
        env = http.server_env(args.url, work / "var")
        servers = [
            ("ceiling", "bench.ceiling:app", http.CEILING_PORT, load.ceiling_history, False),
            ("registry", "registry.wsgi:app", http.REGISTRY_PORT, load.history, True),
            ("snapshot", "bench.anatomy:app", http.REGISTRY_PORT, load.history, True),
            ("one-trip", "bench.anatomy:app", http.REGISTRY_PORT, load.history, True),
        ]
        ceiling = None
        for name, app, port, paths, authorised in servers:
            with http.gunicorn(
                app, port, {**env, VARIANT_ENV: name}, args.workers, work / f"{name}.log"
            ) as pid:
                bearer = http.token(client) if authorised else ""
                figures = http.run_wrk(wrk, f"history {name}", port, paths, bearer, args.duration, work, pid)
            ceiling = ceiling or figures
            print(f"{figures.line()}   {figures.rps / ceiling.rps:.0%} of the ceiling", flush=True)


if __name__ == "__main__":
    sys.exit(main())
