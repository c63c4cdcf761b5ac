"""pytest plugin: report every crashing test to the real ``sentry-sdk`` and keep the event.

Loaded by ``benchmarks/real_crashes/build.py`` with ``-p sentry_capture_plugin`` while a
project's test runs at its buggy commit. A test whose call raised an exception other than an
assertion (or pytest's own outcomes) is sent to the SDK with ``capture_exception``; the SDK is
initialised with ``include_local_variables=True`` and a transport that appends the event it
would have sent, with the test's node id, as one JSON line to ``$ARGUS_CAPTURE_OUT``.
Nothing goes to the network.
"""

from __future__ import annotations

import json
import os

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

_captured: list[dict[str, object]] = []


class _FileTransport(Transport):
    def capture_envelope(self, envelope):  # type: ignore[no-untyped-def]
        event = envelope.get_event()
        if event is not None:
            _captured.append(event)


def pytest_configure(config: pytest.Config) -> None:
    package = os.environ.get("ARGUS_CAPTURE_PACKAGE", "")
    sentry_sdk.init(
        dsn="https://public@sentry.invalid/1",
        transport=_FileTransport,
        default_integrations=False,
        include_local_variables=True,
        in_app_include=[package] if package else [],
        release=os.environ.get("ARGUS_CAPTURE_RELEASE", "buggy"),
        environment="production",
    )


_IGNORED = (AssertionError,)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    outcomes = os.environ.get("ARGUS_OUTCOMES_OUT")
    if outcomes and report.when == "call":
        verdict = "xfail" if hasattr(report, "wasxfail") else report.outcome
        with open(outcomes, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"nodeid": item.nodeid, "outcome": verdict}) + "\n")
    if report.when != "call" or call.excinfo is None or not report.failed:
        return
    error = call.excinfo.value
    if not isinstance(error, Exception) or isinstance(error, _IGNORED):
        return
    if isinstance(error, pytest.fail.Exception | pytest.skip.Exception | pytest.xfail.Exception):
        return
    before = len(_captured)
    sentry_sdk.capture_exception(error)
    sentry_sdk.flush()
    output = os.environ.get("ARGUS_CAPTURE_OUT")
    if output and len(_captured) > before:
        with open(output, "a", encoding="utf-8") as handle:
            record = {"nodeid": item.nodeid, "event": _captured[-1]}
            handle.write(json.dumps(record, default=str) + "\n")
