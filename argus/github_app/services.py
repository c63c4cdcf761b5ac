"""What jobs need, assembled once per process: the handlers' typed dependencies.

Handlers read these through ``ctx.services``; this module imports nothing of the dispatcher
or of the handlers, so a handler depending on it stays a leaf.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from argus.core.predict.findings import GeneratedTest
from argus.core.predict.scoring import ScoringModel
from argus.github_app.events import Event
from argus.github_app.metrics import AppMetrics
from argus.github_app.ports import GitHubPort
from argus.github_app.state import AppState

if TYPE_CHECKING:
    from argus.github_app.repo_review import RepositoryClones

TestGenerator = Callable[..., Awaitable[tuple[GeneratedTest, ...]]]
"""``generate_tests(ctx=, review=, tier=, target=)``: the tests that survived validation."""


class EventTable(Protocol):
    """The handlers of each event (``argus.github_app.dispatch.Dispatcher``)."""

    def handlers_for(self, event: Event) -> list[Callable[..., Awaitable[None]]]:
        """Return the handlers of ``event``."""
        ...


@dataclass
class Deps:
    """What jobs need, assembled once per process (by ``argus serve`` or ``argus worker``).

    ``github_for(installation_id)`` returns the installation-scoped port. ``review_model`` is
    the scoring model (None: the shipped one, loaded on first use). ``generate_tests``, when
    set, turns a review into one with generated, validated tests. ``dispatcher`` is the event
    table (``argus.github_app.routes.default_dispatcher()`` when None).
    """

    github_for: Callable[[int | None], GitHubPort]
    state: AppState
    metrics: AppMetrics = field(default_factory=AppMetrics)
    dispatcher: EventTable | None = None
    review_model: ScoringModel | None = None
    generate_tests: TestGenerator | None = None
    bot_login: str = "argus[bot]"
    max_attempts: int = 5
    """Attempts the queue gives a job (its last one completes what it started on GitHub)."""
    clones: RepositoryClones | None = None
    """Reviews on the repository's clone (None: from the API alone)."""
