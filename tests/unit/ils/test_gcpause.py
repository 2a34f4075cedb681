"""``ils.gcpause``: cyclic garbage collection off during bulk work, back after."""
import gc
import threading

import pytest

from ils.gcpause import paused_gc


@pytest.fixture(autouse=True)
def collection_on():
    gc.enable()
    yield
    gc.enable()


def test_paused_inside_and_back_after():
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_pauses_end_with_the_outer_one():
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_back_on_after_an_error():
    with pytest.raises(RuntimeError):
        with paused_gc():
            raise RuntimeError("boom")
    assert gc.isenabled()


def test_left_off_when_it_was_off_before():
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_as_a_decorator():
    @paused_gc()
    def work():
        return gc.isenabled()

    assert work() is False
    assert work() is False          # usable again: a fresh pause each call
    assert gc.isenabled()


def test_overlapping_pauses_in_threads():
    first_in, second_done = threading.Event(), threading.Event()
    seen = {}

    def first():
        with paused_gc():
            first_in.set()
            second_done.wait(5)
            seen["first, after the second ended"] = gc.isenabled()

    def second():
        first_in.wait(5)
        with paused_gc():
            pass
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"first, after the second ended": False}
    assert gc.isenabled()


def test_cycles_made_during_a_pause_are_collected_after():
    class Node:
        pass

    with paused_gc():
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
    assert gc.collect() >= 2
