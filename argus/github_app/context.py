"""The context a handler gets: the installation's GitHub client, a logger, the repo and state."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from argus.core.classify import GitAttributes
from argus.github_app.config import CONFIG_PATH, RepoConfig, parse_config
from argus.github_app.events import Event
from argus.github_app.metrics import AppMetrics
from argus.github_app.ports import GitHubPort
from argus.github_app.services import Deps
from argus.github_app.state import AppState


class DeliveryLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Prefixes every message with the delivery id, so one delivery's lines can be grepped."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        """Add the delivery id."""
        extra = self.extra or {}
        return f"[{extra.get('delivery_id', '-')}] {msg}", kwargs


@dataclass
class Context:
    """What a handler works with for one delivery."""

    event: Event
    github: GitHubPort
    state: AppState
    metrics: AppMetrics
    log: DeliveryLogger
    services: Deps
    """What jobs share (review model, test generator, bot login ...)."""
    final_attempt: bool = True
    """No retry follows this attempt (so nothing may be left in progress on GitHub)."""

    @property
    def owner(self) -> str:
        """The repository's owner login."""
        repository = self.event.repository
        return repository[0] if repository else ""

    @property
    def repo(self) -> str:
        """The repository's name."""
        repository = self.event.repository
        return repository[1] if repository else ""

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.repo}"

    @property
    def installation_id(self) -> int | None:
        """The installation the delivery came through."""
        return self.event.installation_id

    async def attributes(self, ref: str) -> GitAttributes:
        """The linguist settings of ``.gitattributes`` at ``ref`` (the PR's base): generated and
        vendored files get no findings, as in ``argus review`` on a clone."""
        text = await self.github.get_file(self.owner, self.repo, ".gitattributes", ref)
        return GitAttributes.parse(text)

    async def config(self, ref: str) -> RepoConfig:
        """``.argus.yml`` at ``ref`` (the PR's base), defaults when absent or broken."""
        text = await self.github.get_file(self.owner, self.repo, CONFIG_PATH, ref)
        config = parse_config(text)
        if config.note:
            self.log.warning("%s", config.note)
        return config
