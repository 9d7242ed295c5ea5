"""The frame's normalisers worked out in a forked child while the store is read (two cores).

Reading a million mentions is one core's work in Python (the driver's rows, Arrow arrays), and
building the frame is another's (each normaliser once per distinct value: names, postcodes,
addresses, phones, identifiers), one after the other while the second core idles. Here a
child, forked before the read, is sent each chunk's text columns as they are read (Arrow IPC
through a pipe) and runs the normalisers on every value it has not seen; when the read ends
it sends back their results, per function (`frame.Normalised`), and `build_frame` looks them
up instead of working them out.

The results are a cache: `build_frame` calls a normaliser for any value not found, so the
frame is the same whatever the child did. If the child fails, dies or cannot be forked (one
core, no fork), the frame is built as before, and nothing is lost but the time. The child
reads nothing from the store and writes nothing; it ends when it has answered, or when the
parent closes its end of the pipe.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

import pyarrow as pa

from casereview.ingest.pipeline import parallel_available
from casereview.link.forked import die_with_parent, end_child
from casereview.link.frame import (
    Normalised,
    _first_forename,
    _forename_key_list,
    _identifiers,
    _phone_tuple,
    _postcode,
    _street_number,
    _surname,
    _surname_parts,
    _surname_std,
    _text,
    _word_keys,
)
from casereview.values.address import normalise_address
from casereview.values.name_variants import forename_key, name_key
from casereview.values.postcode import postcode_district

__all__ = ["Ahead", "normalised_ahead"]

# The read columns the child is sent (the text columns whose normalisers cost the most).
COLUMNS = ("forenames", "surname", "postcode", "address", "phones", "identifiers")

Tables = dict[str, dict[Any, Any]]


def _put(tables: Tables, fn: Callable[[Any], Any], values: Any, every: bool = False) -> list[Any]:
    """`fn` of each of `values` not worked out yet, kept in `tables[fn.__name__]`; the new
    results that are not None (what the next normaliser of the chain is given, as
    `Coded.map` gives it only values), or with `every` the results of all of `values` (a
    normaliser shared by several columns: `_text`, whose results go on to other chains)."""
    table = tables.setdefault(fn.__name__, {})
    out = []
    for value in values:
        if value is None:
            continue
        if value in table:
            if every and table[value] is not None:
                out.append(table[value])
            continue
        result = table[value] = fn(value)
        if result is not None:
            out.append(result)
    return out


def work_out(tables: Tables, column: str, values: list[Any]) -> None:
    """Every normaliser `build_frame` runs on the read column `column`, in its order, on
    `values` (distinct values of the column), into `tables`."""
    if column == "forenames":
        texts = _put(tables, _text, values, every=True)
        _put(tables, _word_keys, texts)
        firsts = _put(tables, _first_forename, texts)
        _put(tables, forename_key, firsts)
        _put(tables, _forename_key_list, firsts)
        _put(tables, name_key, firsts)
    elif column == "surname":
        texts = _put(tables, _text, values, every=True)
        _put(tables, _word_keys, texts)
        surnames = _put(tables, _surname, texts)
        _put(tables, _surname_std, surnames)
        _put(tables, _surname_parts, surnames)
    elif column == "postcode":
        _put(tables, postcode_district, _put(tables, _postcode, values))
    elif column == "address":
        texts = _put(tables, _text, values, every=True)
        _put(tables, _street_number, texts)
        _put(tables, normalise_address, texts)
    elif column == "phones":
        _put(tables, _phone_tuple, values)
    elif column == "identifiers":
        _put(tables, _identifiers, values)


def _child(parent: int, parent_end: Connection, end: Connection) -> None:
    """The forked child: work out each batch it is sent until an empty message, then send
    back the tables (pickled). Each column's values once (a value seen in an earlier chunk
    of the same column has had every normaliser of its chain). It dies with the parent."""
    die_with_parent(parent)
    parent_end.close()
    tables: Tables = {}
    seen: dict[str, set[Any]] = {}
    try:
        while message := end.recv_bytes():
            batch = pa.ipc.open_stream(message).read_next_batch()
            for name, array in zip(batch.schema.names, batch.columns, strict=True):
                known = seen.setdefault(name, set())
                new = [v for v in dict.fromkeys(array.to_pylist()) if v not in known]
                known.update(new)
                work_out(tables, name, new)
        end.send_bytes(pickle.dumps(tables, protocol=pickle.HIGHEST_PROTOCOL))
    except (EOFError, BrokenPipeError):
        pass  # the parent gave up: nothing to answer
    finally:
        end.close()


class Ahead:
    """The parent's side: `feed` each chunk's text columns as they are read, then `result`.
    A thread sends them (a write to the pipe waits while the child is busy, and the thread
    waits then, not the read)."""

    def __init__(self) -> None:
        self.end: Connection | None = None
        self.process: Any = None
        self.outbox: queue.SimpleQueue[pa.Buffer | None] = queue.SimpleQueue()
        self.sender: threading.Thread | None = None
        self.failed = False

    def start(self) -> None:
        context = multiprocessing.get_context("fork")
        end, child_end = context.Pipe(duplex=True)
        self.process = context.Process(
            target=_child,
            args=(os.getpid(), end, child_end),
            name="casereview-link-normalise",
            daemon=True,
        )
        self.process.start()
        child_end.close()
        self.end = end
        self.sender = threading.Thread(target=self._send, args=(end,), daemon=True)
        self.sender.start()

    def _send(self, end: Connection) -> None:
        """The sending thread: each message in turn, up to None (then the end of the input)."""
        try:
            while (message := self.outbox.get()) is not None:
                end.send_bytes(message)
            end.send_bytes(b"")
        except OSError:  # the child died: the frame is built without it
            self.failed = True

    def feed(self, columns: dict[str, pa.Array]) -> None:
        """Send one chunk's columns of `COLUMNS` (those read as Arrow text)."""
        wanted = {name: array for name, array in columns.items() if name in COLUMNS}
        if self.end is None or not wanted:
            return
        batch = pa.RecordBatch.from_arrays(list(wanted.values()), names=list(wanted))
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch)
        self.outbox.put(sink.getvalue())

    def result(self) -> Normalised:
        """What the child worked out (nothing if it failed); the child is then gone."""
        if self.end is None:
            return Normalised()
        self.outbox.put(None)
        tables = {}
        if self.sender is not None:
            self.sender.join()
        if not self.failed:
            with contextlib.suppress(OSError, EOFError, pickle.UnpicklingError):
                tables = pickle.loads(self.end.recv_bytes())  # noqa: S301  # nosec B301 - our own child's
        self.close()
        return Normalised(tables)

    def close(self) -> None:
        if self.sender is not None and self.sender.is_alive():
            self.outbox.put(None)
        end_child(self.end, self.process)
        self.end = self.process = None
        if self.sender is not None:
            self.sender.join()  # the pipe is closed or the child gone: it ends
            self.sender = None


@contextmanager
def normalised_ahead(enabled: bool = True) -> Iterator[Ahead]:
    """An `Ahead` whose child is forked now (when `enabled`, on two cores or more with
    fork); without one, `feed` does nothing and `result` is empty."""
    ahead = Ahead()
    if enabled and parallel_available():
        ahead.start()
    try:
        yield ahead
    finally:
        ahead.close()
