"""Run Argus's bug-pattern rules over real commits of mirrored public repositories.

Each repository under ``--corpus`` (a clone of a `fetch` mirror) contributes its ``--per-repo``
most recent non-merge commits that touch a file Argus has a grammar for. Every commit is reviewed
the way ``argus review --base <parent> --head <commit>`` reviews it: the same diff, both sides of
every file, the repository's ``.gitattributes`` and the same rule runner (with its file
classification and suppressions). Output, one JSON object a line:

- ``{"kind": "commit", repo, commit, code_lines, files, findings}`` per commit (noise figures);
- ``{"kind": "finding", repo, commit, path, line, rule, message, snippet}`` per finding.

``--contexts FILE`` also writes each finding with the code around it (for labelling); keep that
file outside the repository, it contains the projects' code.

    nice -n 10 .venv/bin/python scripts/run_findings_corpus.py \\
        --corpus /work/corpora/findings --per-repo 60 --out benchmarks/findings/run.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argus.core.classify import GitAttributes  # noqa: E402
from argus.core.diff.blobs import read_blobs  # noqa: E402
from argus.core.diff.changeset import FileStatus  # noqa: E402
from argus.core.diff.git import changeset_from_git, run_git  # noqa: E402
from argus.core.errors import GitError  # noqa: E402
from argus.core.lang.languages import language_for_path  # noqa: E402
from argus.core.predict.rules import RuleContext, RuleSelection, registered_rules, run_rules  # noqa: E402

_CODE_GLOBS = ("*.py", "*.js", "*.jsx", "*.mjs", "*.cjs", "*.ts", "*.tsx", "*.go", "*.java")
_CONTEXT = 8
# Rules that are off by default run too, so that their labels stay current.
_EVERY_RULE = RuleSelection(enable=frozenset(rule.id for rule in registered_rules()))


def commits_of(repo: Path, count: int, skip: int = 0) -> list[str]:
    """The ``count`` newest non-merge commits (first parent walk) touching code files, after
    the ``skip`` newest."""
    out = run_git(
        repo,
        "log",
        "--no-merges",
        "--first-parent",
        f"-n{count}",
        f"--skip={skip}",
        "--format=%H",
        "HEAD",
        "--",
        *_CODE_GLOBS,
    )
    return out.decode().split()


def review_commit(
    repo: Path, name: str, commit: str, selection: RuleSelection = _EVERY_RULE
) -> tuple[dict[str, object], list[dict[str, object]], list[dict[str, object]]]:
    """The commit record, its findings, and the findings with their code around them
    (every rule runs unless ``selection`` says otherwise)."""
    parent = run_git(repo, "rev-parse", f"{commit}^").decode().strip()
    changes = changeset_from_git(repo, parent, commit)
    attributes = GitAttributes.parse(
        read_blobs(repo, commit, [".gitattributes"]).get(".gitattributes")
    )
    wanted = [
        change
        for change in changes.files
        if change.new_path
        and change.status is not FileStatus.DELETED
        and not change.is_binary
        and language_for_path(change.new_path)
    ]
    new_sources = read_blobs(repo, commit, [c.new_path for c in wanted if c.new_path])
    old_sources = read_blobs(repo, parent, [c.old_path for c in wanted if c.old_path])
    findings: list[dict[str, object]] = []
    contexts: list[dict[str, object]] = []
    code_lines = 0
    for change in wanted:
        assert change.new_path is not None
        language = language_for_path(change.new_path)
        source = new_sources.get(change.new_path)
        if language is None or source is None or len(source) > 1_000_000:
            continue
        code_lines += change.lines_added
        context = RuleContext(
            path=change.new_path,
            language=language,
            source=source,
            changed_lines=change.added_lines,
            old_source=old_sources.get(change.old_path) if change.old_path else None,
            removed_lines=change.removed_lines,
            attributes=attributes,
        )
        lines = source.decode("utf-8", "replace").split("\n")
        for bug in run_rules(context, selection=selection):
            record: dict[str, object] = {
                "kind": "finding",
                "repo": name,
                "commit": commit,
                "path": bug.path,
                "line": bug.line,
                "rule": bug.rule_id,
                "message": bug.message,
                "snippet": bug.snippet,
            }
            findings.append(record)
            start = max(bug.line - 1 - _CONTEXT, 0)
            around = [
                f"{'+' if number + 1 in change.added_lines else ' '}{number + 1:5} {lines[number]}"
                for number in range(start, min(bug.line + _CONTEXT * 2, len(lines)))
            ]
            contexts.append({**record, "code": "\n".join(around)})
    commit_record: dict[str, object] = {
        "kind": "commit",
        "repo": name,
        "commit": commit,
        "code_lines": code_lines,
        "files": len(wanted),
        "findings": len(findings),
    }
    return commit_record, findings, contexts


def main(argv: list[str] | None = None) -> int:
    """Review every selected commit and write the JSON lines; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="folder of cloned repositories")
    parser.add_argument("--per-repo", type=int, default=60)
    parser.add_argument("--skip", type=int, default=0, help="leave out the newest N commits")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--contexts", type=Path, help="also write findings with their code")
    parser.add_argument("--repos", nargs="*", help="only these repositories (folder names)")
    parser.add_argument(
        "--commits-from",
        type=Path,
        help="review exactly the commits an earlier run reviewed (its JSONL, e.g. "
        "benchmarks/findings/run.jsonl) instead of the newest --per-repo ones",
    )
    parser.add_argument(
        "--rules", nargs="*", help="only these rules (ids); every rule when left out"
    )
    arguments = parser.parse_args(argv)
    selection = _EVERY_RULE
    if arguments.rules:
        known = {rule.id for rule in registered_rules()}
        selection = RuleSelection(
            enable=frozenset(arguments.rules), disable=frozenset(known - set(arguments.rules))
        )
    listed: dict[str, list[str]] = {}
    if arguments.commits_from:
        for text in arguments.commits_from.read_text().splitlines():
            record = json.loads(text)
            if record.get("kind") == "commit":
                listed.setdefault(record["repo"], []).append(record["commit"])
    repos = sorted(p for p in arguments.corpus.iterdir() if (p / ".git").exists())
    if arguments.repos:
        repos = [p for p in repos if p.name in arguments.repos]
    started = time.monotonic()
    total_commits = total_findings = 0
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    contexts_file = arguments.contexts.open("w") if arguments.contexts else None
    with arguments.out.open("w") as out:
        for repo in repos:
            head = run_git(repo, "rev-parse", "HEAD").decode().strip()
            out.write(json.dumps({"kind": "repo", "repo": repo.name, "head": head}) + "\n")
            if arguments.commits_from:
                chosen = listed.get(repo.name, [])
            else:
                chosen = commits_of(repo, arguments.per_repo, arguments.skip)
            for commit in chosen:
                try:
                    commit_record, findings, contexts = review_commit(
                        repo, repo.name, commit, selection
                    )
                except GitError as error:
                    # A mirror may lack a large blob; such a commit is left out and counted.
                    skipped = {"kind": "skipped", "repo": repo.name, "commit": commit}
                    out.write(json.dumps({**skipped, "reason": str(error)[:200]}) + "\n")
                    continue
                out.write(json.dumps(commit_record) + "\n")
                for record in findings:
                    out.write(json.dumps(record) + "\n")
                if contexts_file is not None:
                    for record in contexts:
                        contexts_file.write(json.dumps(record) + "\n")
                total_commits += 1
                total_findings += len(findings)
            print(
                f"{repo.name}: {total_commits} commits, {total_findings} findings so far",
                file=sys.stderr,
            )
    if contexts_file is not None:
        contexts_file.close()
    elapsed = time.monotonic() - started
    print(f"{total_commits} commits, {total_findings} findings in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
