"""deploy/nginx/audit-tiles.conf serving an archive: the spec's content types and caching, gzip, and
`verify --tiles URL` through it."""

from __future__ import annotations

import gzip
import http.client
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from registry.audit.tiles import TilesSource
from registry.audit.verify import VerificationFailed, verify_log
from tests.audit.tiles_helpers import SyntheticLog
from tests.servers import ROOT, free_port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, SyntheticLog, Path]]:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is required in CI (scripts/test installs it)")
        pytest.skip("nginx is not installed here (CI installs it)")
    log = SyntheticLog([300])
    archive = tmp_path / "tiles"
    log.archive(archive, 300)
    (archive / "tile/0/.001.p.tmp").write_bytes(b"half-written")
    port = free_port()
    site = (ROOT / "deploy/nginx/audit-tiles.conf").read_text()
    site = site.replace("/var/lib/registry-audit-tiles/", f"{archive}/")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{\n"
        f"  access_log off; client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"  fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi;\n"
        f"  scgi_temp_path {tmp_path}/scgi;\n"
        f"  server {{ listen 127.0.0.1:{port};\n{site}\n  }}\n}}\n"
    )
    process = subprocess.Popen(  # noqa: S603 - Debian's nginx on our own configuration
        [nginx, "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off; user root;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(50):
            try:
                get(port, "/audit/checkpoint")
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("nginx did not answer: " + (tmp_path / "error.log").read_text())
        yield port, log, archive
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=10)


def get(port: int, path: str, **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    return response, response.read()


def test_nginx_serves_the_archive_as_the_spec_says(served: tuple[int, SyntheticLog, Path]) -> None:
    port, log, archive = served
    checkpoint, body = get(port, "/audit/checkpoint")
    assert checkpoint.status == 200 and body == (archive / "checkpoint").read_bytes()
    assert checkpoint.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert checkpoint.getheader("Cache-Control") == "no-cache"

    tile, data = get(port, "/audit/tile/1/000.p/1")
    assert tile.status == 200 and data == (archive / "tile/1/000.p/1").read_bytes()
    assert tile.getheader("Content-Type") == "application/octet-stream"
    assert tile.getheader("Cache-Control") == "max-age=315360000"

    bundle, packed = get(port, "/audit/tile/entries/000", **{"Accept-Encoding": "gzip"})
    assert bundle.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(packed) == (archive / "tile/entries/000").read_bytes()

    assert get(port, "/audit/tile/0/.001.p.tmp")[0].status == 404
    assert get(port, "/audit/tile/0/")[0].status in (403, 404)  # no listing

    url = f"http://127.0.0.1:{port}/audit/"
    report = verify_log(TilesSource.http(url, requests.Session()), log.verifiers())
    assert report.checkpoint.size == 300
    (archive / "tile/1/000.p/1").write_bytes(b"\x00" * 32)
    with pytest.raises(VerificationFailed, match=r"hash 0 of tile/1/000\.p/1 is not the Merkle tree hash"):
        verify_log(TilesSource.http(url, requests.Session()), log.verifiers())
