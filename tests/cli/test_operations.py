"""/readyz, request ids and JSON log lines of `argus serve` (argus/operations.py)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount

from argus.core.errors import ConfigError, StoreError
from argus.operations import (
    JsonFormatter,
    RequestIds,
    add_readiness,
    operations_settings,
    store_check,
)


def _app_with_catch_all() -> FastAPI:
    """An app whose last route is a mount at / (as the App mounts the ingestion app)."""
    inner = FastAPI()

    @inner.get("/{anything:path}")
    async def anything(anything: str) -> dict[str, str]:
        logging.getLogger("argus.test").info("handled %s", anything)
        return {"inner": anything}

    app = FastAPI()
    app.router.routes.append(Mount("/", inner))
    return app


def test_readyz_is_200_while_every_check_passes_and_503_with_retry_after_otherwise() -> None:
    healthy = {"ok": True}

    def store() -> None:
        if not healthy["ok"]:
            raise StoreError("cannot reach the database at postgresql://db: refused")

    app = _app_with_catch_all()
    add_readiness(app, {"store": store, "queue": lambda: 0})
    with TestClient(app) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == ["queue", "store"]
        healthy["ok"] = False
        down = client.get("/readyz")
        assert down.status_code == 503 and down.headers["retry-after"] == "5"
        assert "refused" in down.json()["failing"]["store"]
        assert client.get("/other").json() == {"inner": "other"}  # the mount still answers


def test_request_ids_are_echoed_and_in_json_log_lines() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("argus")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        with TestClient(RequestIds(_app_with_catch_all())) as client:
            given = client.get(
                "/hook", headers={"X-Request-Id": "req-1", "X-GitHub-Delivery": "dlv-9"}
            )
            made = client.get("/plain")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    assert given.headers["x-request-id"] == "req-1"
    assert len(made.headers["x-request-id"]) == 32
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    handled = [line for line in lines if line["logger"] == "argus.test"]
    assert handled[0]["request_id"] == "req-1" and handled[0]["delivery_id"] == "dlv-9"
    assert "delivery_id" not in handled[1]
    access = [line for line in lines if line["logger"] == "argus.http"]
    assert access[0]["message"] == "GET /hook 200" and access[0]["status"] == 200
    assert isinstance(access[0]["ms"], float)


def test_log_format_is_checked() -> None:
    assert operations_settings({}).log_format == "text"
    assert operations_settings({"ARGUS_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ConfigError, match="use text or json"):
        operations_settings({"ARGUS_LOG_FORMAT": "xml"})


def test_the_sqlite_store_check_fails_when_the_file_is_missing(tmp_path) -> None:
    check = store_check(tmp_path / "missing.db")
    with pytest.raises(Exception, match="unable to open"):
        check()


def test_uvicorns_own_lines_are_json_with_json_logs(capsys: pytest.CaptureFixture[str]) -> None:
    import logging.config

    from argus.operations import uvicorn_log_config

    assert uvicorn_log_config({}) is None
    config = uvicorn_log_config({"ARGUS_LOG_FORMAT": "json"})
    assert config is not None
    logging.config.dictConfig(config)
    try:
        logging.getLogger("uvicorn.error").info("Application startup complete.")
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/healthz", "1.1", 200
        )
    finally:
        for name in ("uvicorn", "uvicorn.access"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("uvicorn.error", "info"),
        ("uvicorn.access", "info"),
    ]
    assert lines[0]["message"] == "Application startup complete."
    assert lines[1]["message"] == '127.0.0.1:5000 - "GET /healthz HTTP/1.1" 200'
