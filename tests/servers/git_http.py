"""git's smart HTTP protocol for the local GitHub: ``/<owner>/<repo>.git/...`` served by
``git http-backend`` as a CGI, like github.com serves clones.

GitHub takes an installation token as the password of HTTP Basic auth (user
``x-access-token``); without a granted, unexpired token the answer is 401 with a
``WWW-Authenticate: Basic`` challenge, as GitHub's.
"""

from __future__ import annotations

import base64
import gzip
import re
import subprocess
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

GIT_PATH = re.compile(r"/([^/]+)/([^/]+?)\.git(/.*)")


def is_git_request(path: str) -> bool:
    """True for a git smart-HTTP path (``/owner/repo.git/info/refs`` and the services)."""
    return GIT_PATH.fullmatch(urlsplit(path).path) is not None


def serve_git(handler: BaseHTTPRequestHandler, server: Any) -> None:
    """Answer one git request on ``handler`` for the GitHub stand-in ``server``."""
    parts = urlsplit(handler.path)
    match = GIT_PATH.fullmatch(parts.path)
    assert match is not None
    owner, name, rest = match.groups()
    body = _body(handler)
    gzipped = (handler.headers.get("content-encoding") or "").lower() == "gzip"
    recorded = gzip.decompress(body) if gzipped and body else body
    server.git_requests.append(
        (handler.command, parts.path, dict(handler.headers.items()), recorded)
    )
    if not _token_ok(handler.headers.get("authorization") or "", server):
        _answer(handler, 401, {"WWW-Authenticate": 'Basic realm="GitHub"'}, b"Unauthorized\n")
        return
    repository = server.repositories.get((owner, name))
    if repository is None:
        _answer(handler, 404, {}, b"Repository not found.\n")
        return
    git_dir = subprocess.run(
        ["git", "-C", str(repository.git_dir), "rev-parse", "--absolute-git-dir"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    env = {
        "PATH": "/usr/bin:/bin",
        "GIT_PROJECT_ROOT": str(Path(git_dir)),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": rest,
        "QUERY_STRING": parts.query,
        "REQUEST_METHOD": handler.command,
        "CONTENT_TYPE": handler.headers.get("content-type") or "",
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_USER": "x-access-token",
        "REMOTE_ADDR": "127.0.0.1",
        "GIT_PROTOCOL": handler.headers.get("git-protocol") or "",
        "HTTP_CONTENT_ENCODING": handler.headers.get("content-encoding") or "",
        # As github.com: partial clones (--filter) and fetches of a commit by its id.
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "uploadpack.allowFilter",
        "GIT_CONFIG_VALUE_0": "true",
        "GIT_CONFIG_KEY_1": "uploadpack.allowAnySHA1InWant",
        "GIT_CONFIG_VALUE_1": "true",
    }
    done = subprocess.run(
        ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
    )
    head, _, payload = done.stdout.partition(b"\r\n\r\n")
    if not _:
        head, _, payload = done.stdout.partition(b"\n\n")
    status = 200
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.strip().split()[0])
        elif key:
            headers[key.strip()] = value.strip()
    _answer(handler, status, headers, payload)


def _body(handler: BaseHTTPRequestHandler) -> bytes:
    if (handler.headers.get("transfer-encoding") or "").lower() != "chunked":
        length = int(handler.headers.get("content-length") or 0)
        return handler.rfile.read(length) if length else b""
    chunks = []
    while True:
        size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            handler.rfile.readline()
            return b"".join(chunks)
        chunks.append(handler.rfile.read(size))
        handler.rfile.readline()


def _token_ok(header: str, server: Any) -> bool:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, token = base64.b64decode(value).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    with server._lock:
        grant = server.tokens.get(token)
    return bool(user) and grant is not None and grant[1] >= time.time()


def _answer(
    handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes
) -> None:
    handler.send_response(status)
    for key, value in headers.items():
        if key.lower() != "content-length":
            handler.send_header(key, value)
    handler.send_header("content-length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
