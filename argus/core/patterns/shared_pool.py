"""The cross-tenant shared pool: anonymised signatures, visible once enough tenants saw them.

Nothing else crosses tenants. A tenant that opts in contributes, per pattern, only an
anonymised signature: the exception type's class name (no module path), the masked message
with every remaining literal stripped, and the bare function names of the signature frames (no
file names, no paths, no code, no variables). It is keyed by its own hash, so the same bug in
two tenants' code bases meets under one key. Another tenant sees it (in ``search``, marked
``shared``) only once at least :data:`MIN_TENANTS` distinct tenants contributed it.
"""

from __future__ import annotations

import hashlib
import re

from argus.core.patterns.normalise import Signature
from argus.core.patterns.scrub import scrub_text
from argus.core.patterns.store import SharedSignature

SHARED_NAMESPACE = "__shared__"
MIN_TENANTS = 3
SHARED_VERSION = "s1"

# What may survive in a shared message: words, punctuation and the masks (<number>, <str>...).
_LITERAL = re.compile(
    r"""
    \[[a-z]+\]                    # scrubber marks: [email], [ip], [card], [Filtered]
    |[\w<>=-]*[\w=-]<[a-z]+>[\w<>=-]*   # a mask glued to other characters (tok_<id>)
    |[\w<>=-]*<[a-z]+>[\w=-][\w<>=-]*
    |\S*[/\\]\S*                  # anything with a path separator
    |\S*\d\S*                     # anything still holding a digit
    |\S+\.\S+                     # dotted names: modules, hosts, file names
    |`[^`]*`                      # back-quoted code
    """,
    re.VERBOSE | re.IGNORECASE,
)
_MASK = re.compile(r"<[a-z]+>")
_SPACES = re.compile(r"\s+")


def strip_literals(masked_message: str) -> str:
    """A masked message with every remaining literal replaced by ``<value>``.

    The normaliser's masks already replaced numbers, quoted values, paths, ids, addresses and
    e-mail addresses; here anything still carrying a digit, a path separator or a dot, and
    scrubber marks, go too. Masks themselves stay.
    """
    text = scrub_text(masked_message)
    parts: list[str] = []
    position = 0
    for match in _LITERAL.finditer(text):
        parts.append(text[position : match.start()])
        token = match.group()
        parts.append(token if _MASK.fullmatch(token) else "<value>")
        position = match.end()
    parts.append(text[position:])
    return _SPACES.sub(" ", "".join(parts)).strip()


def anonymise(signature: Signature) -> SharedSignature:
    """The anonymised signature a sharing tenant contributes for one pattern."""
    exception_type = signature.exception_type.rsplit(".", 1)[-1].strip() or "Error"
    message = strip_literals(signature.message)
    functions = tuple(_function_name(key) for key in signature.frames)
    return _shared(exception_type, message, functions)


def anonymise_stored(exception_type: str, message: str, frames: list[str]) -> SharedSignature:
    """The same as :func:`anonymise`, from a stored pattern's columns."""
    return _shared(
        exception_type.rsplit(".", 1)[-1].strip() or "Error",
        strip_literals(message),
        tuple(_function_name(key) for key in frames),
    )


def shared_text(shared: SharedSignature) -> str:
    """The text embedded for a shared pattern (and for a query against the pool)."""
    return "\n".join([shared.exception_type, shared.message, *shared.functions])


def _shared(exception_type: str, message: str, functions: tuple[str, ...]) -> SharedSignature:
    canonical = "\n".join([SHARED_VERSION, exception_type, message, *functions])
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return SharedSignature(f"{SHARED_VERSION}:{digest}", exception_type, message, functions)


def _function_name(frame_key: str) -> str:
    """``cart.py:load_user`` → ``load_user`` (the file name is dropped)."""
    return frame_key.rsplit(":", 1)[-1]
