"""A local Cloudflare API on 127.0.0.1 for tests: D1 query, Vectorize v2 and Workers AI.

It answers the documented request shapes with Cloudflare's envelopes
(``{"result", "success", "errors", "messages"}``), checks ``Authorization: Bearer <token>``
(401 envelope, code 10000, otherwise), and records every request.

- D1: ``POST /accounts/{a}/d1/database/{db}/query`` with ``{"sql", "params"}`` (several
  statements joined by ``;`` run as a batch) or ``{"batch": [...]}``, run for real on a sqlite3
  database; a batch is one transaction (rolled back on error, 400 envelope code 7500).
- Vectorize v2: ``POST /accounts/{a}/vectorize/v2/indexes`` (create), ``GET .../{name}``,
  ``POST .../{name}/upsert`` (NDJSON), ``.../query``, ``.../delete_by_ids``; exact cosine search
  in memory, namespaces honoured.
- Workers AI: ``POST /accounts/{a}/ai/run/@cf/baai/bge-base-en-v1.5`` with ``{"text": str |
  [str]}`` → ``{"result": {"shape": [n, 768], "data": [...]}}``; vectors from
  ``HashingEmbedder(768)`` so they are deterministic and meaningful.

``fail_next(status, count)`` makes the next requests fail with an error envelope.

    with CloudflareServer(token="secret") as server:
        executor = D1Executor("acct", "db", "secret", base_url=server.url)
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from argus.core.patterns.embed import HashingEmbedder
from tests.servers.loopback import LoopbackHTTPServer

BGE_MODEL = "@cf/baai/bge-base-en-v1.5"
BGE_DIMENSIONS = 768

_D1 = re.compile(r"^/accounts/(?P<account>[^/]+)/d1/database/(?P<database>[^/]+)/query$")
_INDEXES = re.compile(r"^/accounts/(?P<account>[^/]+)/vectorize/v2/indexes$")
_INDEX = re.compile(
    r"^/accounts/(?P<account>[^/]+)/vectorize/v2/indexes/(?P<name>[^/]+)"
    r"(?:/(?P<action>upsert|insert|query|delete_by_ids))?$"
)
_AI = re.compile(r"^/accounts/(?P<account>[^/]+)/ai/run/(?P<model>.+)$")


@dataclass(frozen=True)
class Recorded:
    """A request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _Index:
    def __init__(self, name: str, dimensions: int, metric: str) -> None:
        self.name = name
        self.dimensions = dimensions
        self.metric = metric
        # (namespace, id) -> (values, metadata); ids are index-wide in Vectorize.
        self.vectors: dict[str, tuple[str, list[float], dict[str, Any]]] = {}


