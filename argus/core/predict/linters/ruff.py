"""Ruff inside the review: the repository's own ruff, restricted to the changed lines.

Ruff runs once per review on the post-image of the changed Python files, written with the
repository's ruff configuration files (``pyproject.toml`` with ``[tool.ruff]``, ``ruff.toml``,
``.ruff.toml`` of every folder that holds a changed file, and of their parents) into a private
temporary folder, so the same code serves a working tree, an editor's unsaved buffer and the
App's fetched files. Without any ruff configuration the review asks for :func:`default_codes`:
ruff's twins of the Argus rules that are handed over to ruff (see
``argus/core/predict/rules/equivalents.py``).

Only diagnostics that start on a changed line are kept; they become findings ``ruff:CODE``
with ruff's message, and ruff's fix as the finding's fix when ruff marks it safe. A missing or
failing ruff, or one that runs out of time, costs only its findings: the review carries one
warning saying so.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from argus.core.predict.findings import BugFinding, Edit, Factor, Fix
from argus.core.predict.rules.base import registered_rules
from argus.core.predict.rules.equivalents import DELEGATED_TO_RUFF, RUFF_EQUIVALENT

logger = logging.getLogger(__name__)

PREFIX = "ruff:"
CONFIG_NAMES = ("pyproject.toml", "ruff.toml", ".ruff.toml")
TIMEOUT_SECONDS = 20.0
UNMEASURED_CONFIDENCE = 0.5
"""Shown for a ruff rule with no measured Argus twin: nothing is known of its precision."""

_TOOL_RUFF = re.compile(rb"^\s*\[\s*tool\s*\.\s*ruff\b", re.M)
_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/[^\s:'\"`]+")


def find_ruff() -> str | None:
    """The ruff binary of the installed ``ruff`` wheel, else one on PATH; None when absent."""
    try:
        from ruff.__main__ import find_ruff_bin  # every ruff wheel has it here

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("ruff")


def default_codes() -> tuple[str, ...]:
    """The ruff rules a review asks for when the repository has no ruff configuration: the
    twins of the Argus rules handed over to ruff (each measured as good as ours)."""
    return tuple(sorted({code for rule in DELEGATED_TO_RUFF for code in DELEGATED_TO_RUFF[rule]}))


def config_paths(paths: Iterable[str]) -> list[str]:
    """Where ruff would look for configuration for these files: each name in every folder
    from the repository root down to each file's folder."""
    folders: set[str] = set()
    for path in paths:
        parts = PurePosixPath(path).parent.parts
        for depth in range(len(parts) + 1):
            folders.add("/".join(parts[:depth]))
    return sorted(
        f"{folder}/{name}" if folder else name for folder in folders for name in CONFIG_NAMES
    )


def is_ruff_config(path: str, text: bytes) -> bool:
    """Whether a configuration file configures ruff (a pyproject.toml needs ``[tool.ruff]``)."""
    if PurePosixPath(path).name != "pyproject.toml":
        return True
    return _TOOL_RUFF.search(text) is not None


def _safe(path: str) -> bool:
    """A relative path with no ``..``: it stays inside the temporary folder."""
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\0" not in path


