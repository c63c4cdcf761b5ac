"""Scripted HTTP servers on 127.0.0.1 speaking three model APIs, for tests and benchmarks.

One server per dialect (``anthropic``, ``workers_ai``, ``openai``). Each answers from a queue of
:class:`Reply` objects (then from an optional ``responder`` callable), and records every request
it received. Replies are built with the dialect helpers below, in each provider's documented
format: success bodies with usage, error bodies, 429 with ``retry-after``, 5xx, slow answers,
malformed JSON.

    with ScriptedServer("anthropic") as server:
        server.enqueue(anthropic_message("def test_x(): ...", input_tokens=900, output_tokens=80))
        client = anthropic.AsyncAnthropic(api_key="test", base_url=server.url, max_retries=0)
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.servers.loopback import LoopbackHTTPServer

DIALECT_PATHS = {
    "anthropic": "/v1/messages",
    "workers_ai": "/accounts/",  # /accounts/{account_id}/ai/run/{model}
    "openai": "/v1/chat/completions",
}


@dataclass
class Reply:
    """One scripted answer: status, body (bytes or a JSON-able value), headers, delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: Seconds between the body's chunks (the body goes out in ten pieces); 0: all at once.
    trickle: float = 0.0

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode("utf-8")


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


Responder = Callable[[ReceivedRequest], Reply]


