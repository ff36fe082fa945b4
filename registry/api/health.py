"""`/healthz` and `/readyz`, for load balancers and monitors (outside /api/v1, like /oauth).

Both answer without a token, show no personal data and write no audit entry (they are polled every few
seconds; an entry each would fill the log with nothing). They are not counted by the rate limits
(api.limits.UNCOUNTED_ENDPOINTS): a load balancer must never be refused with a 429.

- `/healthz`: the process is up and answers. No database access: a load balancer restarts or skips a
  process on this, not on a database outage every process shares.
- `/readyz`: whether this process can serve. 503 when the database does not answer (one cheap statement,
  2 s at most) or its schema is not at the migrations' head; 200 otherwise. The audit sequencer's lag
  and the rate limits' Redis are reported too, as `degraded` with a 200: every API process would fail
  them alike, taking them all out of a load balancer would stop the registry, and the API goes on
  correctly meanwhile (entries wait for their leaf; each process counts limits alone). Monitors alert
  on `degraded`. With a read replica (REGISTRY_READ_DATABASE_URL), `replica` says how far behind it
  is; one behind or not answering is `degraded` too (its reads go to the primary meanwhile). The
  answer is kept for READY_CACHE_SECONDS, so that a flood of polls costs the database one check a
  second per process.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint
from sqlalchemy import text

from registry import health
from registry.api.problems import problem
from registry.messages import msg

READY_CACHE_SECONDS = 1.0
CRITICAL = ("database", "schema")  # 503 when one fails; the others make the answer `degraded`

blp = Blueprint(
    "health",
    __name__,
    description="Health and readiness for load balancers and monitors: no token, no personal data, "
    "not audited, not rate limited.",
)

_CHECKS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "checks": {
            "type": "object",
            "properties": {
                "database": {"type": "object", "description": "`ok` or `unreachable`"},
                "schema": {"type": "object", "description": "`ok`, `mismatch` or `not_checked`"},
                "audit_sequencer": {
                    "type": "object",
                    "description": "`ok`, `behind` or `not_checked`; `waiting` entries, the oldest "
                    "waiting `oldest_waiting_seconds`",
                },
                "rate_limit_storage": {"type": "object", "description": "`memory`, `ok` or `unreachable`"},
            },
        },
    },
}
_NOT_AUDITED = (
    "\n\nNo token. No personal data. Not recorded in the audit log (polled often) and not rate limited."
)


@blp.route("/healthz", methods=["GET"])
@blp.doc(
    summary="Liveness: the process answers",
    description='200 `{"status": "ok"}` while the process answers; touches no database.' + _NOT_AUDITED,
    security=[],
    responses={
        "200": {
            "description": "The process is up.",
            "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {}}}}},
        }
    },
)
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@blp.route("/readyz", methods=["GET"])
@blp.doc(
    summary="Readiness: the database, its schema, the audit sequencer, the rate limits' storage",
    description=(
        "200 when this process can serve: the database answers and its schema is at the migrations' "
        "head. `status` is `degraded` (still 200) when the audit sequencer is behind (an entry waiting "
        "longer than `REGISTRY_SEQUENCER_MAX_LAG` seconds) or the rate limits' Redis does not answer "
        "(each process then counts alone), or the read replica is behind or not answering (`replica`, "
        "with `lag_seconds`; its reads then go to the primary). 503 (a problem document with the same "
        "`checks`) when the database or the schema fails. Answers are reused for one second." + _NOT_AUDITED
    ),
    security=[],
    responses={
        "200": {"description": "Ready.", "content": {"application/json": {"schema": _CHECKS_SCHEMA}}},
        "503": {
            "description": "Not ready: `checks` says why.",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    },
)
def readyz() -> ResponseReturnValue:
    checks = _readiness().checks()
    failing = [name for name in CRITICAL if checks[name]["status"] != "ok"]
    if failing:
        response = problem(
            503,
            "not-ready",
            msg("The registry is not ready; see `checks` (a schema mismatch: run `registry db upgrade`)."),
            checks=checks,
        )
        response.headers["Retry-After"] = "5"
        response.headers["Cache-Control"] = "no-store"
        return response
    good = {"ok", "memory"}
    status = "ok" if all(check["status"] in good for check in checks.values()) else "degraded"
    response = jsonify(status=status, checks=checks)
    response.headers["Cache-Control"] = "no-store"
    return response


class Readiness:
    """The checks, run at most once every READY_CACHE_SECONDS by this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked_at = -1e9
        self._last: dict[str, dict[str, Any]] = {}

    def checks(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= READY_CACHE_SECONDS or not self._last:
                self._last = _run_checks()
                self._checked_at = time.monotonic()
            return self._last


def _readiness() -> Readiness:
    return current_app.extensions.setdefault("registry_readiness", Readiness())


def _run_checks() -> dict[str, dict[str, Any]]:
    state = current_app.extensions["registry"]
    checks: dict[str, dict[str, Any]] = {
        "database": {"status": "unreachable"},
        "schema": {"status": "not_checked"},
        "audit_sequencer": {"status": "not_checked"},
    }
    session = state.sessionmaker()
    try:
        health.bound_statements(session)
        session.execute(text("SELECT 1"))
        checks["database"] = {"status": "ok"}
        current = health.database_heads(session.connection())
        checks["schema"] = {
            "status": "ok" if health.schema_mismatch(current, health.script_heads()) is None else "mismatch"
        }
        if checks["schema"]["status"] == "ok":
            backlog = health.sequencer_backlog(session)
            lag = health.lag_seconds(backlog)
            checks["audit_sequencer"] = {
                "status": "ok" if lag <= state.settings.sequencer_max_lag else "behind",
                "waiting": backlog.waiting,
                "oldest_waiting_seconds": int(lag),
            }
    except Exception as exc:  # whatever failed, the database did not answer as it should
        # The class only: a driver's message may name the host or the user.
        current_app.logger.warning("readiness: the database check failed (%s)", type(exc).__name__)
    finally:
        try:
            session.rollback()
            session.close()
        except Exception as exc:  # a dead connection cannot even roll back
            current_app.logger.debug("readiness: closing the session failed (%s)", type(exc).__name__)
    checks["rate_limit_storage"] = {"status": current_app.extensions["registry_limits"].storage_state()}
    if state.replica is not None:  # REGISTRY_READ_DATABASE_URL: its reads go to the primary meanwhile
        checks["replica"] = replica_check(state.replica)
    return checks


def replica_check(replica: Any) -> dict[str, Any]:
    """The replica's state as /readyz shows it: `ok`, `behind` (more than REGISTRY_READ_MAX_LAG
    seconds) or `unreachable`; either of the last two makes the answer `degraded`, not a 503: the
    replica's reads go to the primary meanwhile."""
    found = replica.status()
    if not found.reachable or found.lag_seconds is None:
        return {"status": "unreachable"}
    status = "ok" if found.lag_seconds <= replica.max_lag else "behind"
    return {"status": status, "lag_seconds": round(found.lag_seconds, 3)}
