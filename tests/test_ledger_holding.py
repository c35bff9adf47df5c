"""What the run lock and the lease share (connector/ledger/holding.py): waiting one's turn, and
holding the lock for a ``with`` block."""

from __future__ import annotations

import threading

import pytest

from connector.ledger.holding import HeldInWith, wait_turn


class Turns:
    """A lock that is free from the ``free_on``-th try on (never: 0); records what was asked."""

    def __init__(self, free_on: int = 0, holder: str = "pid 42") -> None:
        self.free_on = free_on
        self.tries = 0
        self.holder_asked = 0
        self.holder_name = holder
        self.announced: list[str] = []

    def take(self) -> bool:
        self.tries += 1
        return self.free_on > 0 and self.tries >= self.free_on

    def holder(self) -> str:
        self.holder_asked += 1
        return self.holder_name


def test_a_free_lock_is_taken_without_asking_who_holds_it():
    turns = Turns(free_on=1)
    taken = wait_turn(turns.take, turns.holder, wait=5, poll=0, on_wait=turns.announced.append)
    assert taken is None
    assert (turns.tries, turns.holder_asked, turns.announced) == (1, 0, [])


def test_a_wait_is_announced_once_with_the_holder_and_ends_when_the_lock_is_free():
    turns = Turns(free_on=4)
    refused = wait_turn(turns.take, turns.holder, wait=3600, poll=0, on_wait=turns.announced.append)
    assert refused is None
    assert turns.tries == 4
    assert turns.announced == ["pid 42"]  # once, however many times it looked again


def test_no_wait_refuses_at_once_naming_the_holder():
    turns = Turns()
    refused = wait_turn(turns.take, turns.holder, wait=0, poll=0, on_wait=turns.announced.append)
    assert refused == ("pid 42", False)
    assert (turns.tries, turns.announced) == (1, [])


def test_a_stop_request_ends_the_wait_and_says_so():
    turns = Turns(holder="")
    cancel = threading.Event()
    cancel.set()
    refused = wait_turn(turns.take, turns.holder, wait=3600, poll=0, cancel=cancel)
    assert refused == ("", True)
    assert turns.tries == 1


class Recorded(HeldInWith):
    def __init__(self) -> None:
        self.calls: list[str] = []

    def acquire(self) -> None:
        self.calls.append("acquire")

    def release(self) -> None:
        self.calls.append("release")


def test_a_with_block_holds_the_lock_and_lets_it_go_even_when_it_raises():
    lock = Recorded()
    with pytest.raises(ValueError), lock as held:
        assert held is lock and lock.calls == ["acquire"]
        raise ValueError("the block failed")
    assert lock.calls == ["acquire", "release"]
