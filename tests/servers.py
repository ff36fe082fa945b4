"""The registry as production runs it, for the tests that need real processes: gunicorn with
deploy/gunicorn.conf.py, `registry` commands, and plain HTTP calls to them."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from tests.factories import DATA_KEY, LOOKUP_KEY

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(
    url: str, *, method: str = "GET", headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, str]:
    """One request on a connection of its own (so that gunicorn's workers share them)."""
    request = Request(url, data=body, method=method, headers={"Connection": "close", **(headers or {})})  # noqa: S310
    try:
        with urlopen(request, timeout=30) as answer:  # noqa: S310 - http://127.0.0.1 only
            return answer.status, answer.read().decode()
    except HTTPError as refused:
        return refused.code, refused.read().decode()


def registry_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `registry` process on the tests' database, with the tests' field keys (so
    that the test app's tokens and encrypted values are good there too)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "REGISTRY_ENV": "testing",
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_DATA_KEY": base64.b64encode(DATA_KEY).decode(),
        "REGISTRY_LOOKUP_KEY": base64.b64encode(LOOKUP_KEY).decode(),
        "REGISTRY_VAR_DIR": str(var_dir),
        # The tests' callers send far more than a client's 600 a minute (the drills' load).
        "REGISTRY_RATE_LIMIT": "100000 per minute",
        **extra,
    }


def registry(*args: str, env: dict[str, str], **options: Any) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "registry"), *args], env=env, cwd=ROOT, **options)  # noqa: S603


@dataclass
class Gunicorn:
    base: str
    process: subprocess.Popen
    log: Path

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return [int(pid) for pid in children.split()]


@contextlib.contextmanager
def gunicorn(env: dict[str, str], tmp_path: Path, *, workers: int = 2) -> Iterator[Gunicorn]:
    """gunicorn -c deploy/gunicorn.conf.py registry.wsgi:app, answering /healthz, stopped at the end."""
    port = free_port()
    env = {
        "REGISTRY_BIND": f"127.0.0.1:{port}",
        "REGISTRY_WORKERS": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        **env,
    }
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "registry.wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                with contextlib.suppress(OSError, URLError):
                    if call(f"{base}/healthz")[0] == 200:
                        break
                time.sleep(0.2)
            else:
                raise RuntimeError("gunicorn did not answer: " + log_path.read_text()[-2000:])
            yield Gunicorn(base, process, log_path)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
