"""The one typed error event every ingestion format is parsed into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Frame:
    """One stack frame.

    ``filename`` is the path as the source gave it (relative where the SDK made it relative),
    ``abs_path`` the absolute path or URL when known. ``vars`` maps frame-local names to their
    (already rendered) values.
    """

    function: str
    filename: str = ""
    module: str | None = None
    abs_path: str | None = None
    lineno: int | None = None
    in_app: bool = True
    context_line: str | None = None
    vars: Mapping[str, object] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The most complete path known for this frame (absolute path first)."""
        return self.abs_path or self.filename


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """A production error, whatever format it arrived in.

    ``frames`` are ordered outermost first, innermost (where the error was raised) last, as
    Sentry orders them. ``cause`` summarises the exception this one was chained from
    (``"KeyError: 'user'"``). ``frames_omitted`` counts frames dropped by the frame cap and
    ``message_truncated`` tells whether the message was cut to the message cap.
    """

    exception_type: str
    message: str
    frames: tuple[Frame, ...] = ()
    platform: str = "other"
    source_format: str = ""
    release: str | None = None
    environment: str | None = None
    timestamp: datetime | None = None
    tenant: str | None = None
    raw_id: str | None = None
    cause: str | None = None
    frames_omitted: int = 0
    message_truncated: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def in_app_frames(self) -> tuple[Frame, ...]:
        """The frames that belong to the application, outermost first."""
        return tuple(frame for frame in self.frames if frame.in_app)

    @property
    def title(self) -> str:
        """``Type: message`` on one line, as error trackers show it."""
        first_line = self.message.split("\n", 1)[0]
        if not first_line:
            return self.exception_type
        return f"{self.exception_type}: {first_line}"
