"""`casereview.collector.collector_paused`: used by ingest around each file and by linkage
around the whole stage and `predict_persons` (nested there)."""

from __future__ import annotations

import gc

import pytest

from casereview.collector import collector_paused


def test_paused_inside_restored_after_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the block failed")
    assert gc.isenabled()


def test_nested_and_decorated_pauses_leave_it_to_the_outermost() -> None:
    @collector_paused(collect_after=True)
    def inner() -> bool:
        return gc.isenabled()

    with collector_paused():
        assert inner() is False
        assert not gc.isenabled()  # the inner pause did not switch it back on
    assert inner() is False and gc.isenabled()


def test_collect_after_runs_one_collection() -> None:
    def full_collections() -> int:
        return int(gc.get_stats()[2]["collections"])  # the oldest generation's

    before = full_collections()
    with collector_paused():
        pass
    assert full_collections() == before
    with collector_paused(collect_after=True):
        pass
    assert full_collections() == before + 1
