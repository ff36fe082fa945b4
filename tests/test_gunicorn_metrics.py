"""deploy/gunicorn.conf.py as production runs it: two workers, one /metrics adding up both, JSON lines."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time

from tests.servers import call, gunicorn, registry_env

TOKEN = "scrape-token-for-the-test"
REQUESTS = 24


def _counted(text: str) -> float:
    line = 'registry_http_requests_total{endpoint="/api/v1/subjects",method="GET",status="401"}'
    return sum(float(row.rpartition(" ")[2]) for row in text.splitlines() if row.startswith(line))


def test_two_workers_one_count_and_json_lines(fresh_database, tmp_path):
    env = registry_env(
        fresh_database,
        tmp_path / "var",
        REGISTRY_LOG_FORMAT="json",
        REGISTRY_METRICS_TOKEN_SHA256=hashlib.sha256(TOKEN.encode()).hexdigest(),
    )
    scraper = {"Authorization": f"Bearer {TOKEN}"}
    with gunicorn(env, tmp_path) as server:
        for _ in range(REQUESTS):
            assert call(f"{server.base}/api/v1/subjects")[0] == 401
        assert call(f"{server.base}/metrics")[0] == 401
        # Whichever worker answers the scrape, it adds up every worker's counts.
        seen = {_counted(call(f"{server.base}/metrics", headers=scraper)[1]) for _ in range(6)}
        assert seen == {REQUESTS}
        lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
        access = [line for line in lines if line.get("logger") == "registry.access"]
        assert len(access) >= REQUESTS
        assert {line["status"] for line in access} >= {401}
        assert all(len(line["request_id"]) >= 16 for line in access)
        assert len({line["request_id"] for line in access}) == len(access), "one line a request"
        assert any("Booting worker" in line["message"] for line in lines), "gunicorn's own lines are JSON too"
        # A worker killed (as by the OOM killer) takes no counts with it: gunicorn starts another.
        workers = server.workers()
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        time.sleep(1.5)
        seen = {_counted(call(f"{server.base}/metrics", headers=scraper)[1]) for _ in range(4)}
        assert seen == {REQUESTS}
