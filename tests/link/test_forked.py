"""`link.forked.Forked`: the child's result, or the same result worked out here when the child
cannot give it."""

from __future__ import annotations

import os
import signal

from casereview.link.forked import Forked


def _in_which() -> tuple[int, list[int]]:
    return os.getpid(), list(range(100_000))


def test_the_result_comes_from_the_child() -> None:
    later = Forked(_in_which)
    assert later.forked
    pid, values = later.result()
    assert pid != os.getpid()  # worked out in the child
    assert values == list(range(100_000))


def test_a_killed_child_s_result_is_worked_out_here() -> None:
    later = Forked(_in_which)
    assert later.process is not None
    os.kill(later.process.pid, signal.SIGKILL)  # our own child
    later.process.join()
    assert later.result() == (os.getpid(), list(range(100_000)))


def test_a_failing_child_s_result_is_worked_out_here() -> None:
    parent = os.getpid()

    def fails_in_the_child() -> int:
        if os.getpid() != parent:
            raise RuntimeError("in the child")
        return parent

    later = Forked(fails_in_the_child)
    assert later.forked
    assert later.result() == parent


def test_not_enabled_works_it_out_here() -> None:
    later = Forked(_in_which, enabled=False)
    assert not later.forked
    assert later.result()[0] == os.getpid()
