"""A result worked out in a forked child while this process goes on (the second core).

    later = Forked(lambda: make_rows(...))   # forked now
    ...                                      # this process writes meanwhile
    rows = later.result()                    # the child's, or worked out here

The child gets a copy of this process's memory at the fork, works out the function and sends
its result back pickled through a pipe. Whenever the child cannot give it (no fork, one core,
an error in it, killed), `result` works the function out in this process instead: the result
is the same, only later. The child reads and writes nothing else (it never touches a
database connection it inherited) and ends once it has sent its result, or as soon as this
process dies (`die_with_parent`).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from casereview.ingest.pipeline import parallel_available

__all__ = ["Forked", "die_with_parent", "end_child"]

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1  # prctl(2), Linux


def die_with_parent(parent: int) -> None:
    """In a child forked by process `parent`: be killed the moment the parent dies (Linux), and
    end now if it already has. The child holds copies of the parent's database connections: a
    child outliving a killed stage keeps its PostgreSQL session, and with it the run's advisory
    lock, so the killed run would still show running (tests/test_crash_stages.py)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def end_child(end: Connection | None, process: Any) -> None:
    """Close this side of a forked child's pipe and see the child gone (given 5 s to end,
    then killed: our own child, by its pid)."""
    if end is not None:
        end.close()
    if process is not None:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()


def _child(fn: Callable[[], Any], parent: int, parent_end: Connection, end: Connection) -> None:
    die_with_parent(parent)
    parent_end.close()
    try:
        message = pickle.dumps(("ok", fn()), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # the parent works it out itself
        message = pickle.dumps(("failed", None))
    try:
        end.send_bytes(message)
    except OSError:
        pass  # the parent no longer listens
    finally:
        end.close()


class Forked(Generic[T]):
    """`fn()` worked out in a forked child (when `enabled`, on two cores or more with fork),
    its value given by `result` (see the module docstring). `close` ends the child if the
    result was never asked for."""

    def __init__(self, fn: Callable[[], T], *, enabled: bool = True) -> None:
        self.fn = fn
        self.end: Connection | None = None
        self.process: Any = None
        if enabled and parallel_available():
            context = multiprocessing.get_context("fork")
            end, child_end = context.Pipe(duplex=False)
            self.process = context.Process(
                target=_child,
                args=(fn, os.getpid(), end, child_end),
                name="casereview-link-rows",
                daemon=True,
            )
            self.process.start()
            child_end.close()
            self.end = end

    @property
    def forked(self) -> bool:
        return self.process is not None

    def result(self) -> T:
        """The child's result, else `fn()` worked out here."""
        found: tuple[str, Any] = ("failed", None)
        if self.end is not None:
            with contextlib.suppress(OSError, EOFError, pickle.UnpicklingError):
                found = pickle.loads(self.end.recv_bytes())  # noqa: S301  # nosec B301 - our own child's
        self.close()
        if found[0] == "ok":
            value: T = found[1]
            return value
        return self.fn()

    def close(self) -> None:
        end_child(self.end, self.process)
        self.end = self.process = None
