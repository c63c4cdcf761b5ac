"""GitHub's published contract, for the local stand-ins: requests, responses and webhooks.

The REST description is ``@octokit/openapi`` (``api.github.com.json``, OpenAPI 3.0) and the
webhook payloads are ``@octokit/openapi-webhooks``; ``make octokit-openapi`` installs both
into ``tools/octokit`` (the ``test`` target depends on it). Everything the schema carries is
checked (types, required fields, enums, ``maxLength``, ``maxItems``, the check run's
"conclusion when completed" rule ...), plus the limits GitHub documents in prose only:

- a comment body holds at most 65,536 characters, as do a review's body and each of its line
  comments;
- a check run's ``output.summary`` and ``output.text`` at most 65,535 (the schema) and 65,536;
- at most 50 annotations per check-run request;
- at most 3 actions per check run: ``label`` and ``identifier`` at most 20 characters,
  ``description`` at most 40;
- a check run's ``output`` needs a ``title``; an annotation's ``title`` holds at most 255
  characters, its ``message`` and ``raw_details`` at most 64 KB.

A request that breaks it is answered as GitHub does: HTTP 422,
``{"message": "Validation Failed", "errors": [...], "documentation_url": ...}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError

ROOT = Path(__file__).resolve().parents[2]
OCTOKIT = ROOT / "tools" / "octokit" / "node_modules" / "@octokit"
REST_DESCRIPTION = OCTOKIT / "openapi" / "generated" / "api.github.com.json"
WEBHOOK_DESCRIPTION = OCTOKIT / "openapi-webhooks" / "generated" / "api.github.com.json"

COMMENT_BODY_LIMIT = 65_536
CHECK_OUTPUT_TEXT_LIMIT = 65_536
ANNOTATIONS_PER_REQUEST = 50
ACTIONS_PER_CHECK_RUN = 3
ACTION_LIMITS = {"label": 20, "identifier": 20, "description": 40}
ANNOTATION_LIMITS = {"title": 255, "message": 64 * 1024, "raw_details": 64 * 1024}
"""Bytes (GitHub: "The maximum size is 64 KB"; a title at most 255 characters, all ASCII here)."""


class ContractMissing(RuntimeError):
    """GitHub's OpenAPI description is not installed (``make octokit-openapi``)."""


@dataclass(frozen=True)
class Operation:
    """One REST operation of the description: its method, path template and schema parts."""

    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]

    @property
    def documentation_url(self) -> str:
        """The operation's page on docs.github.com."""
        return str((self.spec.get("externalDocs") or {}).get("url", "https://docs.github.com/rest"))

    @property
    def operation_id(self) -> str:
        return str(self.spec.get("operationId", ""))


