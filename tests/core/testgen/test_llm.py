"""Model-written tests: prompts, answer checks, and the router + sandbox path against the
local protocol servers (tests/servers) answering good and bad tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from argus.core.predict.findings import Review, RiskLevel, SymbolRisk
from argus.core.router.generation import Outcome, Tier
from argus.core.router.ledger import CostLedger
from argus.core.router.prices import load_price_table
from argus.core.router.providers.anthropic_messages import AnthropicProvider
from argus.core.router.providers.base import RemoteProvider
from argus.core.router.providers.local import LocalProvider
from argus.core.router.providers.workers_ai import WorkersAIProvider
from argus.core.router.router import Router, RouterSettings
from argus.core.store.sqlite import SQLiteStore
from argus.core.testgen import llm
from argus.core.testgen.candidate import CandidateKind
from argus.core.testgen.sandbox import Limits
from argus.core.testgen.service import (
    GenerationLog,
    SandboxOptions,
    generate_for_review,
    register_free_tier,
)
from tests.core.testgen.sandbox_repos import git
from tests.servers.scripted import ScriptedServer, anthropic_message, workers_ai_result

SHOUT_BEFORE = '''"""Words."""


def shout(text):
    return text.upper()
'''

SHOUT_AFTER = '''"""Words."""


def shout(text):
    cleaned = text.strip()
    return cleaned.upper() + "!"
'''

GOOD_TEST = """Here is the test:

