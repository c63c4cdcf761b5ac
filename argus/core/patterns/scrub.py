"""Scrubbing: secrets and personal data leave an error before anything stores it.

Written as compiled regular expressions rather than on a library, after measuring the two
maintained candidates on a typical one-line error message (CPython 3.11, this project's machine):

- ``detect-secrets`` 1.5: 3.5 ms per line with its default plugins, and its high-entropy plugins
  flag ordinary words ("connect", "postgres") — it is built to audit repositories, not to
  rewrite text at ingestion speed, and reports values rather than spans to replace.
- ``scrubadub`` 2.0: 2.8 s to import (scikit-learn, nltk, textblob), 0.5 ms per line, and it
  missed a GitHub token while mistaking ``user:password@host`` for an e-mail address.

The ingestion budget is ≤ 0.5 ms per event for everything, so each rule is a small compiled
regex that runs only when a cheap test says it could match, and ``scrub_event`` first tests
the whole event at once: an event with nothing suspicious is not rewritten at all (only its
secret-named variables are). The shapes follow the providers' documented key formats: AWS
access key ids, GitHub ``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_`` and ``github_pat_``
tokens, Slack ``xox?-`` tokens, Stripe secret and restricted keys, Anthropic ``sk-ant-`` and
OpenAI ``sk-`` keys, Google ``AIza`` keys, JWTs, PEM private key blocks, passwords in URLs,
``Authorization``/``Bearer`` values, and values after secret-looking words (``password=``,
``token:``, ``api_key=``...), every value of a ``Cookie``/``Set-Cookie`` header. Personal
data: e-mail addresses, IPv4 and IPv6 addresses, US social security numbers, and card numbers
that pass the Luhn check (as text or as an integer variable).

**Linear time, whatever the input** (docs/security.md). Every field is cut to
``SCAN_FACTOR`` times its stored length before any expression reads it, and no expression can
backtrack more than a bounded amount per position: each one that starts with a repeated class
is anchored by a look-behind to the start of its run and repeats possessively (``++``,
Python 3.11), so a 20 KB ``a-a-a-…`` costs one pass, not 20,000. Fields are cut to their
stored length only *after* scrubbing, and a cut never leaves half a token.

**Every field** of an event is scrubbed: message, cause, exception type, release, environment,
event id, every frame's function, module, paths, code line, variable names and values (nested
ones too) and tag keys and values.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping

from argus.core.input_limits import without_lone_surrogates
from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.limits import (
    FIELD_CHARS,
    SCAN_BUDGET,
    SCAN_FACTOR,
    TRUNCATION_MARK,
    cut_text,
)

FILTERED = "[Filtered]"
EMAIL = "[email]"
IP_ADDRESS = "[ip]"
CARD = "[card]"
SSN = "[ssn]"
MAX_DEPTH = 4
MAX_ITEMS = 64  # entries kept of one nested container of a variable

_SECRET_WORD = (
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth"
    r"|credentials?|private[_-]?key|session(?:[_-]?id)?|cookie|signature|client[_-]?secret"
)
_SECRET_NAME = re.compile(
    rf"(?:{_SECRET_WORD}|csrf|xsrf|jwt|bearer|otp|ssn|cvv|card[_-]?number|dsn"
    r"|(?<![a-z])sid(?![a-z]))",
    re.IGNORECASE,
)
_ALWAYS_SECRET_NAME = re.compile(r"pass|pwd|secret|private", re.IGNORECASE)
_KEY_HINTS = re.compile(r"akia|asia|abia|acca|gh[pousr]_|github_pat|xox|[sr]k_|sk-|aiza|eyj")
_SSN_HINT = re.compile(r"\d\d\d-\d\d-\d\d\d\d")
# An e-mail's domain has a letter before its first dot ("shop@1.0.0", a release, is none).
_AT_DOMAIN = re.compile(r"@[a-z0-9-]*[a-z][a-z0-9-]*\.")
_SECRET_HINTS = re.compile(r"pass|pwd|secret|token|key|auth|credential|session|cookie|signature")
# Gates start with a literal character, which the regex engine scans for quickly.
_IPV4_HINT = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d")
_IPV6_HINT = re.compile(r":[0-9a-fA-F]{0,4}:[0-9a-fA-F]{0,4}:")
_DIGIT_RUN = re.compile(r"\d[\d -]{11,}\d")
# Either of the two above, in one pass (the gate over a whole event).
_NUMBER_HINT = re.compile(r"\d(?:[\d -]{11,}\d|\d\d-\d\d-\d\d\d\d)")

_PEM = re.compile(
    r"-----BEGIN[A-Z ]*PRIVATE KEY-----.*?(?:-----END[A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL
)
_URL_PASSWORD = re.compile(
    r"((?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*+://[^\s:/@]*+:)[^\s@/]++(?=@)"
)
_AUTHORIZATION = re.compile(
    r"(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)[^\r\n\"',;]+", re.IGNORECASE
)
_BEARER = re.compile(r"(\b(?:bearer|basic|token)\s++)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
_COOKIE = re.compile(r"(\b(?:set-)?cookie[\"']?\s*+[:=]\s*+)([^\r\n\"]++)", re.IGNORECASE)
_COOKIE_VALUE = re.compile(r"=[^;,\s]++")
_KEYS = re.compile(
    r"""
    # Prefixes distinctive enough to be found glued to a word ("Leakghp_..."):
    gh[pousr]_[A-Za-z0-9]{36,255}+
    |github_pat_[A-Za-z0-9_]{22,255}+
    |xox[abposre]-[A-Za-z0-9-]{10,}+
    |(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}+
    |sk-ant-[A-Za-z0-9_-]{20,}+
    # and the others only where a word starts:
    |(?<![A-Za-z0-9])(?:
    (?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![0-9A-Z])
    |sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}+
    |AIza[0-9A-Za-z_-]{35}
    |eyJ[A-Za-z0-9_-]{4,}+\.eyJ[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]*+
    )
    """,
    re.VERBOSE,
)
# name, separator, then a quoted value (spaces allowed) or a bare one.
# The name starts where a run of name characters starts and takes all of it (possessive):
# one attempt per run, so a long run without a separator is read once.
# The name: a whole run of name characters (possessive, and starting where the run starts):
# one attempt per run, none of it read twice: linear.
_ASSIGNMENT = re.compile(
    r"(?<![\w-])([\w-]++)([\"']?\s*+[:=]\s*+)"
    # A value already scrubbed ("[Filtered]") is left alone. A bare value that is itself a
    # name and a separator ("token: password: abc") is no value: the next attempt takes it.
    r"(?![\"']?\[)"
    r"(\"[^\"\n]{1,300}\"|'[^'\n]{1,300}'|(?![\w-]++[\"']?\s*+[:=])[^\s&\"',;<>]{4,}+)"
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w.])")
_IPV6 = re.compile(
    r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])"
    r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}:){0,5}[0-9a-fA-F]{1,4}(?![\w:])"
)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")


def _assignment(match: re.Match[str]) -> str:
    name, separator, value = match.groups()
    quote = value[0] if value[0] in "\"'" else ""
    bare = value[1:-1] if quote else value
    # A name longer than any real one is judged by its end (the part next to the separator).
    if not is_secret_name(name[-64:]) or bare.startswith("["):
        if quote and ("=" in bare or ":" in bare):
            # A quoted value holds assignments of its own ("{'db': 'password=x'}"): at most
            # 300 characters, each level shorter than the one before.
            return f"{name}{separator}{quote}{_ASSIGNMENT.sub(_assignment, bare)}{quote}"
        return match.group()
    if bare.lower() in ("none", "null", "true", "false", "undefined", ""):
        return match.group()
    if _ALWAYS_SECRET_NAME.search(name) or _looks_random(bare):
        return f"{name}{separator}{quote}{FILTERED}{quote}"
    return match.group()


def _cookie(match: re.Match[str]) -> str:
    return match.group(1) + _COOKIE_VALUE.sub(f"={FILTERED}", match.group(2))


def _card(match: re.Match[str]) -> str:
    return CARD if luhn_valid(match.group()) else match.group()


def _looks_random(value: str) -> bool:
    """Long enough and mixing letters with digits or symbols: a token, not a word."""
    if len(value) < 12:
        return False
    has_letter = any(character.isalpha() for character in value)
    has_other = any(not character.isalpha() for character in value)
    return has_letter and has_other


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_SEPARATORS = str.maketrans("", "", " -")


def luhn_valid(candidate: str) -> bool:
    """Tell whether the digits of ``candidate`` (13 to 19 of them) pass the Luhn check."""
    digits = candidate.translate(_SEPARATORS) if not candidate.isdigit() else candidate
    if not (13 <= len(digits) <= 19 and digits.isascii() and digits.isdigit()):
        return False
    total = sum(map(int, digits[-1::-2])) + sum(_DOUBLED[int(digit)] for digit in digits[-2::-2])
    return total % 10 == 0


def scrub_text(text: str) -> str:
    """Replace secrets and personal data in ``text`` with ``[Filtered]``/``[email]``/....

    Linear in ``len(text)``; callers cap the text first (``scrub_event`` does).
    """
    if len(text) < 6:
        return text
    lowered = text.lower()
    if _secret_hint(lowered):
        text = _scrub_secrets(text, lowered)
    if "." in text and _IPV4_HINT.search(text):
        text = _IPV4.sub(IP_ADDRESS, text)
    if _IPV6_HINT.search(text):
        text = _IPV6.sub(IP_ADDRESS, text)
    if len(text) >= 11 and "-" in text and _SSN_HINT.search(text):
        text = _SSN.sub(SSN, text)
    if len(text) >= 13 and _DIGIT_RUN.search(text):
        text = _CARD.sub(_card, text)
    return text


def might_hold_secrets(text: str) -> bool:
    """Cheap tests: False means no scrubbing rule can match anywhere in ``text``.

    ``scrub_event`` asks once for all the texts of an event joined together, so an event with
    nothing suspicious costs one pass instead of one per string.
    """
    return (
        _secret_hint(text.lower())
        or _IPV4_HINT.search(text) is not None
        or _IPV6_HINT.search(text) is not None
        or _NUMBER_HINT.search(text) is not None
    )


def _secret_hint(lowered: str) -> bool:
    # Plain substring tests, several times cheaper than one regex alternation of the same
    # words; narrow enough that "KeyError", "through" or "check_" do not trigger them.
    return (
        ("@" in lowered and ("://" in lowered or _AT_DOMAIN.search(lowered) is not None))
        or "pass" in lowered
        or "pwd" in lowered
        or "secret" in lowered
        or "token" in lowered
        or "auth" in lowered
        or (
            "key" in lowered
            and (
                "_key" in lowered
                or "-key" in lowered
                or "apikey" in lowered
                or "accesskey" in lowered
                or "privatekey" in lowered
                or "private key" in lowered
            )
        )
        or "bearer" in lowered
        or "basic " in lowered
        or "credential" in lowered
        or "session" in lowered
        or "cookie" in lowered
        or "signature" in lowered
        or ("k_" in lowered and ("k_live" in lowered or "k_test" in lowered))
        or "sk-" in lowered
        or "xox" in lowered
        or (
            "gh" in lowered
            and (
                "ghp_" in lowered
                or "gho_" in lowered
                or "ghs_" in lowered
                or "ghu_" in lowered
                or "ghr_" in lowered
            )
        )
        or "github_pat" in lowered
        or "aiza" in lowered
        or "eyj" in lowered
        or "akia" in lowered
        or "asia" in lowered
        or "abia" in lowered
        or "acca" in lowered
    )


def _scrub_secrets(text: str, lowered: str) -> str:
    if "private key" in lowered:
        text = _PEM.sub(FILTERED, text)
    has_at = "@" in text
    if has_at and "://" in text:
        text = _URL_PASSWORD.sub(rf"\g<1>{FILTERED}", text)
    if "authoriz" in lowered:
        text = _AUTHORIZATION.sub(rf"\g<1>{FILTERED}", text)
    if "bearer" in lowered or "basic" in lowered or "token" in lowered:
        text = _BEARER.sub(rf"\g<1>{FILTERED}", text)
    if "cookie" in lowered:
        text = _COOKIE.sub(_cookie, text)
    if _KEY_HINTS.search(lowered):
        text = _KEYS.sub(FILTERED, text)
    if ("=" in text or ":" in text) and _SECRET_HINTS.search(lowered):
        text = _ASSIGNMENT.sub(_assignment, text)
    if has_at:
        text = _EMAIL.sub(EMAIL, text)
    return text


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Tell whether a variable or key name suggests it holds a secret."""
    return _SECRET_NAME.search(name) is not None


def scrub_value(value: object, depth: int = 0) -> object:
    """Scrub a frame-local or extra value: text scrubbed, containers walked, secret keys cut.

    An integer of 13 to 19 digits that passes the Luhn check is a card number (``[card]``).
    """
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return CARD if 10**12 <= abs(value) < 10**19 and luhn_valid(str(abs(value))) else value
    if depth >= MAX_DEPTH:
        return value if isinstance(value, float | bool) or value is None else FILTERED
    if isinstance(value, Mapping):
        return scrub_mapping(value, depth + 1)
    if isinstance(value, list | tuple):
        return [scrub_value(item, depth + 1) for item in value]
    return value


def scrub_mapping(mapping: Mapping[str, object], depth: int = 0) -> dict[str, object]:
    """Scrub a name → value mapping: values under secret-looking names become ``[Filtered]``,
    the names themselves are scrubbed like text."""
    return {
        scrub_text(str(name)): FILTERED if is_secret_name(str(name)) else scrub_value(value, depth)
        for name, value in mapping.items()
    }


def scrub_frame(frame: Frame) -> Frame:
    """A copy of ``frame`` with every text it carries scrubbed (and its variables)."""
    return Frame(
        function=scrub_text(frame.function),
        filename=scrub_text(frame.filename),
        module=scrub_text(frame.module) if frame.module else frame.module,
        abs_path=scrub_text(frame.abs_path) if frame.abs_path else frame.abs_path,
        lineno=frame.lineno,
        in_app=frame.in_app,
        context_line=scrub_text(frame.context_line) if frame.context_line else None,
        vars=scrub_mapping(frame.vars) if frame.vars else {},
    )


def scrub_event(event: ErrorEvent) -> ErrorEvent:
    """A copy of ``event`` with secrets and personal data removed from every text it carries.

    Every field is first cut to ``SCAN_FACTOR`` times its stored length (and made encodable:
    a lone surrogate is written as its escape), then scrubbed, then cut to its stored length
    (``FIELD_CHARS``). Frame-local variables under secret-looking names are always
    ``[Filtered]``; the texts themselves are only rewritten when the event as a whole holds
    something to scrub.
    """
    texts = _plain_texts(event)
    joined = "\n".join(texts) if texts is not None else ""
    # The common case: every field within its stored length, plain variables, encodable text.
    within = texts is not None and len(joined) <= SCAN_BUDGET and _encodable(joined)
    if not within:
        event = bound_event(event)
        joined = "\n".join(_all_texts(event))
    if not might_hold_secrets(joined):
        clean = _filter_secret_names(event)
        return clean if within else finish_scrubbed(clean)
    return finish_scrubbed(
        dataclasses.replace(
            event,
            exception_type=scrub_text(event.exception_type),
            message=scrub_text(event.message),
            cause=scrub_text(event.cause) if event.cause else event.cause,
            release=scrub_text(event.release) if event.release else event.release,
            environment=scrub_text(event.environment) if event.environment else event.environment,
            raw_id=scrub_text(event.raw_id) if event.raw_id else event.raw_id,
            frames=tuple(scrub_frame(frame) for frame in event.frames),
            extra={
                scrub_text(name): FILTERED if is_secret_name(name) else scrub_text(value)
                for name, value in event.extra.items()
            },
        )
    )


class _Scan:
    """Cuts an event's fields to what scrubbing reads: each field to ``SCAN_FACTOR`` times its
    stored length, and all of them together to ``SCAN_BUDGET`` characters (fields are taken
    in order of importance: the error itself, then the frames' names and paths, code lines
    and variables, each innermost first)."""

    def __init__(self, budget: int) -> None:
        self.remaining = budget

    def text(self, text: str, field: str) -> str:
        limit = min(FIELD_CHARS[field] * SCAN_FACTOR, self.remaining)
        cut = without_lone_surrogates(cut_text(text, limit) if limit > 0 else "")
        self.remaining = max(0, self.remaining - len(cut))
        return cut

    def optional(self, text: str | None, field: str) -> str | None:
        return self.text(text, field) if text else text

    def value(self, value: object, depth: int) -> object:
        """A variable's value: texts, containers' sizes and depth bounded."""
        if isinstance(value, str):
            return self.text(value, "var_value")
        if isinstance(value, int | float | bool) or value is None:
            return value
        if depth >= MAX_DEPTH:
            return FILTERED
        if isinstance(value, Mapping):
            return {
                self.text(str(name), "var_name"): self.value(item, depth + 1)
                for name, item in list(value.items())[:MAX_ITEMS]
            }
        if isinstance(value, list | tuple):
            return [self.value(item, depth + 1) for item in list(value)[:MAX_ITEMS]]
        return self.text(str(value), "var_value")

    def frames(self, frames: tuple[Frame, ...]) -> tuple[Frame, ...]:
        """Frames cut in three passes, each innermost first: what identifies a frame
        (function, module, paths), then code lines, then variables; so a big frame's
        variables never starve another frame's name."""
        inner_first = list(reversed(frames))
        names = [
            (
                self.text(frame.function, "function"),
                self.optional(frame.module, "module"),
                self.text(frame.filename, "filename"),
                self.optional(frame.abs_path, "abs_path"),
            )
            for frame in inner_first
        ]
        lines = [self.optional(frame.context_line, "context_line") for frame in inner_first]
        variables = [
            {
                self.text(str(name), "var_name"): self.value(value, 0)
                for name, value in list(frame.vars.items())[:MAX_ITEMS]
            }
            if frame.vars
            else {}
            for frame in inner_first
        ]
        bounded = [
            Frame(
                function=function,
                filename=filename,
                module=module,
                abs_path=abs_path,
                lineno=frame.lineno,
                in_app=frame.in_app,
                context_line=line or None,
                vars=frame_vars,
            )
            for frame, (function, module, filename, abs_path), line, frame_vars in zip(
                inner_first, names, lines, variables, strict=True
            )
        ]
        return tuple(reversed(bounded))


def bound_event(event: ErrorEvent, budget: int = SCAN_BUDGET) -> ErrorEvent:
    """``event`` with every field cut to what scrubbing reads, before any regex reads it.

    Each field is cut to ``SCAN_FACTOR`` times its stored length and all of them together to
    ``budget`` characters, which bounds the time any event can cost the scrubber. Also writes
    each lone surrogate as its escape, so every field encodes as UTF-8.
    """
    scan = _Scan(budget)
    exception_type = scan.text(event.exception_type, "exception_type")
    message = scan.text(event.message, "message")
    cause = scan.optional(event.cause, "cause")
    release = scan.optional(event.release, "release")
    environment = scan.optional(event.environment, "environment")
    raw_id = scan.optional(event.raw_id, "raw_id")
    extra = {
        scan.text(str(name), "tag_key"): scan.text(str(value), "tag_value")
        for name, value in list(event.extra.items())[:MAX_ITEMS]
    }
    frames = scan.frames(event.frames)
    return dataclasses.replace(
        event,
        exception_type=exception_type,
        message=message,
        cause=cause,
        release=release,
        environment=environment,
        raw_id=raw_id,
        tenant=without_lone_surrogates(event.tenant) if event.tenant else event.tenant,
        platform=without_lone_surrogates(cut_text(event.platform, 64)),
        source_format=without_lone_surrogates(cut_text(event.source_format, 64)),
        frames=frames,
        extra=extra,
    )


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _all_texts(event: ErrorEvent) -> list[str]:
    """Every text of ``event``, nested variables and card-sized integers included."""
    texts: list[str] = [
        event.message,
        event.cause or "",
        event.exception_type,
        event.release or "",
        event.environment or "",
        event.raw_id or "",
    ]
    texts.extend(event.extra)
    texts.extend(event.extra.values())
    for frame in event.frames:
        texts.extend(
            (
                frame.function,
                frame.module or "",
                frame.filename,
                frame.abs_path or "",
                frame.context_line or "",
            )
        )
        _collect_texts(frame.vars, texts, 0)
    return texts


