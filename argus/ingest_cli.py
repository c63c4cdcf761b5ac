"""``argus ingest``, ``argus patterns ...``, ``argus projects ...`` and ``argus serve``.

Each handler reads its input, opens the pattern library (see
``argus.core.store.sqlite.locate_store``), calls the PatternService, prints text or JSON and closes
the library. Input is parsed before the library is opened, so bad input leaves it untouched.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from argus.core.errors import ConfigError

if TYPE_CHECKING:
    from argus.core.patterns.records import IngestResult, Pattern
    from argus.core.patterns.service import PatternService

DEFAULT_TENANT = "local"
# `patterns search` hides matches below this cosine similarity: unrelated errors score near 0.
MIN_SEARCH_SIMILARITY = 0.3

STORE_NOTE = (
    "the pattern library is $ARGUS_HOME/argus.db, else .argus/argus.db in the git repository "
    "containing the current directory, else ~/.argus/argus.db"
)


def add_commands(subparsers: Any) -> None:
    """Add ``ingest``, ``patterns``, ``projects`` and ``serve`` to the ``argus`` parser."""
    from argus.cli import _lazy

    ingest = subparsers.add_parser(
        "ingest",
        help="file a production error under a pattern (Sentry JSON, traceback, stack, ...)",
        description=(
            "Read one error (a Sentry event, envelope or webhook payload, a Python traceback, a "
            "JavaScript/Node stack, or Argus generic JSON), scrub it, and file it under the "
            "pattern it matches or a new one. " + STORE_NOTE + "."
        ),
    )
    ingest.add_argument("file", metavar="FILE|-", help="the error report (- for stdin)")
    ingest.add_argument(
        "more",
        nargs="*",
        metavar="FILE",
        help="more error reports, one per file: all are read first, then filed together in "
        "one transaction (all or none)",
    )
    _add_tenant(ingest)
    _add_format(ingest)
    ingest.add_argument(
        "--generate-test",
        action="store_true",
        help="also write a regression test that fails where the error happened (needs --repo)",
    )
    ingest.add_argument("--repo", metavar="PATH", help="the repository the error came from")
    ingest.add_argument("--write-tests", metavar="DIR", help="write the validated test into DIR")
    ingest.add_argument(
        "--fix", metavar="COMMIT", help="the commit that fixes the error: the test must pass there"
    )
    ingest.add_argument(
        "--before",
        metavar="COMMIT",
        help="the commit where the error happened (default: the event's release when it names "
        "a commit, else HEAD)",
    )
    ingest.add_argument(
        "--max-tier", metavar="TIER", help="the dearest model tier to use (default: configured)"
    )
    ingest.set_defaults(handler=_lazy(__name__, "run_ingest"))

    patterns = subparsers.add_parser(
        "patterns",
        help="the pattern library: list, show, search, stats, export, import",
        description="Browse and move the pattern library; " + STORE_NOTE + ".",
    )
    commands = patterns.add_subparsers(dest="patterns_command", metavar="WHAT", required=True)
    listing = commands.add_parser("list", help="patterns, most frequent first")
    listing.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    listing.add_argument("--offset", type=int, default=0, help="skip this many first")
    show = commands.add_parser("show", help="one pattern in full")
    show.add_argument("pattern_id", metavar="ID")
    search = commands.add_parser("search", help="the patterns nearest to an error text")
    search.add_argument("text", metavar="TEXT|-", help="error text (any ingest format) or -")
    search.add_argument("-k", type=int, default=5, help="how many results (default 5)")
    search.add_argument(
        "--min-similarity",
        type=float,
        default=MIN_SEARCH_SIMILARITY,
        metavar="S",
        help=f"hide matches less similar than S, from -1 to 1 (default {MIN_SEARCH_SIMILARITY})",
    )
    stats = commands.add_parser("stats", help="figures on the library")
    export = commands.add_parser("export", help="write the library as JSON lines")
    export.add_argument("--out", "-o", metavar="FILE", help="write to FILE (default: stdout)")
    load = commands.add_parser("import", help="merge exported JSON lines into the library")
    load.add_argument("file", metavar="FILE|-", help="a file written by 'export' (- for stdin)")
    for name, parser in (
        ("list", listing),
        ("show", show),
        ("search", search),
        ("stats", stats),
        ("export", export),
        ("import", load),
    ):
        _add_tenant(parser)
        _add_format(parser)
        parser.set_defaults(handler=_lazy(__name__, f"run_patterns_{name}"))

    projects = subparsers.add_parser(
        "projects",
        help="ingestion projects: a DSN for the Sentry SDK and a key for the generic endpoint",
    )
    project_commands = projects.add_subparsers(
        dest="projects_command", metavar="WHAT", required=True
    )
    add = project_commands.add_parser("add", help="create a project and print its DSN")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--tenant", help="tenant its errors are filed under (default: NAME)")
    project_list = project_commands.add_parser("list", help="every project with its DSN")
    add.add_argument(
        "--host", default="127.0.0.1", help="host of argus serve in the DSN (default 127.0.0.1)"
    )
    add.add_argument(
        "--port", type=int, default=8000, help="port of argus serve in the DSN (default 8000)"
    )
    project_list.add_argument(
        "--host", help="host in the printed DSNs (default: the one each project was added with)"
    )
    project_list.add_argument(
        "--port",
        type=int,
        help="port in the printed DSNs (default: the one each project was added with)",
    )
    for parser in (add, project_list):
        _add_format(parser)
    add.set_defaults(handler=_lazy(__name__, "run_projects_add"))
    project_list.set_defaults(handler=_lazy(__name__, "run_projects_list"))
    link = project_commands.add_parser(
        "link",
        help="link a project to its code: argus serve then turns its errors into regression tests",
        description=(
            "Link project NAME to a local clone of its code. Each new error pattern of the "
            "project then gets a regression test, generated in the background by 'argus serve' "
            "in that clone and validated in the sandbox. With --github and --installation, the "
            "GitHub App opens a PR adding the test to that repository. Linking again replaces "
            "the link."
        ),
    )
    link.add_argument("name", metavar="NAME")
    link.add_argument(
        "--repo", metavar="PATH", required=True, help="a git clone of the project's code"
    )
    link.add_argument("--github", metavar="OWNER/NAME", help="its GitHub repository")
    link.add_argument(
        "--installation",
        metavar="ID",
        type=int,
        help="the GitHub App installation on that repository (needed with --github)",
    )
    link.add_argument("--base", default="main", help="the branch the PRs go to (default main)")
    link.add_argument(
        "--plan",
        default="free",
        help="the plan whose monthly model budget generation is metered against (default free)",
    )
    _add_format(link)
    link.set_defaults(handler=_lazy(__name__, "run_projects_link"))
    unlink = project_commands.add_parser("unlink", help="remove a project's link to its code")
    unlink.add_argument("name", metavar="NAME")
    unlink.set_defaults(handler=_lazy(__name__, "run_projects_unlink"))

    serve = subparsers.add_parser(
        "serve",
        help="run the error ingestion server (Sentry SDK protocol, webhooks, generic JSON)",
        description=(
            "Serve the ingestion endpoints over HTTP. Environment: ARGUS_HOME (store), "
            "ARGUS_INGEST_MAX_BYTES (body limit, default 4 MiB), ARGUS_SENTRY_CLIENT_SECRET "
            "(verifies Sentry integration webhooks). Errors of projects linked to their code "
            "('argus projects link') get regression tests, generated in the background. "
            + STORE_NOTE[0].upper()
            + STORE_NOTE[1:]
            + "."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--log-level",
        choices=("critical", "error", "warning", "info", "debug"),
        default="info",
        help="server log level (default info)",
    )
    serve.set_defaults(handler=_lazy("argus.serve_command", "run_serve"))


def _add_tenant(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tenant", default=DEFAULT_TENANT, help=f"whose patterns (default {DEFAULT_TENANT})"
    )


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", "-f", choices=("text", "json"), default="text", help="output format"
    )


@contextmanager
def _library() -> Iterator[PatternService]:
    from argus.core.patterns.service import open_service
    from argus.wiring import process_wiring

    service = open_service(process_wiring().store_location())
    try:
        yield service
    finally:
        service.close()


def _tenant(arguments: argparse.Namespace) -> str:
    from argus.ingest_server.keys import check_name

    return check_name(arguments.tenant, "--tenant")


def _read_input(argument: str) -> bytes:
    from argus.core.patterns.limits import MAX_INPUT_BYTES

    if argument == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        path = Path(argument)
        if not path.is_file():
            raise ConfigError(f"{argument}: no such file")
        with path.open("rb") as stream:
            data = stream.read(MAX_INPUT_BYTES + 1)
    return data


def _print_json(value: object, stdout: TextIO) -> None:
    json.dump(value, stdout, indent=2, ensure_ascii=False)
    stdout.write("\n")


def run_ingest(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus ingest FILE|-``: file one error, say which pattern and whether it was new."""
    from dataclasses import replace

    from argus.core.patterns.formats import parse_error

    tenant = _tenant(arguments)
    if getattr(arguments, "more", None):
        return _run_ingest_many(arguments, tenant, stdout)
    repo = _generation_repo(arguments) if getattr(arguments, "generate_test", False) else None
    data = _read_input(arguments.file)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        print(
            "argus: warning: input is not valid UTF-8; undecodable bytes replaced", file=sys.stderr
        )
    # Parsed before the library opens: unreadable input never touches the store.
    event = replace(parse_error(data), tenant=tenant)
    with _library() as service:
        result = service.ingest(event, tenant)
        # Ingestion returns the pattern's own columns; its locations etc. come with get().
        pattern = service.get(tenant, result.pattern.id) or result.pattern
        generated = None
        if repo is not None:
            from argus.testgen_wiring import regression_test_cli

            generated = regression_test_cli(arguments, event, pattern, service, repo, tenant)
            pattern = service.get(tenant, pattern.id) or pattern  # with the test's new figures
    if arguments.format == "json":
        document: dict[str, Any] = {
            "tenant": tenant,
            "source_format": event.source_format,
            "is_new": result.is_new,
            "matched_by": result.matched_by,
            "similarity": result.similarity,
            "pattern": pattern.to_dict(),
        }
        if generated is not None:
            document["regression_test"] = generated.document
        _print_json(document, stdout)
    else:
        print(_ingest_line(result, pattern), file=stdout)
        if generated is not None:
            print(generated.line, file=stdout)
    return 0


