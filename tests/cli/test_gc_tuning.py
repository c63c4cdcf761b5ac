"""The collector settings of the serving processes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from argus.gc_tuning import SERVING_THRESHOLDS, tune_for_serving


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_serving_freezes_start_up_and_collects_the_young_generation_less_often(
    restored_gc: None,
) -> None:
    start_up = [{"kept": number} for number in range(1000)]
    tune_for_serving()
    assert gc.get_threshold() == SERVING_THRESHOLDS
    assert SERVING_THRESHOLDS[0] > 700  # Python's default
    assert gc.get_freeze_count() >= len(start_up)
