"""Precision of the bug-pattern rules on labelled real findings, and how noisy they are.

Reads the findings the rules produce today on the corpus (``benchmarks/findings/run.jsonl``,
written by ``scripts/run_findings_corpus.py``) and the labels people gave them
(``benchmarks/findings/labels.csv``: repository, commit, path, line, rule, label, reason with
label TRUE, DEBATABLE or FALSE). Precision counts TRUE as right and DEBATABLE and FALSE as wrong
(the lenient figure, with DEBATABLE as right, is printed next to it). Findings the rules produce
that nobody labelled yet are counted and listed, so labels are redone after a rule changes.

    .venv/bin/python benchmarks/findings_precision.py
    .venv/bin/python benchmarks/findings_precision.py --write   # after labelling

``--write`` puts the measured (right, labelled) pairs into ``argus/core/predict/rules/measured.py``
(which decides the confidence shown and which rules run by default) and the precision, sample
size and default of every rule into ``docs/rules.md``'s table and rule sections.

Last line: overall precision of the default-on rules and the number of default-on rules under
0.7 (baseline measured before this corpus: 0.08 overall on 65 findings, issue #14).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argus.core.predict.rules import registered_rules  # noqa: E402
from argus.core.predict.rules.equivalents import DELEGATED_TO_RUFF  # noqa: E402
from argus.core.predict.rules.measured import (  # noqa: E402
    MIN_PRECISION,
    MIN_SAMPLE,
    default_on_rules,
    measured_precision,
)

HERE = Path(__file__).resolve().parent / "findings"
ROOT = Path(__file__).resolve().parents[1]
MEASURED_PY = ROOT / "argus" / "core" / "predict" / "rules" / "measured.py"
RULES_MD = ROOT / "docs" / "rules.md"
Key = tuple[str, str, str, int, str]


def _runs_by_default(rule: Any) -> bool:
    """On by default, itself or as the ruff rule it is handed over to (ruff finds the same
    lines: ``benchmarks/findings_ruff.py``)."""
    return bool(rule.default_on) or rule.id in DELEGATED_TO_RUFF


def _default_word(rule_id: str, on: bool) -> str:
    if rule_id in DELEGATED_TO_RUFF:
        return "ruff"
    return "on" if on else "off"


def load_labels(path: Path) -> dict[Key, tuple[str, str]]:
    """(repository, commit, path, line, rule) -> (label, reason)."""
    labels: dict[Key, tuple[str, str]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            label = row["label"].strip().upper()
            if label not in ("TRUE", "DEBATABLE", "FALSE"):
                raise ValueError(f"{path}: bad label {row['label']!r} in {row}")
            key = (row["repository"], row["commit"], row["path"], int(row["line"]), row["rule"])
            labels[key] = (label, row["reason"])
    return labels


def write_measured(table: dict[str, tuple[int, int]], path: Path = MEASURED_PY) -> None:
    """Replace the ``MEASURED`` dict literal in ``measured.py`` with ``table``."""
    text = path.read_text()
    body = "".join(f'    "{rule_id}": {table[rule_id]},\n' for rule_id in sorted(table))
    new, count = re.subn(
        r"(MEASURED: dict\[str, tuple\[int, int\]\] = \{\n).*?(\n\})",
        lambda match: match.group(1) + body.rstrip("\n") + match.group(2),
        text,
        count=1,
        flags=re.DOTALL,
    )
    if count != 1:
        raise ValueError(f"{path}: no MEASURED table to replace")
    path.write_text(new)


def write_docs(table: dict[str, tuple[int, int]], path: Path = RULES_MD) -> None:
    """Put each rule's default, right / labelled and confidence into the docs' table and the
    line under each rule's heading."""
    text = path.read_text()
    on = default_on_rules(table)
    for rule in registered_rules():
        right, sample = table.get(rule.id, (0, 0))
        confidence, _, _ = measured_precision(rule.id, rule.confidence, table)
        default = "on" if rule.id in on else "opt-in"
        seen = f"{right}/{sample}" if sample else "not seen"
        row = re.compile(
            rf"^(\| \[{rule.id}\]\(#{rule.anchor}\) \|[^|]*\|[^|]*\|)[^|]*\|[^|]*\|[^|]*\|$",
            re.MULTILINE,
        )
        cells = f" {default} | {seen} | {confidence:.2f} |"
        text, rows = row.subn(lambda match, tail=cells: match.group(1) + tail, text)
        heading = re.compile(rf"(^## {rule.id}: [^\n]*\n\n\*[^·\n]*· )[^\n]*\*$", re.MULTILINE)
        words = "on by default" if rule.id in on else "opt-in"
        where = f"right {right}/{sample}" if sample else "not seen firing in the corpus"
        line = f"{words} · {where} · confidence {confidence:.2f}*"
        text, headings = heading.subn(lambda match, tail=line: match.group(1) + tail, text)
        if rows != 1 or headings != 1:
            raise ValueError(f"{path}: {rule.id} has {rows} table rows and {headings} headings")
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    """Print per-rule precision, noise, and the summary line; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, default=HERE / "run.jsonl")
    parser.add_argument("--labels", type=Path, default=HERE / "labels.csv")
    parser.add_argument(
        "--measured", action="store_true", help="also print the MEASURED table for measured.py"
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="write the measured table into measured.py and docs/rules.md",
    )
    arguments = parser.parse_args(argv)
    labels = load_labels(arguments.labels)
    rules = {rule.id: rule for rule in registered_rules()}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    unlabelled: list[dict[str, object]] = []
    commits = code_lines = commits_with_finding = default_findings = 0
    per_commit: Counter[tuple[str, str]] = Counter()
    for line in arguments.run.read_text().splitlines():
        record = json.loads(line)
        if record["kind"] == "commit":
            commits += 1
            code_lines += int(record["code_lines"])
            continue
        if record["kind"] != "finding":
            continue
        key = (
            record["repo"],
            record["commit"],
            record["path"],
            int(record["line"]),
            record["rule"],
        )
        rule = rules.get(str(record["rule"]))
        if rule is not None and _runs_by_default(rule):
            default_findings += 1
            per_commit[(str(record["repo"]), str(record["commit"]))] += 1
        if key not in labels:
            unlabelled.append(record)
            continue
        counts[str(record["rule"])][labels[key][0]] += 1
    commits_with_finding = len(per_commit)

    print(
        f"{'rule':8} {'default':>7} {'n':>4} {'TRUE':>5} {'DEB':>4} {'FALSE':>5} "
        f"{'precision':>9} {'lenient':>7}"
    )
    total: Counter[str] = Counter()
    under_bar = 0
    for rule_id in sorted(counts):
        count = counts[rule_id]
        n = sum(count.values())
        precision = count["TRUE"] / n
        lenient = (count["TRUE"] + count["DEBATABLE"]) / n
        rule = rules.get(rule_id)
        on = rule is not None and _runs_by_default(rule)
        if on:
            total.update(count)
            if n < MIN_SAMPLE or precision < MIN_PRECISION:
                under_bar += 1
        print(
            f"{rule_id:8} {_default_word(rule_id, on):>7} {n:4} {count['TRUE']:5} "
            f"{count['DEBATABLE']:4} {count['FALSE']:5} {precision:9.2f} {lenient:7.2f}"
        )
    if arguments.measured:
        print("MEASURED = {")
        for rule_id in sorted(counts):
            n = sum(counts[rule_id].values())
            print(f'    "{rule_id}": ({counts[rule_id]["TRUE"]}, {n}),')
        print("}")
    if arguments.write:
        table = {rule_id: (count["TRUE"], sum(count.values())) for rule_id, count in counts.items()}
        write_measured(table)
        write_docs(table)
        print(f"wrote {MEASURED_PY.relative_to(ROOT)} and {RULES_MD.relative_to(ROOT)}")
    everything: Counter[str] = Counter()
    for count in counts.values():
        everything.update(count)
    all_n = sum(everything.values())
    if all_n:
        print(f"all rules: {all_n} labelled, precision {everything['TRUE'] / all_n:.2f}")
    if unlabelled:
        print(f"{len(unlabelled)} findings not labelled yet, e.g.:")
        for record in unlabelled[:10]:
            where = f"{record['path']}:{record['line']}"
            print(f"  {record['repo']} {record['commit']} {where} {record['rule']}")
    per_100 = 100 * default_findings / code_lines if code_lines else 0.0
    share = commits_with_finding / commits if commits else 0.0
    print(
        f"noise (default-on rules): {default_findings} findings on {commits} commits, "
        f"{per_100:.3f} per 100 changed code lines ({code_lines} lines), "
        f"{share:.1%} of commits with a finding"
    )
    n = sum(total.values())
    overall = total["TRUE"] / n if n else 0.0
    print(
        f"overall precision (default-on rules) {overall:.2f} on {n} labelled findings; "
        f"default-on rules under {MIN_PRECISION}: {under_bar} (baseline 0.08 on 65, issue #14)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
