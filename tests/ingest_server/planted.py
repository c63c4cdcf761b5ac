"""Planted secrets: Sentry events with a known secret in every field an event can carry.

Twenty kinds of secret (provider keys, JWTs, passwords and tokens after their names, URL
passwords, bearer tokens, a ``sid`` inside a ``Cookie`` header, e-mail and IP addresses,
social security numbers, card numbers, PEM private keys) times fifteen fields (message, cause,
exception type and module, release, environment, frame function, module, file name, absolute
path, code line, variable value, nested variable value, tag key, tag value), plus card numbers
held as integer variables: 305 secrets, each unique, each with the *needle* whose presence
anywhere afterwards means it survived (for a token, the first characters of its random part:
a prefix left by truncation counts as a survivor).

Used by ``tests/ingest_server/test_attacks.py`` and ``benchmarks/abuse.py``.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass

FIELDS = (
    "message",
    "cause",
    "type",
    "module",
    "release",
    "environment",
    "function",
    "frame_module",
    "filename",
    "abs_path",
    "context_line",
    "var",
    "nested_var",
    "tag_key",
    "tag_value",
)


@dataclass(frozen=True)
class Planted:
    """One secret: its kind, the field it went in, the text planted and its needle."""

    kind: str
    field: str
    text: str
    needle: str


def _alnum(rng: random.Random, length: int, alphabet: str = string.ascii_letters) -> str:
    # Mixed letters and digits, at least one of each (as real keys are).
    chars = [rng.choice(alphabet + string.digits) for _ in range(length - 2)]
    return rng.choice(alphabet) + "".join(chars) + rng.choice(string.digits)


def _luhn_digits(rng: random.Random, length: int) -> str:
    body = [rng.choice("456")] + [str(rng.randrange(10)) for _ in range(length - 2)]
    total = 0
    for position, digit in enumerate(reversed([int(d) for d in body])):
        value = digit * 2 if position % 2 == 0 else digit
        total += value - 9 if value > 9 else value
    return "".join(body) + str((10 - total % 10) % 10)


Maker = Callable[[random.Random], tuple[str, str]]


def _token(prefix: str, length: int, alphabet: str = string.ascii_letters) -> Maker:
    def make(rng: random.Random) -> tuple[str, str]:
        secret = _alnum(rng, length, alphabet)
        return prefix + secret, secret[:10]

    return make


def _jwt(rng: random.Random) -> tuple[str, str]:
    signature = _alnum(rng, 43)
    return f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOi{_alnum(rng, 12)}.{signature}", signature[:10]


def _named(name: str, separator: str = "=") -> Maker:
    def make(rng: random.Random) -> tuple[str, str]:
        value = _alnum(rng, 14)
        return f"{name}{separator}{value}", value

    return make


def _url_password(rng: random.Random) -> tuple[str, str]:
    value = _alnum(rng, 12)
    return f"postgres://app:{value}@db.internal:5432/shop", value


def _bearer(rng: random.Random) -> tuple[str, str]:
    value = _alnum(rng, 24)
    return f"Authorization: Bearer {value}", value


def _cookie(rng: random.Random) -> tuple[str, str]:
    value = _alnum(rng, 10)
    return f"Cookie: sid={value}; theme=dark", value


def _email(rng: random.Random) -> tuple[str, str]:
    address = f"{_alnum(rng, 8, string.ascii_lowercase)}.q@example.com"
    return address, address


def _ipv4(rng: random.Random) -> tuple[str, str]:
    address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return address, address


def _ssn(rng: random.Random) -> tuple[str, str]:
    number = f"{rng.randrange(100, 666)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}"
    return number, number


def _card(rng: random.Random) -> tuple[str, str]:
    digits = _luhn_digits(rng, 16)
    spaced = " ".join(digits[index : index + 4] for index in range(0, 16, 4))
    return spaced, spaced


def _pem(rng: random.Random) -> tuple[str, str]:
    body = _alnum(rng, 64, string.ascii_letters + "+/")
    text = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    return text, body[:16]


KINDS: dict[str, Maker] = {
    "github_token": _token("ghp_", 36),
    "github_pat": _token("github_pat_", 40),
    "aws_key": _token("AKIA", 16, string.ascii_uppercase),
    "slack": _token("xoxb-1234567890-", 24),
    "stripe": _token("sk_live_", 24),
    "anthropic": _token("sk-ant-api03-", 40),
    "openai": _token("sk-proj-", 30),
    "google": _token("AIza", 35),
    "jwt": _jwt,
    "password": _named("password"),
    "auth_token": _named("auth_token", ": "),
    "api_key": _named("api_key"),
    "url_password": _url_password,
    "bearer": _bearer,
    "cookie_sid": _cookie,
    "email": _email,
    "ipv4": _ipv4,
    "ssn": _ssn,
    "card": _card,
    "pem": _pem,
}


def planted_events(seed: int = 10) -> tuple[list[dict[str, object]], list[Planted]]:
    """Sentry event payloads and every secret planted in them (at least 300)."""
    rng = random.Random(seed)
    events: list[dict[str, object]] = []
    planted: list[Planted] = []
    for number, (kind, make) in enumerate(KINDS.items()):
        texts: dict[str, str] = {}
        for field in FIELDS:
            text, needle = make(rng)
            texts[field] = text
            planted.append(Planted(kind, field, text, needle))
        events.append(
            {
                "event_id": f"{number:032x}",
                "platform": "python",
                "release": texts["release"],
                "environment": texts["environment"],
                "tags": {texts["tag_key"]: "on", "where": texts["tag_value"]},
                "exception": {
                    "values": [
                        {"type": "OSError", "value": f"first {texts['cause']}"},
                        {
                            "type": texts["type"],
                            "module": texts["module"],
                            "value": f"planted {kind}: {texts['message']} here",
                            "stacktrace": {
                                "frames": [
                                    {
                                        "function": texts["function"],
                                        "module": texts["frame_module"],
                                        "filename": texts["filename"],
                                        "abs_path": texts["abs_path"],
                                        "lineno": 10 + number,
                                        "in_app": True,
                                        "context_line": f"    call({texts['context_line']!r})",
                                        "vars": {
                                            "value": texts["var"],
                                            "config": {"db": {"options": texts["nested_var"]}},
                                        },
                                    }
                                ]
                            },
                        },
                    ]
                },
            }
        )
    cards = [int(_luhn_digits(rng, length)) for length in (13, 15, 16, 16, 19)]
    events.append(
        {
            "event_id": f"{len(events):032x}",
            "exception": {
                "values": [
                    {
                        "type": "PaymentError",
                        "value": "declined",
                        "stacktrace": {
                            "frames": [
                                {
                                    "function": "charge",
                                    "filename": "shop/pay.py",
                                    "vars": {f"n{index}": card for index, card in enumerate(cards)},
                                }
                            ]
                        },
                    }
                ]
            },
        }
    )
    planted += [Planted("card_int", "int_var", str(card), str(card)) for card in cards]
    return events, planted


def survivors(planted: list[Planted], *outputs: str) -> list[Planted]:
    """The planted secrets whose needle appears in any of ``outputs``."""
    text = "\n".join(outputs)
    return [secret for secret in planted if secret.needle in text]
