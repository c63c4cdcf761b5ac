"""Raise real errors in subprocesses: a tiny shop app in Python (plain or through sentry-sdk)
and in Node.js, written under any root with any number of padding lines, so that tests get the
same bug with different paths, line numbers and values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CART_PY = '''\
"""A tiny shop, to raise real errors."""
import json


class PaymentError(Exception):
    """A charge was refused."""


def load_user(users, user_id):
    return users[user_id]


def load_product(products, sku):
    return products[sku]


def parse_order(raw):
    return json.loads(raw)


def total(items):
    return sum(int(item) for item in items)


def charge(amount, reference):
    raise PaymentError(f"charge {reference} of {amount} refused at 2026-11-27T10:00:00Z")


def show_profile(user_id):
    return load_user({"alice": 1}, user_id)


def checkout(kind, value):
    if kind == "user":
        return load_user({"alice": 1}, value)
    if kind == "profile":
        return show_profile(value)
    if kind == "product":
        return load_product({"sku-1": 1}, value)
    if kind == "order":
        return parse_order(value)
    if kind == "total":
        return total(value.split(","))
    if kind == "charge":
        return charge(int(value), "ref-" + value)
    if kind == "wrapped":
        try:
            return load_user({}, value)
        except KeyError as error:
            raise RuntimeError(f"lookup of {value!r} failed") from error
    raise SystemExit("unknown kind " + kind)
'''

MAIN_PY = """\
import sys

from shop.cart import checkout

if sys.argv[1] == "--sentry":
    import sentry_sdk
    from sentry_sdk.transport import Transport

    class Capture(Transport):
        def capture_envelope(self, envelope):
            sys.stdout.buffer.write(envelope.serialize())

    sentry_sdk.init(
        dsn="http://public@127.0.0.1:9/1",
        transport=Capture,
        release="shop@1.0.0",
        environment="production",
        default_integrations=False,
    )
    try:
        checkout(sys.argv[2], sys.argv[3])
    except Exception:
        sentry_sdk.capture_exception()
    sentry_sdk.flush()
else:
    checkout(sys.argv[1], sys.argv[2])
"""

APP_JS = """\
class Cart {
  constructor(items) { this.items = items; }
  total() { return this.items.reduce((sum, item) => sum + item.price, 0); }
}
function loadUser(users, id) { return users[id].name; }
async function loadOrder(raw) { await null; return JSON.parse(raw); }
function checkout(kind, value) {
  if (kind === "user") return loadUser({}, value);
  if (kind === "total") return new Cart([{ price: 1 }, undefined]).total();
  if (kind === "order") return loadOrder(value);
  throw new Error("unknown kind " + kind);
}
Promise.resolve(checkout(process.argv[2], process.argv[3])).catch((error) => {
  console.error(error.stack);
  process.exit(1);
});
"""


def write_shop(root: Path, padding: int = 0) -> Path:
    """Write the Python shop under ``root`` (``padding`` blank comment lines shift lines)."""
    package = root / "shop"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "cart.py").write_text("# padding\n" * padding + CART_PY)
    (root / "main.py").write_text("# padding\n" * padding + MAIN_PY)
    return root


def python_traceback(root: Path, kind: str, value: str) -> str:
    """Run the shop with ``kind``/``value`` and return the traceback it printed."""
    result = subprocess.run(
        [sys.executable, "main.py", kind, value],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    return result.stderr


def sentry_envelope(root: Path, kind: str, value: str) -> bytes:
    """Run the shop under sentry-sdk and return the envelope the SDK would have sent."""
    result = subprocess.run(
        [sys.executable, "main.py", "--sentry", kind, value],
        cwd=root,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout, "sentry-sdk sent no envelope"
    return result.stdout


def write_node_app(root: Path, padding: int = 0) -> Path:
    """Write the Node shop under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "app.js").write_text("// padding\n" * padding + APP_JS)
    return root


def node_stack(root: Path, kind: str, value: str) -> str:
    """Run the Node shop with ``kind``/``value`` and return the stack it printed."""
    result = subprocess.run(
        ["node", "app.js", kind, value],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    return result.stderr
