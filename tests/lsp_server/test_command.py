"""`argus lsp` and `python -m argus.lsp_server`: options, and the TCP transport for debugging."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from argus.cli import build_parser
from argus.core.errors import ConfigError
from argus.lsp_server.server import parse_address
from tests.lsp_server.support import SERVER_ENV
from tests.support import free_port


def test_argus_lsp_options():
    arguments = build_parser().parse_args(["lsp"])
    assert arguments.tcp is None and callable(arguments.handler)
    arguments = build_parser().parse_args(["lsp", "--tcp", "127.0.0.1:2087"])
    assert arguments.tcp == "127.0.0.1:2087"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["lsp", "--stdio", "--tcp", "127.0.0.1:2087"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1:2087", ("127.0.0.1", 2087)), ("localhost:9", ("localhost", 9))],
)
def test_parse_address(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["2087", "host:", ":2087", "host:port", "host:70000", "host:0"])
def test_parse_address_refuses_malformed(text):
    with pytest.raises(ConfigError, match="HOST:PORT"):
        parse_address(text)


def test_bad_tcp_address_is_a_clear_error():
    completed = subprocess.run(
        [sys.executable, "-m", "argus", "lsp", "--tcp", "nowhere"],
        capture_output=True,
        text=True,
        env=SERVER_ENV,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "--tcp expects HOST:PORT" in completed.stderr
    assert "Traceback" not in completed.stderr


def _read_result(connection: socket.socket, request_id: int) -> dict:
    """Read framed messages until the response to ``request_id``; its result."""
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            buffer += connection.recv(65536)
        header, _, buffer = buffer.partition(b"\r\n\r\n")
        fields = dict(line.split(b":", 1) for line in header.split(b"\r\n"))
        length = int(fields[b"Content-Length"])
        while len(buffer) < length:
            buffer += connection.recv(65536)
        message, buffer = json.loads(buffer[:length]), buffer[length:]
        if message.get("id") == request_id and "method" not in message:
            return message["result"]


def test_tcp_transport_answers_initialize():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "argus.lsp_server", "--tcp", f"127.0.0.1:{port}"],
        env=SERVER_ENV,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with connection:
            body = json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"processId": None, "rootUri": None, "capabilities": {}},
                }
            ).encode()
            connection.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            result = _read_result(connection, 1)
        assert result["serverInfo"]["name"] == "argus"
        capabilities = result["capabilities"]
        assert capabilities["textDocumentSync"]["change"] == 2  # incremental
        assert capabilities["codeLensProvider"]["resolveProvider"] is True
        assert capabilities["diagnosticProvider"]["identifier"] == "argus"
        assert set(capabilities["executeCommandProvider"]["commands"]) == {
            "argus.explain",
            "argus.generateTest",
        }
        assert capabilities["hoverProvider"]
    finally:
        server.kill()
        server.wait(timeout=30)
