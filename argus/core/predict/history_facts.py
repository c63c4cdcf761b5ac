"""History facts for one review, answered from the HistoryIndex (the review's HistoryFacts)."""

from __future__ import annotations

from argus.core.predict.history import HistoryIndex, file_history, function_history
from argus.core.predict.review import FileHistoryFacts, FunctionHistoryFacts

_DAY = 86_400


class IndexedHistory:
    """Answers the review's history questions about files and functions before ``when``."""

    def __init__(
        self, index: HistoryIndex, author_email: str, when: int, *, strictly_before: bool = False
    ):
        """Facts from commits made up to ``when`` (Unix time), or strictly before it (a range
        whose first commit is dated ``when``)."""
        self.index = index
        self.author_email = author_email
        self.when = when
        # A change reviewed now comes after the commits made in the same second (a review right
        # after a commit must see it); a range's first commit does not come after itself.
        self._until = when if strictly_before else when + 1

    def file_facts(self, path: str) -> FileHistoryFacts:
        """Developers, changes, age, fix commits and the author's own changes of one file."""
        history = file_history(self.index, path, self._until)
        if not history.commits:
            return FileHistoryFacts()
        last = history.last_changed_at or self.when
        return FileHistoryFacts(
            developers=history.authors,
            changes=history.commits,
            age_days=max(0.0, (self.when - last) / _DAY),
            fix_commits=history.fix_commits,
            author_changes=history.author_commits.get(self.author_email, 0),
        )

    def function_facts(self, path: str, name: str) -> FunctionHistoryFacts:
        """How often the function was changed (by fix commits: in all and in the last year), and
        how long ago it last was."""
        history = function_history(self.index, path, name, self._until)
        last = history.last_changed
        return FunctionHistoryFacts(
            fix_touches=history.fix_touches,
            fix_touches_last_year=history.fix_touches_last_year,
            touches=history.touches,
            days_since_change=None if last is None else max(0.0, (self.when - last) / _DAY),
        )
