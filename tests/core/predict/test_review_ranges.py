"""A range of commits is scored from each commit's own author, message and date, and the
review's functions are listed in the localisation ranker's order."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from argus.core.diff import changeset_for_review
from argus.core.diff.blobs import read_blobs
from argus.core.predict.findings import Factor
from argus.core.predict.localisation import CandidateFunction, localisation_shares, shipped_ranker
from argus.core.predict.review import Sources
from argus.core.predict.service import ReviewService, shipped_model

DAY = 86_400
T0 = 1_700_000_000


class Recording:
    """The shipped model, remembering the change features it was asked about."""

    def __init__(self) -> None:
        self.inner = shipped_model()
        self.version = self.inner.version
        self.seen: list[dict[str, float]] = []

    def predict(self, features: Mapping[str, float]) -> float:
        return self.inner.predict(features)

    def explain(self, features: Mapping[str, float], top: int = 3) -> list[Factor]:
        return self.inner.explain(features, top)

    def assess(self, features: Mapping[str, float], top: int = 3) -> tuple[float, Sequence[Factor]]:
        self.seen.append(dict(features))
        return self.inner.assess(features, top)

    def assess_many(
        self, rows: Sequence[Mapping[str, float]], top: int = 3
    ) -> list[tuple[float, Sequence[Factor]]]:
        return [self.assess(row, top) for row in rows]


def commit(repo: Path, email: str, when: int, message: str, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).write_text(text)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": email.split("@")[0],
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": "ci",
        "GIT_COMMITTER_EMAIL": "ci@example.com",
        "GIT_AUTHOR_DATE": f"@{when} +0000",
        "GIT_COMMITTER_DATE": f"@{when} +0000",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(repo),
    }
    for args in (["add", "-A"], ["commit", "-qm", message]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def functions(count: int, body: str = "return x") -> str:
    return "".join(f"def f{n}(x):\n    {body}\n\n\n" for n in range(count))


def branch_repository(root: Path, head_email: str, head_message: str) -> Path:
    """main: six commits by ann; branch: two by ann, then the head commit given."""
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    for n in range(6):
        commit(root, "ann@example.com", T0 + n * DAY, f"work {n}", {"m.py": functions(3 + n)})
    subprocess.run(["git", "-C", str(root), "checkout", "-qb", "topic"], check=True)
    base = functions(8)
    commit(root, "ann@example.com", T0 + 10 * DAY, "add g", {"m.py": base + functions(1, "x")})
    commit(root, "ann@example.com", T0 + 11 * DAY, "add h", {"n.py": functions(2)})
    commit(root, head_email, T0 + 12 * DAY, head_message, {"n.py": functions(2, "return 2")})
    return root


def review_range(repo: Path, store: Path) -> tuple[dict[str, float], object]:
    changeset = changeset_for_review(repo, "main", "HEAD")
    paths = [f.path for f in changeset.files]
    sources = Sources(
        old=read_blobs(repo, changeset.base or "main", paths),
        new=read_blobs(repo, "HEAD", paths),
    )
    model = Recording()
    with ReviewService(repo, store_path=store, model=model) as service:
        review = service.review(changeset, sources)
    return model.seen[-1], review


def test_a_fix_head_commit_does_not_make_the_branch_a_bug_fix(tmp_path: Path) -> None:
    repo = branch_repository(tmp_path / "repo", "ann@example.com", "fix: typo")
    features, review = review_range(repo, tmp_path / "argus.db")
    assert features["fix"] == pytest.approx(1 / 3)  # one commit of three is a fix
    texts = [f.text for f in review.factors] + [  # type: ignore[attr-defined]
        f.text
        for s in review.symbols  # type: ignore[attr-defined]
        for f in s.factors
    ]
    assert "a bug-fix change" not in texts


def test_a_bot_head_commit_does_not_lend_its_experience(tmp_path: Path) -> None:
    repo = branch_repository(
        tmp_path / "repo", "49699333+dependabot[bot]@users.noreply.github.com", "Bump x"
    )
    features, _ = review_range(repo, tmp_path / "argus.db")
    # ann made the six commits before the branch; the bot none: the mean over the three.
    assert features["exp"] == pytest.approx((6 + 6 + 0) / 3)
    assert features["fix"] == 0.0
    # What the change touches comes from the whole diff.
    assert features["nf"] == 2.0


def test_the_review_lists_functions_in_the_rankers_order(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    commit(repo, "ann@example.com", T0, "start", {"a.py": functions(2), "test_a.py": ""})
    subprocess.run(["git", "-C", str(repo), "checkout", "-qb", "topic"], check=True)
    big_test = "def test_big():\n" + "".join(f"    assert {n}\n" for n in range(30))
    code = "def f0(x):\n    y = x + 1\n    return y * 2\n\n\ndef f1(x):\n    return x\n"
    commit(repo, "ann@example.com", T0 + DAY, "edit", {"a.py": code, "test_a.py": big_test})
    _, review = review_range(repo, tmp_path / "argus.db")
    names = [s.name for s in review.symbols]  # type: ignore[attr-defined]
    # Most changed lines first would put the 31-line test first; the ranker puts code first.
    assert names[0] == "f0"
    # The lines outside functions are blank ones: below even the test.
    assert names[-2:] == ["test_big", "(file)"]
    candidates = {
        "f0": CandidateFunction(4, 1, "code", 1, 0, 1.0, 1, 0, 8),
        "test_big": CandidateFunction(31, 1, "test", 0, 0, None, 1, 0, 0),
    }
    shares = dict(
        zip(
            candidates,
            localisation_shares(shipped_ranker(), list(candidates.values())),
            strict=True,
        )
    )
    assert shares["f0"] > shares["test_big"]
    # Shares of one change split its risk: the functions' risks add up to the change's.
    total = sum(s.probability for s in review.symbols)  # type: ignore[attr-defined]
    assert total == pytest.approx(review.probability, rel=1e-6)  # type: ignore[attr-defined]