```python
from words.loud import shout


def test_shout_strips_and_exclaims():
    assert shout("  hi ") == "HI!"
```
"""

FAILING_TEST = """```python
from words.loud import shout


def test_shout_wrong():
    assert shout("hi") == "HI"
```
"""

BAD_ANSWERS = {
    "not_code": ("I cannot write a test for this function, sorry.", "not code"),
    "not_a_test": (
        "```python\nfrom words.loud import shout\n\n\ndef helper():\n    return shout('a')\n```",
        "not a test",
    ),
    "imports_missing": (
        "```python\nimport nonexistent_helpers_lib\n\n\ndef test_x():\n    assert True\n```",
        "import_error",
    ),
    "loops_forever": (
        "```python\nfrom words.loud import shout\n\n\ndef test_forever():\n"
        "    while True:\n        shout('a')\n```",
        "timeout",
    ),
    "network": (
        "```python\nimport urllib.request\n\n\ndef test_fetch():\n"
        "    urllib.request.urlopen('http://example.com')\n```",
        "tries the network",
    ),
    "writes_outside": (
        "```python\ndef test_write():\n    with open('/etc/argus_owned', 'w') as out:\n"
        "        out.write('x')\n```",
        "writes outside",
    ),
    "deletes_files": (
        "```python\nimport shutil\n\n\ndef test_clean():\n    shutil.rmtree('words')\n```",
        "deletes files",
    ),
}


# -- answer checks (no sandbox) ----------------------------------------------------------------


def test_code_is_taken_from_the_python_fence() -> None:
    answer = "Sure.\n```text\nnot this\n```\n```python\ndef test_a():\n    assert 1\n```\nDone."
    assert llm.extract_code(answer) == "def test_a():\n    assert 1\n"
    assert llm.extract_code("def test_b():\n    pass\n") == "def test_b():\n    pass\n"


@pytest.mark.parametrize("kind", sorted(set(BAD_ANSWERS) - {"imports_missing", "loops_forever"}))
def test_static_checks_reject_bad_answers_with_their_reason(kind: str) -> None:
    answer, reason = BAD_ANSWERS[kind]
    with pytest.raises(llm.AnswerRejected) as caught:
        llm.candidate_from_answer(
            answer,
            framework="pytest",
            path="tests/test_x.py",
            targets=(),
            kind=CandidateKind.PR_TEST,
        )
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("import os\n\n\ndef test_a():\n    os.system('rm -rf x')\n", "os.system"),
        ("from pathlib import Path\n\n\ndef test_a():\n    Path('x').unlink()\n", "deletes"),
        ("import time\n\n\ndef test_a():\n    time.sleep(100)\n", "time.sleep"),
        (
            "import json\nDATA = json.loads(open('x').read())\n\n\ndef test_a():\n    pass\n",
            "runs code at import",
        ),
        ("import subprocess\n\n\ndef test_a():\n    subprocess.run(['ls'])\n", "process"),
    ],
)
def test_check_refuses_side_effects_anywhere(source: str, reason: str) -> None:
    found = llm.check_test_source(source)
    assert found is not None and reason in found


def test_a_plain_test_with_fixture_and_helper_is_accepted() -> None:
    source = (
        "import pytest\n\nfrom words.loud import shout\n\nWORDS = ['a', 'b']\n\n\n"
        "@pytest.fixture\ndef word():\n    return 'a'\n\n\ndef _loud(text):\n"
        "    return shout(text)\n\n\ndef test_shout(word, tmp_path):\n"
        "    (tmp_path / 'out.txt').write_text(_loud(word))\n    assert _loud(word) == 'A!'\n"
    )
    assert llm.check_test_source(source) is None


# -- through the router, the protocol servers and the sandbox ----------------------------------


@pytest.fixture(scope="module")
def shout_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    repo = tmp_path_factory.mktemp("llm") / "project"
    (repo / "words").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "words" / "__init__.py").write_text("")
    (repo / "words" / "loud.py").write_text(SHOUT_BEFORE)
    (repo / "tests").mkdir()
    (repo / "tests" / "test_other.py").write_text("def test_nothing():\n    assert True\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "shout")
    (repo / "words" / "loud.py").write_text(SHOUT_AFTER)
    git(repo, "commit", "-q", "-am", "strip and exclaim")
    return repo, git(repo, "rev-parse", "HEAD")


def shout_review() -> Review:
    symbol = SymbolRisk(
        path="words/loud.py",
        name="shout",
        kind="function",
        language="python",
        start_line=4,
        end_line=6,
        probability=0.7,
        level=RiskLevel.HIGH,
        lines_added=2,
        lines_deleted=1,
    )
    return Review(0.7, RiskLevel.HIGH, (), (symbol,), (), 1, 2, 1, "test")


@pytest.fixture
def store() -> Iterator[SQLiteStore]:
    with SQLiteStore.open(":memory:") as opened:
        yield opened


@pytest.fixture
def servers() -> Iterator[tuple[ScriptedServer, ScriptedServer]]:
    with ScriptedServer("workers_ai") as workers, ScriptedServer("anthropic") as anthropic:
        yield workers, anthropic


def make_router(store: SQLiteStore, workers: ScriptedServer, anthropic: ScriptedServer) -> Router:
    local = LocalProvider()
    register_free_tier(local)
    ledger = CostLedger(store)
    ledger.set_tenant_plan("acme", "pro")
    return Router(
        [
            local,
            WorkersAIProvider("acct", "tok", base_url=workers.url, timeout=10),
            AnthropicProvider.haiku("sk", base_url=anthropic.url, timeout=10),
            AnthropicProvider.sonnet("sk", base_url=anthropic.url, timeout=10),
        ],
        load_price_table(),
        ledger=ledger,
        settings=RouterSettings(),
    )


def ledger_rows(store: SQLiteStore) -> list[tuple[str, str, str | None]]:
    connection: sqlite3.Connection = store.connection
    rows = connection.execute(
        "SELECT tier, outcome, reason FROM router_requests ORDER BY rowid"
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


CHANGED = {"words/loud.py": {5, 6}}
FAST = SandboxOptions(limits=Limits(timeout_seconds=8))


def test_a_good_model_test_is_accepted_and_its_tier_recorded(
    shout_repo: tuple[Path, str],
    store: SQLiteStore,
    servers: tuple[ScriptedServer, ScriptedServer],
) -> None:
    repo, head = shout_repo
    workers, anthropic = servers
    workers.enqueue(workers_ai_result(GOOD_TEST, prompt_tokens=1800, completion_tokens=120))
    tests = generate_for_review(
        shout_review(),
        repo,
        head,
        CHANGED,
        router=make_router(store, workers, anthropic),
        tenant="acme",
        sandbox=FAST,
    )
    assert len(tests) == 1
    test = tests[0]
    assert test.validation.tier == "workers_ai"
    assert test.validation.passed_runs == test.validation.runs == 3
    assert test.validation.changed_lines_covered == 2
    assert test.validation.dollars > 0
    assert "HI!" in test.source
    prompt = workers.requests[0].body["messages"][-1]["content"]
    assert "def shout(text):" in prompt and "# changed" in prompt
    assert "from words.loud import shout" in prompt
    rows = ledger_rows(store)
    assert ("local", "miss") == rows[0][:2]
    assert rows[-1][:2] == ("workers_ai", "ok")
    assert anthropic.requests == []


def test_one_router_serves_two_synchronous_calls(
    shout_repo: tuple[Path, str],
    store: SQLiteStore,
    servers: tuple[ScriptedServer, ScriptedServer],
) -> None:
    """Each call runs its own event loop; the router's clients must not outlive the first."""
    repo, head = shout_repo
    workers, anthropic = servers
    router = make_router(store, workers, anthropic)
    for _ in range(2):
        workers.enqueue(workers_ai_result(GOOD_TEST, prompt_tokens=1800, completion_tokens=120))
        (test,) = generate_for_review(
            shout_review(), repo, head, CHANGED, router=router, tenant="acme", sandbox=FAST
        )
        assert test.validation.tier == "workers_ai"
    assert [row[:2] for row in ledger_rows(store) if row[0] == "workers_ai"] == [
        ("workers_ai", "ok"),
        ("workers_ai", "ok"),
    ]
    assert all(
        provider._client is None
        for provider in router.providers.values()
        if isinstance(provider, RemoteProvider)
    )


