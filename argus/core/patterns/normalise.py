"""Normalisation: an ErrorEvent → a canonical signature, a stable ``pattern_hash`` and the text
an embedder reads.

The signature keeps what identifies a bug and drops what varies between its occurrences:
volatile parts of the message are masked (numbers, hex ids, UUIDs, random-looking ids that
alternate letters and digits, paths, IP addresses,
e-mail addresses, memory addresses, quoted values, timestamps, URL query values), frames are
reduced to their in-app ``file name:function`` (no line numbers, no directories). The hash is
``v1:`` + the SHA-256 of the canonical text; a change to these rules bumps the version.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

from argus.core.patterns.event import ErrorEvent

SIGNATURE_VERSION = "v1"
SIGNATURE_FRAMES = 8
FALLBACK_FRAMES = 3
PATH_TAIL_SEGMENTS = 2
SIGNATURE_MESSAGE_CHARS = 500

_QUOTED = re.compile(r"""(?<![\w'"])(?:'[^'\n]{0,300}'|"[^"\n]{0,300}")(?!\w)""")
_URL = re.compile(r"""\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'"<>()\[\]{}]+""")
_EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PATH = re.compile(r"(?<![\w/.:\\<])(?:[A-Za-z]:|~|\.{1,2})?(?:[\\/][\w.@~+-]+){2,}[\\/]?")
_VALUES = re.compile(
    r"""
    (?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)
    |(?P<date>\b\d{4}-\d{2}-\d{2}(?:[T\x20]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?
        |\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b)
    |(?P<address>\b0x[0-9a-fA-F]+\b)
    |(?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b
        |(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])
        |(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}:){0,5}[0-9a-fA-F]{1,4}(?![\w:]))
    |(?P<hex>\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b)
    |(?P<id>(?<![A-Za-z0-9])(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{6,}(?![A-Za-z0-9]))
    |(?P<number>\d+(?:\.\d+)*)
    """,
    re.VERBOSE,
)
_HAS_DIGIT = re.compile(r"\d")
_QUERY_VALUE = re.compile(r"([?&;][^=&#;\s]+)=[^&#;\s]*")
_URL_PARTS = re.compile(r"^(?P<scheme>[^:]+://)(?:[^@/]*@)?(?P<host>[^/?#]*)(?P<rest>.*)$")
_DIGITS = re.compile(r"\d+")
_WHITESPACE = re.compile(r"\s+")

_LIBRARY_ROOT = re.compile(
    r"^.*/(?:site-packages|dist-packages|node_modules|lib/python\d+(?:\.\d+)?)/"
)
_SCHEME = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*)")
_DRIVE = re.compile(r"^[A-Za-z]:(?=/)")
_HASH_PART = re.compile(r"(?<![0-9a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}(?![0-9a-fA-F])")
_TEMP_SEGMENT = re.compile(r"^(?:tmp|temp)[\w-]{4,}$", re.IGNORECASE)


def mask_message(message: str) -> str:
    """Mask the volatile parts of an error message; whitespace runs become one space.

    Masks apply in a fixed order (quoted values, URLs, e-mail addresses, paths, then the
    digit-bearing values), each only when a cheap test says it could match.
    """
    text = message
    if "'" in text or '"' in text:
        text = _QUOTED.sub("<str>", text)
    if "://" in text:
        text = _URL.sub(lambda match: _mask_url(match.group()), text)
    if "@" in text:
        text = _EMAIL.sub("<email>", text)
    if "/" in text or "\\" in text:
        text = _PATH.sub("<path>", text)
    if _HAS_DIGIT.search(text):
        text = _VALUES.sub(_mask_value, text)
    return _WHITESPACE.sub(" ", text).strip()


def _mask_value(match: re.Match[str]) -> str:
    kind = match.lastgroup or "value"
    if kind == "id":
        segment = match.group()
        # Random ids alternate letters and digits; "user42" or "sha256" only end in digits.
        # Counting switches (not length) keeps "ref-150" and "ref-99999" masked alike.
        switches = sum(
            first.isdigit() != second.isdigit()
            for first, second in zip(segment, segment[1:], strict=False)
        )
        if switches < 2:
            return _DIGITS.sub("<number>", segment)
    return f"<{kind}>"


def _mask_url(url: str) -> str:
    parts = _URL_PARTS.match(url)
    if parts is None:
        return "<url>"
    rest = _QUERY_VALUE.sub(r"\1=<value>", parts["rest"])
    rest = _DIGITS.sub("<number>", rest)
    host = "<ip>" if any(character.isdigit() for character in parts["host"]) else parts["host"]
    return f"{parts['scheme']}{host}{rest}"


@functools.lru_cache(maxsize=8192)
def normalise_path(path: str) -> str:
    """A frame path without what varies between deployments of the same code.

    Backslashes become slashes; URL scheme and host, drive letters, everything up to and
    including site-packages / dist-packages / node_modules / lib/pythonX.Y go; query strings
    go; hash-named build directories and files and temp directories are masked.
    """
    if not path:
        return ""
    if path.startswith("<") or path.startswith("["):
        return path
    normal = path.replace("\\", "/")
    # Each rewrite runs only when a plain substring test says it could apply.
    if "://" in normal:
        normal = _SCHEME.sub("", normal)
    if "?" in normal or "#" in normal:
        normal = normal.split("?", 1)[0].split("#", 1)[0]
    if normal[1:2] == ":":
        normal = _DRIVE.sub("", normal)
    if _MAYBE_LIBRARY(normal):
        normal = _LIBRARY_ROOT.sub("", normal)
    return "/".join([_segment(segment) for segment in normal.split("/") if segment != "."])


