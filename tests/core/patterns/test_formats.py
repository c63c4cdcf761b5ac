import json
from pathlib import Path

import pytest

from argus.core.errors import ArgusError
from argus.core.patterns.errors import IngestError
from argus.core.patterns.formats import FORMATS, parse_error
from argus.core.patterns.limits import MAX_FRAMES, MAX_INPUT_BYTES, MAX_MESSAGE_CHARS
from argus.core.patterns.scrub import scrub_event
from tests.core.patterns.real_errors import (
    node_stack,
    python_traceback,
    sentry_envelope,
    write_node_app,
    write_shop,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "errors"


@pytest.mark.parametrize(
    ("fixture", "source_format", "exception_type", "message", "innermost", "cause"),
    [
        ("python_keyerror.txt", "python-traceback", "KeyError", "'bob'", "load_user", None),
        (
            "python_chained.txt",
            "python-traceback",
            "RuntimeError",
            "lookup of 'carol' failed",
            "checkout",
            "KeyError: 'carol'",
        ),
        (
            "node_typeerror.txt",
            "node-stack",
            "TypeError",
            "Cannot read properties of undefined (reading 'price')",
            "<anonymous>",
            None,
        ),
        (
            "sentry_event.json",
            "sentry-event",
            "RuntimeError",
            "lookup of 'carol' failed",
            "checkout",
            "KeyError: 'carol'",
        ),
        (
            "sentry_envelope.bin",
            "sentry-envelope",
            "RuntimeError",
            "lookup of 'carol' failed",
            "checkout",
            "KeyError: 'carol'",
        ),
        (
            "sentry_webhook_event_alert.json",
            "sentry-webhook",
            "RuntimeError",
            "lookup of 'carol' failed",
            "checkout",
            "KeyError: 'carol'",
        ),
        (
            "sentry_webhook_error.json",
            "sentry-webhook",
            "RuntimeError",
            "lookup of 'carol' failed",
            "checkout",
            "KeyError: 'carol'",
        ),
        (
            "sentry_webhook_issue.json",
            "sentry-webhook",
            "RuntimeError",
            "lookup of 'carol' failed",
            "checkout",
            None,
        ),
        (
            "generic.json",
            "argus-json",
            "PaymentDeclined",
            "charge ch_3Pq9 for user 4711 declined (card ending 4242)",
            "charge.New",
            None,
        ),
    ],
)
def test_each_recorded_fixture_parses(
    fixture, source_format, exception_type, message, innermost, cause
):
    event = parse_error((FIXTURES / fixture).read_bytes())
    assert event.source_format == source_format
    assert event.exception_type == exception_type
    assert event.message == message
    assert event.frames[-1].function == innermost
    assert event.cause == cause


def test_python_traceback_frames_are_outermost_first_with_lines_and_code():
    event = parse_error((FIXTURES / "python_chained.txt").read_text())
    assert [frame.function for frame in event.frames] == ["<module>", "checkout"]
    assert event.frames[0].path.endswith("/main.py")
    assert event.frames[1].lineno == 50
    assert event.frames[1].context_line.startswith("raise RuntimeError(")
    assert all(frame.in_app for frame in event.frames)
    assert event.platform == "python"


def test_node_stack_reads_every_v8_frame_form_and_marks_runtime_frames():
    event = parse_error((FIXTURES / "node_typeerror.txt").read_text())
    functions = [frame.function for frame in event.frames]
    # V8 prints innermost first; the event stores outermost first.
    assert functions[-4:] == ["checkout", "Cart.total", "Array.reduce", "<anonymous>"]
    by_function = {frame.function: frame for frame in event.frames}
    assert by_function["Cart.total"].lineno == 3 and by_function["Cart.total"].in_app
    assert not by_function["Array.reduce"].in_app
    assert not by_function["Module._compile"].in_app
    assert by_function["Function.executeUserEntryPoint"].path.startswith("node:internal")
    assert event.platform == "javascript"


@pytest.mark.parametrize(
    ("line", "function", "path", "lineno"),
    [
        ("    at fn (/app/file.js:10:5)", "fn", "/app/file.js", 10),
        ("    at /app/file.js:1:2", "<anonymous>", "/app/file.js", 1),
        ("    at async loadOrder (/app/orders.js:7:3)", "loadOrder", "/app/orders.js", 7),
        ("    at new Repo (/app/repo.js:4:11)", "Repo", "/app/repo.js", 4),
        ("    at Object.<anonymous> (/app/main.js:3:9)", "Object.<anonymous>", "/app/main.js", 3),
        ("    at file:///app/esm.mjs:12:1", "<anonymous>", "/app/esm.mjs", 12),
        (
            "    at Server.handle [as emit] (/app/server.js:40:12)",
            "Server.handle",
            "/app/server.js",
            40,
        ),
        ("    at Array.map (<anonymous>)", "Array.map", "<anonymous>", None),
    ],
)
def test_each_v8_frame_form(line, function, path, lineno):
    event = parse_error(f"TypeError: x is undefined\n{line}\n")
    (frame,) = event.frames
    assert (frame.function, frame.filename, frame.lineno) == (function, path, lineno)


def test_live_python_traceback_from_a_subprocess(tmp_path):
    root = write_shop(tmp_path / "app", padding=3)
    event = parse_error(python_traceback(root, "order", '{"a": 1'))
    assert event.exception_type == "json.decoder.JSONDecodeError"
    assert event.message == "Expecting ',' delimiter: line 1 column 8 (char 7)"
    in_app = [frame.function for frame in event.frames if frame.in_app]
    assert in_app == ["<module>", "checkout", "parse_order"]
    library = [frame for frame in event.frames if not frame.in_app]
    assert library and all("python3" in frame.path for frame in library)


def test_live_sentry_sdk_envelope_and_its_event_item(tmp_path):
    root = write_shop(tmp_path / "app")
    envelope = sentry_envelope(root, "charge", "150")
    from_envelope = parse_error(envelope)
    from_item = parse_error(envelope.split(b"\n")[2])
    for event in (from_envelope, from_item):
        assert event.exception_type == "shop.cart.PaymentError"
        assert event.message.startswith("charge ref-150 of 150 refused")
        assert [frame.function for frame in event.frames] == ["<module>", "checkout", "charge"]
        assert event.release == "shop@1.0.0" and event.environment == "production"
        assert event.timestamp is not None and event.raw_id
        assert event.frames[-1].vars["amount"] == "150"


def test_live_node_stack_from_a_subprocess(tmp_path):
    root = write_node_app(tmp_path / "web")
    event = parse_error(node_stack(root, "user", "42"))
    assert event.exception_type == "TypeError"
    assert [frame.function for frame in event.in_app_frames] == [
        "Object.<anonymous>",
        "checkout",
        "loadUser",
    ]


def test_sentry_api_form_with_entries_is_read():
    event = {
        "eventID": "abc",
        "platform": "python",
        "entries": [
            {
                "type": "exception",
                "data": {
                    "values": [
                        {
                            "type": "ZeroDivisionError",
                            "value": "division by zero",
                            "stacktrace": {
                                "frames": [
                                    {
                                        "filename": "app/math.py",
                                        "function": "ratio",
                                        "lineNo": 3,
                                        "inApp": True,
                                    }
                                ]
                            },
                        }
                    ]
                },
            }
        ],
    }
    parsed = parse_error(json.dumps(event))
    assert parsed.exception_type == "ZeroDivisionError"
    assert parsed.frames[0].lineno == 3 and parsed.raw_id == "abc"


def test_sentry_message_event_without_exception():
    parsed = parse_error(json.dumps({"event_id": "1", "logentry": {"formatted": "disk full"}}))
    assert (parsed.exception_type, parsed.message, parsed.frames) == ("Message", "disk full", ())


def test_generic_json_keeps_given_in_app_and_guesses_otherwise():
    event = parse_error((FIXTURES / "generic.json").read_text())
    assert [frame.in_app for frame in event.frames] == [True, True, False]
    assert event.frames[1].vars["amount"] == "1999"
    assert event.release == "billing@2.4.1" and event.timestamp.year == 2026
    guessed = parse_error(
        json.dumps(
            {
                "type": "E",
                "message": "m",
                "frames": [
                    {
                        "file": "/venv/lib/python3.12/site-packages/requests/api.py",
                        "function": "get",
                    },
                    {"file": "/srv/app/node_modules/express/index.js", "function": "handle"},
                    {"file": "C:\\Python311\\Lib\\json\\decoder.py", "function": "decode"},
                    {"file": "/srv/app/lib/python/helpers.py", "function": "helper"},
                    {"file": "/srv/app/views.py", "function": "index"},
                ],
            }
        )
    )
    assert [frame.in_app for frame in guessed.frames] == [False, False, False, True, True]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"type": "E", "frames": [42]}', "frames[0] is not an object"),
        ('{"type": "E", "frames": [{"line": 3}]}', "frames[0] needs a 'file' or a 'function'"),
        ('{"data": {"nothing": 1}, "action": "x"}', "no known error format"),
        ("just some words\nnothing like an error", "no known format"),
        ('{"type": "E", "message": ', "not valid JSON"),
        ("", "empty"),
        ('{"event_id": "1"}', "neither 'exception.values' nor a message"),
        ('{"x": 1}\n{"type": "attachment", "length": 2}\nab\n', "no 'event' item"),
    ],
)
def test_bad_input_gets_a_clear_ingest_error(body, expected):
    with pytest.raises(IngestError) as caught:
        parse_error(body)
    assert expected in str(caught.value)
    assert isinstance(caught.value, ArgusError)


