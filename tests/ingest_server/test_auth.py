"""Credentials as each protocol carries them, and the webhook signature (HMAC-SHA256, hex)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from argus.ingest_server.auth import (
    bearer_token,
    dsn_parts,
    hook_signature,
    parse_sentry_auth,
    sentry_key_of,
    verify_hook_signature,
)

SDK_HEADER = "Sentry sentry_key=abc123, sentry_version=7, sentry_client=sentry.python/2.75.0"


def test_the_sdk_auth_header_is_read() -> None:
    assert parse_sentry_auth(SDK_HEADER) == {
        "sentry_key": "abc123",
        "sentry_version": "7",
        "sentry_client": "sentry.python/2.75.0",
    }


@pytest.mark.parametrize(
    ("headers", "query", "key"),
    [
        ({"x-sentry-auth": SDK_HEADER}, {}, "abc123"),
        ({"authorization": "Sentry sentry_key=k2,sentry_version=7"}, {}, "k2"),
        ({}, {"sentry_key": "k3", "sentry_version": "7"}, "k3"),
        ({"x-sentry-auth": "Sentry sentry_version=7"}, {"sentry_key": "k4"}, "k4"),
        ({"authorization": "Bearer k5"}, {}, None),
        ({}, {}, None),
        ({}, {"sentry_key": ""}, None),
    ],
)
def test_the_sentry_key_comes_from_header_or_query(headers, query, key) -> None:
    assert sentry_key_of(headers, query) == key


@pytest.mark.parametrize(
    ("dsn", "parts"),
    [
        ("http://abc@127.0.0.1:8000/42", ("abc", "42")),
        ("https://abc@errors.example.com/prefix/7", ("abc", "7")),
        ("https://abc@o1.ingest.example.com/7/", ("abc", "7")),
        ("http://127.0.0.1:8000/42", None),
        ("http://abc@host/", None),
        ("not a url", None),
    ],
)
def test_dsn_parts(dsn: str, parts) -> None:
    assert dsn_parts(dsn) == parts


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer k1", "k1"),
        ("bearer   k2 ", "k2"),
        ("Basic k3", None),
        ("Bearer", None),
        (None, None),
    ],
)
def test_bearer_token(header, token) -> None:
    assert bearer_token(header) == token


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"action":"created","data":{}}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert hook_signature(body, "s3cret") == expected
    assert verify_hook_signature(body, expected, "s3cret")
    assert verify_hook_signature(body, expected.upper(), "s3cret")


@pytest.mark.parametrize(
    "signature",
    [None, "", "0" * 64, hook_signature(b"other body", "s3cret"), hook_signature(b"x", "other")],
)
def test_wrong_or_missing_signatures_fail(signature: str | None) -> None:
    assert not verify_hook_signature(b"x", signature, "s3cret")


def test_non_ascii_signatures_fail_without_an_exception() -> None:
    assert not verify_hook_signature(b"x", "é" * 64, "s3cret")
