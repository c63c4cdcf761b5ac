"""The threaded HTTP server the local protocol servers share.

``socketserver`` listens with a backlog of 5. When a test opens twenty connections at once, the
kernel drops the SYNs that overflow it and the client resends them one, three and seven seconds
later: on a loaded CI machine that turned into client timeouts, tripped circuit breakers and a
flaky test. A real server's backlog (128) keeps every connection attempt in the queue.
"""

from __future__ import annotations

from http.server import ThreadingHTTPServer


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A :class:`ThreadingHTTPServer` with a real listen backlog and daemon request threads."""

    request_queue_size = 128
    daemon_threads = True
