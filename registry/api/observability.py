"""What each request leaves for the operators: its access log line and its metrics, and `/metrics`.

Every request writes one access log line (logger `registry.access`, INFO): the method, the route's rule
(never the path or the query, which may hold an account number), the status, the time taken and the
calling client and agency; with the request id like every line (registry/logs.py). It is counted in the
Prometheus metrics (registry/metrics.py says which).

The scraper authenticates with a bearer token of its own, configured as its SHA-256 only
(REGISTRY_METRICS_TOKEN_SHA256; Prometheus's `authorization: {credentials_file: ...}`). Without it,
`/metrics` answers 404: nothing is served that nobody asked for. It is not audited and not rate
limited (like the health checks): a scrape every 15 s would fill the audit log with nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST

from registry import metrics
from registry.api.context import app_state, bearer_token
from registry.api.problems import problem
from registry.messages import msg

bp = Blueprint("metrics", __name__)
access = logging.getLogger("registry.access")
# Polled every few seconds by load balancers and the scraper: neither logged nor counted.
_QUIET = frozenset({"metrics.metrics", "health.healthz", "health.readyz"})


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _count(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is None or request.endpoint in _QUIET:
        return response
    seconds = time.perf_counter() - started
    rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
    metrics.observe(rule, request.method, response.status_code, seconds)
    principal = g.get("principal")
    access.info(
        "%s %s %s %.1f ms",
        request.method,
        rule,
        response.status_code,
        seconds * 1000,
        extra={
            "method": request.method,
            "route": rule,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "client": principal.client_id if principal is not None else None,
            "agency": principal.agency if principal is not None else None,
        },
    )
    return response


def init_metrics(app: Flask) -> None:
    """Register before the request context's own hooks, so that the time counted includes the commit
    (Flask runs after_request functions in the reverse order of their registration)."""
    app.before_request(_start)
    app.after_request(_count)
    app.register_blueprint(bp)


@bp.route("/metrics", endpoint="metrics")
def serve_metrics() -> Any:
    expected = app_state().settings.metrics_token_sha256
    if expected is None:
        return problem(
            404, detail=msg("No metrics are served here (REGISTRY_METRICS_TOKEN_SHA256 is not set).")
        )
    token = bearer_token() or ""
    if not hmac.compare_digest(hashlib.sha256(token.encode()).hexdigest(), expected):
        refused = problem(401, detail=msg("The metrics need the scraper's bearer token."))
        refused.headers["WWW-Authenticate"] = 'Bearer realm="registry-metrics"'
        return refused
    return Response(
        metrics.exposition(app_state().sessionmaker, app_state().replica), content_type=CONTENT_TYPE_LATEST
    )
