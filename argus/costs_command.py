"""``argus costs``: what test generation cost this month, per tier and per tenant."""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any, TextIO

from argus.core.errors import ConfigError


def add_commands(commands: Any) -> None:
    """Register ``argus costs``."""
    costs = commands.add_parser(
        "costs",
        help="tokens, dollars and requests per model tier and tenant this month",
        description=(
            "What test generation cost: tokens, dollars and requests per tier and per tenant, "
            "the pattern-cache hit rate, and the plan budget left."
        ),
    )
    costs.add_argument("--month", help="YYYY-MM (default: this month, UTC)")
    costs.add_argument("--tenant", help="only this tenant")
    costs.add_argument("--repo", default=".", help="the repository whose store to read")
    costs.add_argument("--format", "-f", choices=("text", "json"), default="text")
    costs.set_defaults(handler=run_costs)


def run_costs(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """Print the month's cost summary."""
    from argus.core.router.ledger import costs_summary
    from argus.wiring import process_wiring

    month = arguments.month or time.strftime("%Y-%m", time.gmtime())
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ConfigError(f"--month {month!r}: expected YYYY-MM, e.g. 2026-11")
    with process_wiring().open_store(Path(arguments.repo)) as store:
        summary = costs_summary(store, month, arguments.tenant)
    summary["model_requests"] = model_requests(summary)
    if arguments.format == "json":
        stdout.write(json.dumps(summary, indent=2) + "\n")
        return 0
    stdout.write(render_costs(summary))
    return 0


def model_requests(summary: dict[str, Any]) -> int:
    """Requests that reached a model: every tier's but the pattern cache's and the free
    tier's (the deterministic generators run here and call no model)."""
    from argus.core.router.generation import FREE_TIERS

    free = {str(tier) for tier in FREE_TIERS}
    return sum(int(row["requests"]) for tier, row in summary["tiers"].items() if tier not in free)


def render_costs(summary: dict[str, Any]) -> str:
    """The summary as a short terminal report."""
    who = f" for {summary['tenant']}" if summary.get("tenant") else ""
    lines = [f"Costs in {summary['month']}{who}: ${summary['dollars']:.4f}"]
    tokens = summary["tokens"]
    models = model_requests(summary)
    local = int(summary["tiers"].get("local", {}).get("requests", 0))
    lines.append(
        f"  {models} model {'request' if models == 1 else 'requests'}, {local} free-tier "
        f"generation{'' if local == 1 else 's'}; tokens in {tokens['input']:,}, "
        f"out {tokens['output']:,}, cached {tokens['cached']:,}"
    )
    cache = summary["cache"]
    rate = "n/a" if cache["hit_rate"] is None else f"{cache['hit_rate']:.0%}"
    lines.append(f"  pattern cache: {cache['hits']} hits of {cache['lookups']} lookups ({rate})")
    if summary["tiers"]:
        lines.append("")
        lines.append(
            f"  {'tier':<18}{'requests':>9}{'tokens in':>12}{'tokens out':>12}{'dollars':>11}"
        )
        for tier, row in summary["tiers"].items():
            lines.append(
                f"  {tier:<18}{row['requests']:>9}{row['input_tokens']:>12,}"
                f"{row['output_tokens']:>12,}{row['dollars']:>11.4f}"
            )
    if summary["tenants"]:
        lines.append("")
        lines.append(f"  {'tenant':<24}{'plan':<12}{'dollars':>10}{'budget left':>14}")
        for tenant, row in summary["tenants"].items():
            left = row["budget_left_dollars"]
            budget = "unlimited" if left is None else f"${left:.4f}"
            lines.append(f"  {tenant:<24}{row['plan']:<12}{row['dollars']:>10.4f}{budget:>14}")
    return "\n".join(lines) + "\n"
