"""The error a command answers the client with (shared by the server and its commands)."""

from __future__ import annotations

from pygls.exceptions import JsonRpcException

REQUEST_FAILED = -32803  # LSP's RequestFailed: the request was valid but could not be served


class CommandError(JsonRpcException):
    """A command that cannot run: the client gets this message as the error response."""

    def __init__(self, message: str):
        super().__init__(message=message, code=REQUEST_FAILED)
