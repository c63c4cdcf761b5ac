import json
import re
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest

from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.formats import parse_error
from argus.core.patterns.normalise import mask_message, normalise_path, signature_of
from tests.core.patterns.real_errors import (
    node_stack,
    python_traceback,
    sentry_envelope,
    write_node_app,
    write_shop,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "errors"


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("user 4711 not found", "user <number> not found"),
        ("KeyError: 'user_id'", "KeyError: <str>"),
        ('no such table: "orders_2026"', "no such table: <str>"),
        ("can't parse user's file", "can't parse user's file"),
        ("object at 0x7f4bbfabeb90 is gone", "object at <address> is gone"),
        ("request 123e4567-e89b-12d3-a456-426614174000 failed", "request <uuid> failed"),
        ("at 2026-11-27T16:41:21.470113Z and 2026-11-27 09:00", "at <date> and <date>"),
        ("timeout at 12:30:45.5", "timeout at <date>"),
        ("connect to 10.1.2.3:5432 refused", "connect to <ip> refused"),
        ("peer fe80::1ff:fe23:4567:890a reset; Foo::bar kept", "peer <ip> reset; Foo::bar kept"),
        ("commit deadbeef1234 missing", "commit <hex> missing"),
        ("order ord_8f3k2j1h9x failed twice", "order ord_<id> failed twice"),
        ("utf8 codec can't decode", "utf<number> codec can't decode"),
        ("charge ch_3Pq9XyZ2eZvKYlo2C0 for user42", "charge ch_<id> for user<number>"),
        ("refs ref-150 and ref-99999", "refs ref-<number> and ref-<number>"),
        ("open /home/alice/proj/data.csv: denied", "open <path>: denied"),
        ("open C:\\Users\\bob\\data.csv: denied", "open <path>: denied"),
        ("mail to bob@example.com bounced", "mail to <email> bounced"),
        (
            "GET https://api.example.com/users/42?token=abc&page=2 failed",
            "GET https://api.example.com/users/<number>?token=<value>&page=<value> failed",
        ),
        ("  spread\n  over   lines ", "spread over lines"),
    ],
)
def test_mask_message(message, masked):
    assert mask_message(message) == masked


@pytest.mark.parametrize(
    ("path", "normal"),
    [
        ("/home/u/.venv/lib/python3.11/site-packages/requests/models.py", "requests/models.py"),
        ("/usr/lib/python3.12/json/decoder.py", "json/decoder.py"),
        ("/srv/app/node_modules/a/node_modules/express/lib/router.js", "express/lib/router.js"),
        ("C:\\proj\\app\\views.py", "/proj/app/views.py"),
        ("webpack:///./src/app.js?abc1", "/src/app.js"),
        ("https://cdn.example.com/static/main.3f9a2c1d.js", "/static/main.<hash>.js"),
        ("/app/.next/server/chunks/a1b2c3d4e5f6.js", "/app/.next/server/chunks/<hash>.js"),
        ("/tmp/tmpab12cd_x/m.py", "/tmp/<tmp>/m.py"),
        ("<string>", "<string>"),
    ],
)
def test_normalise_path(path, normal):
    assert normalise_path(path) == normal


def hash_of(data):
    return signature_of(parse_error(data)).pattern_hash


def test_pattern_hash_is_versioned_sha256():
    signature = signature_of(parse_error((FIXTURES / "python_keyerror.txt").read_text()))
    assert re.fullmatch(r"v1:[0-9a-f]{64}", signature.pattern_hash)
    assert signature.canonical_text.splitlines()[:3] == ["v1", "type:KeyError", "message:<str>"]
    assert "frame:cart.py:load_user" in signature.canonical_text
    assert not re.search(r"line|\d{2}", signature.canonical_text.split("message:")[1])


# The same bugs, raised for real with different deploy roots, line numbers and values.
PYTHON_SAME_BUG = {
    "user": ["bob", "carol-99"],
    "product": ["sku-2", "SKU 777"],
    "order": ['{"a": 1', '{"bb": 22'],
    "total": ["1,x", "2,abc"],
    "charge": ["150", "99999"],
    "wrapped": ["dave", "e-7"],
}


@pytest.fixture(scope="module")
def python_variants(tmp_path_factory):
    base = tmp_path_factory.mktemp("python")
    roots = [
        write_shop(base / "srv" / "release-4f3a9b2c", padding=0),
        write_shop(base / "home" / "alice" / "project", padding=7),
    ]
    return {
        kind: [
            parse_error(python_traceback(root, kind, value))
            for root, value in zip(roots, values, strict=True)
        ]
        for kind, values in PYTHON_SAME_BUG.items()
    }