@pytest.mark.parametrize("kind", sorted(BAD_ANSWERS))
def test_each_bad_answer_is_rejected_with_its_reason(
    kind: str,
    shout_repo: tuple[Path, str],
    store: SQLiteStore,
    servers: tuple[ScriptedServer, ScriptedServer],
) -> None:
    repo, head = shout_repo
    workers, anthropic = servers
    answer, reason = BAD_ANSWERS[kind]
    workers.enqueue(workers_ai_result(answer, prompt_tokens=1500, completion_tokens=300))
    log = GenerationLog()
    tests = generate_for_review(
        shout_review(),
        repo,
        head,
        CHANGED,
        router=make_router(store, workers, anthropic),
        tenant="acme",
        max_tier=Tier.WORKERS_AI,
        # Short enough for the endless loop; generous for the rest on a loaded CI machine,
        # where a 3 s limit turned an import error into a timeout.
        sandbox=SandboxOptions(limits=Limits(timeout_seconds=3 if kind == "loops_forever" else 60)),
        log=log,
    )
    assert tests == []
    rows = ledger_rows(store)
    assert rows[-1][:2] == ("workers_ai", "invalid")
    assert reason in (rows[-1][2] or "")
    result = log.results[-1]
    assert [attempt.outcome for attempt in result.attempts][-1] is Outcome.INVALID
    assert not (repo / "words" / "__pycache__" / "gone").exists()
    assert (repo / "words" / "loud.py").read_text() == SHOUT_AFTER  # nothing outside changed


def test_a_failing_candidate_escalates_to_the_next_tier(
    shout_repo: tuple[Path, str],
    store: SQLiteStore,
    servers: tuple[ScriptedServer, ScriptedServer],
) -> None:
    repo, head = shout_repo
    workers, anthropic = servers
    workers.enqueue(workers_ai_result(FAILING_TEST, prompt_tokens=1500, completion_tokens=90))
    anthropic.enqueue(anthropic_message(GOOD_TEST, input_tokens=1500, output_tokens=110))
    log = GenerationLog()
    tests = generate_for_review(
        shout_review(),
        repo,
        head,
        CHANGED,
        router=make_router(store, workers, anthropic),
        tenant="acme",
        sandbox=FAST,
        log=log,
    )
    assert [test.validation.tier for test in tests] == ["haiku"]
    outcomes = [(attempt.tier, attempt.outcome) for attempt in log.results[-1].attempts]
    assert outcomes == [
        (Tier.LOCAL, Outcome.MISS),
        (Tier.WORKERS_AI, Outcome.INVALID),
        (Tier.HAIKU, Outcome.OK),
    ]
    assert "fails_on_head" in (log.results[-1].attempts[1].reason or "")
    assert len(anthropic.requests) == 1


