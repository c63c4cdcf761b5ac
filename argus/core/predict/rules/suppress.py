"""Suppression comments people already write for their linters, honoured for Argus's rules.

A finding is dropped when its line (or the line above, for the "next line" forms) carries:

- ``# noqa`` (every rule) or ``# noqa: CODE[, CODE]`` naming the rule's equivalent code;
- ``# pylint: disable=name`` on the line, or ``# pylint: disable-next=name`` above it, or alone
  on a line of its own, where (as in pylint) it covers the rest of the enclosing block (the rest
  of the module at the top level) until a ``# pylint: enable=name``;
- ``// eslint-disable-line rule`` / ``// eslint-disable-next-line rule`` (no rule: all);
- ``//nolint`` or ``//nolint:linter`` (Go);
- ``@SuppressWarnings("name")`` on the enclosing Java method or class;
- Argus's own ``# argus: ignore`` / ``# argus: ignore[PY003]`` (``//`` in C-like languages),
  on the line or alone on the line above.

A whole file is skipped by ``# ruff: noqa`` / ``# flake8: noqa`` / ``/* eslint-disable */``
(without rules) or ``argus: ignore-file`` in its first lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from argus.core.predict.rules.equivalents import names_for

_NOQA = re.compile(r"#\s*noqa\b(?::\s*(?P<codes>[A-Za-z0-9_\-]+(?:[\s,]+[A-Za-z0-9_\-]+)*))?", re.I)
_PYLINT = re.compile(r"#.*?pylint:\s*disable=(?P<names>[\w\-]+(?:\s*,\s*[\w\-]+)*)")
_PYLINT_NEXT = re.compile(r"#.*?pylint:\s*disable-next=(?P<names>[\w\-]+(?:\s*,\s*[\w\-]+)*)")
_PYLINT_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)#\s*pylint:\s*(?P<verb>disable|enable)="
    r"(?P<names>[\w\-]+(?:\s*,\s*[\w\-]+)*)"
)
_ESLINT_LINE = re.compile(r"(?://|/\*)\s*eslint-disable-line\b(?P<names>[^*\n]*)")
_ESLINT_NEXT = re.compile(r"(?://|/\*)\s*eslint-disable-next-line\b(?P<names>[^*\n]*)")
_NOLINT = re.compile(r"//\s*nolint\b(?::(?P<names>[\w\-,]+))?")
_ARGUS = re.compile(r"(?:#|//|/\*)\s*argus:\s*ignore\b(?:\[(?P<names>[^\]]*)\])?")
_FILE_WIDE = re.compile(
    r"^\s*(?:#\s*(?:ruff|flake8):\s*noqa\s*$|/\*\s*eslint-disable\s*\*/|(?:#|//)\s*argus:\s*ignore-file\b)",
    re.I | re.M,
)
# ESLint's inline configuration, `/* eslint no-empty: 0 */` or `"off"`, turns a rule off from
# there to the end of the file.
_ESLINT_CONFIG = re.compile(r"/\*\s*eslint\s+(?P<body>[^*]*)\*/")
_SUPPRESS_WARNINGS = re.compile(r"@SuppressWarnings\s*\(\s*(?P<names>[^)]*)\)")


def _names(text: str | None) -> set[str]:
    """The codes or rule names of a suppression comment, lower case; empty means every rule."""
    if not text:
        return set()
    cleaned = text.split("--", 1)[0]  # eslint allows "-- reason" after the rules
    return {part.lower() for part in re.split(r"[\s,{}\"']+", cleaned) if part}


def _covers(names: set[str], rule_id: str) -> bool:
    """Whether a suppression naming ``names`` (empty: all) covers the rule."""
    if not names:
        return True
    # A linter's finding (ruff:B006, eslint:no-empty) is covered by its own code too.
    code = rule_id.rsplit(":", 1)[-1].lower()
    return (
        rule_id.lower() in names
        or code in names
        or "all" in names
        or bool(names & names_for(rule_id))
    )


def _matches(pattern: re.Pattern[str], text: str, rule_id: str) -> bool:
    match = pattern.search(text)
    if match is None:
        return False
    return _covers(_names(match.group("names") if "names" in pattern.groupindex else None), rule_id)


def file_is_suppressed(source: bytes) -> bool:
    """Whether the file's first 20 lines switch every linter (or Argus) off for the file."""
    head = b"\n".join(source[:4000].split(b"\n")[:20]).decode("utf-8", "replace")
    return _FILE_WIDE.search(head) is not None


