"""The one way a request is refused: an HTTP status, a short reason and a detail to act on."""

from __future__ import annotations

from argus.core.errors import ArgusError


class Rejected(ArgusError):
    """A request the server refuses; rendered as ``{"error": reason, "detail": detail}``.

    ``reason`` is a short stable code (``body_too_large``, ``bad_key``, ...) that the metrics
    count rejections by; ``detail`` says what was wrong and what to do.
    """

    def __init__(self, status: int, reason: str, detail: str):
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail
