"""The sync engine's process-wide part: the heap a run leaves out of the collector's passes."""

from __future__ import annotations

import gc
import threading

import pytest

from connector.sync import engine
from connector.sync.engine import frozen_heap


@pytest.fixture(autouse=True)
def _nothing_frozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_what_lives_when_a_run_starts_is_frozen_until_it_ends() -> None:
    survivor = [object() for _ in range(10)]  # a container the collector tracks
    assert gc.get_freeze_count() == 0
    with frozen_heap():
        assert gc.get_freeze_count() > 0
        assert not any(survivor is o for o in gc.get_objects())  # no longer walked
    assert gc.get_freeze_count() == 0
    assert any(survivor is o for o in gc.get_objects(generation=2))  # back, in the oldest


def test_what_a_run_creates_is_collected_as_always() -> None:
    class Node:
        pass

    with frozen_heap():
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle, garbage as soon as the names go
        del a, b
        assert gc.collect() >= 2
        assert not [o for o in gc.get_objects() if isinstance(o, Node)]


def test_the_heap_is_given_back_even_when_the_run_fails() -> None:
    with pytest.raises(RuntimeError), frozen_heap():
        raise RuntimeError("a bug in a phase")
    assert gc.get_freeze_count() == 0
    assert engine._runs_in_process == 0


def test_concurrent_runs_freeze_once_and_the_last_one_gives_the_heap_back() -> None:
    """A fleet's workers: the second run does not freeze the first one's objects, and the
    heap stays frozen until both have ended, whichever ends first."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def first() -> None:
        with frozen_heap():
            first_in.set()
            second_in.wait(5)
            seen["first, both running"] = gc.get_freeze_count()
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        young = [object() for _ in range(5)]  # made after the first run froze the heap
        with frozen_heap():
            seen["young, still walked"] = any(young is o for o in gc.get_objects())
            second_in.set()
            first_out.wait(5)
            seen["second, first ended"] = gc.get_freeze_count()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen["young, still walked"]  # the second run froze nothing of its own
    assert seen["first, both running"] > 0
    assert seen["second, first ended"] > 0  # still frozen: the second run goes on
    assert gc.get_freeze_count() == 0
