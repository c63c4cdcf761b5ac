"""A Python-level network guard for sandboxed test runs.

The sandbox copies this file, followed by a call to :func:`install`, as ``sitecustomize.py``
into a folder on the candidate's ``PYTHONPATH``, so the interpreter runs it at start-up. It
refuses Internet-family connections and name lookups, and notes every attempt in
``$HOME/.argus-network-attempts`` so the sandbox can report ``network_attempt`` even when the
test swallows the error. Where the sandbox's seccomp filter is in force (it refuses every socket
but Unix ones), this is the detector: a refused Internet socket is noted too; in the weak
fallback without namespaces it is the isolation (Python code only). Importing it does nothing.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any

BLOCKED_MESSAGE = "argus sandbox: network access is blocked"
ATTEMPTS_FILE = ".argus-network-attempts"
_INTERNET = (socket.AF_INET, socket.AF_INET6)
_LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


def _record(what: str) -> None:
    home = os.environ.get("HOME")
    if not home:
        return
    try:
        with open(os.path.join(home, ATTEMPTS_FILE), "a", encoding="utf-8") as log:
            log.write(what + "\n")
    except OSError:
        return


def _refuse(what: str) -> PermissionError:
    _record(what)
    return PermissionError(13, f"{BLOCKED_MESSAGE} ({what})")


def install() -> None:
    """Patch ``socket`` so Internet connections and non-local name lookups raise."""
    original_getaddrinfo = socket.getaddrinfo
    socket_init = socket.socket.__init__

    def init(self: socket.socket, family: Any = -1, *args: Any, **kwargs: Any) -> None:
        try:
            socket_init(self, family, *args, **kwargs)
        except OSError as error:
            # The seccomp filter answers ENETUNREACH; -1 is the default, an Internet socket.
            if error.errno == errno.ENETUNREACH and family in (-1, *_INTERNET):
                kind = socket.AF_INET if family == -1 else family
                raise _refuse(f"socket {getattr(kind, 'name', kind)}") from error
            raise

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        raise _refuse(f"connect {address!r}")  # always an Internet connection

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in _INTERNET:
            raise _refuse(f"connect {address!r}")
        socket_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in _INTERNET:
            raise _refuse(f"connect {address!r}")
        return int(socket_connect_ex(self, address))

    def sendto(self: socket.socket, *args: Any) -> int:
        if self.family in _INTERNET:
            raise _refuse(f"sendto {args[-1]!r}")
        return int(socket_sendto(self, *args))

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in _LOCAL_NAMES and not _is_numeric(name):
            _record(f"resolve {name!r}")
            raise socket.gaierror(socket.EAI_NONAME, f"{BLOCKED_MESSAGE} (resolve {name!r})")
        return original_getaddrinfo(host, *args, **kwargs)

    socket_connect = socket.socket.connect
    socket_connect_ex = socket.socket.connect_ex
    socket_sendto = socket.socket.sendto
    socket.socket.__init__ = init  # type: ignore[method-assign]
    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = sendto  # type: ignore[assignment]
    socket.getaddrinfo = getaddrinfo
    socket.create_connection = create_connection


def _is_numeric(name: str) -> bool:
    for family in _INTERNET:
        try:
            socket.inet_pton(family, name)
        except OSError:
            continue
        return True
    return False
