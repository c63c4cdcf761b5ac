"""`argus lsp` over stdio fed broken framing: it logs, drops that message and keeps answering.

Before: ``Content-Length: 1000000000000`` made the server exit and ``Content-Length: abc``
made it take every later message for a header (it never answered again).
"""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import time

import pytest

from argus.lsp_server.stdio import MAX_MESSAGE_BYTES, FramedStdin
from tests.lsp_server.support import SERVER_ENV


def frame(body: bytes, length: bytes | None = None) -> bytes:
    return b"Content-Length: " + (length or str(len(body)).encode()) + b"\r\n\r\n" + body


def request(request_id: int, method: str, params: object) -> bytes:
    message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    return json.dumps(message).encode()


INITIALIZE = request(1, "initialize", {"processId": None, "rootUri": None, "capabilities": {}})


def read_response(stdout: int, request_id: int, seconds: float) -> dict:
    """Framed messages from the server's stdout until the answer to ``request_id``."""
    buffer = b""
    deadline = time.monotonic() + seconds
    while True:
        while b"\r\n\r\n" in buffer:
            header, _, rest = buffer.partition(b"\r\n\r\n")
            fields = dict(line.split(b":", 1) for line in header.split(b"\r\n"))
            length = int(fields[b"Content-Length"])
            if len(rest) < length:
                break
            message, buffer = json.loads(rest[:length]), rest[length:]
            if message.get("id") == request_id and "method" not in message:
                return message
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no answer to request {request_id} within {seconds} s"
        ready, _, _ = select.select([stdout], [], [], remaining)
        if ready:
            chunk = os.read(stdout, 65536)
            assert chunk, "the server closed its output (it exited)"
            buffer += chunk


@pytest.mark.parametrize(
    ("bad", "logged"),
    [
        (frame(b'{"jsonrpc": "2.0"}', b"1000000000000"), b"over the"),
        (frame(b'{"jsonrpc": "2.0", "id": 9, "method": "x"}', b"abc"), b"is not a number"),
        (frame(b'{"jsonrpc": "2.0"}', b"-5"), b"is not a number"),
    ],
    ids=["huge", "not a number", "negative"],
)
def test_a_bad_content_length_is_dropped_and_the_server_answers_on(
    bad: bytes, logged: bytes
) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "argus", "lsp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=SERVER_ENV,
    )
    assert server.stdin is not None and server.stdout is not None and server.stderr is not None
    try:
        server.stdin.write(bad + frame(INITIALIZE))
        server.stdin.flush()
        answer = read_response(server.stdout.fileno(), 1, 60)
        assert answer["result"]["serverInfo"]["name"] == "argus"
        assert server.poll() is None
        server.stdin.write(frame(request(2, "shutdown", None)))
        server.stdin.write(frame(json.dumps({"jsonrpc": "2.0", "method": "exit"}).encode()))
        server.stdin.close()
        server.wait(timeout=60)
        errors = server.stderr.read()
        assert b"dropped a message" in errors and logged in errors, errors
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)


def test_framed_stdin_passes_good_messages_and_drops_bad_ones_in_one_pass() -> None:
    first, second = request(1, "a", {"text": "é\n"}), request(2, "b", {})
    raw = io.BytesIO(
        frame(first)
        + frame(b"{}", b"abc")
        + frame(b"x" * 10, str(MAX_MESSAGE_BYTES + 1).encode())
        + b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
        + frame(second)
    )
    framed = FramedStdin(raw)
    seen = []
    while True:
        header = framed.readline()
        if not header:
            break
        assert framed.readline() == b"\r\n"
        seen.append(json.loads(framed.read(int(header.split(b":")[1]))))
    assert [message["id"] for message in seen] == [1, 2]
    assert seen[0]["params"]["text"] == "é\n"
    assert framed.dropped == 2