def _run_ingest_many(arguments: argparse.Namespace, tenant: str, stdout: TextIO) -> int:
    """``argus ingest FILE FILE...``: file several errors in one transaction (group commit)."""
    from dataclasses import replace

    from argus.core.patterns.errors import IngestError
    from argus.core.patterns.formats import parse_error

    if getattr(arguments, "generate_test", False):
        raise ConfigError("--generate-test takes one error report, not several")
    names = [arguments.file, *arguments.more]
    if names.count("-") > 1:
        raise ConfigError("standard input (-) can be read once")
    events = []
    # Every report is parsed before the library opens: one unreadable report stores nothing.
    for name in names:
        data = _read_input(name)
        try:
            events.append(replace(parse_error(data), tenant=tenant))
        except IngestError as error:
            raise IngestError(f"{name}: {error}") from None
    with _library() as service:
        results = service.ingest_many(events, tenant)
        details = service.store.get_many(tenant, [result.pattern.id for result in results])
    # Each with its locations etc., and its count as it stood when that error was filed.
    patterns = [
        replace(
            details.get(result.pattern.id, result.pattern), occurrences=result.pattern.occurrences
        )
        for result in results
    ]
    if arguments.format == "json":
        _print_json(
            {
                "tenant": tenant,
                "events": [
                    {
                        "file": name,
                        "source_format": event.source_format,
                        "is_new": result.is_new,
                        "matched_by": result.matched_by,
                        "similarity": result.similarity,
                        "pattern": pattern.to_dict(),
                    }
                    for name, event, result, pattern in zip(
                        names, events, results, patterns, strict=True
                    )
                ],
            },
            stdout,
        )
    else:
        for name, result, pattern in zip(names, results, patterns, strict=True):
            print(f"{name}: {_ingest_line(result, pattern)}", file=stdout)
    return 0


