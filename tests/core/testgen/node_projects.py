"""Two tiny Node.js projects with a crash bug and its fix, for the Node crash tests and the
recorder of their @sentry/node events (tests/fixtures/node_crash/record.py).

``shop`` is CommonJS tested with ``node --test``; ``names`` is an ES module package
(``"type": "module"``). Each has an ``app.js`` that crashes the way production would (an
uncaught exception, after the SDK's debugger session is ready).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Fixed dates make the commits, and so the events' releases, the same on every machine.
_DATES = {"GIT_AUTHOR_DATE": "2026-12-01T10:00:00Z", "GIT_COMMITTER_DATE": "2026-12-01T10:00:00Z"}

SHOP_BUGGY = {
    "package.json": '{"name": "shop", "version": "1.0.0", "scripts": {"test": "node --test"}}\n',
    "lib/coupons.js": (
        "'use strict';\n"
        "const COUPONS = { WINTER: { percent: 10 } };\n"
        "\n"
        "function applyCoupon(order, coupon) {\n"
        "  const rate = coupon.percent / 100;\n"
        "  return order.total * (1 - rate);\n"
        "}\n"
        "\n"
        "function checkout(order, code) {\n"
        "  const coupon = COUPONS[code];\n"
        "  return applyCoupon(order, coupon);\n"
        "}\n"
        "\n"
        "module.exports = { applyCoupon, checkout };\n"
    ),
    "test/coupons.test.js": (
        "const test = require('node:test');\n"
        "const assert = require('node:assert');\n"
        "const { checkout } = require('../lib/coupons.js');\n"
        "test('winter', () => assert.strictEqual(checkout({ total: 50 }, 'WINTER'), 45));\n"
    ),
    "app.js": (
        "const { checkout } = require('./lib/coupons.js');\n"
        "setTimeout(() => {\n"
        "  console.log(checkout({ total: 40, items: 2 }, 'SPRING'));\n"
        "}, 2000);\n"
    ),
}
SHOP_FIX = {
    "lib/coupons.js": SHOP_BUGGY["lib/coupons.js"].replace(
        "  const rate = coupon.percent / 100;\n",
        "  if (!coupon) return order.total;\n  const rate = coupon.percent / 100;\n",
    )
}

NAMES_BUGGY = {
    "package.json": '{"name": "names", "version": "2.0.0", "type": "module"}\n',
    "src/initials.js": (
        "export function initials(name, separator = '') {\n"
        "  const letters = [];\n"
        "  for (const part of name.split(' ')) {\n"
        "    letters.push(part[0].toUpperCase());\n"
        "  }\n"
        "  return letters.join(separator);\n"
        "}\n"
    ),
    "test/initials.test.js": (
        "import test from 'node:test';\n"
        "import assert from 'node:assert';\n"
        "import { initials } from '../src/initials.js';\n"
        "test('two names', () => assert.strictEqual(initials('Ada Lovelace'), 'AL'));\n"
    ),
    "app.js": (
        "import { initials } from './src/initials.js';\n"
        "setTimeout(() => console.log(initials('Ada  Lovelace', '.')), 2000);\n"
    ),
}
NAMES_FIX = {
    "src/initials.js": NAMES_BUGGY["src/initials.js"].replace(
        "name.split(' ')) {", "name.split(' ').filter(Boolean)) {"
    )
}

PROJECTS = {"shop": (SHOP_BUGGY, SHOP_FIX), "names": (NAMES_BUGGY, NAMES_FIX)}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        env={**os.environ, **_DATES},
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def make_project(folder: Path, name: str) -> tuple[Path, str, str]:
    """The project ``name`` as a git repository: (path, buggy commit, fixed commit)."""
    buggy_files, fix_files = PROJECTS[name]
    repo = folder / name
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write_files(repo, buggy_files)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first release")
    buggy = git(repo, "rev-parse", "HEAD")
    write_files(repo, fix_files)
    git(repo, "commit", "-q", "-am", "fix the crash")
    fixed = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", buggy)
    return repo, buggy, fixed