def test_unknown_format_message_lists_every_accepted_format():
    with pytest.raises(IngestError) as caught:
        parse_error("segfault at 0000 ip 00007f")
    for each in FORMATS:
        assert each.name in str(caught.value)


def test_invalid_utf8_is_replaced_not_fatal():
    body = (
        b'Traceback (most recent call last):\n  File "/app/x.py", line 1, in f\n'
        b"ValueError: bad byte \xff\xfe here\n"
    )
    event = parse_error(body)
    assert event.exception_type == "ValueError"
    assert event.message == "bad byte \ufffd\ufffd here"


def python_text_with_frames(count: int) -> str:
    lines = ["Traceback (most recent call last):"]
    for index in range(count):
        path = "/usr/lib/python3.11/lib.py" if index % 2 else f"/app/mod{index}.py"
        lines.append(f'  File "{path}", line {index + 1}, in f{index}')
    lines.append("RecursionError: maximum recursion depth exceeded")
    return "\n".join(lines)


def test_ten_thousand_frames_keep_the_innermost_in_app_frames():
    event = parse_error(python_text_with_frames(10_000))
    assert len(event.frames) == MAX_FRAMES
    assert event.frames_omitted == 10_000 - MAX_FRAMES
    # The raising frame (a library one here) is kept, then in-app frames, innermost first.
    assert event.frames[-1].function == "f9999"
    assert sum(frame.in_app for frame in event.frames) == MAX_FRAMES - 1
    assert event.frames[-2].function == "f9998" and event.frames[0].function == "f9902"
    generic = parse_error(
        json.dumps(
            {
                "type": "E",
                "message": "m",
                "frames": [
                    {"file": f"/app/m{index}.py", "function": f"f{index}"}
                    for index in range(10_000)
                ],
            }
        )
    )
    assert len(generic.frames) == MAX_FRAMES and generic.frames[-1].function == "f9999"