def _plain_texts(event: ErrorEvent, factor: int = 1) -> list[str] | None:
    """Every text of ``event`` when each field is within ``factor`` times its stored length
    and every variable is a plain value (then cutting would change nothing); else None.

    One pass, no copy: the check the common case pays instead of cutting."""
    limits = FIELD_CHARS
    texts: list[str] = []
    for text, field in (
        (event.exception_type, "exception_type"),
        (event.message, "message"),
        (event.cause, "cause"),
        (event.release, "release"),
        (event.environment, "environment"),
        (event.raw_id, "raw_id"),
    ):
        if text:
            if len(text) > limits[field] * factor:
                return None
            texts.append(text)
    if len(event.extra) > MAX_ITEMS:
        return None
    key_limit, value_limit = limits["tag_key"] * factor, limits["tag_value"] * factor
    for name, value in event.extra.items():
        if len(name) > key_limit or len(value) > value_limit:
            return None
        texts.append(name)
        texts.append(value)
    name_limit, var_limit = limits["var_name"] * factor, limits["var_value"] * factor
    function_limit, module_limit = limits["function"] * factor, limits["module"] * factor
    path_limit, line_limit = limits["filename"] * factor, limits["context_line"] * factor
    for frame in event.frames:
        if (
            len(frame.function) > function_limit
            or len(frame.filename) > path_limit
            or (frame.module and len(frame.module) > module_limit)
            or (frame.abs_path and len(frame.abs_path) > path_limit)
            or (frame.context_line and len(frame.context_line) > line_limit)
        ):
            return None
        # A short identifier can hold no secret the rules know (the shortest, an AWS key
        # id, is 20 characters): the gate need not read it.
        if len(frame.function) >= 20 or not frame.function.isidentifier():
            texts.append(frame.function)
        texts.append(frame.filename)
        if frame.module:
            texts.append(frame.module)
        if frame.abs_path:
            texts.append(frame.abs_path)
        if frame.context_line:
            texts.append(frame.context_line)
        if not frame.vars:
            continue
        if len(frame.vars) > MAX_ITEMS:
            return None
        for var_name, var_value in frame.vars.items():
            if len(var_name) > name_limit:
                return None
            if len(var_name) >= 20 or not var_name.isidentifier():
                texts.append(var_name)
            if isinstance(var_value, str):
                if len(var_value) > var_limit:
                    return None
                texts.append(var_value)
            elif isinstance(var_value, int) and not isinstance(var_value, bool):
                if abs(var_value) >= 10**12:  # a card number, maybe
                    texts.append(str(var_value))
            elif not (isinstance(var_value, float) or var_value is None):
                return None
    return texts


def _stored(text: str, field: str) -> str:
    return cut_text(text, FIELD_CHARS[field])