def _nullable(node: Any) -> None:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema: ``null`` allowed as well (in place)."""
    if isinstance(node, dict):
        for value in node.values():
            _nullable(value)
        if node.pop("nullable", None) is not True:
            return
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        elif "type" not in node:
            original = dict(node)
            node.clear()
            node["anyOf"] = [original, {"type": "null"}]
    elif isinstance(node, list):
        for value in node:
            _nullable(value)


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ContractMissing(
            f"{path} is missing: run `make octokit-openapi` (npm installs GitHub's OpenAPI "
            "description into tools/octokit)"
        )
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    _nullable(document)
    return document


class GitHubContract:
    """Checks requests, responses and webhook payloads against GitHub's OpenAPI description."""

    def __init__(self, rest: Path = REST_DESCRIPTION, webhooks: Path = WEBHOOK_DESCRIPTION) -> None:
        self._rest = _load(rest)
        self._webhook_path = webhooks
        self._webhooks: dict[str, Any] | None = None
        self._validators: dict[tuple[str, ...], Draft4Validator] = {}
        self._relaxed_components: Any = None
        self._operations: list[Operation] = []
        for template, item in self._rest["paths"].items():
            for method, spec in item.items():
                if method not in {"get", "post", "patch", "put", "delete"}:
                    continue
                multi = {
                    parameter["name"]
                    for parameter in self._resolved(spec.get("parameters", []))
                    if parameter.get("x-multi-segment")
                }

                def group(match: re.Match[str], multi: set[str] = multi) -> str:
                    name = match.group(1)
                    body = ".+" if name in multi else "[^/]+"
                    return f"(?P<{_group_name(name)}>{body})"

                pattern = re.compile(
                    "^" + re.sub(r"\\\{([^}]+)\\\}", group, re.escape(template)) + "$"
                )
                self._operations.append(Operation(method.upper(), template, pattern, spec))
        # Single-segment parameters before multi-segment ones (``/commits/{ref}`` would take
        # ``abc/check-runs``), literal segments before templated ones.
        self._operations.sort(
            key=lambda op: (".+" in op.pattern.pattern, op.template.count("{"), -len(op.template))
        )

    # -- lookup ----------------------------------------------------------------------------

    def operation(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation serving ``method path`` and its path parameters, or None."""
        method = method.upper()
        for operation in self._operations:
            if operation.method == method:
                match = operation.pattern.match(path)
                if match is not None:
                    return operation, match.groupdict()
        return None

    def _resolved(self, parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = []
        for parameter in parameters:
            if "$ref" in parameter:
                name = parameter["$ref"].rsplit("/", 1)[-1]
                parameter = self._rest["components"]["parameters"][name]
            found.append(parameter)
        return found

    def _parameters(self, operation: Operation) -> list[dict[str, Any]]:
        return self._resolved(operation.spec.get("parameters", []))

    def _validator(self, key: tuple[str, ...], schema: dict[str, Any]) -> Draft4Validator:
        validator = self._validators.get(key)
        if validator is None:
            root = {
                "$ref": "#/x-target",
                "x-target": schema,
                "components": self._rest["components"],
            }
            validator = Draft4Validator(root, format_checker=FormatChecker())
            self._validators[key] = validator
        return validator

    # -- requests --------------------------------------------------------------------------

    def request_errors(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, list[dict[str, Any]], str]:
        """``(status, GitHub error entries, documentation url)``; status 0 when it is valid.

        404 when no operation has this path (or a path parameter has the wrong type), 422
        when the query or the body breaks the schema or a documented limit.
        """
        found = self.operation(method, path)
        if found is None:
            return 404, [], "https://docs.github.com/rest"
        operation, path_values = found
        errors: list[dict[str, Any]] = []
        resource = _resource(operation)
        for parameter in self._parameters(operation):
            name, where = parameter["name"], parameter["in"]
            schema = parameter.get("schema") or {}
            if where == "path":
                raw = path_values.get(_group_name(name))
                if raw is None or _coerce(raw, schema) is _INVALID:
                    return 404, [], operation.documentation_url
                continue
            if where != "query":
                continue
            if name not in query:
                if parameter.get("required"):
                    errors.append(_entry(resource, name, "missing_field", f"{name} is missing"))
                continue
            value = _coerce(query[name], schema)
            key = (operation.method, operation.template, "query", name)
            if value is _INVALID:
                errors.append(_entry(resource, name, "invalid", f"{name} is not {schema}"))
                continue
            errors.extend(_entries(resource, self._validator(key, schema).iter_errors(value), name))
        content = (operation.spec.get("requestBody") or {}).get("content") or {}
        schema = (content.get("application/json") or {}).get("schema")
        if schema is not None:
            if body is None and (operation.spec.get("requestBody") or {}).get("required"):
                errors.append(_entry(resource, "", "missing", "a JSON body is required"))
            elif body is not None:
                key = (operation.method, operation.template, "body")
                errors.extend(_entries(resource, self._validator(key, schema).iter_errors(body)))
                errors.extend(_documented_limits(operation, resource, body))
        errors = _unique(errors)
        return (422 if errors else 0), errors, operation.documentation_url

    # -- responses -------------------------------------------------------------------------

    def response_errors(
        self, method: str, path: str, status: int, body: Any, *, strict: bool = False
    ) -> list[str]:
        """Where a stand-in's JSON answer differs from GitHub's documented response.

        Every field sent must have the documented type, format and enum. Only when ``strict``
        must every required field be there too (the stand-ins send whole objects for comments
        and reactions; for the rest, what the App reads, not GitHub's whole objects).
        """
        found = self.operation(method, path)
        if found is None or not isinstance(body, dict | list):
            return []
        operation, _ = found
        response = (operation.spec.get("responses") or {}).get(str(status))
        if response is None:
            if status < 400:
                return [f"{method} {path}: GitHub does not answer {status}"]
            return []
        if "$ref" in response:
            response = self._rest["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        schema = ((response.get("content") or {}).get("application/json") or {}).get("schema")
        if schema is None:
            return []
        key = (operation.method, operation.template, "response", str(status), str(strict))
        validator = self._validators.get(key)
        if validator is None and strict:
            validator = self._validator(key, schema)
        if validator is None:
            if self._relaxed_components is None:
                self._relaxed_components = _without_required(self._rest["components"])
            root = {
                "$ref": "#/x-target",
                "x-target": _without_required(schema),
                "components": self._relaxed_components,
            }
            validator = Draft4Validator(root, format_checker=FormatChecker())
            self._validators[key] = validator
        return [
            f"{method} {path} -> {status}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(body)
        ]

    # -- webhooks --------------------------------------------------------------------------

    def webhook_errors(self, event: str, payload: Any) -> list[str]:
        """Where a webhook payload differs from GitHub's schema of ``event.action``."""
        if self._webhooks is None:
            self._webhooks = _load(self._webhook_path)
        action = payload.get("action") if isinstance(payload, dict) else None
        name = event.replace("_", "-") + (f"-{action.replace('_', '-')}" if action else "")
        spec = (self._webhooks.get("webhooks") or {}).get(name)
        if spec is None:
            return [f"GitHub documents no {event!r} webhook with action {action!r}"]
        content = spec["post"]["requestBody"]["content"]
        schema = content["application/json"]["schema"]
        key = ("webhook", name)
        validator = self._validators.get(key)
        if validator is None:
            root = {
                "$ref": "#/x-target",
                "x-target": schema,
                "components": self._webhooks["components"],
            }
            validator = Draft4Validator(root)
            self._validators[key] = validator
        return [
            f"{name}: {'/'.join(map(str, e.absolute_path)) or '(payload)'}: {e.message}"
            for e in validator.iter_errors(payload)
        ]


@cache
def github_contract() -> GitHubContract:
    """The contract, loaded once per process."""
    return GitHubContract()


def assert_webhook(event: str, payload: Any) -> None:
    """Fail (AssertionError) when a payload a test sends is not one GitHub documents."""
    if not isinstance(payload, dict) or event.startswith("argus_"):
        return
    errors = github_contract().webhook_errors(event, payload)
    assert not errors, "the test sends a webhook GitHub never would:\n" + "\n".join(errors[:10])


def validation_failed(errors: list[dict[str, Any]], documentation_url: str) -> dict[str, Any]:
    """GitHub's 422 body."""
    return {
        "message": "Validation Failed",
        "errors": errors,
        "documentation_url": documentation_url,
        "status": "422",
    }


# -- helpers -------------------------------------------------------------------------------

_INVALID = object()


def _group_name(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _coerce(raw: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds:
        return int(raw) if re.fullmatch(r"-?\d+", raw) else _INVALID
    if "boolean" in kinds:
        return {"true": True, "false": False}.get(raw, _INVALID)
    return raw


def _resource(operation: Operation) -> str:
    tags = operation.spec.get("tags") or ["resource"]
    words = re.split(
        r"[-_ ]", str(operation.spec.get("x-github", {}).get("subcategory") or tags[0])
    )
    name = "".join(word.capitalize() for word in words if word)
    return name[:-1] if name.endswith("s") else name


def _entry(resource: str, field: str, code: str, message: str) -> dict[str, Any]:
    return {"resource": resource, "field": field, "code": code, "message": message}


def _entries(
    resource: str, errors: Iterator[ValidationError], prefix: str = ""
) -> list[dict[str, Any]]:
    found = []
    for error in errors:
        field = _field([prefix, *error.absolute_path] if prefix else list(error.absolute_path))
        code = {
            "required": "missing_field",
            "maxLength": "custom",
            "maxItems": "custom",
            "enum": "invalid",
            "type": "invalid",
        }.get(str(error.validator), "invalid")
        message = error.message
        if error.validator == "maxLength":
            message = f"{field} is too long (maximum is {error.validator_value} characters)"
        elif error.validator == "maxItems":
            message = f"{field} has too many items (maximum is {error.validator_value})"
        elif error.validator == "required":
            missing = re.findall(r"'([^']+)' is a required property", error.message)
            field = _field([*error.absolute_path, *missing])
        found.append(_entry(resource, field, code, message))
    return found


def _field(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _documented_limits(operation: Operation, resource: str, body: Any) -> list[dict[str, Any]]:
    """GitHub's limits written in its docs but not in the schema."""
    if not isinstance(body, dict):
        return []
    errors = []
    template = operation.template
    if template.endswith("/comments") or template.endswith("/comments/{comment_id}"):
        text = body.get("body")
        if isinstance(text, str) and len(text) > COMMENT_BODY_LIMIT:
            errors.append(
                _entry(
                    resource,
                    "body",
                    "custom",
                    f"body is too long (maximum is {COMMENT_BODY_LIMIT} characters)",
                )
            )
    if template.endswith("/reviews"):
        # A review's body and each of its line comments are comments: the same limit.
        texts = [("body", body.get("body"))]
        comments = body.get("comments") if isinstance(body.get("comments"), list) else []
        for index, comment in enumerate(comments):
            if isinstance(comment, dict):
                texts.append((f"comments[{index}].body", comment.get("body")))
        for field, text in texts:
            if isinstance(text, str) and len(text) > COMMENT_BODY_LIMIT:
                errors.append(
                    _entry(
                        resource,
                        field,
                        "custom",
                        f"{field} is too long (maximum is {COMMENT_BODY_LIMIT} characters)",
                    )
                )
    if "/check-runs" in template:
        output = body.get("output") if isinstance(body.get("output"), dict) else {}
        for key in ("summary", "text"):
            value = output.get(key)
            if isinstance(value, str) and len(value) > CHECK_OUTPUT_TEXT_LIMIT:
                errors.append(
                    _entry(
                        resource,
                        f"output.{key}",
                        "custom",
                        f"output.{key} is too long "
                        f"(maximum is {CHECK_OUTPUT_TEXT_LIMIT} characters)",
                    )
                )
        if output and not output.get("title"):
            errors.append(
                _entry(resource, "output.title", "missing_field", "title wasn't supplied")
            )
        annotations = output.get("annotations")
        for index, annotation in enumerate(annotations if isinstance(annotations, list) else []):
            for key, limit in ANNOTATION_LIMITS.items():
                value = annotation.get(key) if isinstance(annotation, dict) else None
                if isinstance(value, str) and len(value.encode("utf-8")) > limit:
                    errors.append(
                        _entry(
                            resource,
                            f"output.annotations[{index}].{key}",
                            "custom",
                            f"annotations.{key} is too long (maximum is {limit})",
                        )
                    )
        if isinstance(annotations, list) and len(annotations) > ANNOTATIONS_PER_REQUEST:
            errors.append(
                _entry(
                    resource,
                    "output.annotations",
                    "custom",
                    f"Only {ANNOTATIONS_PER_REQUEST} annotations are allowed per request.",
                )
            )
        actions = body.get("actions")
        if isinstance(actions, list):
            if len(actions) > ACTIONS_PER_CHECK_RUN:
                errors.append(
                    _entry(resource, "actions", "custom", "a check run takes at most 3 actions")
                )
            for index, action in enumerate(actions):
                for key, limit in ACTION_LIMITS.items():
                    value = action.get(key) if isinstance(action, dict) else None
                    if isinstance(value, str) and len(value) > limit:
                        errors.append(
                            _entry(
                                resource,
                                f"actions[{index}].{key}",
                                "custom",
                                f"actions.{key} is too long (maximum is {limit} characters)",
                            )
                        )
    return errors


def _unique(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, found = set(), []
    for error in errors:
        key = (error["field"], error["code"])
        if key not in seen:
            seen.add(key)
            found.append(error)
    return found


def _without_required(node: Any) -> Any:
    """A copy of a schema without ``required`` (responses: fields sent are checked, not all)."""
    if isinstance(node, dict):
        return {
            key: _without_required(value)
            for key, value in node.items()
            if not (key == "required" and isinstance(value, list))
        }
    if isinstance(node, list):
        return [_without_required(v) for v in node]
    return node
