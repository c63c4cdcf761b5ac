"""Extract the webhook schemas the App checks at intake from GitHub's published description.

GitHub's webhook payload schemas ship in the npm package ``@octokit/openapi-webhooks``
(``make octokit-openapi`` installs it into tools/octokit). The whole description is 4.8 MB; the
App needs only the events it subscribes to (``app.yml``) and handles
(``argus/github_app/routes.py``), so this script writes those, each with the components it
references, without descriptions and examples, to ``argus/github_app/schema/webhooks.json.gz``. Run
it again after upgrading the package:

    .venv/bin/python scripts/make_webhook_schemas.py
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tools/octokit/node_modules/@octokit/openapi-webhooks/generated/api.github.com.json"
OUT = ROOT / "argus/github_app/schema/webhooks.json.gz"

EVENTS = (
    "pull_request",
    "issue_comment",
    "check_run",
    "check_suite",
    "push",
    "installation",
    "installation_repositories",
    "marketplace_purchase",
    "ping",
)
"""The events the App subscribes to (app.yml) or is sent without subscribing (installation,
marketplace_purchase, ping)."""

_DROP = {"description", "examples", "example", "title", "externalDocs", "x-github"}


def _strip(node: Any, names: bool = False) -> Any:
    """``node`` without documentation keywords (``names``: a map of property names to keep)."""
    if isinstance(node, dict):
        if names:
            return {k: _strip(v) for k, v in node.items()}
        return {
            k: _strip(v, names=k in {"properties", "patternProperties", "definitions"})
            for k, v in node.items()
            if k not in _DROP
        }
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def extract(description: dict[str, Any]) -> dict[str, Any]:
    """``{"webhooks": {"pull_request.opened": schema, ...}, "components": {...}}``."""
    components = description["components"]["schemas"]
    webhooks: dict[str, Any] = {}
    pattern = re.compile("^(" + "|".join(e.replace("_", "-") for e in EVENTS) + ")(-[a-z-]+)?$")
    for name, spec in sorted(description["webhooks"].items()):
        if not pattern.match(name):
            continue
        schema = spec["post"]["requestBody"]["content"]["application/json"]["schema"]
        webhooks[name] = _strip(schema)
    needed: set[str] = set()
    _refs(webhooks, needed)
    kept: dict[str, Any] = {}
    while needed:
        name = needed.pop()
        if name in kept:
            continue
        kept[name] = _strip(components[name])
        more: set[str] = set()
        _refs(kept[name], more)
        needed |= more - kept.keys()
    return {
        "source": "@octokit/openapi-webhooks " + description.get("info", {}).get("version", ""),
        "webhooks": webhooks,
        "components": {"schemas": dict(sorted(kept.items()))},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    description = json.loads(args.source.read_text(encoding="utf-8"))
    subset = extract(description)
    data = json.dumps(subset, sort_keys=True, separators=(",", ":")).encode()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same input gives the same bytes (a rebuild shows no diff).
    args.out.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    print(
        f"{len(subset['webhooks'])} webhooks, {len(subset['components']['schemas'])} "
        f"components: {len(data):,} bytes, {args.out.stat().st_size:,} compressed -> {args.out}"
    )


if __name__ == "__main__":
    main()
