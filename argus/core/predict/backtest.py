"""Score every historical commit as the model would have scored it on the day it was made.

Leakage rules (what commit ``s`` may see, ``s`` being its position in history):

- its 14 features come only from commits before ``s`` (author experience, file authors, ages,
  unique changes); its own size, files and message are its own;
- its extra features (fixes and known bugs in its files) count only fix commits before ``s``
  and SZZ labels whose *fix* commit is before ``s``;
- the adaptation applied to it was fitted at the latest refit point ``r <= s`` on commits
  before ``r``, with a commit counted as bug-introducing only when the fix that revealed it is
  before ``r``; and it is applied only when, on those same labels, it beat the shipped model
  on the newest commits before ``r`` (as ``argus learn`` decides). Refits happen every
  ``refit_every`` commits, never per commit.

The ``buggy`` field is the ground truth as known today (any label, any time) and is there only
for evaluation; nothing that produced ``risk`` read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from argus.core.predict import szz
from argus.core.predict.adapt import (
    EVALUATION_FRACTION,
    KEEP_MARGIN,
    Adaptation,
    CommitSample,
    auc,
    commit_samples,
    fit,
)
from argus.core.predict.features import RiskModel
from argus.core.predict.findings import LevelThresholds
from argus.core.predict.history import HistoryIndex
from argus.core.store.sqlite import SQLiteStore

_NEVER = 1 << 62


def score_history(
    store: SQLiteStore,
    repo_root: Path | str,
    model: RiskModel,
    *,
    refit_every: int = 200,
    thresholds: LevelThresholds | None = None,
    workers: int = 4,
) -> Iterator[dict[str, object]]:
    """Yield, for each non-merge commit in order, its time-aware risk and features.

    Each item: ``sha, time, author, risk, level, shipped_risk, adapted`` (whether an adaptation
    was applied), the 14 features, ``file_fixes``/``file_bugs`` (log1p), ``fix`` (bool) and
    ``buggy`` (bool). A shallow clone's boundary commits are history, not changes: not scored.
    """
    bands = thresholds or LevelThresholds()
    index = HistoryIndex.sync(store, repo_root)
    szz.label(index, workers=workers)
    first_fix = szz.first_fix_seq(index)
    seen: list[CommitSample] = []
    adaptation: Adaptation | None = None
    for sample in commit_samples(index, model, first_fix):
        if refit_every > 0 and seen and len(seen) % refit_every == 0:
            adaptation = _refit(index, seen, first_fix, sample.seq)
        commit = index.commits[sample.seq]
        risk = sample.shipped
        if adaptation is not None:
            risk = adaptation.adjust(sample.shipped, sample.extras)
        seen.append(sample)
        yield {
            "sha": commit.sha,
            "time": commit.time,
            "author": commit.author_email,
            "risk": risk,
            "level": bands.level_for(risk).value,
            "shipped_risk": sample.shipped,
            "adapted": adaptation is not None,
            **sample.features,
            **sample.extras,
            "fix": commit.is_fix,
            "buggy": sample.seq in first_fix,
        }


def _refit(
    index: HistoryIndex, seen: list[CommitSample], first_fix: dict[int, int], cutoff_seq: int
) -> Adaptation | None:
    """The correction to use from ``cutoff_seq`` on, or None for the shipped model.

    As ``argus learn`` decides, with only the labels known before ``cutoff_seq``: a correction
    fitted on the older 80% of the commits seen must beat the shipped model by
    :data:`KEEP_MARGIN` AUC on the newest 20%; then it is refitted on all of them.
    """
    recent = seen[-5000:]
    targets = [1 if first_fix.get(s.seq, _NEVER) < cutoff_seq else 0 for s in recent]
    cutoff_time = index.commits[cutoff_seq].time
    split = int(len(recent) * (1.0 - EVALUATION_FRACTION))
    trial = fit(recent[:split], targets[:split], cutoff_time=cutoff_time, cutoff_seq=cutoff_seq)
    if trial is None:
        return None
    held_out, held_targets = recent[split:], targets[split:]
    shipped = auc([s.shipped for s in held_out], held_targets)
    adapted = auc([trial.adjust(s.shipped, s.extras) for s in held_out], held_targets)
    if shipped is None or adapted is None or adapted < shipped + KEEP_MARGIN:
        return None
    return fit(recent, targets, cutoff_time=cutoff_time, cutoff_seq=cutoff_seq)
