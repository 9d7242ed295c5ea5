"""Person mentions as one linkage frame: a row per mention, normalised columns, blocking keys.

The frame is what Splink sees. It holds only what identifies a person (names, date of birth
or age, sex, postcode, phones) and never ethnicity, religion, nationality or the mention's
role: a person is a victim in one record and a suspect in another, and protected
characteristics must never be evidence. Blank values become NULL (two blanks are not a match).

Blocking keys are precomputed columns (`bk_*`), so that the skewed-block guard can measure
every key's block size and blank out keys shared by more than `max_block_size` mentions
(a care home's postcode, a taxi firm's phone) before any comparison is generated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Select, func, literal_column, select
from sqlalchemy import types as sa_types

from casereview.link.coded import Coded, arrow_column, key_codes
from casereview.model.codes import ObjectKind
from casereview.model.serial import from_json
from casereview.model.tables import mentions, objects, record_objects, records, sources
from casereview.values.address import normalise_address
from casereview.values.identifier import STRONG_KEY, normalise_identifier
from casereview.values.missing import is_missing, present_text
from casereview.values.name import clean_name, split_full_name
from casereview.values.name_variants import forename_key, forename_keys, name_key, surname_key
from casereview.values.phone import normalise_phone
from casereview.values.postcode import normalise_postcode, postcode_district

__all__ = [
    "ADDRESS_KEYS",
    "BLOCKING_KEYS",
    "HANDLE_SEPARATOR",
    "LIST_KEYS",
    "MAX_RECORD_MATES",
    "NARROWINGS",
    "REFINEMENTS",
    "BlockGuardReport",
    "Normalised",
    "add_context",
    "bare_blocking_columns",
    "blocking_columns",
    "build_frame",
    "context_lists",
    "context_matrix",
    "effective_block_cap",
    "guard_blocks",
    "handle_list",
    "list_blocking_columns",
    "lists_by_position",
    "load_mention_rows",
    "mention_query",
    "read_columns",
    "record_mates",
    "select_blocking_keys",
    "with_event_date",
]

# Every blocking key: name of its column -> what it joins on (for the run log and docs).
BLOCKING_KEYS: dict[str, str] = {
    "bk_name": "forename key and the key of the surname's first part, in either order "
    "(nicknames, variants, swaps, a middle name read as the surname, one part of a "
    "double-barrelled surname)",
    "bk_dob": "full date of birth (catches both names changed, mistyped or a street name)",
    "bk_postcode_initial": "postcode and first letter of the forename",
    "bk_postcode_number": "postcode and house number (people at one address; only with "
    "link.compare_addresses, when the model has the address evidence to tell a household "
    "apart)",
    "bk_phone": "first phone number",
    "bk_identifier": "a reference number the source gives (when a mapping supplies one)",
    "bk_strong_id": "an identifier the mapping declares strong (a council's child id, a PNC "
    "ID): the same value is the same person",
    "bk_forename_surname1": "forename key and first letter of the last surname part "
    "(surname typos, double-barrelled surnames)",
    "bk_surname_initial": "surname key and first letter of the forename (forename typos)",
}

# Keys that bring in pairs only address evidence can judge (a household's members share a
# postcode, a house number, often a surname and a phone): used with link.compare_addresses.
ADDRESS_KEYS: tuple[str, ...] = ("bk_postcode_number",)

# How the skewed-block guard refines an over-large block of a key: the key joined with each
# of these columns in turn, each refinement a blocking key of its own (`<key>__<column>`).
REFINEMENTS: tuple[str, ...] = ("yob_hi", "postcode_district")
# Refinements skipped: those a key already contains (a full date of birth holds its year; a
# postcode its district), which would rebuild the same block, and the surname key's
# refinement by district, which at a million mentions cost 0.9M comparisons for 9 true
# pairs no other key found (benchmarks/RESULTS.md, "Linkage").
_SKIPPED: dict[str, frozenset[str]] = {
    "bk_dob": frozenset({"yob_hi"}),
    "bk_postcode_initial": frozenset({"postcode_district"}),
    "bk_postcode_number": frozenset({"postcode_district"}),
    "bk_surname_initial": frozenset({"postcode_district"}),
}
# How the guard narrows the over-large blocks of a full date of birth or a postcode: to the
# mentions that also share the two initials (forename and the surname's first part, in
# either order), what a slip, a transliteration (Mohammed / Muhammad) or swapped fields
# seldom change. Column -> the key it narrows; the block is every mention with the column's
# value of a mention in an over-large block (a swapped name at a crowded postcode may sit in
# a small block of the postcode and the other initial). Only for over-large blocks: a small
# block is compared whole already. A narrowing never counts as a refinement for the
# name-only comparisons against the block (`guard_blocks`), so it only adds pairs.
NARROWINGS: dict[str, str] = {
    "dob_initials": "bk_dob",
    "postcode_initials": "bk_postcode_initial",
}
# A record naming more people than this besides a mention gives it no record-mates.
MAX_RECORD_MATES = 12
# List-valued blocking keys (Splink explodes them, one key per element; see add_record_mates).
LIST_KEYS: dict[str, str] = {
    "bka_mates": "forename key, or surname key, joined with the name of someone else the "
    "record names (the same associate on two referrals about one child)",
}

# Mentions of an over-large block that have neither refinement column are compared with the
# whole block (`<key>__bare` against `<key>__big`) while that costs at most this many times
# max_block_size squared comparisons per key; beyond that they are dropped.
_BARE_BUDGET = 4

_SEXES = {"female", "male"}


def _text(value: Any) -> str | None:
    return present_text(value)


def _first_forename(forenames: str | None) -> str | None:
    clean = clean_name(forenames)
    if not clean:
        return None
    first = clean.replace("-", " ").split()
    return first[0] if first else None


def _street_number(address: str | None) -> str | None:
    """The first number in an address (a house or flat number), used only as evidence."""
    if not address:
        return None
    for word in address.replace(",", " ").split():
        if word[:1].isdigit():
            return word.lower()
    return None


_NOT_KNOWN = object()


class Normalised:
    """What the frame's normalisers gave for values worked out ahead (`prenormalise`, in a
    child process while the store is read), per function name: `build_frame` looks a value
    up and calls the function for any value not there. A cache only: the frame is the same
    with or without it, or with any part of it."""

    def __init__(self, tables: Mapping[str, dict[Any, Any]] | None = None) -> None:
        self.tables = dict(tables or {})

    def __call__(self, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """`fn`, looking its results up first when some were worked out ahead."""
        table = self.tables.get(fn.__name__)
        if not table:
            return fn
        get = table.get

        def known(value: Any) -> Any:
            try:
                found = get(value, _NOT_KNOWN)
            except TypeError:  # an unhashable value: never worked out ahead
                found = _NOT_KNOWN
            return fn(value) if found is _NOT_KNOWN else found

        return known


def _surname_std(surname: str) -> str | None:
    return surname_key(surname) or None


def _forename_key_list(forename: str) -> list[str] | None:
    return list(forename_keys(forename)) or None


def _code(*parts: pd.Series | np.ndarray) -> pd.Series:
    """A blocking key as integer codes: rows with equal parts get the same code, NULL where
    any part is missing (blanks never block). Integers rather than the joined text: DuckDB
    joins and compares them several times faster, and they take a fraction of the memory."""
    combined: np.ndarray | None = None
    missing: np.ndarray | None = None
    for part in parts:
        # Integers (nullable or not) factorised as they are: the same codes as their Python
        # objects give (first appearance, missing -1), without a million objects made.
        typed = isinstance(part, pd.Series) and not pd.api.types.is_object_dtype(part.dtype)
        values = part if typed else np.asarray(part, dtype=object)
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        codes = np.asarray(codes, dtype=np.int64)
        gone = codes < 0
        missing = gone if missing is None else missing | gone
        if combined is None:
            combined = codes
        else:
            combined, _ = pd.factorize(combined * (len(uniques) + 1) + codes)
            combined = combined.astype(np.int64)
    if combined is None or missing is None:
        raise ValueError("a blocking key needs at least one part")
    out = pd.array(combined, dtype="Int64")
    out[missing] = pd.NA
    return pd.Series(out)


# The frame's columns the blocking keys are made of (`add_blocking_keys`), besides `phones`.
_KEY_PARTS = (
    "forename1",
    "forename_std",
    "surname",
    "surname_std",
    "dob",
    "postcode",
    "street_number",
    "id_scheme",
    "identifier",
    "strong_id",
)
# Every column `add_blocking_keys` reads.
KEY_READS = (*_KEY_PARTS, "phones")


def _key_parts(frame: pd.DataFrame) -> dict[str, Coded]:
    """The codes of the columns `add_blocking_keys` reads, from the frame itself (when
    `build_frame` has not handed them over), `phone1` the first of each row's phones."""
    parts = {name: Coded.of(frame[name]) for name in _KEY_PARTS}
    first = [p[0] if isinstance(p, list | tuple) and len(p) else None for p in frame["phones"]]
    parts["phone1"] = Coded.of(first)
    return parts


