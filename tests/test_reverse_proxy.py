"""deploy/nginx/registry.conf in front of gunicorn: TLS only, the security headers, one request id, and an
access log without query strings."""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import os
import shutil
import signal
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.servers import ROOT, free_port, gunicorn, registry_env

ACCOUNT = "0011001234567"


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "registry.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def proxied(fresh_database, tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is required in CI (scripts/test installs it)")
        pytest.skip("nginx is not installed here (CI installs it)")
    cert, key = _certificate(tmp_path)
    https, plain = free_port(), free_port()
    with gunicorn(registry_env(fresh_database, tmp_path / "var"), tmp_path, workers=1) as server:
        site = (ROOT / "deploy" / "nginx" / "registry.conf").read_text()
        site = (
            site.replace("server 127.0.0.1:8000;", f"server {server.base.removeprefix('http://')};")
            .replace("/etc/ssl/registry/fullchain.pem", str(cert))
            .replace("/etc/ssl/registry/privkey.pem", str(key))
            .replace("/var/log/nginx/registry.access.log", str(tmp_path / "access.log"))
            .replace("listen 443 ssl", f"listen 127.0.0.1:{https} ssl")
            .replace("listen [::]:443 ssl http2;", "")
            .replace("listen 80;", f"listen 127.0.0.1:{plain};")
            .replace("listen [::]:80;", "")
        )
        (tmp_path / "site.conf").write_text(site)
        (tmp_path / "nginx.conf").write_text(
            f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{\n"
            f"  client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
            f"  fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi;\n"
            f"  scgi_temp_path {tmp_path}/scgi;\n"
            f"  include {tmp_path}/site.conf;\n}}\n"
        )
        process = subprocess.Popen(  # noqa: S603
            [nginx, "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off; user root;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            context = ssl.create_default_context(cafile=str(cert))
            for _ in range(50):
                try:
                    connection = http.client.HTTPSConnection("127.0.0.1", https, context=context, timeout=5)
                    connection.request("GET", "/healthz")
                    connection.getresponse().read()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail("nginx did not answer: " + (tmp_path / "error.log").read_text())
            yield https, plain, context, tmp_path / "access.log", server
        finally:
            process.send_signal(signal.SIGQUIT)
            process.wait(timeout=10)


def _get(port: int, context: ssl.SSLContext | None, path: str) -> http.client.HTTPResponse:
    if context is None:
        connection: http.client.HTTPConnection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    else:
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response


def test_the_proxy_serves_tls_with_security_headers_and_one_request_id(proxied):
    https, plain, context, access_log, _ = proxied
    answer = _get(https, context, "/healthz")
    assert answer.status == 200
    assert answer.getheader("Strict-Transport-Security", "").startswith("max-age=")
    assert answer.getheader("X-Content-Type-Options") == "nosniff"
    assert answer.getheader("X-Frame-Options") == "DENY"
    assert "nginx/" not in (answer.getheader("Server") or "")
    # The id nginx gives the request is the registry's: in its answer and in the proxy's log line.
    lookup = _get(https, context, f"/api/v1/identifiers/lookup?kind=bank_account&value=VCB:{ACCOUNT}")
    assert lookup.status == 401
    request_id = lookup.getheader("X-Request-Id")
    assert request_id and len(request_id) == 32
    time.sleep(0.3)
    logged = access_log.read_text()
    assert f"req={request_id}" in logged and "/api/v1/identifiers/lookup" in logged
    assert ACCOUNT not in logged and "value=" not in logged
    # Plain HTTP only redirects; /metrics is not served to the outside.
    redirect = _get(plain, None, "/api/v1/subjects")
    assert redirect.status == 301 and redirect.getheader("Location", "").startswith("https://")
    assert _get(https, context, "/metrics").status == 404


def test_the_proxy_speaks_tls_1_2_and_1_3_only(proxied):
    """Clients limited to TLS 1.2 are served; the configuration offers nothing older (OpenSSL 3 here
    cannot even offer TLS 1.1 to check a refusal)."""
    https, _, context, _, _ = proxied
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    assert _get(https, context, "/healthz").status == 200
    site = (ROOT / "deploy" / "nginx" / "registry.conf").read_text()
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in site
