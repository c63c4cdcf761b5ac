"""The repository's own ESLint inside the review, for JavaScript and TypeScript.

It runs only where the repository has ESLint installed (``node_modules/.bin/eslint``) and an
ESLint configuration at its root; otherwise nothing happens and nothing is said. One Node
process lints the post-image of every changed JavaScript/TypeScript file through ESLint's own
API (``ESLint.lintText`` with the file's path, so the repository's configuration and ignores
apply), and only messages that start on a changed line are kept, as findings
``eslint:RULE`` with ESLint's fix when it offers one. A failure costs only these findings and
leaves one warning.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from argus.core.predict.findings import BugFinding, Edit, Factor, Fix

logger = logging.getLogger(__name__)

PREFIX = "eslint:"
TIMEOUT_SECONDS = 60.0
CONFIDENCE = 0.5
"""Nothing is measured of a repository's own ESLint rules: the rule-of-succession prior."""
EXTENSIONS = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")
CONFIG_NAMES = (
    "eslint.config.js",
    "eslint.config.mjs",
    "eslint.config.cjs",
    "eslint.config.ts",
    "eslint.config.mts",
    "eslint.config.cts",
    ".eslintrc.js",
    ".eslintrc.cjs",
    ".eslintrc.json",
    ".eslintrc.yaml",
    ".eslintrc.yml",
    ".eslintrc",
)

# Reads [{path, text}] on stdin; writes [{path, ruleId, message, line, column, endLine,
# endColumn, fix}] on stdout. ESLint comes from the repository's node_modules.
_SCRIPT = r"""
const path = require("path");
const root = process.argv[1];
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  try {
    const { ESLint } = require(require.resolve("eslint", { paths: [root] }));
    const eslint = new ESLint({ cwd: root });
    const out = [];
    for (const file of JSON.parse(input)) {
      const filePath = path.join(root, file.path);
      if (await eslint.isPathIgnored(filePath)) continue;
      const [result] = await eslint.lintText(file.text, { filePath, warnIgnored: false });
      for (const m of (result ? result.messages : [])) {
        out.push({ path: file.path, ruleId: m.ruleId, message: m.message, line: m.line,
                   column: m.column, endLine: m.endLine, endColumn: m.endColumn,
                   fix: m.fix || null });
      }
    }
    process.stdout.write(JSON.stringify(out));
  } catch (error) {
    process.stderr.write(String(error && error.message ? error.message : error));
    process.exit(2);
  }
});
"""


def has_eslint(root: Path) -> bool:
    """Whether the repository has ESLint installed and configured at its root."""
    if not (root / "node_modules" / ".bin" / "eslint").exists():
        return False
    if any((root / name).is_file() for name in CONFIG_NAMES):
        return True
    package = root / "package.json"
    try:
        return package.is_file() and "eslintConfig" in json.loads(package.read_bytes())
    except (OSError, ValueError, TypeError):
        return False


def is_script(path: str) -> bool:
    """Whether ESLint should look at a file of this name."""
    return path.endswith(EXTENSIONS)