def eslint_rules_off(source: bytes) -> list[tuple[int, str]]:
    """``(line, rule)`` for each rule an inline ``/* eslint rule: off */`` turns off."""
    text = source.decode("utf-8", "replace")
    if "eslint" not in text:
        return []
    found: list[tuple[int, str]] = []
    for match in _ESLINT_CONFIG.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        for setting in match.group("body").split(","):
            name, _, value = setting.partition(":")
            if value.strip().strip("\"'[").lower().startswith(("0", "off")):
                found.append((line, name.strip().lower()))
    return found


def pylint_disabled_blocks(source: bytes) -> list[tuple[int, int, set[str]]]:
    """``(first, last, names)`` line ranges that a ``# pylint: disable=...`` comment alone on its
    line covers: from that line to the end of its block (the first later code line indented
    less than the comment; the end of the file at the top level) or to an ``enable`` of a name."""
    text = source.decode("utf-8", "replace")
    if "pylint:" not in text:
        return []
    lines = text.split("\n")
    blocks: list[tuple[int, int, set[str]]] = []
    for index, line in enumerate(lines):
        match = _PYLINT_BLOCK.match(line)
        if match is None or match.group("verb") != "disable":
            continue
        indent = len(match.group("indent").expandtabs())
        names = _names(match.group("names"))
        last = len(lines)
        for later in range(index + 1, len(lines)):
            stripped = lines[later].strip()
            if not stripped:
                continue
            if stripped.startswith("#"):
                enable = _PYLINT_BLOCK.match(lines[later])
                enabled = _names(enable.group("names")) if enable else set()
                if enable and enable.group("verb") == "enable" and names & enabled:
                    last = later
                    break
                continue
            if len(lines[later].expandtabs()) - len(lines[later].expandtabs().lstrip()) < indent:
                last = later
                break
        blocks.append((index + 1, last, names))
    return blocks


def is_suppressed(
    rule_id: str,
    line: int,
    line_text: Callable[[int], str],
    annotations: Callable[[int], str] | None = None,
    rules_off: list[tuple[int, str]] | None = None,
    blocks: list[tuple[int, int, set[str]]] | None = None,
) -> bool:
    """Whether a suppression comment on or above ``line`` covers ``rule_id``.

    ``line_text(n)`` gives the text of 1-based line n; ``annotations(line)`` the Java annotations
    of the enclosing declarations (empty when not Java); ``rules_off`` what
    :func:`eslint_rules_off` found in the file; ``blocks`` what :func:`pylint_disabled_blocks`
    found.
    """
    for first, last, names in blocks or ():
        if first <= line <= last and _covers(names, rule_id):
            return True
    for start, name in rules_off or ():
        if start <= line and _covers({name}, rule_id):
            return True
    text = line_text(line)
    noqa = _NOQA.search(text)
    if noqa is not None:
        codes = noqa.group("codes")
        if not codes or _covers(_names(codes), rule_id):
            return True
    for pattern in (_PYLINT, _ESLINT_LINE, _NOLINT, _ARGUS):
        if _matches(pattern, text, rule_id):
            return True
    above = line_text(line - 1) if line > 1 else ""
    for pattern in (_PYLINT_NEXT, _ESLINT_NEXT):
        if _matches(pattern, above, rule_id):
            return True
    if above.lstrip().startswith(("#", "//")) and _matches(_ARGUS, above, rule_id):
        return True
    if annotations is not None:
        for match in _SUPPRESS_WARNINGS.finditer(annotations(line)):
            if _covers(_names(match.group("names")), rule_id):
                return True
    return False