def test_long_message_is_capped_and_flagged():
    # Parsing keeps what scrubbing reads; the stored cut comes after scrubbing.
    event = scrub_event(parse_error(json.dumps({"type": "E", "message": "x" * 100_000})))
    assert len(event.message) == MAX_MESSAGE_CHARS and event.message_truncated
    assert event.message.endswith("[truncated]")


def test_oversized_report_is_refused():
    with pytest.raises(IngestError, match="over the"):
        parse_error(b"x" * (MAX_INPUT_BYTES + 1))


def test_python_chain_with_during_handling_and_repeated_lines():
    text = """Traceback (most recent call last):
  File "/app/a.py", line 3, in f
    return f(n + 1)
  [Previous line repeated 996 more times]
RecursionError: maximum recursion depth exceeded

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/a.py", line 9, in main
    log(error)
ValueError: could not log
  second line of the message
"""
    event = parse_error(text)
    assert event.exception_type == "ValueError"
    assert event.message == "could not log\n  second line of the message"
    assert event.cause == "RecursionError: maximum recursion depth exceeded"
    assert [frame.function for frame in event.frames] == ["main"]


def test_traceback_indented_as_a_whole_and_after_log_text():
    indented = (
        "    Traceback (most recent call last):\n"
        '      File "/app/jobs.py", line 12, in run\n'
        "        handle(job)\n"
        "    TimeoutError: job 42 timed out\n"
    )
    event = parse_error(indented)
    assert (event.exception_type, event.message) == ("TimeoutError", "job 42 timed out")
    assert event.frames[0].context_line == "handle(job)"
    logged = "2026-11-27 10:00:00 ERROR worker: Traceback (most recent call last):\n" + (
        '  File "/app/jobs.py", line 12, in run\nTimeoutError: job 7 timed out\n'
    )
    assert parse_error(logged).message == "job 7 timed out"


def test_syntax_error_traceback_without_function():
    text = (
        "Traceback (most recent call last):\n"
        '  File "/app/broken.py", line 3\n'
        "    def f(:\n"
        "          ^\n"
        "SyntaxError: invalid syntax\n"
    )
    event = parse_error(text)
    assert event.exception_type == "SyntaxError"
    assert (event.frames[0].function, event.frames[0].lineno) == ("<module>", 3)


def test_uncaught_prefix_and_error_code_in_node_header():
    event = parse_error(
        "Uncaught Error [ERR_MODULE_NOT_FOUND]: Cannot find module 'x'\n"
        "    at resolve (node:internal/modules/esm/resolve:1:1)\n"
        "    at load (/srv/app/loader.js:4:2)\n"
    )
    assert event.exception_type == "Error [ERR_MODULE_NOT_FOUND]"
    assert event.message == "Cannot find module 'x'"
    assert [frame.in_app for frame in event.frames] == [True, False]
