"""Errors raised while reading an error report."""

from __future__ import annotations

from argus.core.errors import ArgusError


class IngestError(ArgusError):
    """An error report could not be read: unknown format, bad JSON, or over a size limit."""