def _generation_repo(arguments: argparse.Namespace) -> Path:
    from argus.core.diff.git import find_repo_root

    if not arguments.repo:
        raise ConfigError("--generate-test needs --repo PATH (the repository the error came from)")
    return find_repo_root(arguments.repo)


def _where(pattern: Pattern) -> str:
    """`` in path:function`` of the innermost in-app frame, when known."""
    innermost = pattern.frames[0] if pattern.frames else None
    if innermost is None:
        return ""
    # Signature frames are "file name:last dotted part of the function"; locations are whole.
    file_name, _, function = innermost.partition(":")
    for location in pattern.locations:
        if location.path.rsplit("/", 1)[-1] == file_name and (
            location.function == function or location.function.endswith("." + function)
        ):
            return f" in {location.path}:{location.function}"
    return f" in {innermost}"


def _ingest_line(result: IngestResult, pattern: Pattern) -> str:
    if result.is_new:
        return f"New pattern {pattern.id}: {pattern.title}{_where(pattern)}"
    how = result.matched_by
    if result.similarity is not None and how == "similarity":
        how = f"similarity {result.similarity:.2f}"
    seen = _times(pattern.occurrences)
    return f"Matched pattern {pattern.id} (seen {seen}; matched by {how}): {pattern.title}" + (
        _where(pattern)
    )


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def run_patterns_list(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus patterns list``: the library, most frequent first."""
    tenant = _tenant(arguments)
    if arguments.limit < 1 or arguments.offset < 0:
        raise ConfigError("--limit must be at least 1 and --offset at least 0")
    with _library() as service:
        patterns = service.list_patterns(tenant, limit=arguments.limit, offset=arguments.offset)
    if arguments.format == "json":
        _print_json({"tenant": tenant, "patterns": [p.to_dict() for p in patterns]}, stdout)
        return 0
    if not patterns:
        print(f"No patterns for tenant {tenant} yet ('argus ingest FILE' adds one).", file=stdout)
        return 0
    width = max(len(pattern.id) for pattern in patterns)
    print(f"{'ID':<{width}}  {'SEEN':>6}  {'LAST SEEN':<16}  TITLE", file=stdout)
    for pattern in patterns:
        last = pattern.last_seen.strftime("%Y-%m-%d %H:%M")
        title = _cut(pattern.title + _where(pattern), 100)
        print(f"{pattern.id:<{width}}  {pattern.occurrences:>6}  {last:<16}  {title}", file=stdout)
    return 0


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run_patterns_show(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus patterns show ID``: one pattern in full."""
    tenant = _tenant(arguments)
    with _library() as service:
        pattern = service.get(tenant, arguments.pattern_id)
    if pattern is None:
        raise ConfigError(
            f"no pattern {arguments.pattern_id!r} for tenant {tenant} ('argus patterns list')"
        )
    if arguments.format == "json":
        document = pattern.to_dict()
        # The stored tests' code too: `show` is where a user reads a regression test.
        for shown, test in zip(document["tests"], pattern.tests, strict=True):
            shown["code"] = test.code
        _print_json(document, stdout)
        return 0
    lines = [
        f"{pattern.id}: {pattern.title}",
        f"  type         {pattern.exception_type}",
        f"  message      {pattern.message}",
        f"  seen         {_times(pattern.occurrences)}, first {pattern.first_seen.isoformat()}, "
        f"last {pattern.last_seen.isoformat()}",
        f"  hash         {pattern.pattern_hash}",
    ]
    if pattern.frames:
        lines.append("  frames       " + "\n               ".join(pattern.frames))
    if pattern.locations:
        lines.append("  locations")
        lines += [f"    {item.path}:{item.function} ({item.count})" for item in pattern.locations]
    for label, pairs in (("releases", pattern.releases), ("environments", pattern.environments)):
        if pairs:
            shown = ", ".join(f"{name or '(none)'} ({count})" for name, count in pairs)
            lines.append(f"  {label:<12} {shown}")
    if pattern.tests:
        lines.append("  tests")
        for test in pattern.tests:
            lines.append(
                f"    {test.test_id} ({test.framework}; success {test.success_rate:.0%}, "
                f"reused {test.reuse_count})"
            )
            if test.code:
                lines += ["      " + line for line in test.code.rstrip("\n").split("\n")]
    if pattern.aliases:
        lines.append(f"  also hashes  {', '.join(pattern.aliases)}")
    print("\n".join(lines), file=stdout)
    return 0


def run_patterns_search(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus patterns search TEXT|-``: the nearest patterns with their similarity."""
    tenant = _tenant(arguments)
    if arguments.k < 1:
        raise ConfigError("-k must be at least 1")
    if arguments.text == "-":
        text = _read_input("-").decode("utf-8", "replace")
    else:
        text = arguments.text
    if not text.strip():
        raise ConfigError("nothing to search for: give an error text")
    if not -1.0 <= arguments.min_similarity <= 1.0:
        raise ConfigError(f"--min-similarity {arguments.min_similarity}: give a value from -1 to 1")
    with _library() as service:
        nearest = service.search(text, tenant, k=arguments.k)
    found = [(pattern, score) for pattern, score in nearest if score >= arguments.min_similarity]
    hidden = len(nearest) - len(found)
    if arguments.format == "json":
        results = [
            {"similarity": round(score, 4), "pattern": pattern.to_dict()}
            for pattern, score in found
        ]
        _print_json({"tenant": tenant, "results": results, "hidden": hidden}, stdout)
        return 0
    if not nearest:
        print(f"No patterns for tenant {tenant} yet.", file=stdout)
        return 0
    if not found:
        print(
            f"No pattern of tenant {tenant} is similar (all {hidden} below "
            f"{arguments.min_similarity}; --min-similarity -1 shows them).",
            file=stdout,
        )
        return 0
    for pattern, score in found:
        shared = " [shared]" if pattern.shared else ""
        print(
            f"{score:.3f}  {pattern.id}  {_cut(pattern.title, 80)}{_where(pattern)} "
            f"(seen {pattern.occurrences}){shared}",
            file=stdout,
        )
    return 0


def run_patterns_stats(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus patterns stats``: figures on the library."""
    tenant = _tenant(arguments)
    with _library() as service:
        figures = service.stats(tenant)
    if arguments.format == "json":
        _print_json(figures, stdout)
        return 0
    for name, value in figures.items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
        print(f"{name.replace('_', ' '):<24} {shown}", file=stdout)
    return 0


def run_patterns_export(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus patterns export [--out FILE]``: the library as JSON lines."""
    tenant = _tenant(arguments)
    count = 0
    with _library() as service:
        if arguments.out is None:
            for row in service.export(tenant):
                stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
            return 0
        target = Path(arguments.out)
        partial = target.with_name(target.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as stream:
                for row in service.export(tenant):
                    stream.write(json.dumps(row, ensure_ascii=False) + "\n")
                    count += 1
            partial.replace(target)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise ConfigError(f"--out {arguments.out}: cannot write: {error}") from error
    patterns = count - 1  # the first line is the header
    if arguments.format == "json":
        _print_json({"tenant": tenant, "exported": patterns, "out": str(target)}, stdout)
    else:
        print(f"Exported {patterns} patterns of tenant {tenant} to {target}", file=stdout)
    return 0


def run_patterns_import(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus patterns import FILE|-``: merge exported rows (all read before any is stored)."""
    from argus.core.patterns.errors import IngestError
    from argus.core.patterns.service import EXPORT_FORMAT

    tenant = _tenant(arguments)
    rows = _read_rows(arguments.file)
    if not rows or rows[0].get("format") != EXPORT_FORMAT:
        raise IngestError(
            f"{arguments.file} does not start with the header line of an "
            f'\'argus patterns export\' ({{"format": "{EXPORT_FORMAT}", ...}})'
        )
    from argus.progress import counter

    patterns = len(rows) - 1
    with _library() as service, counter("patterns import", "patterns", patterns) as advance:
        counts = service.import_counted(tenant, _counted(rows, advance))
    if arguments.format == "json":
        document = {"tenant": tenant, "patterns": patterns, **counts._asdict()}
        _print_json(document, stdout)
    else:
        print(
            f"Imported {patterns} patterns into tenant {tenant}: {counts.new} new, "
            f"{counts.merged} merged into known ones, {counts.skipped} skipped (imported "
            "before)",
            file=stdout,
        )
    return 0


def _counted(
    rows: list[dict[str, Any]], advance: Callable[[int], None]
) -> Iterator[dict[str, Any]]:
    """The rows, advancing the progress past each pattern row as it is taken."""
    for row in rows:
        yield row
        if "format" not in row:
            advance(1)


def _read_rows(argument: str) -> list[dict[str, Any]]:
    from argus.core.patterns.errors import IngestError

    if argument == "-":
        text = sys.stdin.read()
    else:
        path = Path(argument)
        if not path.is_file():
            raise ConfigError(f"{argument}: no such file")
        text = path.read_text(encoding="utf-8", errors="replace")
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise IngestError(
                f"{argument} line {number} is not JSON ({error.msg}); "
                "import reads the JSON lines 'argus patterns export' writes"
            ) from None
        if not isinstance(row, dict):
            raise IngestError(f"{argument} line {number} is not a JSON object")
        rows.append(row)
    return rows


def run_projects_add(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus projects add NAME``: a new project; prints its DSN."""
    from argus.wiring import process_wiring

    keys = process_wiring().open_project_keys()
    try:
        project = keys.add(
            arguments.name, arguments.tenant, host=arguments.host, port=arguments.port
        )
    finally:
        keys.close()
    dsn = project.dsn()
    if arguments.format == "json":
        _print_json(_project_dict(project, dsn), stdout)
        return 0
    print(
        f"Project {project.name} (id {project.project_id}, tenant {project.tenant})\n"
        f"DSN:     {dsn}\n"
        f'Sentry:  sentry_sdk.init(dsn="{dsn}")\n'
        f"Generic: curl -H 'Authorization: Bearer {project.public_key}' --data-binary @error.json "
        f"http://{arguments.host}:{arguments.port}/api/{project.project_id}/errors",
        file=stdout,
    )
    return 0


def run_projects_list(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus projects list``: every ingestion project with its DSN (and link)."""
    from argus.wiring import process_wiring

    keys = process_wiring().open_project_keys()
    try:
        projects = keys.projects()
        links = keys.links()
    finally:
        keys.close()
    rows = [
        _project_dict(p, p.dsn(arguments.host, arguments.port), links.get(p.project_id))
        for p in projects
    ]
    if arguments.format == "json":
        _print_json({"projects": rows}, stdout)
        return 0
    if not rows:
        print("No projects yet ('argus projects add NAME').", file=stdout)
    for row in rows:
        print(
            f"{row['project_id']:>4}  {row['name']:<20} {row['tenant']:<20} {row['dsn']}",
            file=stdout,
        )
        if row["link"] is not None:
            print(f"      linked to {_link_text(row['link'])}", file=stdout)
    return 0


def run_projects_link(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus projects link NAME --repo PATH``: where the project's code (and PRs) live."""
    from argus.core.diff.git import find_repo_root
    from argus.wiring import process_wiring

    repo = Path(arguments.repo).expanduser()
    if not repo.is_dir():
        raise ConfigError(f"--repo {arguments.repo}: no such directory")
    # The root of the clone, absolute: the server may run from another directory.
    root = find_repo_root(repo.resolve())
    # Where argus serve reads them: the shared store's (PostgreSQL), else the SQLite file.
    keys = process_wiring().open_project_keys()
    try:
        link = keys.link(
            arguments.name,
            str(root),
            github_repository=arguments.github,
            installation_id=arguments.installation,
            base_branch=arguments.base,
            plan=arguments.plan,
        )
    finally:
        keys.close()
    document = _link_dict(link)
    if arguments.format == "json":
        _print_json({"name": arguments.name, "link": document}, stdout)
        return 0
    print(f"Project {arguments.name} linked to {_link_text(document)}", file=stdout)
    print(
        "argus serve now generates a regression test for each new error pattern of the project"
        + (", and the GitHub App opens a PR with it" if link.on_github else ""),
        file=stdout,
    )
    return 0


def run_projects_unlink(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus projects unlink NAME``: no more regression tests for the project's errors."""
    from argus.wiring import process_wiring

    keys = process_wiring().open_project_keys()
    try:
        removed = keys.unlink(arguments.name)
    finally:
        keys.close()
    if removed:
        print(f"Project {arguments.name} is no longer linked to its code", file=stdout)
    else:
        print(f"Project {arguments.name} was not linked", file=stdout)
    return 0


def _link_dict(link: Any) -> dict[str, Any]:
    return {
        "repo": link.repo_path,
        "github": link.github_repository,
        "installation_id": link.installation_id,
        "base": link.base_branch,
        "plan": link.plan,
    }


def _link_text(link: dict[str, Any]) -> str:
    text = f"{link['repo']} (plan {link['plan']})"
    if link["github"]:
        text += (
            f"; PRs to {link['github']}:{link['base']} "
            f"through installation {link['installation_id']}"
        )
    return text


def _project_dict(project: Any, dsn: str, link: Any = None) -> dict[str, Any]:
    return {
        "project_id": project.project_id,
        "name": project.name,
        "tenant": project.tenant,
        "public_key": project.public_key,
        "dsn": dsn,
        "link": _link_dict(link) if link is not None else None,
    }
