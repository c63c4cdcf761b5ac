"""Ruff's equivalent rules on the same changed lines of the same commits as Argus's rules.

For every commit of the findings corpus (``benchmarks/findings/run.jsonl``), each changed
Python file is checked by ``ruff check --isolated --select <equivalents>`` and only diagnostics
on added lines are kept, in the same files Argus reviews (test code too, where ruff has no
notion of it). Writes ``benchmarks/findings/ruff.jsonl`` and prints, per Argus rule, how many
findings each side produced, how many coincide (same line), and the precision of each side on
the labelled findings (a ruff diagnostic is labelled when an Argus finding on the same line
with the equivalent rule is).

    nice -n 10 .venv/bin/python benchmarks/findings_ruff.py --corpus /work/corpora/findings

Last line: labelled precision of ruff's equivalents next to Argus's on the same lines.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from findings_precision import HERE, load_labels  # noqa: E402

from argus.core.diff.blobs import read_blobs  # noqa: E402
from argus.core.diff.changeset import FileStatus  # noqa: E402
from argus.core.diff.git import changeset_from_git, run_git  # noqa: E402
from argus.core.predict.rules.equivalents import RUFF_EQUIVALENT  # noqa: E402

RUFF_TO_ARGUS = {code: rule for rule, codes in RUFF_EQUIVALENT.items() for code in codes}


def ruff_findings(repo: Path, name: str, commit: str) -> list[dict[str, object]]:
    """Ruff's equivalent diagnostics on the added lines of one commit's Python files."""
    parent = run_git(repo, "rev-parse", f"{commit}^").decode().strip()
    changes = changeset_from_git(repo, parent, commit)
    wanted = [
        change
        for change in changes.files
        if change.new_path
        and change.new_path.endswith(".py")
        and change.status is not FileStatus.DELETED
        and change.added_lines
    ]
    if not wanted:
        return []
    sources = read_blobs(repo, commit, [change.new_path for change in wanted if change.new_path])
    found: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        added: dict[str, frozenset[int]] = {}
        for change in wanted:
            assert change.new_path is not None
            source = sources.get(change.new_path)
            if source is None:
                continue
            target = root / change.new_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source)
            added[change.new_path] = change.added_lines
        if not added:
            return []
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "check",
                "--isolated",
                "--no-cache",
                "--preview",
                "--select",
                ",".join(sorted(RUFF_TO_ARGUS)),
                "--output-format",
                "json",
                "--exit-zero",
                ".",
            ],
            cwd=root,
            capture_output=True,
            check=True,
        )
        for diagnostic in json.loads(result.stdout or b"[]"):
            path = Path(diagnostic["filename"]).resolve().relative_to(root.resolve()).as_posix()
            line = int(diagnostic["location"]["row"])
            if line not in added.get(path, frozenset()) or diagnostic["code"] not in RUFF_TO_ARGUS:
                continue  # off the changed lines, or a syntax error (old Python 2 code)
            found.append(
                {
                    "repo": name,
                    "commit": commit,
                    "path": path,
                    "line": line,
                    "code": diagnostic["code"],
                    "rule": RUFF_TO_ARGUS.get(diagnostic["code"], ""),
                }
            )
    return found


def main(argv: list[str] | None = None) -> int:
    """Run ruff over the corpus commits (unless ``--cached``) and compare; exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, help="folder of cloned repositories")
    parser.add_argument("--run", type=Path, default=HERE / "run.jsonl")
    parser.add_argument("--labels", type=Path, default=HERE / "labels.csv")
    parser.add_argument("--out", type=Path, default=HERE / "ruff.jsonl")
    arguments = parser.parse_args(argv)
    records = [json.loads(line) for line in arguments.run.read_text().splitlines()]
    if arguments.corpus is not None:
        with arguments.out.open("w") as out:
            for record in records:
                if record["kind"] != "commit":
                    continue
                repo = arguments.corpus / str(record["repo"])
                for found in ruff_findings(repo, str(record["repo"]), str(record["commit"])):
                    out.write(json.dumps(found) + "\n")
    ruff = [json.loads(line) for line in arguments.out.read_text().splitlines()]
    ruff = [record for record in ruff if record["code"] in RUFF_TO_ARGUS]
    labels = load_labels(arguments.labels)
    ours = [r for r in records if r["kind"] == "finding" and r["rule"] in RUFF_EQUIVALENT]
    ours_at = {(r["repo"], r["commit"], r["path"], int(r["line"]), r["rule"]) for r in ours}
    ruff_at = {(r["repo"], r["commit"], r["path"], int(r["line"]), r["rule"]) for r in ruff}
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for key in ours_at:
        table[key[4]]["argus"] += 1
        if key in labels:
            table[key[4]]["argus_labelled"] += 1
            table[key[4]]["argus_true"] += labels[key][0] == "TRUE"
    for key in ruff_at:
        table[key[4]]["ruff"] += 1
        if key in ours_at:
            table[key[4]]["both"] += 1
        if key in labels:
            table[key[4]]["ruff_labelled"] += 1
            table[key[4]]["ruff_true"] += labels[key][0] == "TRUE"
    header = f"{'rule':6} {'ruff':>10} {'argus':>6} {'ruff':>5} {'both':>5}"
    print(f"{header} {'argus P':>8} {'ruff P':>7}")
    totals: Counter[str] = Counter()
    for rule in sorted(table):
        row = table[rule]
        totals.update(row)
        argus_p = row["argus_true"] / row["argus_labelled"] if row["argus_labelled"] else None
        ruff_p = row["ruff_true"] / row["ruff_labelled"] if row["ruff_labelled"] else None
        print(
            f"{rule:6} {'/'.join(RUFF_EQUIVALENT[rule]):>10} {row['argus']:6} {row['ruff']:5} "
            f"{row['both']:5} {_share(argus_p):>8} {_share(ruff_p):>7}"
        )
    unlabelled = totals["ruff"] - totals["ruff_labelled"]
    argus_p = totals["argus_true"] / totals["argus_labelled"] if totals["argus_labelled"] else None
    ruff_p = totals["ruff_true"] / totals["ruff_labelled"] if totals["ruff_labelled"] else None
    print(
        f"equivalent rules: argus {totals['argus']} findings (precision {_share(argus_p)}), "
        f"ruff {totals['ruff']} on the same lines (precision {_share(ruff_p)} on "
        f"{totals['ruff_labelled']} labelled; {unlabelled} ruff-only not labelled)"
    )
    return 0


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
