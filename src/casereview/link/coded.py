"""A column as integer codes into its distinct values, the distinct values found by Arrow.

The linkage frame's normalisers run once per distinct value. At a million mentions what cost
more than the normalisers was finding the distinct values: pandas' factorize hashing a
million Python strings per column, again for every column made from another, and the
results spread back over the rows as Python lists each time. Here a column of text or
integers is dictionary-encoded by Arrow (C++ hashing of the UTF-8 bytes), a column made from
another is a mapping of its distinct values whose codes come from the codes it was made from
(an index into a small table, never the rows again), and a blocking key is combined from
its parts' codes. Columns of other Python objects (dates and JSON read from PostgreSQL, lists,
frames built directly from dicts) fall back to pandas' factorize. Either way the codes number
equal values alike and a missing value (None, NaN, pandas' NA) is code -1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["Coded", "arrow_column", "first_appearance", "key_codes"]

# Arrow types whose values Arrow hashes exactly as Python compares them.
_EXACT = (pa.string(), pa.large_string(), pa.int64(), pa.null())


def arrow_column(column: Any) -> pa.Array | None:
    """`column` (a pandas Series, an Arrow array, a numpy array or a list) as one Arrow
    array of text or integers, or None when its values are anything else (mixed types,
    dates, lists, dicts): those are left to pandas."""
    try:
        if isinstance(column, pa.ChunkedArray | pa.Array):
            array = column
        elif isinstance(column, pd.Series) and not pd.api.types.is_object_dtype(column.dtype):
            if not isinstance(column.dtype, pd.ArrowDtype | pd.StringDtype):
                return None
            array = pa.array(column, from_pandas=True)
        else:
            values = column.to_numpy() if isinstance(column, pd.Series) else column
            array = pa.array(np.asarray(values, dtype=object), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array if array.type in _EXACT else None


def _factorize(column: Any) -> tuple[np.ndarray, list[Any]]:
    """(codes, distinct values) of `column`: code -1 for a missing value, codes numbered by
    first appearance (as pandas' factorize numbers them)."""
    array = arrow_column(column)
    if array is not None and array.type == pa.null():  # Arrow would make NULL a value
        return np.full(len(array), -1, dtype=np.int64), []
    if array is not None:
        encoded = array.dictionary_encode()
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        return codes.astype(np.int64, copy=False), encoded.dictionary.to_pylist()
    series = column if isinstance(column, pd.Series) else pd.Series(column, dtype="object")
    codes, uniques = pd.factorize(series.astype("object"), use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), list(uniques.tolist())


def _object_table(values: Sequence[Any]) -> np.ndarray:
    """`values` and then None (the value of code -1) as an object array, element by element
    (a list of lists must not become a two-dimensional array)."""
    return np.fromiter((*values, None), dtype=object, count=len(values) + 1)


@dataclass(frozen=True)
class Coded:
    """A column as `codes` (int64, one per row; -1: missing) into `values` (its distinct
    values, none of them None)."""

    codes: np.ndarray
    values: list[Any]

    @classmethod
    def of(cls, column: Any) -> Coded:
        """The codes and distinct values of a column (see `arrow_column`)."""
        return cls(*_factorize(column))

    @classmethod
    def from_table(cls, codes: np.ndarray, table: Sequence[Any]) -> Coded:
        """The column whose row has `table[code]` (None for code -1 and for None in the
        table), its values made distinct again (they must be hashable)."""
        remap, distinct = pd.factorize(_object_table(table)[:-1], use_na_sentinel=True)
        remap = np.append(remap.astype(np.int64), -1)
        return cls(remap[codes], list(distinct.tolist()))

    @property
    def missing(self) -> np.ndarray:
        return self.codes < 0

    def map(self, fn: Callable[[Any], Any]) -> Coded:
        """`fn` of each distinct value (hashable results; None is missing)."""
        return Coded.from_table(self.codes, [fn(v) for v in self.values])

    def where(self, keep: np.ndarray) -> Coded:
        """Missing where `keep` is False; only the values still used are kept (so that a
        `map` after it runs on them alone)."""
        codes = np.where(keep, self.codes, -1)
        used = np.unique(codes[codes >= 0])
        remap = np.full(len(self.values) + 1, -1, dtype=np.int64)
        remap[used] = np.arange(len(used), dtype=np.int64)
        return Coded(remap[codes], [self.values[i] for i in used.tolist()])

    def replaced(self, where: np.ndarray, other: Coded) -> Coded:
        """`other`'s value where `where` is True, this column's elsewhere."""
        offset = len(self.values)
        other_codes = np.where(other.codes >= 0, other.codes + offset, -1)
        codes = np.where(where, other_codes, self.codes)
        table: list[Any] = [*self.values, *other.values]
        return Coded.from_table(codes, table)

    def column(self, fn: Callable[[Any], Any] | None = None) -> np.ndarray:
        """The rows' values (or `fn` of them, worked out once per distinct value) as an
        object array, None where missing; results need not be hashable."""
        values = self.values if fn is None else [fn(v) for v in self.values]
        return _object_table(values)[self.codes]

    def flags(self, test: Callable[[Any], bool]) -> np.ndarray:
        """`test` of each row's value as booleans (False where missing)."""
        table = np.array([bool(test(v)) for v in self.values] + [False], dtype=bool)
        return table[self.codes]


def first_appearance(codes: np.ndarray) -> np.ndarray:
    """`codes` numbered again in order of first appearance over the rows, -1 kept."""
    out = np.full(len(codes), -1, dtype=np.int64)
    known = codes >= 0
    renumbered, _ = pd.factorize(codes[known])
    out[known] = renumbered
    return out


def key_codes(*parts: Coded | np.ndarray) -> pd.Series:
    """A blocking key from its parts' codes, as `frame._code` makes it from their values:
    rows with equal parts get the same code, numbered by the first appearance of the whole
    tuple of parts (a part missing counting as a value of its own), NULL where any part is
    missing."""
    arrays = [p.codes if isinstance(p, Coded) else np.asarray(p, dtype=np.int64) for p in parts]
    if not arrays:
        raise ValueError("a blocking key needs at least one part")
    missing = np.zeros(len(arrays[0]), dtype=bool)
    for codes in arrays:
        missing |= codes < 0
    if len(arrays) == 1:
        combined = first_appearance(arrays[0])
    else:
        combined = arrays[0]
        for codes in arrays[1:]:
            width = int(codes.max(initial=-1)) + 2  # -1 .. max, each part apart
            combined, _ = pd.factorize(combined * width + (codes + 1))
            combined = combined.astype(np.int64)
    out = pd.array(combined, dtype="Int64")
    out[missing] = pd.NA
    return pd.Series(out)
