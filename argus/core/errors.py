"""The one error hierarchy of Argus.

Adapters translate library errors into these at the boundary; every message says what to do.
"""

from __future__ import annotations


class ArgusError(Exception):
    """Base of every error Argus raises on purpose; the CLI prints it without a traceback."""

    exit_code = 2


class DiffParseError(ArgusError):
    """A unified diff could not be read; names the offending line."""

    def __init__(self, message: str, line_number: int | None = None, line: str | None = None):
        self.line_number = line_number
        self.line = line
        where = f" at diff line {line_number}" if line_number is not None else ""
        shown = f": {line[:120]!r}" if line is not None else ""
        super().__init__(f"malformed diff{where}{shown} ({message})")


class GitError(ArgusError):
    """A git command failed (not a repository, unknown ref, ...)."""


class StoreError(ArgusError):
    """The store could not be opened, migrated or written."""


class ModelError(ArgusError):
    """The risk model file is missing, of an unknown version, or corrupt."""


class ConfigError(ArgusError):
    """A setting or option has an invalid value."""
