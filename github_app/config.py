"""A repository's ``.argus.yml``, read at the PR's base so a PR cannot lower its own bar.

A broken file gives the defaults plus a note (shown in the check run), never an error.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

import yaml

from core.predict.findings import LevelThresholds, RiskLevel
from core.router.generation import Tier

CONFIG_PATH = ".argus.yml"
_KEYS = {"thresholds", "fail_on", "ignore", "languages", "generate_tests", "max_tier"}


@dataclass(frozen=True)
class RepoConfig:
    """What ``.argus.yml`` sets; every field has a default.

    ``fail_on`` is the risk level (``medium`` or ``high``) at or above which the check run
    concludes ``failure``; None keeps the conclusion ``neutral``.
    """

    thresholds: LevelThresholds = field(default_factory=LevelThresholds)
    fail_on: RiskLevel | None = None
    ignore: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    generate_tests: bool = False
    max_tier: Tier | None = None
    note: str | None = None

    def ignores(self, path: str, extra: tuple[str, ...] | list[str] = ()) -> bool:
        """Whether ``path`` matches an ignore glob (the file's or ``extra`` ones)."""
        return any(fnmatch.fnmatch(path, glob) for glob in (*self.ignore, *extra))


def parse_config(text: bytes | None) -> RepoConfig:
    """The config in ``text``; defaults when absent; defaults plus a ``note`` when broken."""
    if text is None:
        return RepoConfig()
    try:
        return _parse(text)
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, TypeError) as error:
        message = " ".join(str(error).split())
        return RepoConfig(note=f"{CONFIG_PATH} could not be used ({message}); defaults apply")


def _parse(text: bytes) -> RepoConfig:
    data = yaml.safe_load(text.decode("utf-8"))
    if data is None:
        return RepoConfig()
    if not isinstance(data, dict):
        raise ValueError("the file must be a mapping of settings")
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r}; known: {', '.join(sorted(_KEYS))}")
    thresholds = LevelThresholds()
    if "thresholds" in data:
        raw = data["thresholds"]
        if not isinstance(raw, dict):
            raise ValueError("thresholds must map medium/high to numbers between 0 and 1")
        medium = float(raw.get("medium", thresholds.medium))
        high = float(raw.get("high", thresholds.high))
        if not 0 <= medium <= high <= 1:
            raise ValueError("thresholds need 0 <= medium <= high <= 1")
        thresholds = LevelThresholds(medium=medium, high=high)
    fail_on = None
    if data.get("fail_on") is not None:
        fail_on = RiskLevel(str(data["fail_on"]).lower())
    max_tier = Tier(str(data["max_tier"]).lower()) if data.get("max_tier") else None
    generate_tests = data.get("generate_tests", False)
    if not isinstance(generate_tests, bool):
        raise ValueError("generate_tests must be true or false")
    return RepoConfig(
        thresholds=thresholds,
        fail_on=fail_on,
        ignore=_strings(data.get("ignore"), "ignore"),
        languages=tuple(s.lower() for s in _strings(data.get("languages"), "languages")),
        generate_tests=generate_tests,
        max_tier=max_tier,
    )


def _strings(value: object, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{name} must be a list of strings")
    return tuple(value)
