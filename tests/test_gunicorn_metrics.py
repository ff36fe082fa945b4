"""deploy/gunicorn.conf.py as production runs it: two workers, one /metrics adding up both, JSON lines."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "scrape-token-for-the-test"
REQUESTS = 24


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    request = Request(  # noqa: S310 - http://127.0.0.1 only
        url, headers={"Connection": "close", **({"Authorization": f"Bearer {token}"} if token else {})}
    )
    try:
        with urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, answer.read().decode()
    except HTTPError as refused:
        return refused.code, refused.read().decode()


def _counted(text: str) -> float:
    line = 'registry_http_requests_total{endpoint="/api/v1/subjects",method="GET",status="401"}'
    return sum(float(row.rpartition(" ")[2]) for row in text.splitlines() if row.startswith(line))


@pytest.fixture
def gunicorn(fresh_database, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "REGISTRY_ENV": "testing",
        "REGISTRY_DATABASE_URL": fresh_database,
        "REGISTRY_VAR_DIR": str(tmp_path / "var"),
        "REGISTRY_BIND": f"127.0.0.1:{port}",
        "REGISTRY_WORKERS": "2",
        "REGISTRY_LOG_FORMAT": "json",
        "REGISTRY_METRICS_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest(),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "var").mkdir()
    log = (tmp_path / "gunicorn.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "registry.wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not answer: " + Path(log.name).read_text()[-2000:])
        yield base, process, Path(log.name)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def test_two_workers_one_count_and_json_lines(gunicorn):
    base, process, log = gunicorn
    for _ in range(REQUESTS):
        assert _get(f"{base}/api/v1/subjects")[0] == 401
    assert _get(f"{base}/metrics")[0] == 401
    # Whichever worker answers the scrape, it adds up every worker's counts.
    seen = {_counted(_get(f"{base}/metrics", TOKEN)[1]) for _ in range(6)}
    assert seen == {REQUESTS}
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "registry.access"]
    assert len(access) >= REQUESTS
    assert {line["status"] for line in access} >= {401}
    assert all(len(line["request_id"]) >= 16 for line in access)
    assert len({line["request_id"] for line in access}) == len(access), "one line a request"
    assert any("Booting worker" in line["message"] for line in lines), "gunicorn's own lines are JSON too"
    # A worker killed (as by the OOM killer) takes no counts with it: gunicorn starts another.
    worker_pids = [
        int(p) for p in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    ]
    assert len(worker_pids) == 2
    os.kill(worker_pids[0], signal.SIGKILL)
    time.sleep(1.5)
    seen = {_counted(_get(f"{base}/metrics", TOKEN)[1]) for _ in range(4)}
    assert seen == {REQUESTS}
