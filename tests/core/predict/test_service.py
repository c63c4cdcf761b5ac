"""The review service: one place gathers history, the model in use and production errors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from argus.core.diff import changeset_for_review
from argus.core.diff.blobs import read_blobs, read_worktree_files
from argus.core.predict.adapt import Adaptation, save_adaptation
from argus.core.predict.findings import LevelThresholds
from argus.core.predict.history import repository_id
from argus.core.predict.review import Sources
from argus.core.predict.service import ChangeAuthor, ReviewService, ServiceOptions, shipped_model
from argus.core.store.sqlite import SQLiteStore

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Tester",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}

ORIGINAL = "def total(items):\n    return sum(items)\n"
EDITED = (
    "def total(items):\n    if not items:\n        return 0\n    return sum(items) / len(items)\n"
)


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV, "HOME": str(repo)}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def edited_repository(root: Path) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "ada@example.com")
    (root / "m.py").write_text(ORIGINAL)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial import")
    (root / "m.py").write_text(EDITED)
    return root


def change_of(repo: Path):
    changeset = changeset_for_review(repo, "HEAD", None)
    sources = Sources(
        old=read_blobs(repo, "HEAD", ["m.py"]), new=read_worktree_files(repo, ["m.py"])
    )
    return changeset, sources


def test_a_repository_review_uses_its_history_and_the_editing_user(tmp_path: Path) -> None:
    repo = edited_repository(tmp_path / "repo")
    changeset, sources = change_of(repo)
    with ReviewService(repo, store_path=tmp_path / "argus.db") as service:
        assert service.author_of(changeset).email == "ada@example.com"
        review = service.review(changeset, sources)
        assert service.history() is not None
    assert [s.name for s in review.symbols] == ["total"]
    assert review.model_version == shipped_model().version
    assert review.warnings == ()


def test_a_broken_adaptation_is_a_warning_and_the_shipped_model_scores(tmp_path: Path) -> None:
    repo = edited_repository(tmp_path / "repo")
    store_path = tmp_path / "argus.db"
    adaptation = Adaptation(
        intercept=0.5,
        slope=1.0,
        weights={},
        cutoff_time=1,
        cutoff_seq=1,
        samples=10,
        positives=3,
    )
    with SQLiteStore.open(store_path) as store:
        save_adaptation(store, repository_id(store, repo), adaptation)
    changeset, sources = change_of(repo)
    with ReviewService(repo, store_path=store_path) as service:
        adapted = service.review(changeset, sources)
    assert adapted.model_version.endswith("+repo@1")

    with SQLiteStore.open(store_path) as store:
        store.connection.execute("UPDATE model_adaptations SET payload = '{not json'")
        store.connection.commit()
    with ReviewService(repo, store_path=store_path) as service:
        review = service.review(changeset, sources)
    assert review.model_version == shipped_model().version
    assert any("could not be read" in warning for warning in review.warnings)


def test_without_a_repository_the_change_alone_is_reviewed(tmp_path: Path) -> None:
    repo = edited_repository(tmp_path / "repo")
    changeset, sources = change_of(repo)
    service = ReviewService(None)
    strict = ServiceOptions(thresholds=LevelThresholds(medium=0.0001, high=0.0002))
    review = service.review(changeset, sources, strict)
    assert service.history() is None
    assert review.level.value == "high"
    assert service.production_errors(["m.py"]) == {}


def test_an_author_given_is_the_one_the_history_features_use(tmp_path: Path) -> None:
    repo = edited_repository(tmp_path / "repo")
    changeset, sources = change_of(repo)
    with ReviewService(repo, store_path=tmp_path / "argus.db") as service:
        service.start_history_sync()
        stranger = service.review(
            changeset, sources, ServiceOptions(author=ChangeAuthor("new@example.com", 2**31))
        )
        owner = service.review(changeset, sources)
    assert stranger.symbols[0].probability != owner.symbols[0].probability
