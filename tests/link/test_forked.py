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


PARENT = """
import sys, time
from casereview.link.forked import Forked
from casereview.link.prenormalise import Ahead

later = Forked(lambda: time.sleep(600))
ahead = Ahead()
ahead.start()
print(later.process.pid, ahead.process.pid, flush=True)
time.sleep(600)
"""


def test_the_children_die_with_a_killed_parent() -> None:
    """A stage killed outright takes its forked children with it: they hold copies of its
    database connections (on PostgreSQL the run's advisory lock would outlive it)."""
    import subprocess
    import sys
    import time

    with subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdout is not None
        children = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(children) == 2 and all(_alive(pid) for pid in children)
        parent.kill()
        parent.wait()
    for _ in range(1000):  # the kernel kills them as the parent exits; reaped by init
        if not any(_alive(pid) for pid in children):
            break
        time.sleep(0.01)
    assert not any(_alive(pid) for pid in children)


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
