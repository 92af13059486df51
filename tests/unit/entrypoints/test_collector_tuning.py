"""What exists when the server starts is left out of every later collection, and collections are spaced out."""

import gc
from collections.abc import Iterator

import pytest

from entrypoints.collector_tuning import settle_garbage_collector


@pytest.fixture
def collector_restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("collector_restored")
def test_start_up_objects_are_frozen_and_collections_spaced_out() -> None:
    built_at_start_up = [{"payment": n} for n in range(1_000)]

    frozen = settle_garbage_collector()

    assert frozen == gc.get_freeze_count() >= len(built_at_start_up)
    assert gc.get_threshold() == (5_000, 20, 100)
    made_after = [{"callback": 1}]
    walked = gc.get_objects()  # what a full collection would walk
    assert any(candidate is made_after for candidate in walked)
    assert not any(candidate is built_at_start_up for candidate in walked)
