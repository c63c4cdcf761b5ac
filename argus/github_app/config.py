"""A repository's ``.argus.yml``, read at the PR's base so a PR cannot lower its own bar.

The file is read by core's one loader (:mod:`argus.core.config`), the same the CLI and the editor
use. A broken file gives the defaults plus a note naming each mistake and its line (shown in the
check run), so the review still runs.
"""

from __future__ import annotations

from argus.core.config import CONFIG_PATH, ConfigFileError, RepoConfig, load_config

__all__ = ["CONFIG_PATH", "RepoConfig", "parse_config"]


def parse_config(text: bytes | None) -> RepoConfig:
    """The config in ``text``; defaults when absent; defaults plus a ``note`` when broken."""
    try:
        return load_config(text)
    except ConfigFileError as error:
        mistakes = "; ".join(str(problem) for problem in error.problems)
        return RepoConfig(note=f"{CONFIG_PATH} could not be used ({mistakes}); defaults apply")
