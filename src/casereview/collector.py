"""Python's cyclic garbage collector paused around work that makes millions of objects.

Reading a million rows, loading a file, linking a million mentions: the row tuples, texts
and lists they make hold no reference cycles and are freed by reference counting as usual,
but every automatic collection of the oldest generation walks all of them (a quarter of an
import's time, more than a third of reading the store for linkage).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused(*, collect_after: bool = False) -> Iterator[None]:
    """The collector off for the block (or the decorated function), restored after; with
    `collect_after`, one collection then. Nested pauses leave it to the outermost."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            if collect_after:
                gc.collect()
