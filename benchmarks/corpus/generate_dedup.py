"""Build the labelled dedup corpus: real exceptions raised by real libraries, in subprocesses.

    .venv/bin/python benchmarks/corpus/generate_dedup.py [--variants 6] [--out FILE]

A small application (shop, billing, config, api, storage modules) is written under a different
deployment root for every variant, with a different number of padding lines (so line numbers
move), and run with ``python main.py <bug> <value>``; the traceback it prints is one corpus
entry labelled with its bug. Values vary per variant (ids, keys, paths, malformed inputs), so
one bug's messages differ — sometimes in masked values only, sometimes in wording (``json``
says "Expecting value" or "Unterminated string" depending on the input). Look-alike bugs raise
the same exception type with similar messages from other functions (``load_user`` against
``load_product``, ``parse_order`` against ``parse_config``, two ``int()`` parsers, two
``ZeroDivisionError`` s, two ``'NoneType' object has no attribute 'email'``).

Deterministic for a seed; the output (JSONL: ``bug``, ``variant``, ``text``) is committed as
``dedup_corpus.jsonl`` so the benchmark does not depend on the Python version at hand.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "dedup_corpus.jsonl"

MODULES = {
    "shop/cart.py": """
def load_user(users, user_id):
    return users[user_id]


def load_product(products, sku):
    return products[sku]


def first_item(items):
    return items[0]


def total(prices, extra):
    return sum(prices) + extra
""",
    "shop/orders.py": """
import json


def parse_order(raw):
    order = json.loads(raw)
    return order


def parse_quantity(value):
    return int(value)


def notify(customer):
    return customer.email


def save_order(connection, order_id):
    connection.execute("INSERT INTO orders (id) VALUES (?)", (order_id,))
""",
    "billing/money.py": """
import decimal
import statistics


def to_money(value):
    return decimal.Decimal(value)


def share(amount, parts):
    return amount / parts


def average(amounts):
    return statistics.mean(amounts)


def send_receipt(order):
    return order.customer.email
""",
    "config/loader.py": """
import json
import re


def parse_config(text):
    settings = json.loads(text)
    return settings


def compile_rule(pattern):
    return re.compile(pattern)
""",
    "api/params.py": """
import base64
import datetime
import urllib.parse


def parse_page(value):
    return int(value)


def parse_date(value):
    return datetime.datetime.strptime(value, "%Y-%m-%d")


def parse_timestamp(value):
    return datetime.datetime.fromisoformat(value)


def callback_port(url):
    return urllib.parse.urlsplit(url).port


def decode_token(token):
    return base64.b64decode(token)


def decode_body(raw):
    return raw.decode("utf-8")


def rate(events, seconds):
    return events / seconds
""",
    "storage/files.py": """
import pathlib
import sqlite3


def read_invoice(path):
    return pathlib.Path(path).read_text()


def find_user(user_id):
    connection = sqlite3.connect(":memory:")
    return connection.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchall()
""",
}

MAIN = """
import sqlite3
import sys
import types

from api import params
from billing import money
from config import loader
from shop import cart, orders
from storage import files


def run(bug, value):
    if bug == "load_user":
        return cart.load_user({"alice": 1}, value)
    if bug == "load_product":
        return cart.load_product({"sku-1": 1}, value)
    if bug == "first_item":
        return cart.first_item([])
    if bug == "total":
        return cart.total([1, 2], value)
    if bug == "parse_order":
        return orders.parse_order(value)
    if bug == "parse_config":
        return loader.parse_config(value)
    if bug == "parse_quantity":
        return orders.parse_quantity(value)
    if bug == "parse_page":
        return params.parse_page(value)
    if bug == "notify":
        return orders.notify(None)
    if bug == "send_receipt":
        return money.send_receipt(types.SimpleNamespace(customer=None, id=value))
    if bug == "save_order":
        connection = sqlite3.connect(":memory:")
        connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
        orders.save_order(connection, int(value))
        return orders.save_order(connection, int(value))
    if bug == "to_money":
        return money.to_money(value)
    if bug == "share":
        return money.share(int(value), 0)
    if bug == "average":
        return money.average([])
    if bug == "rate":
        return params.rate(int(value), 0)
    if bug == "compile_rule":
        return loader.compile_rule(value)
    if bug == "parse_date":
        return params.parse_date(value)
    if bug == "parse_timestamp":
        return params.parse_timestamp(value)
    if bug == "callback_port":
        return params.callback_port(value)
    if bug == "decode_token":
        return params.decode_token(value)
    if bug == "decode_body":
        return params.decode_body(bytes.fromhex(value))
    if bug == "read_invoice":
        return files.read_invoice(value)
    if bug == "find_user":
        return files.find_user(int(value))
    raise SystemExit("unknown bug " + bug)


