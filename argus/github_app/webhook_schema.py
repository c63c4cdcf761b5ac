"""GitHub's published webhook schemas, checked at intake before a delivery is queued.

``argus/github_app/schema/webhooks.json.gz`` holds the schemas of the events the App receives, taken
from ``@octokit/openapi-webhooks`` by ``scripts/make_webhook_schemas.py`` (without their
documentation: 26 KB instead of 4.8 MB). A signed delivery whose payload does not match the
schema of its ``event.action`` is refused with 400 and never queued: no handler ever sees a
payload GitHub would not send. Events and actions without a shipped schema pass unchecked (GitHub
adds actions over time; the dispatcher ignores what no handler takes).

Formats (``date-time``, ``uri``) are not checked: GitHub's own payloads do not always follow
them (a recorded ``check_run`` has ``"2018-04-25 20:42:10"``). Each validator is compiled on
first use of its kind (about 40 ms) and kept; a pull_request payload then takes about 0.3 ms.
"""

from __future__ import annotations

import gzip
import json
import threading
from functools import cache
from importlib import resources
from typing import Any

MAX_ERRORS = 5
"""Schema errors named in a refusal (the first ones; a wrong payload can have thousands)."""

MAX_ERROR_CHARS = 200
"""Each error message is cut to this (messages quote the offending value)."""


@cache
def _schemas() -> dict[str, Any]:
    data = resources.files("argus.github_app").joinpath("schema/webhooks.json.gz").read_bytes()
    loaded: dict[str, Any] = json.loads(gzip.decompress(data))
    return loaded


def schema_name(event: str, action: object) -> str:
    """The name GitHub's description gives ``event`` with ``action`` (``pull-request-opened``)."""
    name = event.replace("_", "-")
    if isinstance(action, str) and action:
        name += "-" + action.replace("_", "-")
    return name


class WebhookSchemas:
    """Validators of the shipped webhook schemas, compiled on first use and then shared."""

    def __init__(self) -> None:
        self._validators: dict[str, Any] = {}
        self._lock = threading.Lock()

    def knows(self, event: str, action: object) -> bool:
        """Whether a schema is shipped for ``event`` with ``action``."""
        return schema_name(event, action) in _schemas()["webhooks"]

    def _validator(self, name: str) -> Any:
        validator = self._validators.get(name)
        if validator is not None:
            return validator
        with self._lock:
            validator = self._validators.get(name)
            if validator is None:
                import jsonschema_rs

                schemas = _schemas()
                root = {
                    "$ref": "#/x-target",
                    "x-target": schemas["webhooks"][name],
                    "components": schemas["components"],
                }
                validator = jsonschema_rs.Draft4Validator(root, validate_formats=False)
                self._validators[name] = validator
        return validator

    def errors(self, event: str, payload: Any) -> list[str]:
        """Where ``payload`` differs from the schema of its event and action (empty: it matches).

        Empty too when no schema is shipped for them. At most :data:`MAX_ERRORS`, each
        ``path: message`` cut to :data:`MAX_ERROR_CHARS`.
        """
        action = payload.get("action") if isinstance(payload, dict) else None
        name = schema_name(event, action)
        if name not in _schemas()["webhooks"]:
            return []
        validator = self._validator(name)
        if validator.is_valid(payload):
            return []
        found: list[str] = []
        for error in validator.iter_errors(payload):
            where = "/".join(str(part) for part in error.instance_path) or "(payload)"
            found.append(f"{where}: {error.message}"[:MAX_ERROR_CHARS])
            if len(found) >= MAX_ERRORS:
                break
        return found

    def warm(self, names: list[str]) -> None:
        """Compile the validators of ``names`` now (the kinds the App handles)."""
        for name in names:
            if name in _schemas()["webhooks"]:
                self._validator(name)