class RuffRun:
    """One ruff process over the changed Python files, started at once, read by :meth:`result`."""

    def __init__(
        self,
        files: Mapping[str, bytes],
        changed: Mapping[str, frozenset[int]],
        configs: Mapping[str, bytes],
        *,
        timeout: float = TIMEOUT_SECONDS,
        binary: Callable[[], str | None] | None = None,
    ) -> None:
        """Write ``files`` (path -> post-image) and ``configs`` (path -> text) to a temporary
        folder and start ruff there; nothing runs when there is no Python file."""
        self._changed = changed
        self._files = {path: text for path, text in files.items() if _safe(path)}
        self._timeout = timeout
        self._deadline = time.monotonic() + timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: Path | None = None
        self._problem: str | None = None
        if not self._files:
            return
        executable = (binary or find_ruff)()
        if executable is None:
            self._problem = (
                "ruff is not installed, so the ruff rules were not checked "
                "(install the ruff wheel next to Argus)"
            )
            return
        ruff_configs = {
            path: text
            for path, text in configs.items()
            if _safe(path) and is_ruff_config(path, text)
        }
        selection: list[str] = []
        if not ruff_configs:
            codes = default_codes()
            if not codes:
                return
            selection = ["--isolated", "--select", ",".join(codes)]
        self._folder = Path(tempfile.mkdtemp(prefix="argus-ruff-"))
        try:
            for path, text in (*ruff_configs.items(), *self._files.items()):
                target = self._folder / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(text)
            self._process = subprocess.Popen(
                [
                    executable,
                    "check",
                    "--no-cache",
                    "--exit-zero",
                    "--force-exclude",
                    "--output-format",
                    "json",
                    *selection,
                    "--",
                    *sorted(self._files),
                ],
                cwd=self._folder,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, "NO_COLOR": "1"},
            )
        except OSError as error:
            self._problem = f"ruff could not be started ({type(error).__name__}: {error})"
            self._cleanup()

    def cancel(self) -> None:
        """Kill the process if it still runs and remove the temporary folder."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.communicate()
        self._cleanup()

    def result(self) -> tuple[list[BugFinding], list[str]]:
        """Ruff's findings on the changed lines, and a warning when ruff could not check."""
        if self._problem is not None:
            return [], [self._problem]
        process = self._process
        if process is None:
            return [], []
        try:
            try:
                stdout, stderr = process.communicate(
                    timeout=max(self._deadline - time.monotonic(), 0.1)
                )
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                return [], [
                    f"ruff did not finish within {self._timeout:g} s; its rules were not checked"
                ]
            if process.returncode != 0:
                return [], [self._failure(process.returncode, stderr)]
            try:
                diagnostics = json.loads(stdout or b"[]")
            except ValueError:
                return [], ["ruff's answer could not be read; its rules were not checked"]
            return self._findings(diagnostics), []
        finally:
            self._cleanup()

    def _failure(self, status: int, stderr: bytes) -> str:
        logger.warning("ruff failed (exit %s): %s", status, stderr.decode("utf-8", "replace"))
        text = stderr.decode("utf-8", "replace")
        if self._folder is not None:
            text = text.replace(str(self._folder) + "/", "").replace(str(self._folder), ".")
        lines = [line.strip() for line in text.splitlines() if line.strip()][:3]
        detail = " ".join(lines)[:300]
        # A configuration may name files outside the repository (`extend`); what ruff says about
        # them stays in the log, never in a report others read.
        if not detail or _ABSOLUTE_PATH.search(detail):
            detail = "see the log for details"
        return f"ruff could not check the change (exit status {status}: {detail})"

    def _cleanup(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _findings(self, diagnostics: list[dict[str, Any]]) -> list[BugFinding]:
        assert self._folder is not None
        root = self._folder.resolve()
        confidences = _twin_confidences()
        found: list[BugFinding] = []
        for diagnostic in diagnostics:
            code = diagnostic.get("code")
            if not code:
                continue  # a syntax error: the review's own warning already says so
            try:
                path = Path(diagnostic["filename"]).resolve().relative_to(root).as_posix()
            except ValueError:
                continue
            line = int(diagnostic["location"]["row"])
            if line not in self._changed.get(path, frozenset()):
                continue
            source = self._files.get(path, b"")
            found.append(_finding(diagnostic, path, line, source, confidences))
        return found


def _twin_confidences() -> dict[str, float]:
    """Ruff code -> the measured precision of its Argus twin (measured on the same lines)."""
    by_id = {rule.id: rule for rule in registered_rules()}
    confidences: dict[str, float] = {}
    for rule_id, codes in RUFF_EQUIVALENT.items():
        rule = by_id.get(rule_id)
        if rule is not None and rule.measured_on:
            for code in codes:
                confidences[code] = rule.confidence
    return confidences


def _finding(
    diagnostic: dict[str, Any],
    path: str,
    line: int,
    source: bytes,
    confidences: Mapping[str, float],
) -> BugFinding:
    code = str(diagnostic["code"])
    name = str(diagnostic.get("name") or code)
    url = str(diagnostic.get("url") or "")
    end = diagnostic.get("end_location") or diagnostic["location"]
    lines = source.decode("utf-8", "replace").split("\n")
    snippet = lines[line - 1].strip()[:200] if 0 < line <= len(lines) else ""
    why = f"Ruff's rule {code} ({name})" + (f", documented at {url}" if url else "") + "."
    measured = confidences.get(code)
    # A measured precision is evidence for the risk (as an Argus rule's is); none is not.
    factor = Factor(
        name=f"pattern:{PREFIX}{code}",
        text=why,
        contribution=-math.log(1.0 - min(measured, 0.99)) if measured is not None else 0.0,
        value=measured,
    )
    return BugFinding(
        rule_id=f"{PREFIX}{code}",
        path=path,
        line=line,
        end_line=int(end["row"]),
        column=int(diagnostic["location"]["column"]),
        end_column=int(end["column"]),
        message=str(diagnostic.get("message") or name),
        confidence=UNMEASURED_CONFIDENCE if measured is None else measured,
        language="python",
        title=name.replace("-", " ").capitalize(),
        snippet=snippet,
        factors=(factor,),
        fix=_fix(diagnostic.get("fix"), lines),
        help_uri=url,
    )


def _fix(fix: dict[str, Any] | None, lines: list[str]) -> Fix | None:
    """Ruff's fix as a Fix, when ruff marks it safe (it keeps the code's meaning)."""
    if not fix or fix.get("applicability") != "safe" or not fix.get("edits"):
        return None
    edits = tuple(
        Edit(
            line=int(edit["location"]["row"]),
            column=int(edit["location"]["column"]),
            end_line=int(edit["end_location"]["row"]),
            end_column=int(edit["end_location"]["column"]),
            text=str(edit.get("content") or ""),
        )
        for edit in fix["edits"]
    )
    first = min(edit.line for edit in edits)
    last = max(
        edit.end_line - 1 if edit.end_column == 1 and edit.end_line > edit.line else edit.end_line
        for edit in edits
    )
    last = min(max(last, first), len(lines))
    if first < 1 or first > len(lines):
        return None
    starts = [0]
    for text in lines:
        starts.append(starts[-1] + len(text) + 1)
    region_start = starts[first - 1]
    region_end = starts[last] - 1  # the end of line ``last``, before its newline
    whole = "\n".join(lines)
    pieces: list[str] = []
    position = region_start
    for edit in sorted(edits, key=lambda edit: (edit.line, edit.column)):
        begin = starts[edit.line - 1] + edit.column - 1
        finish = starts[min(edit.end_line, len(lines)) - 1] + edit.end_column - 1
        if begin < position or finish < begin:
            return None  # overlapping edits: no suggestion rather than a wrong one
        pieces.append(whole[position:begin])
        pieces.append(edit.text)
        position = finish
    if position <= region_end:
        pieces.append(whole[position:region_end])
    replacement = "".join(pieces)
    if position > region_end and replacement.endswith("\n"):
        replacement = replacement[:-1]
    return Fix(
        description=str(fix.get("message") or "Apply ruff's fix"),
        edits=edits,
        first_line=first,
        last_line=last,
        replacement=replacement,
        original=whole[region_start:region_end],
    )