def main():
    run(sys.argv[1], sys.argv[2])


if __name__ == "__main__":
    main()
"""


def _values(bug: str, rng: random.Random) -> str:
    """A value for one variant of a bug (ids, keys, malformed inputs vary)."""
    number = rng.randrange(1, 10**6)
    word = rng.choice(["bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan"])
    choices = {
        "load_user": f"{word}-{number}",
        "load_product": f"sku-{number}",
        "first_item": str(number),
        "total": f"fee-{number}",
        "parse_order": rng.choice(
            ['{"id": ' + str(number), "", '{"id": 1,}', '{"id": "ab', "[1, 2] x", "{id: 3}"]
        ),
        "parse_config": rng.choice(
            ['{"debug": tru', "", '{"port": 80,}', '{"name": "x', "{} {}", "{port: 8}"]
        ),
        "parse_quantity": rng.choice([word, f"{number}.5", f"{number}kg", ""]),
        "parse_page": rng.choice([word, f"{number}.0", f"p{number}", " "]),
        "notify": str(number),
        "send_receipt": str(number),
        "save_order": str(number),
        "to_money": rng.choice([f"{number},00", f"EUR {number}", word, f"{number}..5"]),
        "share": str(number),
        "average": str(number),
        "rate": str(number),
        "compile_rule": rng.choice(["[a-z", f"(user{number}", "*foo", f"a{{{number + 2},1}}"]),
        "parse_date": rng.choice(
            [f"{number}", f"2026/11/{rng.randrange(1, 29)}", word, "27-11-2026"]
        ),
        "parse_timestamp": rng.choice([f"{number}", word, "2026-13-45", "yesterday 10:00"]),
        "callback_port": rng.choice(
            [
                f"http://example.com:{number}x/cb",
                f"https://h{number}.io:{70000 + number}/x",
                "http://a:b/c",
            ]
        ),
        "decode_token": rng.choice(["YWJjZA=", "ab" * rng.randrange(1, 4) + "c", "x"]),
        "decode_body": rng.choice(["68656c6c6f9c", "ff00", "e282", "c328"]),
        "read_invoice": f"/data/{word}/invoices/{number}.pdf",
        "find_user": str(number),
    }
    return choices[bug]


BUGS = [
    "load_user", "load_product", "first_item", "total", "parse_order", "parse_config",
    "parse_quantity", "parse_page", "notify", "send_receipt", "save_order", "to_money", "share",
    "average", "rate", "compile_rule", "parse_date", "parse_timestamp", "callback_port",
    "decode_token", "decode_body", "read_invoice", "find_user",
]  # fmt: skip


def write_app(root: Path, padding: int) -> None:
    """The application under ``root``, every module shifted down by ``padding`` lines."""
    pad = "\n".join(f"# padding {line}" for line in range(padding))
    for relative, source in MODULES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").write_text("", encoding="utf-8")
        path.write_text(pad + "\n" + source, encoding="utf-8")
    (root / "main.py").write_text(pad + "\n" + MAIN, encoding="utf-8")


def generate(variants: int, seed: int) -> list[dict[str, object]]:
    """Run every bug ``variants`` times under different roots; the labelled tracebacks."""
    rng = random.Random(seed)
    entries: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="argus-dedup-") as folder:
        for variant in range(variants):
            deployment = rng.choice(["srv", "opt", "home/deploy", "var/www", "app"])
            root = Path(folder) / deployment / f"release-{rng.getrandbits(32):08x}"
            write_app(root, padding=rng.randrange(0, 40))
            for bug in BUGS:
                value = _values(bug, rng)
                run = subprocess.run(
                    [sys.executable, "main.py", bug, value],
                    cwd=root,
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                )
                if "Traceback (most recent call last)" not in run.stderr:
                    raise SystemExit(f"{bug} {value!r} raised nothing: {run.stderr[-300:]}")
                entries.append({"bug": bug, "variant": variant, "value": value, "text": run.stderr})
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", type=int, default=6)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    options = parser.parse_args()
    entries = generate(options.variants, options.seed)
    with options.out.open("w", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(entry) + "\n")
    print(f"{len(entries)} tracebacks of {len(BUGS)} bugs written to {options.out}")


if __name__ == "__main__":
    main()