# -- JavaScript: model tiers only, node:test runner --------------------------------------------

PRICE_AFTER = (
    "function total(items) {\n"
    "  if (!Array.isArray(items)) throw new TypeError('items must be an array');\n"
    "  return items.reduce((sum, item) => sum + item.price * item.quantity, 0);\n"
    "}\n"
    "module.exports = { total };\n"
)

GOOD_JS = """```javascript
const test = require('node:test');
const assert = require('node:assert');
const { total } = require('../src/price.js');

test('total adds price times quantity', () => {
  assert.strictEqual(total([{ price: 2, quantity: 3 }, { price: 1, quantity: 1 }]), 7);
  assert.throws(() => total(null), TypeError);
});
```"""

BAD_JS = """```js
const test = require('node:test');
const { execSync } = require('child_process');

test('shell', () => { execSync('rm -rf /tmp/x'); });
```"""


@pytest.fixture(scope="module")
def node_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from tests.core.testgen.sandbox_repos import node_repo

    repo = node_repo(tmp_path_factory.mktemp("js"))
    (repo / "src" / "price.js").write_text(PRICE_AFTER)
    git(repo, "commit", "-q", "-am", "refuse non-arrays")
    return repo, git(repo, "rev-parse", "HEAD")


def js_review() -> Review:
    symbol = SymbolRisk(
        "src/price.js", "total", "function", "javascript", 1, 4, 0.6, RiskLevel.MEDIUM
    )
    return Review(0.6, RiskLevel.MEDIUM, (), (symbol,), (), 1, 1, 0, "test")


def test_a_javascript_function_gets_a_model_test_run_with_node(
    node_project: tuple[Path, str],
    store: SQLiteStore,
    servers: tuple[ScriptedServer, ScriptedServer],
) -> None:
    repo, head = node_project
    workers, anthropic = servers
    workers.enqueue(workers_ai_result(BAD_JS, prompt_tokens=900, completion_tokens=80))
    anthropic.enqueue(anthropic_message(GOOD_JS, input_tokens=900, output_tokens=120))
    log = GenerationLog()
    tests = generate_for_review(
        js_review(),
        repo,
        head,
        {"src/price.js": {2}},
        router=make_router(store, workers, anthropic),
        tenant="acme",
        sandbox=FAST,
        log=log,
    )
    [test] = tests
    assert (test.language, test.framework, test.validation.tier) == (
        "javascript",
        "node_test",
        "haiku",
    )
    assert test.path.endswith(".test.js") and test.validation.passed_runs == 3
    assert test.validation.changed_lines_total is None  # coverage is measured for Python only
    prompt = workers.requests[0].body["messages"][-1]["content"]
    assert "const { total } = require('../src/price.js');" in prompt and "// changed" in prompt
    rejected = log.results[-1].attempts[1]
    assert rejected.tier is Tier.WORKERS_AI and "tries the network or a process" in (
        rejected.reason or ""
    )


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("const x = 1;\n", "not a test"),
        ("test('a', () => { fetch('http://example.com'); });\n", "tries the network"),
        (
            "import { rmSync } from 'fs';\ntest('a', () => { rmSync('src'); });\n",
            "deletes files",
        ),
        (
            "const fs = require('fs');\ntest('a', () => { fs.writeFileSync('/etc/x', 'y'); });\n",
            "writes outside",
        ),
        ("import http from 'node:http';\ntest('a', () => {});\n", "tries the network"),
    ],
)
def test_javascript_answers_are_checked_too(source: str, reason: str) -> None:
    found = llm.check_js_test_source(source)
    assert found is not None and reason in found
    assert llm.check_js_test_source("test('a', () => { expect(1).toBe(1); });\n") is None