class ScriptedServer:
    """A threaded HTTP server on a free loopback port answering one dialect from a script."""

    def __init__(self, dialect: str, responder: Responder | None = None):
        if dialect not in DIALECT_PATHS:
            raise ValueError(f"unknown dialect {dialect!r}")
        self.dialect = dialect
        self.responder = responder
        self.requests: list[ReceivedRequest] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- script ---------------------------------------------------------------------------

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next requests with ``replies``, in order."""
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        """Replies not yet used."""
        with self._lock:
            return len(self._script)

    def _next_reply(self, request: ReceivedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._script:
                return self._script.popleft()
        if self.responder is not None:
            return self.responder(request)
        return _error_reply(self.dialect, 500, "api_error", "the test script has no reply left")

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL: ``http://127.0.0.1:PORT`` (the Anthropic SDK adds ``/v1/messages``)."""
        if self._server is None:
            raise RuntimeError("server not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ScriptedServer:
        """Bind a free port and serve in a background thread."""
        server = LoopbackHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
            name=f"{self.dialect}-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; slow replies still sleeping are cut short."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler_for(owner: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = raw
            request = ReceivedRequest(
                method="POST",
                path=self.path,
                headers={key.lower(): value for key, value in self.headers.items()},
                body=body,
            )
            if not self.path.startswith(DIALECT_PATHS[owner.dialect]):
                reply = _error_reply(owner.dialect, 404, "not_found_error", f"no route {self.path}")
                with owner._lock:
                    owner.requests.append(request)
            else:
                reply = owner._next_reply(request)
            if reply.delay and owner._stopping.wait(reply.delay):
                return
            payload = reply.encoded()
            try:
                self.send_response(reply.status)
                headers = {"content-type": "application/json", **reply.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                if not reply.trickle:
                    self.wfile.write(payload)
                    return
                size = max(1, len(payload) // 10)
                for start in range(0, len(payload), size):
                    self.wfile.write(payload[start : start + size])
                    self.wfile.flush()
                    if owner._stopping.wait(reply.trickle):
                        return
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (its timeout): nothing left to tell it.
                return

    return Handler


def _error_reply(dialect: str, status: int, kind: str, message: str) -> Reply:
    if dialect == "anthropic":
        return anthropic_error(status, kind, message)
    if dialect == "workers_ai":
        return workers_ai_error(status, 5000 + status, message)
    return openai_error(status, kind, message)


# -- Anthropic Messages API ------------------------------------------------------------------


def anthropic_message(
    text: str,
    *,
    input_tokens: int = 100,
    output_tokens: int = 50,
    cache_read_input_tokens: int = 0,
    cache_creation_input_tokens: int = 0,
    model: str = "claude-haiku-5-5",
    delay: float = 0.0,
) -> Reply:
    """A 200 Messages API answer with one text block and its usage."""
    request_id = f"req_{uuid.uuid4().hex[:24]}"
    return Reply(
        200,
        {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cache_creation_input_tokens": cache_creation_input_tokens,
                "cache_read_input_tokens": cache_read_input_tokens,
            },
        },
        {"request-id": request_id},
        delay,
    )


def anthropic_error(
    status: int, kind: str, message: str, *, retry_after: float | None = None
) -> Reply:
    """An error in the Messages API format (``rate_limit_error``, ``overloaded_error``, ...)."""
    headers = {"request-id": f"req_{uuid.uuid4().hex[:24]}"}
    if retry_after is not None:
        headers["retry-after"] = f"{retry_after:g}"
    return Reply(
        status,
        {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": headers["request-id"],
        },
        headers,
    )


# -- Cloudflare Workers AI -------------------------------------------------------------------


def workers_ai_result(
    text: str, *, prompt_tokens: int = 100, completion_tokens: int = 50, delay: float = 0.0
) -> Reply:
    """A 200 Workers AI envelope with ``result.response`` and ``result.usage``."""
    return Reply(
        200,
        {
            "result": {
                "response": text,
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
            "success": True,
            "errors": [],
            "messages": [],
        },
        {"cf-ray": f"{uuid.uuid4().hex[:16]}-LHR"},
        delay,
    )


def workers_ai_error(
    status: int, code: int, message: str, *, retry_after: float | None = None
) -> Reply:
    """A Cloudflare v4 error envelope (``success: false`` with ``errors[{code, message}]``)."""
    headers = {"cf-ray": f"{uuid.uuid4().hex[:16]}-LHR"}
    if retry_after is not None:
        headers["retry-after"] = f"{retry_after:g}"
    return Reply(
        status,
        {
            "result": None,
            "success": False,
            "errors": [{"code": code, "message": message}],
            "messages": [],
        },
        headers,
    )


# -- OpenAI chat completions -----------------------------------------------------------------


def openai_completion(
    text: str,
    *,
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    cached_tokens: int | None = None,
    model: str = "llama-3.1-8b-instruct",
    delay: float = 0.0,
) -> Reply:
    """A 200 chat-completions answer with one choice and its usage."""
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if cached_tokens is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached_tokens}
    return Reply(
        200,
        {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": 1764201600,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
        },
        {},
        delay,
    )


def openai_error(
    status: int, kind: str, message: str, *, retry_after: float | None = None
) -> Reply:
    """An error in the OpenAI format: ``{"error": {"message", "type", "param", "code"}}``."""
    headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
    return Reply(
        status,
        {"error": {"message": message, "type": kind, "param": None, "code": None}},
        headers,
    )


# -- any dialect -----------------------------------------------------------------------------


def malformed(status: int = 200) -> Reply:
    """A body labelled JSON that is cut off mid-way (not decodable)."""
    return Reply(
        status, b'{"result": {"response": "def test_', {"content-type": "application/json"}
    )


def html_page(status: int = 200) -> Reply:
    """An HTML page where JSON was expected (a proxy's error page)."""
    return Reply(
        status, b"<html><body>upstream hiccup</body></html>", {"content-type": "text/html"}
    )


def slow(reply: Reply, seconds: float) -> Reply:
    """``reply``, sent only after ``seconds``."""
    return Reply(reply.status, reply.body, dict(reply.headers), seconds)


def trickle(reply: Reply, seconds_between_chunks: float) -> Reply:
    """``reply`` with headers at once and the body in ten pieces, ``seconds`` apart."""
    return Reply(reply.status, reply.body, dict(reply.headers), 0.0, seconds_between_chunks)


def estimated_prompt_tokens(request: ReceivedRequest) -> int:
    """About four characters a token over the request's messages (and Anthropic's system), so a
    ``responder`` can answer with realistic usage for whatever it was sent."""
    body = request.body if isinstance(request.body, dict) else {}
    texts = [str(body.get("system") or "")]
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            texts.append(str(message.get("content") or ""))
    return max(1, sum(len(text) for text in texts) // 4)