def test_same_python_bug_gets_one_hash_across_paths_lines_and_values(python_variants):
    for kind, events in python_variants.items():
        first, second = events
        assert first.in_app_frames[-1].lineno != second.in_app_frames[-1].lineno, kind
        assert signature_of(first).pattern_hash == signature_of(second).pattern_hash, kind


def test_different_python_bugs_get_different_hashes(python_variants):
    hashes = {
        kind: signature_of(events[0]).pattern_hash for kind, events in python_variants.items()
    }
    for first, second in combinations(hashes, 2):
        assert hashes[first] != hashes[second], (first, second)


def test_sentry_sdk_event_and_pasted_traceback_of_one_bug_share_a_hash(tmp_path):
    sentry_root = write_shop(tmp_path / "deploy" / "a1b2c3d4e5")
    text_root = write_shop(tmp_path / "laptop" / "shop", padding=2)
    for kind, (first, second) in PYTHON_SAME_BUG.items():
        from_sdk = parse_error(sentry_envelope(sentry_root, kind, first))
        from_text = parse_error(python_traceback(text_root, kind, second))
        assert signature_of(from_sdk).pattern_hash == signature_of(from_text).pattern_hash, kind


@pytest.fixture(scope="module")
def node_variants(tmp_path_factory):
    base = tmp_path_factory.mktemp("node")
    first = write_node_app(base / "srv" / "web-1234", padding=0)
    second = write_node_app(base / "ci" / "build", padding=5)
    cases = {"user": ("42", "alice"), "total": ("", "x"), "order": ("{x", "{y")}
    return {
        kind: [
            parse_error(node_stack(first, kind, values[0])),
            parse_error(node_stack(second, kind, values[1])),
        ]
        for kind, values in cases.items()
    }


def test_same_node_bug_one_hash_different_bugs_different_hashes(node_variants):
    hashes = {}
    for kind, (first, second) in node_variants.items():
        assert signature_of(first).pattern_hash == signature_of(second).pattern_hash, kind
        hashes[kind] = signature_of(first).pattern_hash
    assert len(set(hashes.values())) == len(hashes)


def event_with(exception_type="KeyError", message="'x'", frames=(("a/b.py", "f"),)):
    return ErrorEvent(
        exception_type=exception_type,
        message=message,
        frames=tuple(Frame(function=function, filename=path) for path, function in frames),
    )


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (event_with(), event_with(message="'y'"), True),
        (event_with(), event_with(exception_type="IndexError"), False),
        (event_with(), event_with(frames=(("a/b.py", "g"),)), False),
        (event_with(), event_with(frames=(("a/c.py", "f"),)), False),
        # Recursion depth differs: consecutive repeats of one frame count once.
        (
            event_with(frames=(("a/b.py", "f"),) * 3),
            event_with(frames=(("a/b.py", "f"),) * 40),
            True,
        ),
        (event_with(message="took 10 ms"), event_with(message="took 3000 ms"), True),
        (event_with(message="no such key"), event_with(message="no such file"), False),
    ],
)
def test_signature_table(first, second, same):
    assert (signature_of(first).pattern_hash == signature_of(second).pattern_hash) is same


def test_library_frames_stay_out_unless_there_is_nothing_else():
    app = Frame(function="view", filename="/srv/app/views.py")
    library = Frame(
        function="get", filename="/venv/lib/python3.11/site-packages/x/api.py", in_app=False
    )
    with_library = ErrorEvent("E", "m", (app, library))
    assert signature_of(with_library).frames == ("views.py:view",)
    only_library = ErrorEvent("E", "m", (library,))
    assert signature_of(only_library).frames == ("api.py:get",)


def test_locations_list_in_app_frames_innermost_first():
    event = parse_error((FIXTURES / "python_chained.txt").read_text())
    locations = signature_of(event).locations
    assert [(location.function, location.lineno) for location in locations] == [
        ("checkout", 50),
        ("<module>", 26),
    ]
    assert locations[0].path.endswith("shop/cart.py")


def test_hash_is_the_same_in_another_process():
    fixture = FIXTURES / "sentry_event.json"
    code = (
        "import sys; from argus.core.patterns.formats import parse_error; "
        "from argus.core.patterns.normalise import signature_of; "
        "print(signature_of(parse_error(open(sys.argv[1], 'rb').read())).pattern_hash)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(fixture)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345"},
        cwd=Path(__file__).parents[3],
    )
    assert result.stdout.strip() == hash_of(fixture.read_bytes())


def test_webhook_and_store_forms_of_one_event_share_a_hash():
    event = json.loads((FIXTURES / "sentry_event.json").read_text())
    alert = (FIXTURES / "sentry_webhook_event_alert.json").read_text()
    assert hash_of(json.dumps(event)) == hash_of(alert)
    assert hash_of((FIXTURES / "sentry_envelope.bin").read_bytes()) == hash_of(alert)
