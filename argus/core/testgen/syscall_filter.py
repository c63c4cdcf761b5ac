"""The seccomp filter of a sandboxed run: no sockets but Unix ones, no io_uring.

Any other socket is refused with ENETUNREACH ("Network is unreachable"), which Python, Node and
Go report as the network failure it is, and which the validation recognises.

The filter is compiled with libseccomp (through ``pyseccomp``) into the BPF program bubblewrap
loads with ``--seccomp FD`` just before it executes the run's command. Why these rules, and what
the rest of the sandbox adds to them, is in docs/sandbox.md.
"""

from __future__ import annotations

import errno
import functools
import socket
import tempfile

from argus.core.errors import ConfigError

# Every family but AF_UNIX is refused (AF_INET and AF_INET6 above all, but also netlink, packet
# and the rest): the run has no network namespace to reach, and no reason to probe the kernel.
_ALLOWED_FAMILY = socket.AF_UNIX
# io_uring can open sockets and files without the system calls a filter sees, so it is refused
# as "not implemented", which every library that tries it already handles.
_REFUSED_AS_MISSING = ("io_uring_setup", "io_uring_enter", "io_uring_register")


def compiled_filter() -> bytes:
    """The BPF program (native architecture; other architectures' calls kill the process).

    Raises :class:`ConfigError` when libseccomp is not installed: the sandbox then refuses to
    run rather than run without the filter.
    """
    return _compiled_filter()


@functools.cache
def _compiled_filter() -> bytes:
    try:
        import pyseccomp  # loads libseccomp when imported
    except (ImportError, OSError) as error:
        raise ConfigError(
            "the test sandbox needs libseccomp and the pyseccomp package "
            f"(apt-get install libseccomp2; pip install pyseccomp): {error}"
        ) from error
    # "Network is unreachable": what every runtime already reports as a network failure.
    refused = pyseccomp.ERRNO(errno.ENETUNREACH)
    rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for call in ("socket", "socketpair"):
        rules.add_rule(refused, call, pyseccomp.Arg(0, pyseccomp.NE, _ALLOWED_FAMILY))
    for call in _REFUSED_AS_MISSING:
        rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), call)
    with tempfile.TemporaryFile() as program:
        rules.export_bpf(program)
        program.seek(0)
        return program.read()


__all__ = ["compiled_filter"]