def add_blocking_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the `bk_*` columns (NULL where a part is missing, so that blanks never block)."""
    out = frame.copy()
    _add_blocking_keys(out, _key_parts(frame))
    return out


def _add_blocking_keys(
    frame: pd.DataFrame, parts: Mapping[str, Coded], known: Normalised | None = None
) -> None:
    """`add_blocking_keys` in place, from the codes of the columns it reads (`_key_parts`):
    every key is worked out on the distinct values and combined on integer codes (`known`:
    normalisers' results worked out ahead)."""
    known = known or Normalised()
    forename1, surname = parts["forename1"], parts["surname"]
    initial = forename1.map(lambda s: s[:1])
    last_initial = surname.map(lambda s: s.split()[-1][:1])
    # Both parts keyed the same way (no nickname expansion) so that a swapped order matches.
    fkey = forename1.map(known(name_key))
    skey = parts["surname_std"]
    # A surname field of one letter beside a full word ("Y Bhatia" read as forename "Bhatia",
    # surname "Y": an initial written first) is keyed the other way round too, the word as
    # the surname and the letter as the forename's initial, so that it meets "Yasti Bhatia".
    crossed = surname.flags(lambda s: len(s) == 1) & forename1.flags(lambda s: len(s) > 1)
    word_as_surname = forename1.where(crossed).map(lambda v: surname_key(v) or None)
    surname_part = skey.replaced(crossed, word_as_surname)
    initial_part = initial.replaced(crossed, surname)
    # The surname's first part: "WARSAME, Idris Abdi" read as forename Warsame, surname
    # "Idris Abdi" meets "Idris Warsame"; "Smith-Jones" written "Smith" meets the whole.
    first_part = skey.map(lambda s: s.split()[0] if s.split() else None)
    frame["bk_name"] = key_codes(_person_key(fkey, first_part)).set_axis(frame.index)
    initials = _person_key(initial, surname.map(lambda s: s.split()[0][:1]))
    frame["dob_initials"] = key_codes(parts["dob"], initials).set_axis(frame.index)
    frame["postcode_initials"] = key_codes(parts["postcode"], initials).set_axis(frame.index)
    cols: dict[str, tuple[Coded, ...]] = {
        "bk_dob": (parts["dob"],),
        "bk_postcode_initial": (parts["postcode"], initial),
        "bk_postcode_number": (parts["postcode"], parts["street_number"]),
        "bk_phone": (parts["phone1"],),
        "bk_identifier": (parts["id_scheme"], parts["identifier"]),
        "bk_strong_id": (parts["strong_id"],),
        "bk_forename_surname1": (parts["forename_std"], last_initial),
        "bk_surname_initial": (surname_part, initial_part),
    }
    for name in BLOCKING_KEYS:
        if name in cols:
            frame[name] = key_codes(*cols[name]).set_axis(frame.index)


def select_blocking_keys(frame: pd.DataFrame, *, addresses: bool) -> pd.DataFrame:
    """`frame` without the `ADDRESS_KEYS` columns unless addresses are compared, in place
    (like `guard_blocks`: at a million mentions a copy of the frame is over a gigabyte)."""
    if not addresses:
        for key in ADDRESS_KEYS:
            if key in frame.columns:
                del frame[key]
    return frame


def blocking_columns(frame: pd.DataFrame) -> list[str]:
    """The blocking-key columns of `frame` that hold at least one value: the keys of
    `BLOCKING_KEYS` and the refined keys the skewed-block guard added, in that order."""
    cols = [k for k in BLOCKING_KEYS if k in frame.columns]
    cols += [
        c
        for c in frame.columns
        if c.startswith("bk_") and "__" in c and not c.endswith(("__bare", "__big"))
    ]
    return [c for c in cols if bool(frame[c].notna().any())]


def list_blocking_columns(frame: pd.DataFrame) -> list[str]:
    """The list-valued blocking-key columns (`LIST_KEYS`) of `frame` holding a value."""
    return [k for k in LIST_KEYS if k in frame.columns and bool(frame[k].notna().any())]


def bare_blocking_columns(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(`<key>__bare`, `<key>__big`) column pairs: a mention with a value in the first is
    compared with every mention sharing that value in the second (see `guard_blocks`)."""
    return [
        (c, c[: -len("__bare")] + "__big")
        for c in frame.columns
        if c.startswith("bk_") and c.endswith("__bare") and bool(frame[c].notna().any())
    ]


@dataclass
class BlockGuardReport:
    """What the skewed-block guard did: per key, blocks refined or dropped, comparisons kept."""

    max_block_size: int
    dropped: dict[str, dict[str, Any]] = field(default_factory=dict)
    refined: dict[str, dict[str, Any]] = field(default_factory=dict)
    comparisons: dict[str, int] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """One line per blocking key, for the run's log."""
        lines = []
        for key, n in self.comparisons.items():
            r, d = self.refined.get(key), self.dropped.get(key)
            if r:
                lines.append(
                    f"skewed-block guard: {key}: {r['blocks']} block(s) larger than "
                    f"{self.max_block_size} mentions (largest {r['largest']}, {r['mentions']} "
                    f"mentions) refined with {', '.join(r['by'])} instead of dropped "
                    f"({r['comparisons_avoided']} comparisons avoided); {n} comparisons kept"
                )
            elif d:
                lines.append(
                    f"skewed-block guard: {key}: dropped {d['blocks']} block(s) larger than "
                    f"{self.max_block_size} mentions (largest {d['largest']}, {d['mentions']} "
                    f"mentions, {d['comparisons_avoided']} comparisons avoided); "
                    f"{n} comparisons kept"
                )
            else:
                lines.append(f"blocking {key}: {n} comparisons, no block above the cap")
        return lines


def effective_block_cap(max_block_size: int, mentions: int, reference: int) -> int:
    """The skewed-block guard's cap for a frame of `mentions`: `max_block_size` up to
    `reference` mentions, then shrinking with the square root of the size (at least 20), so
    that comparisons grow about linearly with the data rather than quadratically."""
    if reference <= 0 or mentions <= reference:
        return max_block_size
    return max(20, int(max_block_size * (reference / mentions) ** 0.5))


def _pairs_in(counts: pd.Series | np.ndarray) -> int:
    return int((counts * (counts - 1) // 2).sum())


def guard_blocks(frame: pd.DataFrame, max_block_size: int) -> BlockGuardReport:
    """The skewed-block guard, in place, before any comparison is generated.

    A key value shared by more than `max_block_size` mentions (a very common name, a care
    home's postcode, a taxi firm's phone) is not compared as one block: the key is refined
    with each column of `REFINEMENTS` (name key + year of birth, name key + postcode
    district), each refinement a new key column `<key>__<column>`; refined blocks still
    above the cap are dropped. A date of birth's or a postcode's over-large blocks are also
    narrowed to the mentions sharing the initials (`NARROWINGS`). The run log says which
    key, how many blocks and mentions, and how many comparisons were avoided. Refined keys
    are never refined again."""
    report = BlockGuardReport(max_block_size=max_block_size)
    pending = [
        c for c in frame.columns if c.startswith("bk_") and not c.endswith(("__bare", "__big"))
    ]
    while pending:
        key = pending.pop(0)
        counts = frame[key].value_counts(dropna=True)
        big = counts[counts > max_block_size]
        kept = counts[counts <= max_block_size]
        report.comparisons[key] = _pairs_in(kept)
        if not len(big):
            continue
        mask = frame[key].isin(set(big.index))
        info: dict[str, Any] = {
            "blocks": len(big),
            "largest": int(big.max()),
            "mentions": int(big.sum()),
            "comparisons_avoided": _pairs_in(big),
        }
        if "__" in key:
            report.dropped[key] = info
        else:
            info["by"] = []
            narrowed = _narrow(frame, key, mask)
            for column in REFINEMENTS:
                if column not in frame.columns or column in _SKIPPED.get(key, frozenset()):
                    continue
                part = (
                    frame[column].astype("object").where(mask, None)
                    if pd.api.types.is_object_dtype(frame[column].dtype)
                    else frame[column].where(mask)
                )
                refined = _code(frame[key], part).set_axis(frame.index)
                if refined.notna().any():
                    frame[f"{key}__{column}"] = refined
                    pending.append(f"{key}__{column}")
                    info["by"].append(column)
                    sub = refined.value_counts(dropna=True)
                    info["comparisons_avoided"] -= _pairs_in(sub[sub <= max_block_size])
            # Mentions with neither refinement (a name and nothing else) are compared with
            # the whole block: bare x block comparisons, linear in the block, when affordable.
            refined_any = pd.Series(False, index=frame.index)
            for column in info["by"]:
                refined_any |= frame[f"{key}__{column}"].notna()
            if narrowed is not None:
                pending.append(narrowed)
                info["by"].append("initials")
            bare = mask & ~refined_any
            per_block = frame.loc[bare, key].value_counts()
            cost = int((per_block * big.reindex(per_block.index)).sum())
            if len(per_block) and cost <= _BARE_BUDGET * max_block_size * max_block_size:
                frame[f"{key}__bare"] = frame[key].where(bare)
                frame[f"{key}__big"] = frame[key].where(mask)
                info["by"].append(f"name-only mentions against the block ({cost} comparisons)")
            (report.refined if info["by"] else report.dropped)[key] = info
        frame.loc[mask, key] = pd.NA
    # The narrowings' columns are made for the guard alone: what they gave is in the keys.
    for column in NARROWINGS:
        if column in frame.columns:
            del frame[column]
    for key in LIST_KEYS:
        if key in frame.columns:
            _guard_list_key(frame, key, max_block_size, report)
    return report


def _narrow(frame: pd.DataFrame, key: str, mask: pd.Series) -> str | None:
    """The narrowing of `key`'s over-large blocks (`NARROWINGS`, rows `mask`) as a new key
    column `<key>__<column>`, its name; None when the key has none or nothing narrows."""
    column = next((c for c, k in NARROWINGS.items() if k == key), None)
    if column is None or column not in frame.columns:
        return None
    values = frame[column]
    crowded = values[mask].dropna().unique()
    if not len(crowded):
        return None
    frame[f"{key}__{column}"] = values.where(values.isin(crowded))
    return f"{key}__{column}"


def _guard_list_key(
    frame: pd.DataFrame, key: str, max_block_size: int, report: BlockGuardReport
) -> None:
    """The guard for a list-valued key: elements shared by more than `max_block_size`
    mentions are removed from every list (refining them would need the list's structure)."""
    lists = frame[key].tolist()
    elements = _list_elements(lists)
    if elements is None:  # not lists of integer codes: pandas counts them
        counts = frame[key].explode().value_counts(dropna=True)
        big_values, big_counts = counts.index[counts > max_block_size], counts[counts > max_block_size]
        kept = counts[counts <= max_block_size].to_numpy()
    else:
        values, tally = np.unique(elements[0], return_counts=True)
        big_values, big_counts = values[tally > max_block_size], tally[tally > max_block_size]
        kept = tally[tally <= max_block_size]
    report.comparisons[key] = _pairs_in(kept)
    if not len(big_counts):
        return
    report.dropped[key] = {
        "blocks": len(big_counts),
        "largest": int(big_counts.max()),
        "mentions": int(big_counts.sum()),
        "comparisons_avoided": _pairs_in(big_counts),
    }
    drop = set(big_values.tolist())
    # Only the lists holding a dropped element are made again (when the rows of the elements
    # are known), the others kept as they are.
    rows = (
        range(len(lists))
        if elements is None
        else np.unique(elements[1][np.isin(elements[0], big_values)]).tolist()
    )
    for row in rows:
        v = lists[row]
        if isinstance(v, list) and not drop.isdisjoint(v):
            lists[row] = [k for k in v if k not in drop] or None
    frame[key] = lists


def _list_elements(lists: list[Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """(every element, the row it is in) of a column of lists of integers (or None), as
    int64 arrays; None when any value is something else (explode would count it)."""
    if not all(v is None or isinstance(v, list) for v in lists):
        return None
    lengths = np.fromiter((len(v) if v else 0 for v in lists), dtype=np.int64, count=len(lists))
    flat = [k for v in lists if v for k in v]
    if not all(type(k) is int for k in flat):
        return None
    return np.asarray(flat, dtype=np.int64), np.repeat(np.arange(len(lists)), lengths)


def _coded(raw: pd.DataFrame, name: str, prepare: Callable[[Any], Any] | None = None) -> Coded:
    """The codes and distinct values of a read column (all missing when there is none);
    `prepare` makes each value hashable first when the column is not text (lists)."""
    if name not in raw.columns:
        return Coded(np.full(len(raw), -1, dtype=np.int64), [])
    array = arrow_column(raw[name])
    if array is not None:
        return Coded.of(array)
    column = raw[name].astype("object")
    return Coded.of(column.map(prepare) if prepare is not None else column)


def _numbers(raw: pd.DataFrame, name: str) -> np.ndarray:
    """A read column as floats (NaN where missing or not a number)."""
    if name not in raw.columns:
        return np.full(len(raw), np.nan)
    column = raw[name]
    if pd.api.types.is_numeric_dtype(column.dtype) and not isinstance(column.dtype, pd.ArrowDtype):
        return column.to_numpy(dtype=float, na_value=np.nan)
    array = arrow_column(column)
    if array is not None and pa.types.is_integer(array.type):
        return array.cast(pa.float64()).to_numpy(zero_copy_only=False)
    return pd.to_numeric(column.astype("object"), errors="coerce").to_numpy(dtype=float)


def _years(dates: Coded) -> np.ndarray:
    """The year (the first four characters as a number) of each row's date, NaN if none."""
    table = pd.to_numeric(pd.Series(dates.values, dtype="object").str[:4], errors="coerce")
    return np.append(table.to_numpy(dtype=float), np.nan)[dates.codes]


def _iso(value: Any) -> str | None:
    if is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()[:10]
    return dt.date.fromisoformat(text).isoformat() if text else None


def _postcode(text: Any) -> str | None:
    text = _text(text)
    if text is None:
        return None
    # A postcode that is not UK-shaped (an overseas one) is kept compact, as written.
    return normalise_postcode(text) or "".join(text.upper().split())


def _phones(value: Any) -> tuple[str, ...] | None:
    raw = value
    if isinstance(raw, str):
        raw = from_json(raw, [])
    if not isinstance(raw, list | tuple | np.ndarray) and is_missing(raw):
        return None
    found = sorted({p for p in (normalise_phone(str(x)) for x in raw) if p})
    return tuple(found) or None


def _handle_text(value: Any) -> str | None:
    """A mention's online handles, lower-cased, distinct and sorted, in one text
    (`HANDLE_SEPARATOR` between them; None for none): the read's text, or a list given
    directly."""
    if isinstance(value, str):
        value = value.split(HANDLE_SEPARATOR)
    if not isinstance(value, list | tuple | np.ndarray):
        return None
    found = sorted({h.lower() for h in (present_text(str(x)) for x in value) if h})
    return HANDLE_SEPARATOR.join(found) or None


def handle_list(value: Any) -> tuple[str, ...]:
    """The handles of a frame's `handles` cell (none when it is empty)."""
    return tuple(value.split(HANDLE_SEPARATOR)) if isinstance(value, str) and value else ()


def _surname(text: Any) -> str | None:
    clean = clean_name(_text(text))
    return clean.replace("-", " ") if clean else None


def _name_words(both: str) -> list[str] | None:
    """The keys of every word of a name, forenames and surname alike ("forenames|surname"),
    sorted; None below two words. Two names sharing two of them are one name with a middle
    name or patronymic added or dropped ("Idris Mohamed Mohamud" / "Idris Mohamud")."""
    clean = clean_name(both.replace("|", " "))
    if not clean:
        return None
    keys = sorted({name_key(w) for w in clean.replace("-", " ").split() if len(w) > 1} - {""})
    return keys if len(keys) >= 2 else None


def _surname_parts(surname: str) -> list[str] | None:
    return sorted({name_key(p) for p in surname.split()} - {""}) or None


def _word_keys(part: str | None) -> frozenset[str]:
    """The keys of the words (two letters or more) of one name field, as `_name_words`
    keys them: cleaning and transliteration work word by word, so the words of the whole
    name are those of its forenames and of its surname."""
    clean = clean_name(part) if part else None
    if not clean:
        return frozenset()
    return frozenset(name_key(w) for w in clean.replace("-", " ").split() if len(w) > 1) - {""}


def _name_words_of(forenames: list[Any], surnames: list[Any]) -> list[list[str] | None]:
    """`_name_words` of every mention's forenames and surname (see `_name_words_coded`)."""
    return list(_name_words_coded(Coded.of(forenames), Coded.of(surnames)).tolist())


def _name_words_coded(
    forenames: Coded, surnames: Coded, known: Normalised | None = None
) -> np.ndarray:
    """`_name_words` of every mention's forenames and surname, each distinct forename,
    surname and pair of them worked out once (at a million mentions there are 440,000
    distinct names but far fewer distinct forenames and surnames)."""
    # Names with the same keys are one: the pairs are of distinct sets of keys.
    word_keys = (known or Normalised())(_word_keys)
    f_sets = forenames.map(word_keys)
    s_sets = surnames.map(word_keys)
    f_keys = [*f_sets.values, frozenset()]  # code -1: none
    s_keys = [*s_sets.values, frozenset()]
    width = len(s_keys)
    f_index = np.where(f_sets.codes < 0, len(f_keys) - 1, f_sets.codes)
    s_index = np.where(s_sets.codes < 0, width - 1, s_sets.codes)
    pair_codes, pairs = pd.factorize(f_index * width + s_index)
    table = np.empty(len(pairs), dtype=object)
    for i, code in enumerate(np.asarray(pairs).tolist()):
        keys = sorted(f_keys[code // width] | s_keys[code % width])
        table[i] = keys if len(keys) >= 2 else None
    return table[pair_codes]


def build_frame(
    rows: Iterable[Mapping[str, Any]] | pd.DataFrame, normalised: Normalised | None = None
) -> pd.DataFrame:
    """The linkage frame (normalised columns + blocking keys) from canonical mention rows
    (dicts or a DataFrame with the columns of `load_mention_rows`). Vectorised: every
    normaliser runs once per distinct value, on columns held as codes (`coded.Coded`);
    `normalised`: results worked out ahead (`prenormalise`), looked up instead."""
    known = normalised or Normalised()
    raw = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if raw.empty:
        raw = pd.DataFrame({"mention_id": pd.Series([], dtype="int64")})
    raw = raw.reset_index(drop=True)
    unique_id = raw["mention_id"].astype("int64").to_numpy()
    if not pd.Index(unique_id).is_monotonic_increasing:  # the frame is in mention-id order
        order = np.argsort(unique_id, kind="stable")
        raw, unique_id = raw.iloc[order].reset_index(drop=True), unique_id[order]
    n = len(raw)
    forenames = _coded(raw, "forenames").map(known(_text))
    surnames = _coded(raw, "surname").map(known(_text))
    # A name written only whole ("name as written") is split where neither part was given.
    blank = forenames.missing & surnames.missing
    if blank.any():
        written = _coded(raw, "name_raw").where(blank).map(_text)
        split = [split_full_name(v, "auto") for v in written.values]
        forenames = forenames.replaced(blank, Coded.from_table(written.codes, [f for f, _ in split]))
        surnames = surnames.replaced(blank, Coded.from_table(written.codes, [s for _, s in split]))
    forename = forenames.map(known(_first_forename))
    surname = surnames.map(known(_surname))
    forename_std = forename.map(known(forename_key))
    surname_std = surname.map(known(_surname_std))
    dob = _coded(raw, "dob").map(_iso)
    precision = _coded(raw, "dob_precision").map(_text)
    on = _coded(raw, "event_date").map(_iso)
    age = _numbers(raw, "age_at_event")
    # The precision as written, else "day" for a date of birth and "none" without one.
    has_date = ~dob.missing
    day = precision.flags(lambda p: p == "day") | (precision.missing & has_date)
    month = precision.flags(lambda p: p == "month")
    has_dob = has_date & (day | month | precision.flags(lambda p: p == "year"))
    dob_year = _years(dob)
    on_year = _years(on)
    from_age = ~has_dob & ~np.isnan(age) & ~np.isnan(on_year) & (age >= 0) & (age < 120)
    born = on_year - np.floor(np.nan_to_num(age))
    yob_hi = np.where(has_dob, dob_year, np.where(from_age, born, np.nan))
    yob_lo = np.where(has_dob, dob_year, np.where(from_age, born - 1, np.nan))
    postcode = _coded(raw, "postcode").map(known(_postcode))
    address = _coded(raw, "address").map(known(_text))
    street_number = address.map(known(_street_number))
    sex = _coded(raw, "sex").map(_sex)
    phones = _coded(raw, "phones", _hashable).map(known(_phone_tuple))
    scheme_value = _coded(raw, "identifier").map(_bare_identifier)
    strong_id = Coded(np.full(n, -1, dtype=np.int64), [])
    if "identifiers" in raw.columns:
        # Each distinct JSON read once for both (first identifier, strong identifier).
        both = _coded(raw, "identifiers").map(known(_identifiers))
        scheme_value = scheme_value.replaced(scheme_value.missing, both.map(lambda b: b[0]))
        strong_id = both.map(lambda b: b[1])
    identifier = scheme_value.map(lambda v: v[1])
    id_scheme = scheme_value.map(lambda v: v[0])
    dob_day = dob.where(day)
    columns: dict[str, Any] = {
        "unique_id": unique_id,
        "source": _coded(raw, "source").column(_text),
        "forename1": forename.column(),
        "forename_std": forename_std.column(),
        "forename_keys": forename.column(known(_forename_key_list)),
        "surname": surname.column(),
        "surname_std": surname_std.column(),
        "surname_parts": surname.column(known(_surname_parts)),
        "name_words": _name_words_coded(forenames, surnames, known),
        "dob": dob_day.column(),
        "dob_ym": dob.where(day | month).column(lambda d: d[:7]),
        "yob_lo": pd.Series(yob_lo).round().astype("Int64").to_numpy(),
        "yob_hi": pd.Series(yob_hi).round().astype("Int64").to_numpy(),
        "sex": sex.column(),
        "postcode": postcode.column(),
        "postcode_district": postcode.column(known(postcode_district)),
        "street_number": street_number.column(),
        "address": address.column(known(normalise_address)),
        "phones": phones.column(list),
        # The mention's online handles in one text (`handle_list` splits it): no comparison
        # reads them; `attach_bare_names` places a lone mention by one.
        "handles": _coded(raw, "handles", _hashable).column(_handle_text),
        "identifier": identifier.column(),
        "id_scheme": id_scheme.column(),
        "strong_id": strong_id.column(),
        "record_id": _record_ids(raw),
        # The record's borough (`records.borough`, normalised at import): where a
        # crime happened, the council of a referral, the borough a child went missing
        # from. A child's records mostly sit in one borough (`model._borough_comparison`).
        "borough": _coded(raw, "borough").column(_text),
    }
    frame = pd.DataFrame(
        {
            name: pd.Series(values, dtype="object", copy=False)
            if isinstance(values, np.ndarray) and values.dtype == object
            else values
            for name, values in columns.items()
        }
    )
    del columns
    parts = {
        "forename1": forename,
        "forename_std": forename_std,
        "surname": surname,
        "surname_std": surname_std,
        "dob": dob_day,
        "postcode": postcode,
        "street_number": street_number,
        "phone1": phones.map(lambda p: p[0]),
        "id_scheme": id_scheme,
        "identifier": identifier,
        "strong_id": strong_id,
    }
    _add_blocking_keys(frame, parts, known)
    return add_record_mates(frame, parts)


def _sex(value: Any) -> str | None:
    text = _text(value)
    sex = text.lower() if text else None
    return sex if sex in _SEXES else None


def _record_ids(raw: pd.DataFrame) -> pd.api.extensions.ExtensionArray:
    """The record id of each mention as nullable integers."""
    column = raw["record_id"] if "record_id" in raw.columns else None
    if (
        column is not None
        and pd.api.types.is_integer_dtype(column.dtype)
        and not isinstance(column.dtype, pd.ArrowDtype)
    ):
        return pd.array(column.to_numpy(), dtype="Int64")
    values = _column(raw, "record_id")
    return pd.array(pd.to_numeric(values, errors="coerce").to_numpy(), dtype="Int64")


def _column(raw: pd.DataFrame, name: str) -> pd.Series:
    if name in raw.columns:
        return raw[name].astype("object")
    return pd.Series([None] * len(raw), index=raw.index, dtype="object")


def _first_identifier(value: Any) -> tuple[str, str] | None:
    """A mention's (scheme, identifier) from `mentions.identifiers` (a JSON object of
    scheme -> value): the first scheme in sorted order (a mention rarely has two)."""
    found = from_json(value, {}) if isinstance(value, str) else value
    if not isinstance(found, dict):
        return None
    strong = set(found.get(STRONG_KEY) or ())
    for scheme in sorted(found):
        if scheme == STRONG_KEY or scheme in strong:
            continue
        text = _text(found[scheme])
        if text:
            return (scheme, text)
    return None


def _identifiers(value: Any) -> tuple[tuple[str, str] | None, str | None]:
    """(`_first_identifier`, `_strong_identifier`) of `mentions.identifiers`, parsed once."""
    found = from_json(value, {}) if isinstance(value, str) else value
    if not isinstance(found, dict):
        return None, None
    return _first_identifier(found), _strong_identifier(found)


def _strong_identifier(value: Any) -> str | None:
    """A mention's strong identifier as "scheme:value" (the first strong scheme in sorted
    order with a value), from `mentions.identifiers`; None when it has none."""
    found = from_json(value, {}) if isinstance(value, str) else value
    if not isinstance(found, dict):
        return None
    for scheme in sorted(found.get(STRONG_KEY) or ()):
        text = _text(found.get(scheme))
        if text:
            return f"{scheme}:{normalise_identifier(text) or text}"
    return None


def _bare_identifier(value: Any) -> tuple[str, str] | None:
    """An identifier given without a scheme (a frame built directly): scheme "id"."""
    text = _text(value)
    return ("id", text) if text else None


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | tuple | np.ndarray) else value


def _phone_tuple(value: Any) -> tuple[str, ...] | None:
    """A mention's phones, normalised and sorted (None for none): a JSON list as read, or a
    tuple (`_hashable`) of a list given directly."""
    return _phones(list(value) if isinstance(value, tuple) else value)


def _person_key(forename_std: Coded, surname_std: Coded) -> Coded:
    """Both name keys in either order ("ali|muhammad"), missing unless both are known: how a
    record-mate is recognised whichever way round, or with whichever nickname, it is written.
    Made once per distinct pair of keys."""
    f_missing = np.array([is_missing(v) for v in forename_std.values] + [True])
    s_missing = np.array([is_missing(v) for v in surname_std.values] + [True])
    known = ~(f_missing[forename_std.codes] | s_missing[surname_std.codes])
    width = len(surname_std.values) + 1
    pair_codes, pairs = pd.factorize(forename_std.codes[known] * width + surname_std.codes[known])
    pairs = np.asarray(pairs, dtype=np.int64)
    codes = np.full(len(known), -1, dtype=np.int64)
    try:  # each pair's key joined in Arrow (UTF-8 order is Python's order of code points)
        f = pa.array(forename_std.values, type=pa.string()).take(pairs // width)
        s = pa.array(surname_std.values, type=pa.string()).take(pairs % width)
    except (pa.ArrowException, TypeError):  # keys that are not all text
        keys = []
        for code in pairs.tolist():
            fv, sv = forename_std.values[code // width], surname_std.values[code % width]
            keys.append(f"{fv}|{sv}" if fv <= sv else f"{sv}|{fv}")
        codes[known] = pair_codes
        return Coded.from_table(codes, keys)
    joined = pc.if_else(
        pc.less_equal(f, s),
        pc.binary_join_element_wise(f, s, "|"),
        pc.binary_join_element_wise(s, f, "|"),
    )
    key = Coded.of(joined)
    codes[known] = key.codes[pair_codes]
    return Coded(codes, key.values)


def lists_by_position(pos: np.ndarray, values: np.ndarray, n: int) -> list[list[Any] | None]:
    """Per position 0..n-1, the sorted distinct `values` given for it (None when none)."""
    out: list[list[Any] | None] = [None] * n
    if not len(pos):
        return out
    pos, values = np.asarray(pos), np.asarray(values)
    if values.dtype.kind in "iu":  # codes: sorted and made distinct in numpy
        order = np.lexsort((values, pos))
        p, w = pos[order], values[order]
        first = np.ones(len(p), dtype=bool)
        first[1:] = (p[1:] != p[:-1]) | (w[1:] != w[:-1])
        p, w = p[first], w[first]
    else:
        table = pd.DataFrame({"pos": pos, "v": values}).drop_duplicates()
        table = table.sort_values(["pos", "v"])
        p, w = table["pos"].to_numpy(), table["v"].to_numpy()
    v = w.tolist()  # once: a tolist per position cost 20 s at a million mentions
    starts = np.concatenate([[0], np.flatnonzero(np.diff(p)) + 1])
    ends = np.append(starts[1:], len(p))
    for where, start, end in zip(p[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
        out[where] = v[start:end]
    return out


def record_mates(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(row position, row position of another mention its record names) for every such
    pair of rows, sorted by the first. Records naming more than `MAX_RECORD_MATES` others
    give none (a crowd says little about any one of them)."""
    rid = pd.to_numeric(frame["record_id"], errors="coerce").to_numpy(dtype=float)
    members = pd.DataFrame({"pos": np.arange(len(frame)), "rid": rid}).dropna(subset=["rid"])
    size = members.groupby("rid")["pos"].transform("size")
    members = members[(size >= 2) & (size <= MAX_RECORD_MATES + 1)]
    pairs = members.merge(members, on="rid", suffixes=("", "_mate"))
    pairs = pairs[pairs["pos"] != pairs["pos_mate"]].sort_values(["pos", "pos_mate"])
    return pairs["pos"].to_numpy(np.int64), pairs["pos_mate"].to_numpy(np.int64)


def add_record_mates(
    frame: pd.DataFrame, parts: Mapping[str, Coded] | None = None
) -> pd.DataFrame:
    """Add the list-valued blocking key `bka_mates`, in place: the mention's forename key
    and, apart, its surname key, each joined with the name key (`_person_key`) of one other
    person its record names (`record_mates`). It brings in the mentions that carry a name
    and nothing else (parents and associates in referrals), which at scale sit in name
    blocks too large to compare whole: the same associate on two referrals about one child
    shares the child's name. Splink explodes the list (one key per element). `parts`: the
    codes of `forename_std` and `surname_std` when the caller has them (`build_frame`)."""
    if parts is None:
        parts = {c: Coded.of(frame[c]) for c in ("forename_std", "surname_std")}
    mate_code = _person_key(parts["forename_std"], parts["surname_std"]).codes
    pos, other = record_mates(frame)
    named = mate_code[other] >= 0
    pos, other = pos[named], other[named]
    # Each element ("forename key of this mention = name of that mate", and the same with
    # the surname key) as one integer made of three codes rather than as joined text (at a
    # million mentions, millions of temporary strings). Codes are numbered by first
    # appearance, as the text was, so the keys are the same.
    keys_pos: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    width = np.int64(len(frame) + 1)
    for prefix, col in enumerate(("forename_std", "surname_std")):
        own = parts[col].codes[pos]
        known = own >= 0
        keys_pos.append(pos[known])
        keys.append((prefix * width + own[known]) * width + mate_code[other[known]])
    codes, _ = pd.factorize(np.concatenate(keys))
    del keys, mate_code
    frame["bka_mates"] = pd.Series(
        lists_by_position(np.concatenate(keys_pos), codes.astype(np.int64), len(frame)),
        index=frame.index,
    )
    return frame


def context_matrix(
    frame: pd.DataFrame,
    labels: Mapping[int, int],
    more: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Each row's context as an n x k matrix padded with -1: the first-pass persons (cluster
    labels in `labels`) of the *other* mentions its record names (`record_mates`), and of
    the rows `more` gives it (pairs of row positions: the mentions of records its source
    linked to its record, `context.linked_mates`), distinct, ascending. A row of -1 when
    there are none."""
    uid = frame["unique_id"].to_numpy(dtype=np.int64)
    label = pd.Series(uid).map(labels).fillna(-1).to_numpy(np.int64)
    pos, other = record_mates(frame)
    if more is not None:
        pos, other = np.concatenate([pos, more[0]]), np.concatenate([other, more[1]])
    table = pd.DataFrame({"pos": pos, "label": label[other]})
    table = table[table["label"] >= 0].drop_duplicates().sort_values(["pos", "label"])
    rank = table.groupby("pos").cumcount().to_numpy()
    # 32-bit labels when they fit (mention ids do): the matrix is as wide as the most
    # context any row has, and at a million mentions a 64-bit one is a quarter gigabyte.
    fits = not len(table) or int(table["label"].max()) < np.iinfo(np.int32).max
    width = int(rank.max()) + 1 if len(rank) else 1
    matrix = np.full((len(frame), width), -1, dtype=np.int32 if fits else np.int64)
    matrix[table["pos"].to_numpy(), rank] = table["label"].to_numpy()
    return matrix


def unanchored(frame: pd.DataFrame) -> np.ndarray:
    """Unique ids of the mentions with nothing that places or identifies the person: no
    postcode, address or identifier (a name, perhaps a date of birth or a phone). At scale
    many people share a name and a date of birth, and where they live is what tells them
    apart (the postcode agrees for 98% of true pairs that both have one), so such a mention
    may join only one of the people formed by mentions that have it (`strongest_only`)."""
    bare = (
        frame["postcode"].isna()
        & frame["identifier"].isna()
        & frame["strong_id"].isna()
        & frame["address"].isna()
    )
    return frame.loc[bare, "unique_id"].to_numpy(dtype=np.int64)


def context_lists(matrix: np.ndarray) -> list[list[str] | None]:
    """Rows of a `context_matrix` as lists of label strings (None for an empty row). Each
    label's string is made once and shared by every list naming it, and the padding is
    never made into Python objects (at a million mentions the whole matrix as Python
    integers was a quarter gigabyte for a moment)."""
    live = matrix >= 0
    counts = live.sum(axis=1).tolist()
    distinct, code = np.unique(matrix[live], return_inverse=True)  # row by row, in order
    texts = [str(v) for v in distinct.tolist()]
    named = [texts[c] for c in code.tolist()]
    out: list[list[str] | None] = []
    at = 0
    for n in counts:
        out.append(named[at : at + n] if n else None)
        at += n
    return out


def add_context(frame: pd.DataFrame, labels: Mapping[int, int]) -> pd.DataFrame:
    """Add `context` (`context_matrix` as lists of strings, NULL when empty): for each
    mention, the first-pass persons of the *other* mentions its record names (a mother
    named on two referrals about the same child shares that child). The columns are shared
    with `frame`, not copied."""
    out = frame.copy(deep=False)
    out["context"] = pd.Series(
        context_lists(context_matrix(frame, labels)), index=out.index, dtype="object"
    )
    return out


def mention_query() -> Select[Any]:
    """Every mention with its source's name and its record's dates and borough, in mention-id
    order: what `load_mention_rows` reads (and `staging.mention_chunks`, a chunk at a time)."""
    return (
        select(
            mentions.c.id.label("mention_id"),
            mentions.c.record_id,
            sources.c.name.label("source"),
            mentions.c.mention_key,
            mentions.c.forenames,
            mentions.c.surname,
            mentions.c.name_raw,
            mentions.c.dob,
            mentions.c.dob_precision,
            mentions.c.age_at_event,
            mentions.c.sex,
            mentions.c.address,
            mentions.c.postcode,
            mentions.c.phones,
            mentions.c.identifiers,
            _handles_read(),
            records.c.occurred_at,
            records.c.recorded_at,
            records.c.borough,
        )
        .select_from(
            mentions.join(sources, sources.c.id == mentions.c.source_id).join(
                records, records.c.id == mentions.c.record_id
            )
        )
        .order_by(mentions.c.id)
    )


# What separates a mention's online handles in the read's `handles` text (handles are
# stored lower-cased and stripped; a control character is never part of one).
HANDLE_SEPARATOR = "\x1f"


def _handles_read() -> Any:
    """The online handles (`online_id` objects) the store attaches to a mention, in one
    text (`HANDLE_SEPARATOR` between them; NULL for none). Looked up through the mention's
    record (the unique index of `record_objects` starts with the record), not by a scan."""
    # Literals, not bound parameters: the query is run as its compiled text
    # (`load_mention_rows`); `aggregate_strings` renders a literal separator as given.
    separator = cast(str, literal_column(f"'{HANDLE_SEPARATOR}'"))
    return (
        select(func.aggregate_strings(objects.c.value, separator))
        .select_from(record_objects.join(objects, objects.c.id == record_objects.c.object_id))
        .where(
            record_objects.c.record_id == mentions.c.record_id,
            record_objects.c.mention_id == mentions.c.id,
            objects.c.kind == literal_column(f"'{ObjectKind.ONLINE_ID.value}'"),
        )
        .scalar_subquery()
        .label("handles")
    )


def with_event_date(data: dict[str, Any]) -> pd.DataFrame:
    """The read columns as a frame, the record's `occurred_at` or else `recorded_at` as
    `event_date`."""
    occurred, recorded = data.pop("occurred_at"), data.pop("recorded_at")
    data["event_date"] = occurred.where(occurred.notna(), recorded)
    return pd.DataFrame(data)


class _ReadColumn:
    """One column of the read, kept as Arrow arrays while the driver gives text or integers
    (a million Python strings per column would otherwise sit in memory until the frame is
    built), else as the Python objects it gives (dates and JSON on PostgreSQL). `hint`: the
    Arrow type of the store's column when it is text or an integer (what a column that is
    NULL throughout becomes)."""

    def __init__(self, hint: pa.DataType | None) -> None:
        self.chunks: list[pa.Array] = []
        self.type = hint
        self.objects: list[Any] | None = None

    def add(self, values: tuple[Any, ...]) -> None:
        if self.objects is None:
            array = self._arrow(values)
            if array is not None:
                self.chunks.append(array)
                return
            self.objects = [v for chunk in self.chunks for v in chunk.to_pylist()]
            self.chunks = []
        self.objects.extend(values)

    def _arrow(self, values: tuple[Any, ...]) -> pa.Array | None:
        try:  # the type inferred every time: a float among integers is not made one
            array = pa.array(values)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            return None
        if array.type == pa.null():
            return array
        if array.type not in (pa.string(), pa.int64()):
            return None
        if self.type is None:
            self.type = array.type
        return array if array.type == self.type else None

    def series(self) -> pd.Series:
        """The column: Arrow text, numpy integers (no value missing), Arrow integers, or
        Python objects."""
        if self.objects is not None:
            return pd.Series(self.objects, dtype="object")
        if self.type is None:  # nothing but NULL, of a type that is not text or integers
            return pd.Series([None] * sum(len(c) for c in self.chunks), dtype="object")
        column = pa.chunked_array(
            [c.cast(self.type) if c.type == pa.null() else c for c in self.chunks], type=self.type
        )
        self.chunks = []
        if self.type == pa.int64() and column.null_count == 0:
            return pd.Series(column.to_numpy(), dtype="int64")
        return pd.Series(pd.arrays.ArrowExtensionArray(column))


def _arrow_hint(column: Any) -> pa.DataType | None:
    if isinstance(column.type, sa_types.Integer):
        return pa.int64()
    if isinstance(column.type, sa_types.String):
        return pa.string()
    return None


def read_columns(
    query: Select[Any],
    batches: Iterable[Sequence[tuple[Any, ...]]],
    feed: Callable[[dict[str, pa.Array]], None] | None = None,
) -> pd.DataFrame:
    """The rows of `query` that `batches` gives (the DB-API cursor's plain tuples), as the
    columns `load_mention_rows` returns (see `_ReadColumn`), `event_date` made of the
    record's dates (`with_event_date`). `feed`: given each batch's columns read as Arrow
    text, as they are read (`prenormalise`)."""
    selected = list(query.selected_columns)
    columns = [_ReadColumn(_arrow_hint(c)) for c in selected]
    for batch in batches:
        for column, values in zip(columns, zip(*batch, strict=True), strict=True):
            column.add(values)
        if feed is not None:
            feed(
                {
                    c.name: r.chunks[-1]
                    for c, r in zip(selected, columns, strict=True)
                    if r.objects is None and r.chunks and r.chunks[-1].type == pa.string()
                }
            )
    return with_event_date({c.name: r.series() for c, r in zip(selected, columns, strict=True)})


def _fetched(cursor: Any, chunk: int) -> Iterator[list[tuple[Any, ...]]]:
    while batch := cursor.fetchmany(chunk):
        yield batch


def load_mention_rows(
    conn: Connection,
    *,
    chunk: int = 50_000,
    feed: Callable[[dict[str, pa.Array]], None] | None = None,
) -> pd.DataFrame:
    """Every mention's identifying values, with its source's name and the record's date
    (an age at the event becomes a range of birth years), one column per value.

    Read in chunks straight into columns, each chunk's text and integers into Arrow arrays
    (`read_columns`): a list of a million row dicts held 1.5 GB, and columns of Python
    strings 1.3 GB; `build_frame` finds their distinct values in Arrow."""
    query = mention_query()
    # Through the DB-API cursor of the open transaction, as plain tuples: SQLAlchemy builds a
    # row object per mention and parses each date with a regular expression (at a million
    # mentions most of the read). Dates come as the driver gives them (ISO text on SQLite,
    # dates on PostgreSQL); `build_frame` reads both (`_iso`).
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(query.compile(dialect=conn.dialect)))
        return read_columns(query, _fetched(cursor, chunk), feed)
    finally:
        cursor.close()