def _MAYBE_LIBRARY(path: str) -> bool:  # noqa: N802 - reads as the regex it guards
    return (
        "site-packages/" in path
        or "dist-packages/" in path
        or "node_modules/" in path
        or "lib/python" in path
    )


@functools.lru_cache(maxsize=16384)
def _segment(segment: str) -> str:
    """One path segment with temp directories and hash runs masked."""
    if _TEMP_SEGMENT.match(segment):
        return "<tmp>"
    return _HASH_PART.sub("<hash>", segment) if _HAS_DIGIT.search(segment) else segment


def _file_name(path: str) -> str:
    """``path_tail(normalise_path(path), 1)``, cheaply when the last segment decides it."""
    if "\\" not in path and "?" not in path and "#" not in path and "://" not in path:
        last = path.rsplit("/", 1)[-1]
        if last and last != "." and not path.startswith(("<", "[")):
            name = _segment(last)
            if name != "<tmp>":
                return name
    return path_tail(normalise_path(path), 1)


def path_tail(path: str, segments: int = PATH_TAIL_SEGMENTS) -> str:
    """The last ``segments`` parts of a normalised path (``shop/cart.py``)."""
    parts = [part for part in path.split("/") if part and part not in (".", "<tmp>")]
    return "/".join(parts[-segments:])


@dataclass(frozen=True, slots=True)
class CodeLocation:
    """An in-app place an error passed through: normalised path, function, line."""

    path: str
    function: str
    lineno: int | None = None


@dataclass(frozen=True, slots=True)
class Signature:
    """What identifies an error's pattern.

    ``frames`` are the signature's ``file name:function`` keys, innermost first;
    ``locations`` every in-app frame, innermost first, with its full normalised path.
    """

    exception_type: str
    message: str
    frames: tuple[str, ...]
    canonical_text: str
    pattern_hash: str
    embedding_text: str
    locations: tuple[CodeLocation, ...]


@functools.lru_cache(maxsize=8192)
def _frame_key(path: str, function: str) -> str:
    """``file name:function`` of a frame, the unit signatures compare frames by.

    Only the file's base name and the function's last dotted part are kept: a Sentry event
    names ``shop/cart.py`` and ``Cart.add`` where a pasted traceback of the same code names
    ``/srv/app/shop/cart.py`` and ``add``; both give ``cart.py:add``.
    """
    file_name = _file_name(path)
    short_function = function.strip().rsplit(".", 1)[-1] or function.strip()
    return f"{file_name}:{short_function}"


@functools.lru_cache(maxsize=8192)
def _embedding_line(path: str, function: str) -> str:
    return f"{_file_name(path)}:{function.strip()}"


def signature_of(event: ErrorEvent) -> Signature:
    """Normalise an event into its Signature (canonical text, ``pattern_hash``, embed text).

    One pass over the frames, innermost first, gives the signature's frame keys (those of the
    innermost in-app frames, repeats from recursion collapsed; an event without in-app frames
    falls back to its innermost frames of any kind), the embedder's ``file name:function``
    lines, and every in-app location.
    """
    exception_type = event.exception_type.strip() or "Error"
    message = mask_message(event.message)[:SIGNATURE_MESSAGE_CHARS]
    in_app = [frame for frame in event.frames if frame.in_app]
    chosen = in_app or list(event.frames)
    limit = SIGNATURE_FRAMES if in_app else FALLBACK_FRAMES
    keys: list[str] = []
    embedding_lines: list[str] = []
    locations: list[CodeLocation] = []
    for frame in reversed(chosen):
        path, function = frame.abs_path or frame.filename, frame.function
        if len(keys) < limit:
            key = _frame_key(path, function)
            if not keys or keys[-1] != key:
                keys.append(key)
        if len(embedding_lines) < SIGNATURE_FRAMES:
            line = _embedding_line(path, function)
            if not embedding_lines or embedding_lines[-1] != line:
                embedding_lines.append(line)
        if in_app:
            locations.append(CodeLocation(normalise_path(path), function, frame.lineno))
        elif len(keys) >= limit and len(embedding_lines) >= SIGNATURE_FRAMES:
            break
    frames = tuple(keys)
    lines = [SIGNATURE_VERSION, f"type:{exception_type}", f"message:{message}"]
    lines.extend([f"frame:{key}" for key in frames])
    canonical = "\n".join(lines)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    embedding_text = "\n".join([exception_type, message, *embedding_lines])
    return Signature(
        exception_type=exception_type,
        message=message,
        frames=frames,
        canonical_text=canonical,
        pattern_hash=f"{SIGNATURE_VERSION}:{digest}",
        embedding_text=embedding_text,
        locations=tuple(locations),
    )
