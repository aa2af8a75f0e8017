"""tradeplane.collector: the cyclic collector paused around one job, its state restored."""

from __future__ import annotations

import gc

import pytest

from tradeplane import collector


def test_paused_disables_and_restores() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():  # nested: the inner exit leaves it paused
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_paused_restores_after_an_error_and_leaves_a_disabled_collector_off() -> None:
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_loading_an_estate_leaves_no_cyclic_garbage() -> None:
    """What the pause relies on: the loader's data is freed by reference counting (its source-map
    walk once was a recursive closure, a cycle that kept every position alive)."""
    from tradeplane import estate as est

    est.load("examples/small")
    gc.collect()
    with collector.paused():
        est.load("examples/small")
        assert gc.collect() < 50
