"""The development server answers over-long request lines and headers as problems (issue #14)."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from werkzeug.serving import make_server

from registry.cli.serve import PathOnlyRequestHandler


@pytest.fixture
def server(app):  # type: ignore[no-untyped-def]
    running = make_server("127.0.0.1", 0, app, request_handler=PathOnlyRequestHandler)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running.server_address
    running.shutdown()
    thread.join(5)


def raw(address, request: bytes) -> bytes:  # type: ignore[no-untyped-def]
    with socket.create_connection(address, timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def problem_of(answer: bytes) -> tuple[int, dict[str, str], dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, json.loads(body)


def test_a_100_kb_query_string_is_a_414_problem(server):
    answer = raw(server, b"GET /api/v1/decisions?q=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, body = problem_of(answer)
    assert status == 414
    assert headers["content-type"] == "application/problem+json"
    assert body["type"] == "https://registry.nsc389.gov.vn/problems/uri-too-long"
    assert b"aaaa" not in answer  # the query string (bank accounts, IDs) is not echoed


def test_a_100_kb_header_is_a_431_problem(server):
    answer = raw(
        server, b"GET /api/v1/decisions HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 100_000 + b"\r\n\r\n"
    )
    status, headers, body = problem_of(answer)
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    assert body["type"] == "https://registry.nsc389.gov.vn/problems/headers-too-large"
    assert body["status"] == 431
