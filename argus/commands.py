"""The composition root of the CLI commands: settings in, core calls, rendered output out."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from argus.core.classify import GitAttributes
from argus.core.diff import ChangeSet, changeset_for_review, find_repo_root, parse_diff
from argus.core.diff.blobs import read_blobs, read_worktree_files
from argus.core.diff.git import default_base, has_commits
from argus.core.diff.preimage import sources_from_diff
from argus.core.errors import ArgusError, ConfigError, GitError
from argus.core.predict.findings import Review, RiskLevel
from argus.core.predict.review import Sources
from argus.core.predict.rules import RuleSelection
from argus.review_log import record_cli_review
from argus.wiring import process_wiring


def _read_diff(argument: str) -> tuple[ChangeSet, bytes]:
    if argument == "-":
        raw = sys.stdin.buffer.read()
    else:
        path = Path(argument)
        if not path.is_file():
            raise ConfigError(f"--diff {argument}: no such file")
        raw = path.read_bytes()
    return parse_diff(raw), raw


def _sources(repo: Path | None, changeset: ChangeSet, head: str | None) -> Sources:
    if repo is None:
        return Sources()
    old_paths = [f.old_path for f in changeset.files if f.old_path and not f.is_binary]
    new_paths = [f.new_path for f in changeset.files if f.new_path and not f.is_binary]
    base = changeset.base or ("HEAD" if has_commits(repo) else None)
    old = read_blobs(repo, base, old_paths) if base else {}
    new = read_blobs(repo, head, new_paths) if head else read_worktree_files(repo, new_paths)
    return Sources(old=old, new=new)


def review_for_arguments(
    arguments: argparse.Namespace,
    *,
    rules: RuleSelection | None = None,
    rule_levels: dict[str, str] | None = None,
    attributes: GitAttributes | None = None,
) -> tuple[Review, ChangeSet]:
    """Read the change and both sides of its files, and review it with the review service
    (history, model and production errors are the service's business); ``rules``,
    ``rule_levels`` and ``attributes`` come from the repository's configuration."""
    from argus.core.predict.service import ReviewService, ServiceOptions

    repo: Path | None
    raw = b""
    if arguments.diff:
        changeset, raw = _read_diff(arguments.diff)
        try:
            repo = find_repo_root(arguments.repo)
        except GitError:
            repo = None
    else:
        repo = find_repo_root(arguments.repo)
    # A diff given as text is judged on the default branch's history, whatever is checked out.
    tip = default_base(repo) if arguments.diff and repo is not None else "HEAD"
    service = ReviewService(
        repo,
        store_path=process_wiring().store_location(repo) if repo is not None else None,
        use_history=not arguments.no_history,
        tenant=getattr(arguments, "tenant", "local"),
        persistent_cache=repo is not None,
        history_tip=tip,
    )
    with service:
        # git log (the history) runs on the other core while this thread reads the change.
        service.start_history_sync()
        if not arguments.diff:
            assert repo is not None
            changeset = changeset_for_review(
                repo, arguments.base or default_base(repo), arguments.head
            )
        author = None
        if arguments.diff:
            # Both sides from the diff and the blobs its index lines name
            # (argus.core.diff.preimage).
            found = sources_from_diff(repo, raw, changeset)
            sources = Sources(old=found.old, new=found.new)
            changeset = replace(changeset, warnings=(*changeset.warnings, *found.warnings))
            # Not a commit: the change is whoever runs the review's, now.
            author = service.current_user() if repo is not None and has_commits(repo) else None
        else:
            sources = _sources(repo, changeset, changeset.head)
        options = ServiceOptions(
            rules=rules or RuleSelection(),
            rule_levels=rule_levels or {},
            attributes=attributes,
            author=author,
        )
        return service.review(changeset, sources, options), changeset


def _color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def apply_range(arguments: argparse.Namespace) -> None:
    """Turn ``argus review RANGE`` into ``--base``/``--head``: ``A..B`` and ``A...B`` review
    ``merge-base(A, B)..B`` (an empty side is ``HEAD``, as git reads it), ``REF`` the working
    tree against ``REF``."""
    spec = getattr(arguments, "range", None)
    if not spec:
        return
    if arguments.base or arguments.head or arguments.diff:
        raise ConfigError(f"give the range {spec!r} or --base/--head/--diff, not both")
    separator = "..." if "..." in spec else ".." if ".." in spec else None
    if separator is None:
        arguments.base = spec
        return
    base, head = spec.split(separator, 1)
    if ".." in head or spec == separator:
        raise ConfigError(f"{spec!r} is not a range: give BASE..HEAD, BASE...HEAD or REF")
    arguments.base = base or "HEAD"
    arguments.head = head or "HEAD"


def run_review(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus review``: print the report; exit 1 when the risk reaches ``--fail-on``."""
    from argus.core.config import load_repository_config
    from argus.core.predict.rules import registered_rules
    from argus.core.report import describe_rules, render

    if arguments.top < 1:
        raise ConfigError("--top must be at least 1")
    apply_range(arguments)
    # .argus.yml at the repository root; a malformed one stops here (exit 2, naming the line).
    config, attributes = load_repository_config(Path(arguments.repo))
    review, changeset = review_for_arguments(
        arguments,
        rules=config.rules,
        rule_levels=dict(config.rule_levels),
        attributes=attributes,
    )
    if getattr(arguments, "generate_tests", False):
        review = _with_generated_tests(review, arguments, changeset)
    elif getattr(arguments, "write_tests", None) or getattr(arguments, "max_tier", None):
        raise ConfigError("--write-tests and --max-tier go with --generate-tests")
    record_cli_review(review, arguments)
    target = open(arguments.output, "w", encoding="utf-8") if arguments.output else None
    stream = target or stdout
    try:
        width = _terminal_width(stream)
        text = render(
            review,
            arguments.format,
            color=_color(arguments.color, stream) if arguments.format == "text" else False,
            width=width,
            max_symbols=arguments.top,
            rules=describe_rules(registered_rules()),
        )
        stream.write(text if text.endswith("\n") else text + "\n")
    finally:
        if target is not None:
            target.close()
    changed = review.files_changed > 0
    if arguments.fail_on and changed and review.level.rank >= RiskLevel(arguments.fail_on).rank:
        print(
            f"argus: the change's risk is {review.level.value} ({review.probability:.0%}), at or "
            f"above --fail-on {arguments.fail_on}: exit code 1",
            file=sys.stderr,
        )
        return 1
    return 0


def _with_generated_tests(
    review: Review, arguments: argparse.Namespace, changeset: ChangeSet
) -> Review:
    """The review with validated tests (argus/testgen_wiring.py does the work)."""
    from argus.core.testgen.service import changed_lines_of
    from argus.progress import stages
    from argus.testgen_wiring import review_with_tests

    if arguments.diff:
        raise ConfigError("--generate-tests needs a repository to run tests in, not --diff")
    repo = find_repo_root(arguments.repo)
    with stages("review") as stage:
        stage("generating tests for the riskiest functions, each run in a sandbox")
        return review_with_tests(
            review,
            repo,
            changeset.head,
            changed_lines_of(changeset.files),
            max_tier=arguments.max_tier,
            write_dir=arguments.write_tests,
        )


def _terminal_width(stream: TextIO) -> int:
    if stream.isatty():
        return max(60, min(os.get_terminal_size(stream.fileno()).columns, 200))
    return 100


def run_learn(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus learn``: label history with SZZ and fit this repository's adaptation."""
    from argus.core.predict.adapt import learn
    from argus.core.predict.model import load_model
    from argus.progress import stages

    repo = find_repo_root(arguments.repo)
    with process_wiring().open_store(repo) as store, stages("learn") as stage:
        report = learn(store, repo, load_model(), on_stage=stage)
    auc_shipped = report.auc_shipped
    auc_adapted = report.auc_adapted
    document = {
        "schema": "argus.learn/v1",
        "commits_scanned": report.commits_scanned,
        "fix_commits": report.fix_commits,
        "bug_introducing_commits": report.bug_introducing_commits,
        "evaluated_commits": report.evaluated_commits,
        "auc_shipped": None if auc_shipped is None else round(auc_shipped, 4),
        "auc_adapted": None if auc_adapted is None else round(auc_adapted, 4),
        "adapted": report.adaptation is not None,
        "notes": list(report.notes),
    }
    if arguments.format == "json":
        stdout.write(json.dumps(document, indent=2) + "\n")
        return 0
    stdout.write(
        f"Scanned {report.commits_scanned} commits: {report.fix_commits} bug fixes, traced to "
        f"{report.bug_introducing_commits} bug-introducing commits.\n"
    )
    if auc_shipped is not None and auc_adapted is not None:
        stdout.write(
            f"On the newest {report.evaluated_commits} commits: AUC {auc_shipped:.3f} shipped, "
            f"{auc_adapted:.3f} adapted to this repository.\n"
        )
    stdout.write(
        "The adapted model is saved and used by `argus review`.\n"
        if report.adaptation is not None
        else "No adaptation saved; the shipped model is used.\n"
    )
    for note in report.notes:
        stdout.write(f"  note: {note}\n")
    return 0


def run_predict_history(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus predict history``: one JSON line per non-merge commit, scored time-aware."""
    from argus.core.predict.backtest import score_history
    from argus.core.predict.model import load_model
    from argus.progress import counter

    repo = find_repo_root(arguments.repo)
    out = Path(arguments.out)
    partial = out.with_name(out.name + ".partial")
    count = 0
    try:
        with (
            process_wiring().open_store(repo) as store,
            partial.open("w", encoding="utf-8") as handle,
            counter("predict history", "commits scored") as advance,
        ):
            for row in score_history(store, repo, load_model()):
                handle.write(json.dumps(row, sort_keys=False) + "\n")
                count += 1
                advance(1)
    except (ArgusError, OSError):
        partial.unlink(missing_ok=True)
        raise
    partial.replace(out)  # never leave a half-written file under the requested name
    if arguments.format == "json":
        stdout.write(json.dumps({"schema": "argus.history/v1", "commits": count, "out": str(out)}))
        stdout.write("\n")
    else:
        stdout.write(f"Scored {count} commits into {out}\n")
    return 0