class EslintRun:
    """One Node process linting the changed files, started at once, read by :meth:`result`."""

    def __init__(
        self,
        root: Path,
        files: Mapping[str, bytes],
        changed: Mapping[str, frozenset[int]],
        *,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        """Start ESLint on ``files`` (path -> post-image) when the repository has it."""
        self._changed = changed
        self._files = dict(files)
        self._timeout = timeout
        self._deadline = time.monotonic() + timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._problem: str | None = None
        self._payload = b""
        if not self._files or not has_eslint(root):
            return
        node = shutil.which("node")
        if node is None:
            self._problem = "the repository has ESLint but node is not on PATH; ESLint was not run"
            return
        self._payload = json.dumps(
            [
                {"path": path, "text": text.decode("utf-8", "replace")}
                for path, text in sorted(self._files.items())
            ]
        ).encode()
        try:
            self._process = subprocess.Popen(
                [node, "-e", _SCRIPT, str(root)],
                cwd=root,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as error:
            self._problem = f"ESLint could not be started ({type(error).__name__}: {error})"

    def cancel(self) -> None:
        """Kill the process if it still runs."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.communicate()

    def result(self) -> tuple[list[BugFinding], list[str]]:
        """ESLint's findings on the changed lines, and a warning when it could not check."""
        if self._problem is not None:
            return [], [self._problem]
        process = self._process
        if process is None:
            return [], []
        try:
            stdout, stderr = process.communicate(
                self._payload, timeout=max(self._deadline - time.monotonic(), 0.1)
            )
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return [], [f"ESLint did not finish within {self._timeout:g} s; it was not run"]
        if process.returncode != 0:
            text = stderr.decode("utf-8", "replace").strip()
            logger.warning("ESLint failed (exit %s): %s", process.returncode, text)
            first = text.splitlines()[0][:300] if text else "no message"
            return [], [f"ESLint could not check the change (exit {process.returncode}: {first})"]
        try:
            messages = json.loads(stdout or b"[]")
        except ValueError:
            return [], ["ESLint's answer could not be read; it was not run"]
        return self._findings(messages), []

    def _findings(self, messages: list[dict[str, Any]]) -> list[BugFinding]:
        found: list[BugFinding] = []
        for message in messages:
            rule = message.get("ruleId")
            line = message.get("line")
            if not rule or not isinstance(line, int):
                continue  # a parse error: the review's own warning already says so
            path = str(message["path"])
            if line not in self._changed.get(path, frozenset()):
                continue
            source = self._files.get(path, b"").decode("utf-8", "replace")
            found.append(_finding(message, path, line, source))
        return found


def _finding(message: dict[str, Any], path: str, line: int, source: str) -> BugFinding:
    rule = str(message["ruleId"])
    lines = source.split("\n")
    snippet = lines[line - 1].strip()[:200] if 0 < line <= len(lines) else ""
    language = "typescript" if path.endswith((".ts", ".mts", ".cts")) else "javascript"
    language = "tsx" if path.endswith(".tsx") else language
    url = f"https://eslint.org/docs/latest/rules/{rule}" if "/" not in rule else ""
    why = f"The repository's ESLint rule {rule}" + (f", documented at {url}" if url else "") + "."
    return BugFinding(
        rule_id=f"{PREFIX}{rule}",
        path=path,
        line=line,
        end_line=int(message.get("endLine") or line),
        column=int(message.get("column") or 1),
        end_column=int(message["endColumn"]) if message.get("endColumn") else None,
        message=str(message.get("message") or rule),
        confidence=CONFIDENCE,
        language=language,
        title=rule,
        snippet=snippet,
        factors=(Factor(name=f"pattern:{PREFIX}{rule}", text=why, contribution=0.0),),
        fix=_fix(message.get("fix"), source),
        help_uri=url,
    )


def _position(starts: list[int], offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low + 1, offset - starts[low] + 1


def _fix(fix: dict[str, Any] | None, source: str) -> Fix | None:
    """ESLint's fix (a character range and its replacement) as a Fix."""
    if not fix or "range" not in fix:
        return None
    begin, finish = (int(value) for value in fix["range"])
    text = str(fix.get("text") or "")
    starts = [0]
    for index, character in enumerate(source):
        if character == "\n":
            starts.append(index + 1)
    line, column = _position(starts, begin)
    end_line, end_column = _position(starts, finish)
    region_start = starts[line - 1]
    newline = source.find("\n", finish)
    region_end = len(source) if newline < 0 else newline
    return Fix(
        description="Apply ESLint's fix",
        edits=(Edit(line, column, end_line, end_column, text),),
        first_line=line,
        last_line=end_line,
        replacement=source[region_start:begin] + text + source[finish:region_end],
        original=source[region_start:region_end],
    )
