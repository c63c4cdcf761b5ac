"""Prompts are data: versioned template files under ``prompts/``, loaded and rendered here.

A template file is ``prompts/<name>/v<N>.md``::

    ---
    name: generate_test
    version: 1
    description: one line on what the prompt is for
    ---
    --- system ---
    text of the system message, with {{ variable }} placeholders
    --- user ---
    text of the user message

The ledger names a prompt by its declared version *and* a hash of the file's content, so editing
a file without bumping its version still shows up as a new version (``v1+3f2a9c1b``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from argus.core.router.errors import PromptError

_FRONT_MATTER = re.compile(r"\A---\n(?P<head>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)
_SECTION = re.compile(r"^--- (?P<role>system|user) ---$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{\{\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_FILE_NAME = re.compile(r"\Av(?P<version>\d+)\.md\Z")

#: Characters per token used to estimate a prompt's size before a provider counts it.
CHARACTERS_PER_TOKEN = 4


def default_prompts_directory() -> Path:
    """The prompt templates shipped with Argus (package data of ``argus.core.router``)."""
    return Path(__file__).resolve().parent / "prompts"


@dataclass(frozen=True)
class PromptTemplate:
    """One version of one prompt, as read from its file."""

    name: str
    version: int
    description: str
    system: str
    user: str
    content_hash: str
    path: Path | None = None

    @property
    def version_label(self) -> str:
        """The version as the ledger records it: declared version plus content hash."""
        return f"v{self.version}+{self.content_hash[:8]}"

    @property
    def variables(self) -> frozenset[str]:
        """Names of the placeholders the template uses."""
        found = _PLACEHOLDER.findall(self.system) + _PLACEHOLDER.findall(self.user)
        return frozenset(found)

    def render(self, **values: str) -> RenderedPrompt:
        """Fill every placeholder; a missing value is a :class:`PromptError`."""
        missing = sorted(self.variables - values.keys())
        if missing:
            raise PromptError(
                f"prompt {self.name} {self.version_label} needs {', '.join(missing)}; "
                "pass them to render()"
            )

        def fill(match: re.Match[str]) -> str:
            return values[match.group("name")]

        return RenderedPrompt(
            name=self.name,
            version=self.version_label,
            system=_PLACEHOLDER.sub(fill, self.system),
            user=_PLACEHOLDER.sub(fill, self.user),
            content_hash=self.content_hash,
        )


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt ready to send: the messages plus the name and version the ledger records."""

    name: str
    version: str
    system: str
    user: str
    content_hash: str = ""

    @property
    def estimated_tokens(self) -> int:
        """Rough size in tokens (about four characters a token), for routing and budgets."""
        return (len(self.system) + len(self.user)) // CHARACTERS_PER_TOKEN + 1


def parse_prompt(text: str, path: Path | None = None) -> PromptTemplate:
    """Parse a template file's text; the file name's ``vN`` must agree with its front matter."""
    where = str(path) if path is not None else "prompt text"
    normalised = text.replace("\r\n", "\n")
    match = _FRONT_MATTER.match(normalised)
    if match is None:
        raise PromptError(f"{where}: no front matter (a '---' block with name and version)")
    fields: dict[str, str] = {}
    for line in match.group("head").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, separator, value = line.partition(":")
        if not separator:
            raise PromptError(f"{where}: front matter line {line!r} is not 'key: value'")
        fields[key.strip()] = value.strip()
    name = fields.get("name", "")
    if not name:
        raise PromptError(f"{where}: front matter has no name")
    try:
        version = int(fields.get("version", "").lstrip("v"))
    except ValueError:
        raise PromptError(f"{where}: front matter version must be a number like 1") from None
    if path is not None:
        file_match = _FILE_NAME.match(path.name)
        if file_match is not None and int(file_match.group("version")) != version:
            raise PromptError(
                f"{where}: file name says v{file_match.group('version')}, "
                f"front matter says version {version}"
            )
    sections = _split_sections(match.group("body"), where)
    return PromptTemplate(
        name=name,
        version=version,
        description=fields.get("description", ""),
        system=sections.get("system", ""),
        user=sections["user"],
        content_hash=hashlib.sha256(normalised.encode("utf-8")).hexdigest(),
        path=path,
    )


def _split_sections(body: str, where: str) -> dict[str, str]:
    markers = list(_SECTION.finditer(body))
    if not markers:
        raise PromptError(f"{where}: no '--- user ---' section")
    sections: dict[str, str] = {}
    for index, marker in enumerate(markers):
        end = markers[index + 1].start() if index + 1 < len(markers) else len(body)
        role = marker.group("role")
        if role in sections:
            raise PromptError(f"{where}: the {role} section appears twice")
        sections[role] = body[marker.end() : end].strip("\n")
    if "user" not in sections:
        raise PromptError(f"{where}: no '--- user ---' section")
    return sections


def load_prompt(
    name: str, version: int | None = None, directory: Path | None = None
) -> PromptTemplate:
    """Load ``<directory>/<name>/v<version>.md``, the highest version when none is given."""
    folder = (directory or default_prompts_directory()) / name
    if version is None:
        versions = sorted(
            int(found.group("version"))
            for entry in (folder.iterdir() if folder.is_dir() else [])
            if (found := _FILE_NAME.match(entry.name)) is not None
        )
        if not versions:
            raise PromptError(f"no prompt named {name!r} in {folder.parent}")
        version = versions[-1]
    path = folder / f"v{version}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PromptError(f"cannot read prompt {name} v{version} at {path}: {error}") from error
    template = parse_prompt(text, path)
    if template.name != name:
        raise PromptError(f"{path}: front matter names {template.name!r}, folder says {name!r}")
    return template
