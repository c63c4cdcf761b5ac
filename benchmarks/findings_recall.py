"""Recall of the bug-pattern rules on real bug-introducing commits (SZZ).

``benchmarks/history_corpus/<repo>.csv.gz`` (written by ``scripts/mine_history.py``) labels
each mined commit ``buggy`` with the seq of the first fix SZZ traced to it (``fix_seq``; seq is
the position in ``git log --no-merges --reverse --topo-order <head>``, head from
``manifest.json``). For the newest ``--per-repo`` bug-introducing commits of every repository
with a clone under ``--corpus``, this reviews the commit the way ``argus review --base <parent>
--head <commit>`` does (``scripts/run_findings_corpus.py``'s ``review_commit``) with the
default rules and with every rule (one run of every rule, the default-on ones being a subset
of its findings), and asks whether a finding sits on a line that the fix
later changed: the fix's deleted or changed old-side lines in code files (not tests), blamed at
the fix's parent with ``git blame -w``, that the bug-introducing commit wrote (its own line
numbers and path).

A commit counts as caught when at least one finding is on such a line (``--near N`` also
prints the looser figure for a finding within N lines of one). Lines a fix only adds (a missing
guard) cannot be blamed, so recall is measured on what SZZ can see; only the first fix of each
commit is used.

    .venv/bin/python benchmarks/findings_recall.py --per-repo 8 \\
        --corpus /work/corpora/findings2 /work/corpora/old

Last line: recall of the default-on rules and of every rule on the bug-introducing commits.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from run_findings_corpus import review_commit  # noqa: E402

from argus.core.diff.git import changeset_from_git, run_git  # noqa: E402
from argus.core.errors import GitError  # noqa: E402
from argus.core.predict.features import file_kind  # noqa: E402
from argus.core.predict.rules import RuleSelection, registered_rules  # noqa: E402

HISTORY = Path(__file__).resolve().parent / "history_corpus"
_HEADER = re.compile(r"^([0-9a-f]{40}) (\d+) (\d+)")
DEFAULT = RuleSelection()
EVERY = RuleSelection(enable=frozenset(rule.id for rule in registered_rules()))


def bug_fix_pairs(name: str, clone: Path, head: str, per_repo: int) -> list[tuple[str, str]]:
    """(bug-introducing sha, first fix sha), newest first, as the mined corpus labels them."""
    with gzip.open(HISTORY / f"{name}.csv.gz", "rt", newline="") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    order = run_git(
        clone, "log", "--no-merges", "--reverse", "--topo-order", "--format=%H", head
    ).split()
    shas = [sha.decode() for sha in order]
    for row in rows[:50]:
        if int(row["seq"]) >= len(shas) or shas[int(row["seq"])] != row["sha"]:
            # Mined with another history (rewritten, or paths left out): seq means nothing here.
            print(f"{name}: left out, the clone's history does not match the mined seq order")
            return []
    buggy = sorted(
        (row for row in rows if row["buggy"] == "1" and 0 <= int(row["fix_seq"]) < len(shas)),
        key=lambda row: -int(row["seq"]),
    )
    pairs = [(row["sha"], shas[int(row["fix_seq"])]) for row in buggy]
    return pairs[:per_repo] if per_repo > 0 else pairs


def fixed_lines(clone: Path, fix: str, bug: str) -> set[tuple[str, int]]:
    """(path, line) in ``bug``'s version of the code lines ``bug`` wrote that ``fix`` changed."""
    parent = f"{fix}^"
    changes = changeset_from_git(clone, parent, fix)
    lines: set[tuple[str, int]] = set()
    for change in changes.files:
        if not change.old_path or file_kind(change.old_path) != "code" or change.is_binary:
            continue
        removed = sorted(change.removed_lines)
        if not removed:
            continue
        arguments = ["blame", "--line-porcelain", "-w"]
        for number in removed:
            arguments += ["-L", f"{number},{number}"]
        output = run_git(clone, *arguments, parent, "--", change.old_path, check=False)
        sha = filename = None
        original = 0
        for text in output.decode("utf-8", "replace").split("\n"):
            match = _HEADER.match(text)
            if match:
                sha, original = match.group(1), int(match.group(2))
            elif text.startswith("filename "):
                filename = text[len("filename ") :]
            elif text.startswith("\t"):
                if sha == bug and filename and text.strip():
                    lines.add((filename, original))
                sha = filename = None
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print per-rule hits and recall; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus", type=Path, nargs="+", required=True, help="folders of cloned repositories"
    )
    parser.add_argument("--per-repo", type=int, default=80, help="0: every one")
    parser.add_argument("--near", type=int, default=3)
    parser.add_argument("--repos", nargs="*", help="only these repositories (folder names)")
    parser.add_argument("--out", type=Path, help="write every finding and whether it hit (JSONL)")
    arguments = parser.parse_args(argv)
    manifest = json.loads((HISTORY / "manifest.json").read_text())
    started = time.monotonic()
    selections = {"default": DEFAULT, "all": EVERY}
    default_on = {rule.id for rule in registered_rules() if rule.default_on}
    caught = {key: 0 for key in selections}
    caught_near = {key: 0 for key in selections}
    with_finding = {key: 0 for key in selections}
    rule_findings: Counter[str] = Counter()
    rule_hits: Counter[str] = Counter()
    commits = 0
    per_repo: Counter[str] = Counter()
    out = arguments.out.open("w") if arguments.out else None
    for name in sorted(manifest):
        if arguments.repos and name not in arguments.repos:
            continue
        slug_name = str(manifest[name].get("slug", name)).rsplit("/", 1)[-1]
        clones = [
            folder / candidate
            for folder in arguments.corpus
            for candidate in (name, slug_name)
            if (folder / candidate / ".git").exists()
        ]
        if not clones or not (HISTORY / f"{name}.csv.gz").exists():
            continue
        clone = clones[0]
        for bug, fix in bug_fix_pairs(name, clone, manifest[name]["head"], arguments.per_repo):
            try:
                # Every rule runs once; the default-on ones are a subset of the same findings
                # (rules are independent: the runner keeps each rule's hits on its own).
                everything = review_commit(clone, name, bug, EVERY)[1]
                wanted = {(str(f["path"]), int(str(f["line"]))) for f in everything}
                fixed = fixed_lines(clone, fix, bug) if wanted else set()
            except GitError:
                continue
            reviews = {
                "all": everything,
                "default": [f for f in everything if str(f["rule"]) in default_on],
            }
            commits += 1
            per_repo[name] += 1
            for key, findings in reviews.items():
                places = [(str(f["path"]), int(str(f["line"]))) for f in findings]
                with_finding[key] += bool(places)
                caught[key] += any(place in fixed for place in places)
                caught_near[key] += any(
                    (path, line + delta) in fixed
                    for path, line in places
                    for delta in range(-arguments.near, arguments.near + 1)
                )
            for finding in everything:
                place = (str(finding["path"]), int(str(finding["line"])))
                rule_findings[str(finding["rule"])] += 1
                hit = place in fixed
                rule_hits[str(finding["rule"])] += hit
            if out is not None:
                record = {"repo": name, "bug": bug, "fix": fix, "fixed_lines": len(fixed)}
                out.write(json.dumps({**record, "findings": everything}) + "\n")
                out.flush()
    if out is not None:
        out.close()
    rules = {rule.id: rule for rule in registered_rules()}
    print(
        f"{commits} bug-introducing commits: " + ", ".join(f"{k} {v}" for k, v in per_repo.items())
    )
    print(f"{'rule':8} {'default':>7} {'findings':>8} {'on fixed line':>13}")
    for rule_id in sorted(rule_findings):
        on = "on" if rule_id in rules and rules[rule_id].default_on else "off"
        print(f"{rule_id:8} {on:>7} {rule_findings[rule_id]:8} {rule_hits[rule_id]:13}")
    for key in selections:
        print(
            f"{key} rules: {with_finding[key]} commits with a finding, {caught[key]} with one on "
            f"a fixed line, {caught_near[key]} within {arguments.near} lines"
        )
    print(f"({time.monotonic() - started:.0f} s)")
    share = {key: caught[key] / commits if commits else 0.0 for key in selections}
    print(
        f"recall on {commits} bug-introducing commits: default rules {share['default']:.3f} "
        f"({caught['default']}), all rules {share['all']:.3f} ({caught['all']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