def _stored_value(value: object) -> object:
    """A scrubbed variable's value as stored: text of at most ``var_value`` characters."""
    if isinstance(value, str):
        return _stored(value, "var_value")
    if isinstance(value, int | float | bool) or value is None:
        return value
    return _stored(str(value), "var_value")


def finish_scrubbed(event: ErrorEvent) -> ErrorEvent:
    """The scrubbed ``event`` with each field cut to its stored length (``FIELD_CHARS``)."""
    if _plain_texts(event) is not None:
        return event
    message = cut_text(event.message, FIELD_CHARS["message"], TRUNCATION_MARK)
    frames = tuple(
        Frame(
            function=_stored(frame.function, "function"),
            filename=_stored(frame.filename, "filename"),
            module=_stored(frame.module, "module") if frame.module else frame.module,
            abs_path=_stored(frame.abs_path, "abs_path") if frame.abs_path else frame.abs_path,
            lineno=frame.lineno,
            in_app=frame.in_app,
            context_line=(
                _stored(frame.context_line, "context_line")
                if frame.context_line
                else frame.context_line
            ),
            vars={
                _stored(name, "var_name"): _stored_value(value)
                for name, value in frame.vars.items()
            }
            if frame.vars
            else {},
        )
        for frame in event.frames
    )
    return dataclasses.replace(
        event,
        exception_type=_stored(event.exception_type, "exception_type"),
        message=message,
        message_truncated=event.message_truncated or message != event.message,
        cause=_stored(event.cause, "cause") if event.cause else event.cause,
        release=_stored(event.release, "release") if event.release else event.release,
        environment=(
            _stored(event.environment, "environment") if event.environment else event.environment
        ),
        raw_id=_stored(event.raw_id, "raw_id") if event.raw_id else event.raw_id,
        frames=frames,
        extra={
            _stored(name, "tag_key"): _stored(value, "tag_value")
            for name, value in event.extra.items()
        },
    )


def _collect_texts(value: object, into: list[str], depth: int) -> None:
    if isinstance(value, str):
        into.append(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        if 10**12 <= abs(value) < 10**19:
            into.append(str(value))
    elif depth < MAX_DEPTH and isinstance(value, Mapping):
        for name, item in value.items():
            into.append(str(name))
            _collect_texts(item, into, depth + 1)
    elif depth < MAX_DEPTH and isinstance(value, list | tuple):
        for item in value:
            _collect_texts(item, into, depth + 1)


def _filter_secret_names(event: ErrorEvent) -> ErrorEvent:
    """The event with only secret-named variables and tags replaced (no text to scrub)."""
    if not event.extra and not any(frame.vars for frame in event.frames):
        return event
    frames = tuple(
        _with_vars(frame, _filter_names(frame.vars, 0)) if frame.vars else frame
        for frame in event.frames
    )
    extra = {
        name: FILTERED if is_secret_name(name) else value for name, value in event.extra.items()
    }
    return dataclasses.replace(event, frames=frames, extra=extra)


def _with_vars(frame: Frame, variables: dict[str, object]) -> Frame:
    # Direct construction: dataclasses.replace costs several times more per frame.
    return Frame(
        function=frame.function,
        filename=frame.filename,
        module=frame.module,
        abs_path=frame.abs_path,
        lineno=frame.lineno,
        in_app=frame.in_app,
        context_line=frame.context_line,
        vars=variables,
    )


def _filter_names(mapping: Mapping[str, object], depth: int) -> dict[str, object]:
    filtered: dict[str, object] = {}
    for name, value in mapping.items():
        if is_secret_name(str(name)):
            filtered[str(name)] = FILTERED
        elif isinstance(value, Mapping) and depth < MAX_DEPTH:
            filtered[str(name)] = _filter_names(value, depth + 1)
        elif isinstance(value, list | tuple) and depth < MAX_DEPTH:
            filtered[str(name)] = [
                _filter_names(item, depth + 1) if isinstance(item, Mapping) else item
                for item in value
            ]
        else:
            filtered[str(name)] = value
    return filtered
