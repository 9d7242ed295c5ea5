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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, select

from casereview.model.serial import from_json
from casereview.model.tables import mentions, records, sources
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
    "LIST_KEYS",
    "MAX_RECORD_MATES",
    "REFINEMENTS",
    "BlockGuardReport",
    "add_context",
    "bare_blocking_columns",
    "blocking_columns",
    "build_frame",
    "context_lists",
    "context_matrix",
    "effective_block_cap",
    "guard_blocks",
    "list_blocking_columns",
    "lists_by_position",
    "load_mention_rows",
    "mention_query",
    "record_mates",
    "select_blocking_keys",
    "with_event_date",
]

# Every blocking key: name of its column -> what it joins on (for the run log and docs).
BLOCKING_KEYS: dict[str, str] = {
    "bk_name": "forename and surname keys, in either order (nicknames, variants, swaps)",
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


def _code(*parts: pd.Series | np.ndarray) -> pd.Series:
    """A blocking key as integer codes: rows with equal parts get the same code, NULL where
    any part is missing (blanks never block). Integers rather than the joined text: DuckDB
    joins and compares them several times faster, and they take a fraction of the memory."""
    combined: np.ndarray | None = None
    missing: np.ndarray | None = None
    for part in parts:
        codes, uniques = pd.factorize(np.asarray(part, dtype=object), use_na_sentinel=True)
        codes = codes.astype(np.int64)
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


def add_blocking_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the `bk_*` columns (NULL where a part is missing, so that blanks never block)."""
    f = frame
    initial = f["forename1"].str[:1]
    last_initial = f["surname"].map(lambda s: s.split()[-1][:1] if isinstance(s, str) else None)
    phone1 = f["phones"].map(lambda p: p[0] if isinstance(p, list | tuple) and len(p) else None)
    # Both parts keyed the same way (no nickname expansion) so that a swapped order matches.
    fkey = pd.Series(_unique_map(f["forename1"], name_key), index=f.index, dtype="object")
    skey = f["surname_std"]
    # A surname field of one letter beside a full word ("Y Bhatia" read as forename "Bhatia",
    # surname "Y": an initial written first) is keyed the other way round too, the word as
    # the surname and the letter as the forename's initial, so that it meets "Yasti Bhatia".
    crossed = (f["surname"].str.len() == 1) & (f["forename1"].str.len() > 1)
    word_as_surname = pd.Series(
        _unique_map(f["forename1"].where(crossed), lambda v: surname_key(v) or None),
        index=f.index,
        dtype="object",
    )
    surname_part = skey.where(~crossed, word_as_surname)
    initial_part = initial.where(~crossed, f["surname"])
    out = f.copy()
    out["bk_name"] = _code(_person_key(fkey, skey).to_numpy(dtype=object)).set_axis(f.index)
    cols: dict[str, tuple[pd.Series, ...]] = {
        "bk_dob": (f["dob"],),
        "bk_postcode_initial": (f["postcode"], initial),
        "bk_postcode_number": (f["postcode"], f["street_number"]),
        "bk_phone": (phone1,),
        "bk_identifier": (f["id_scheme"], f["identifier"]),
        "bk_strong_id": (f["strong_id"],),
        "bk_forename_surname1": (f["forename_std"], last_initial),
        "bk_surname_initial": (surname_part, initial_part),
    }
    for name in BLOCKING_KEYS:
        if name in cols:
            out[name] = _code(*cols[name]).set_axis(f.index)
    return out


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


def _pairs_in(counts: pd.Series) -> int:
    return int((counts * (counts - 1) // 2).sum())


def guard_blocks(frame: pd.DataFrame, max_block_size: int) -> BlockGuardReport:
    """The skewed-block guard, in place, before any comparison is generated.

    A key value shared by more than `max_block_size` mentions (a very common name, a care
    home's postcode, a taxi firm's phone) is not compared as one block: the key is refined
    with each column of `REFINEMENTS` (name key + year of birth, name key + postcode
    district), each refinement a new key column `<key>__<column>`; refined blocks still
    above the cap are dropped. The run log says which key, how many blocks and mentions,
    and how many comparisons were avoided. Refined keys are never refined again."""
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
            for column in REFINEMENTS:
                if column not in frame.columns or column in _SKIPPED.get(key, frozenset()):
                    continue
                part = frame[column].astype("object").where(mask, None)
                refined = _code(frame[key].astype("object"), part).set_axis(frame.index)
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
            bare = mask & ~refined_any
            per_block = frame.loc[bare, key].value_counts()
            cost = int((per_block * big.reindex(per_block.index)).sum())
            if len(per_block) and cost <= _BARE_BUDGET * max_block_size * max_block_size:
                frame[f"{key}__bare"] = frame[key].where(bare)
                frame[f"{key}__big"] = frame[key].where(mask)
                info["by"].append(f"name-only mentions against the block ({cost} comparisons)")
            (report.refined if info["by"] else report.dropped)[key] = info
        frame.loc[mask, key] = pd.NA
    for key in LIST_KEYS:
        if key in frame.columns:
            _guard_list_key(frame, key, max_block_size, report)
    return report


def _guard_list_key(
    frame: pd.DataFrame, key: str, max_block_size: int, report: BlockGuardReport
) -> None:
    """The guard for a list-valued key: elements shared by more than `max_block_size`
    mentions are removed from every list (refining them would need the list's structure)."""
    counts = frame[key].explode().value_counts(dropna=True)
    big = counts[counts > max_block_size]
    report.comparisons[key] = _pairs_in(counts[counts <= max_block_size])
    if not len(big):
        return
    report.dropped[key] = {
        "blocks": len(big),
        "largest": int(big.max()),
        "mentions": int(big.sum()),
        "comparisons_avoided": _pairs_in(big),
    }
    drop = set(big.index)
    frame[key] = [
        v
        if not isinstance(v, list) or drop.isdisjoint(v)
        else ([k for k in v if k not in drop] or None)
        for v in frame[key].tolist()
    ]


def _unique_map(values: Any, fn: Callable[[Any], Any]) -> list[Any]:
    """`fn` applied to each distinct value of `values` once (None for missing values)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype="object")
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = [fn(u) for u in uniques.tolist()]
    mapped.append(None)  # code -1: a missing value
    table = np.empty(len(mapped), dtype=object)
    table[:] = mapped
    return list(table[codes].tolist())


class _Distinct:
    """A column's distinct values, found once, for every normaliser that reads the column
    (`_unique_map` would find them again for each)."""

    def __init__(self, values: Any) -> None:
        series = values if isinstance(values, pd.Series) else pd.Series(values, dtype="object")
        self.codes, uniques = pd.factorize(series, use_na_sentinel=True)
        self.uniques = uniques.tolist()

    def map(self, fn: Callable[[Any], Any]) -> pd.Series:
        """`fn` of each row's value as an object column (None for missing values)."""
        mapped = [fn(u) for u in self.uniques]
        mapped.append(None)  # code -1: a missing value
        table = np.empty(len(mapped), dtype=object)
        table[:] = mapped
        return pd.Series(table[self.codes], dtype="object")


def _column(raw: pd.DataFrame, name: str) -> pd.Series:
    if name in raw.columns:
        return raw[name].astype("object")
    return pd.Series([None] * len(raw), index=raw.index, dtype="object")


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
    """`_name_words` of every mention's forenames and surname, each distinct forename,
    surname and pair of them worked out once (at a million mentions there are 440,000
    distinct names but far fewer distinct forenames and surnames)."""
    f_codes, f_values = pd.factorize(pd.Series(forenames, dtype="object"), use_na_sentinel=True)
    s_codes, s_values = pd.factorize(pd.Series(surnames, dtype="object"), use_na_sentinel=True)
    f_keys = [_word_keys(v) for v in f_values.tolist()] + [frozenset()]  # code -1: none
    s_keys = [_word_keys(v) for v in s_values.tolist()] + [frozenset()]
    width = len(s_keys)
    f_index = np.where(f_codes < 0, len(f_keys) - 1, f_codes).astype(np.int64)
    s_index = np.where(s_codes < 0, width - 1, s_codes).astype(np.int64)
    pair_codes, pairs = pd.factorize(f_index * width + s_index)
    table = np.empty(len(pairs), dtype=object)
    for i, code in enumerate(np.asarray(pairs).tolist()):
        keys = sorted(f_keys[code // width] | s_keys[code % width])
        table[i] = keys if len(keys) >= 2 else None
    return list(table[pair_codes].tolist())


def as_object(column: pd.Series) -> pd.Series:
    """`column` as an object column whose missing values are all None: pandas 3 stores text
    in a string dtype that spells a missing value NaN, which sorts and compares as a value."""
    out = column.astype("object")
    return out.where(out.notna(), None)


def build_frame(rows: Iterable[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """The linkage frame (normalised columns + blocking keys) from canonical mention rows
    (dicts or a DataFrame with the columns of `load_mention_rows`). Vectorised: every
    normaliser runs once per distinct value."""
    raw = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if raw.empty:
        raw = pd.DataFrame({"mention_id": pd.Series([], dtype="int64")})
    raw = raw.reset_index(drop=True)
    n = len(raw)
    forenames = _unique_map(_column(raw, "forenames"), _text)
    surnames = _unique_map(_column(raw, "surname"), _text)
    name_raw = _column(raw, "name_raw").tolist()
    for i in range(n):
        if forenames[i] is None and surnames[i] is None and _text(name_raw[i]):
            forenames[i], surnames[i] = split_full_name(_text(name_raw[i]), "auto")
    forename = _unique_map(forenames, _first_forename)
    surname = _unique_map(surnames, _surname)
    forename_of, surname_of = _Distinct(forename), _Distinct(surname)
    dob = _unique_map(_column(raw, "dob"), _iso)
    precision = _unique_map(_column(raw, "dob_precision"), _text)
    on = _unique_map(_column(raw, "event_date"), _iso)
    age = pd.to_numeric(_column(raw, "age_at_event"), errors="coerce").to_numpy(dtype=float)
    prec = np.array([p or ("day" if d else "none") for p, d in zip(precision, dob, strict=True)])
    dob_s = pd.Series(dob, dtype="object")
    has_dob = dob_s.notna().to_numpy() & np.isin(prec, ["day", "month", "year"])
    dob_year = pd.to_numeric(dob_s.str[:4], errors="coerce").to_numpy(dtype=float)
    on_year = pd.to_numeric(pd.Series(on, dtype="object").str[:4], errors="coerce").to_numpy(
        dtype=float
    )
    from_age = ~has_dob & ~np.isnan(age) & ~np.isnan(on_year) & (age >= 0) & (age < 120)
    born = on_year - np.floor(np.nan_to_num(age))
    yob_hi = np.where(has_dob, dob_year, np.where(from_age, born, np.nan))
    yob_lo = np.where(has_dob, dob_year, np.where(from_age, born - 1, np.nan))
    day = prec == "day"
    postcode = _unique_map(_column(raw, "postcode"), _postcode)
    address_of = _Distinct(_unique_map(_column(raw, "address"), _text))
    sex = _unique_map(_column(raw, "sex"), lambda v: (_text(v) or "").lower() if _text(v) else None)
    ids = pd.to_numeric(_column(raw, "record_id"), errors="coerce")
    scheme_value = _unique_map(_column(raw, "identifier"), _bare_identifier)
    strong_id: Any = [None] * n
    if "identifiers" in raw.columns:
        identifiers = _Distinct(_column(raw, "identifiers"))
        from_json_ids = identifiers.map(_first_identifier).tolist()
        scheme_value = [a or b for a, b in zip(scheme_value, from_json_ids, strict=True)]
        strong_id = identifiers.map(_strong_identifier)
    frame = pd.DataFrame(
        {
            "unique_id": raw["mention_id"].astype("int64").to_numpy(),
            "source": _unique_map(_column(raw, "source"), _text),
            "forename1": pd.Series(forename, dtype="object"),
            "forename_std": forename_of.map(forename_key),
            "forename_keys": forename_of.map(lambda f: list(forename_keys(f)) or None),
            "surname": pd.Series(surname, dtype="object"),
            "surname_std": surname_of.map(lambda s: surname_key(s) or None),
            "surname_parts": surname_of.map(_surname_parts),
            "name_words": _name_words_of(forenames, surnames),
            "dob": np.where(day, dob_s.to_numpy(), None),
            "dob_ym": np.where(day | (prec == "month"), dob_s.str[:7].to_numpy(dtype=object), None),
            "yob_lo": pd.Series(yob_lo).round().astype("Int64").to_numpy(),
            "yob_hi": pd.Series(yob_hi).round().astype("Int64").to_numpy(),
            "sex": [s if s in _SEXES else None for s in sex],
            "postcode": pd.Series(postcode, dtype="object"),
            "postcode_district": _unique_map(postcode, postcode_district),
            "street_number": address_of.map(_street_number),
            "address": address_of.map(normalise_address),
            "phones": _unique_map(_column(raw, "phones").map(_hashable), _phone_list),
            "identifier": [v[1] if v else None for v in scheme_value],
            "id_scheme": [v[0] if v else None for v in scheme_value],
            "strong_id": strong_id,
            "record_id": pd.array(ids.to_numpy(), dtype="Int64"),
            # The record's borough (`records.borough`, normalised at import): where a
            # crime happened, the council of a referral, the borough a child went missing
            # from. A child's records mostly sit in one borough (`model._borough_comparison`).
            "borough": _unique_map(_column(raw, "borough"), _text),
        }
    )
    for col in frame.columns:
        if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col].dtype):
            frame[col] = as_object(frame[col])
    frame = frame.sort_values("unique_id", kind="stable").reset_index(drop=True)
    return add_record_mates(add_blocking_keys(frame))


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


def _phone_list(value: Any) -> list[str] | None:
    found = _phones(list(value) if isinstance(value, tuple) else value)
    return list(found) if found else None


def _person_key(forename_std: pd.Series, surname_std: pd.Series) -> pd.Series:
    """Both name keys in either order ("ali|muhammad"), NULL unless both are known: how a
    record-mate is recognised whichever way round, or with whichever nickname, it is written.
    Made once per distinct pair of keys."""
    f_codes, f_values = pd.factorize(forename_std.to_numpy(dtype=object), use_na_sentinel=True)
    s_codes, s_values = pd.factorize(surname_std.to_numpy(dtype=object), use_na_sentinel=True)
    forenames, surnames = list(f_values), list(s_values)
    # Code -1 (NULL) is the last entry of each: missing, as a blank key is.
    f_missing = np.array([is_missing(v) for v in forenames] + [True])
    s_missing = np.array([is_missing(v) for v in surnames] + [True])
    known = ~(f_missing[f_codes] | s_missing[s_codes])
    width = len(surnames) + 1
    pair_codes, pairs = pd.factorize(f_codes[known].astype(np.int64) * width + s_codes[known])
    keys = np.empty(len(pairs), dtype=object)
    for i, code in enumerate(np.asarray(pairs).tolist()):
        f, s = forenames[code // width], surnames[code % width]
        keys[i] = f"{f}|{s}" if f <= s else f"{s}|{f}"
    out = np.full(len(forename_std), None, dtype=object)
    out[known] = keys[pair_codes]
    return pd.Series(out, index=forename_std.index, dtype="object")


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


def add_record_mates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the list-valued blocking key `bka_mates`, in place: the mention's forename key
    and, apart, its surname key, each joined with the name key (`_person_key`) of one other
    person its record names (`record_mates`). It brings in the mentions that carry a name
    and nothing else (parents and associates in referrals), which at scale sit in name
    blocks too large to compare whole: the same associate on two referrals about one child
    shares the child's name. Splink explodes the list (one key per element)."""
    mate = _person_key(frame["forename_std"], frame["surname_std"]).to_numpy(dtype=object)
    mate_code, _ = pd.factorize(mate, use_na_sentinel=True)
    pos, other = record_mates(frame)
    named = mate_code[other] >= 0
    pos, other = pos[named], other[named]
    # Each element ("forename key of this mention = name of that mate", and the same with
    # the surname key) as one integer made of three codes rather than as joined text (at a
    # million mentions, millions of temporary strings). Codes are numbered by first
    # appearance, as the text was, so the keys are the same.
    keys_pos: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    width = np.int64(len(mate) + 1)
    for prefix, col in enumerate(("forename_std", "surname_std")):
        own_code, _ = pd.factorize(frame[col].to_numpy(dtype=object), use_na_sentinel=True)
        own = own_code[pos]
        known = own >= 0
        keys_pos.append(pos[known])
        keys.append((prefix * width + own[known]) * width + mate_code[other[known]])
    codes, _ = pd.factorize(np.concatenate(keys))
    del keys, mate, mate_code
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


def with_event_date(data: dict[str, Any]) -> pd.DataFrame:
    """The read columns as a frame, the record's `occurred_at` or else `recorded_at` as
    `event_date`."""
    occurred, recorded = data.pop("occurred_at"), data.pop("recorded_at")
    data["event_date"] = occurred.where(occurred.notna(), recorded)
    return pd.DataFrame(data)


def load_mention_rows(conn: Connection, *, chunk: int = 50_000) -> pd.DataFrame:
    """Every mention's identifying values, with its source's name and the record's date
    (an age at the event becomes a range of birth years), one column per value.

    Read in chunks straight into columns: a list of a million row dicts held 1.5 GB."""
    query = mention_query()
    # Through the DB-API cursor of the open transaction, as plain tuples: SQLAlchemy builds a
    # row object per mention and parses each date with a regular expression (at a million
    # mentions most of the read). Dates come as the driver gives them (ISO text on SQLite,
    # dates on PostgreSQL); `build_frame` reads both (`_iso`).
    names = [c.name for c in query.selected_columns]
    cursor = conn.connection.cursor()
    columns: list[list[Any]] = [[] for _ in names]
    try:
        cursor.execute(str(query.compile(dialect=conn.dialect)))
        while batch := cursor.fetchmany(chunk):
            for column, values in zip(columns, zip(*batch, strict=True), strict=True):
                column.extend(values)
    finally:
        cursor.close()
    data = {name: pd.Series(col, dtype="object") for name, col in zip(names, columns, strict=True)}
    del columns
    return with_event_date(data)