class CloudflareServer:
    """The three Cloudflare APIs on a free loopback port, in a background thread."""

    def __init__(self, token: str = "test-token", account: str = "test-account") -> None:
        self.token = token
        self.account = account
        self.requests: list[Recorded] = []
        self.database = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.indexes: dict[str, _Index] = {}
        self.embedder = HashingEmbedder(BGE_DIMENSIONS)
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up ------------------------------------------------------------------------------

    def add_index(self, name: str, dimensions: int, metric: str = "cosine") -> None:
        """Create a Vectorize index directly."""
        self.indexes[name] = _Index(name, dimensions, metric)

    def fail_next(self, status: int = 500, count: int = 1) -> None:
        """The next ``count`` requests get an error envelope with ``status``."""
        with self._lock:
            self._failures.extend([status] * count)

    def requests_to(self, fragment: str) -> list[Recorded]:
        """Recorded requests whose path contains ``fragment``."""
        return [request for request in self.requests if fragment in request.path]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (use as the adapters' ``base_url``)."""
        if self._server is None:
            raise RuntimeError("server not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> CloudflareServer:
        server = LoopbackHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="cloudflare-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.database.close()

    def __enter__(self) -> CloudflareServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- dispatch ----------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(Recorded(method, path, headers, body))
            failure = self._failures.pop(0) if self._failures else None
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, _envelope(None, errors=[(10000, "Authentication error")])
        if failure is not None:
            return failure, _envelope(None, errors=[(failure * 10, f"injected failure {failure}")])
        path = path.split("?", 1)[0]
        try:
            if match := _D1.match(path):
                return self._d1(method, body)
            if match := _INDEXES.match(path):
                return self._create_index(method, body)
            if match := _INDEX.match(path):
                return self._index(method, match["name"], match["action"], body)
            if match := _AI.match(path):
                return self._ai(method, match["model"], body)
        except (ValueError, KeyError, TypeError) as error:
            return 400, _envelope(None, errors=[(1001, f"bad request: {error}")])
        return 404, _envelope(None, errors=[(7003, f"Could not route to {path}")])

    # -- D1 ----------------------------------------------------------------------------------

    def _d1(self, method: str, body: bytes) -> tuple[int, Any]:
        if method != "POST":
            return 405, _envelope(None, errors=[(10405, "method not allowed")])
        payload = json.loads(body)
        if "batch" in payload:
            queries = [(item["sql"], item.get("params") or []) for item in payload["batch"]]
        else:
            params = payload.get("params") or []
            statements = _split(payload["sql"])
            queries = [(statement, params) for statement in statements]
        results = []
        with self._lock:
            db = self.database
            db.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in queries:
                    results.append(_run(db, sql, params))
                db.execute("COMMIT")
            except sqlite3.Error as error:
                db.execute("ROLLBACK")
                return 400, _envelope(None, errors=[(7500, f"{error}: SQLITE_ERROR")])
        return 200, _envelope(results)

    # -- Vectorize ---------------------------------------------------------------------------

    def _create_index(self, method: str, body: bytes) -> tuple[int, Any]:
        payload = json.loads(body)
        name = payload["name"]
        config = payload["config"]
        if name in self.indexes:
            return 409, _envelope(None, errors=[(3002, f"index {name} already exists")])
        self.add_index(name, int(config["dimensions"]), str(config.get("metric", "cosine")))
        return 200, _envelope(self._describe(self.indexes[name]))

    def _index(self, method: str, name: str, action: str | None, body: bytes) -> tuple[int, Any]:
        index = self.indexes.get(name)
        if index is None:
            return 404, _envelope(None, errors=[(3000, f"vectorize.index.not_found: {name}")])
        if action is None:
            return 200, _envelope(self._describe(index))
        if action in ("upsert", "insert"):
            lines = [line for line in body.decode("utf-8").splitlines() if line.strip()]
            records = [json.loads(line) for line in lines]
            for record in records:
                values = [float(value) for value in record["values"]]
                if len(values) != index.dimensions:
                    return 400, _envelope(
                        None,
                        errors=[
                            (
                                40012,
                                f"vector dimension mismatch: got {len(values)}, "
                                f"expected {index.dimensions}",
                            )
                        ],
                    )
            with self._lock:
                for record in records:
                    if action == "insert" and record["id"] in index.vectors:
                        continue
                    index.vectors[record["id"]] = (
                        str(record.get("namespace") or ""),
                        [float(value) for value in record["values"]],
                        dict(record.get("metadata") or {}),
                    )
            return 200, _envelope({"mutationId": str(uuid.uuid4())})
        payload = json.loads(body)
        if action == "delete_by_ids":
            with self._lock:
                for identifier in payload["ids"]:
                    index.vectors.pop(identifier, None)
            return 200, _envelope({"mutationId": str(uuid.uuid4())})
        vector = [float(value) for value in payload["vector"]]
        if len(vector) != index.dimensions:
            return 400, _envelope(None, errors=[(40012, "query vector dimension mismatch")])
        namespace = payload.get("namespace")
        top_k = int(payload.get("topK", 5))
        scored = []
        with self._lock:
            for identifier, (space, values, metadata) in index.vectors.items():
                if namespace is not None and space != namespace:
                    continue
                scored.append((_cosine(vector, values), identifier, space, metadata))
        scored.sort(key=lambda item: (-item[0], item[1]))
        metadata_mode = payload.get("returnMetadata", "none")
        matches = []
        for score, identifier, space, metadata in scored[:top_k]:
            match: dict[str, Any] = {"id": identifier, "score": score, "namespace": space}
            if metadata_mode in ("all", "indexed"):
                match["metadata"] = metadata
            if payload.get("returnValues"):
                match["values"] = index.vectors[identifier][1]
            matches.append(match)
        return 200, _envelope({"count": len(matches), "matches": matches})

    @staticmethod
    def _describe(index: _Index) -> dict[str, Any]:
        return {
            "name": index.name,
            "description": "",
            "config": {"dimensions": index.dimensions, "metric": index.metric},
            "created_on": "2026-11-27T00:00:00Z",
            "modified_on": "2026-11-27T00:00:00Z",
        }

    # -- Workers AI --------------------------------------------------------------------------

    def _ai(self, method: str, model: str, body: bytes) -> tuple[int, Any]:
        if model != BGE_MODEL:
            return 400, _envelope(None, errors=[(5007, f"No such model {model}")])
        payload = json.loads(body)
        text = payload["text"]
        texts = [text] if isinstance(text, str) else list(text)
        if not texts or not all(isinstance(item, str) for item in texts):
            return 400, _envelope(None, errors=[(5006, "text must be a string or strings")])
        data = self.embedder.embed(texts)
        return 200, _envelope(
            {"shape": [len(data), BGE_DIMENSIONS], "data": data, "pooling": "mean"}
        )


def _envelope(result: Any, errors: list[tuple[int, str]] | None = None) -> dict[str, Any]:
    return {
        "result": result,
        "success": not errors,
        "errors": [{"code": code, "message": message} for code, message in errors or []],
        "messages": [],
    }


def _run(db: sqlite3.Connection, sql: str, params: list[Any]) -> dict[str, Any]:
    before = db.total_changes
    cursor = db.execute(sql, params)
    rows = []
    if cursor.description is not None:
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    changes = db.total_changes - before
    return {
        "results": rows,
        "success": True,
        "meta": {
            "changed_db": changes > 0,
            "changes": changes,
            "duration": 0.1,
            "last_row_id": cursor.lastrowid or 0,
            "rows_read": len(rows),
            "rows_written": changes,
            "size_after": 0,
        },
    }


def _split(sql: str) -> list[str]:
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _cosine(first: list[float], second: list[float]) -> float:
    dot = sum(a * b for a, b in zip(first, second, strict=True))
    norms = math.sqrt(sum(a * a for a in first)) * math.sqrt(sum(b * b for b in second))
    return dot / norms if norms else 0.0


def _handler_for(owner: CloudflareServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            return

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, payload = owner.handle(method, self.path, headers, body)
            data = json.dumps(payload).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                return

        def do_POST(self) -> None:
            self._serve("POST")

        def do_GET(self) -> None:
            self._serve("GET")

    return Handler
