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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from casereview.model.serial import from_json
from casereview.model.tables import mentions, records, sources
from casereview.values.address import normalise_address
from casereview.values.name import clean_name, split_full_name
from casereview.values.name_variants import forename_key, forename_keys, name_key, surname_key
from casereview.values.phone import normalise_phone
from casereview.values.postcode import normalise_postcode, postcode_district

__all__ = [
    "BLOCKING_KEYS",
    "BlockGuardReport",
    "build_frame",
    "guard_blocks",
    "load_mention_rows",
    "normalise_mention",
]

# Every blocking key: name of its column -> what it joins on (for the run log and docs).
BLOCKING_KEYS: dict[str, str] = {
    "bk_name": "forename and surname keys, in either order (nicknames, variants, swaps)",
    "bk_forename_dob": "forename key and full date of birth",
    "bk_surname_dob": "surname key and full date of birth (catches forename changes)",
    "bk_dob": "full date of birth (catches both names changed, mistyped or a street name)",
    "bk_surname_yob": "surname key and year of birth (partial dates, ages)",
    "bk_forename_yob": "forename key and year of birth (surname changes, hyphenation)",
    "bk_postcode_initial": "postcode and first letter of the forename",
    "bk_phone": "first phone number",
    "bk_surname_district": "surname key and postcode district",
    "bk_forename_district": "forename key and postcode district",
    "bk_identifier": "a reference number the source gives (when a mapping supplies one)",
    "bk_forename_surname2": "forename key and first two letters of the surname (surname typos)",
    "bk_surname_initial": "surname key and first letter of the forename (forename typos)",
}

_SEXES = {"female", "male"}


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


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


def _birth_years(
    dob: dt.date | None, precision: str | None, age: int | None, on: dt.date | None
) -> tuple[int | None, int | None]:
    """The range of birth years a mention allows: a date's year, or two years from an age."""
    if dob is not None and precision in ("day", "month", "year"):
        return dob.year, dob.year
    if age is not None and on is not None and 0 <= int(age) < 120:
        born = on.year - int(age)
        return born - 1, born
    return None, None


def normalise_mention(row: Mapping[str, Any]) -> dict[str, Any]:
    """One frame row from one mention's canonical values (see `load_mention_rows`)."""
    forenames, surname_text = _text(row.get("forenames")), _text(row.get("surname"))
    if forenames is None and surname_text is None and _text(row.get("name_raw")):
        forenames, surname_text = split_full_name(_text(row.get("name_raw")), "auto")
    forename = _first_forename(forenames)
    surname_clean = clean_name(surname_text)
    surname = surname_clean.replace("-", " ") if surname_clean else None
    dob = row.get("dob")
    if isinstance(dob, str):
        dob = dt.date.fromisoformat(dob[:10])
    precision = _text(row.get("dob_precision")) or ("day" if dob else "none")
    on = row.get("event_date")
    if isinstance(on, str):
        on = dt.date.fromisoformat(on[:10])
    age = row.get("age_at_event")
    age = None if age is None or pd.isna(age) else int(age)
    yob_lo, yob_hi = _birth_years(dob, precision, age, on)
    postcode_text = _text(row.get("postcode"))
    # A postcode that is not UK-shaped (an overseas one) is kept compact, as written.
    postcode = normalise_postcode(postcode_text) or (
        "".join(postcode_text.upper().split()) if postcode_text else None
    )
    phones_raw = row.get("phones") or []
    if isinstance(phones_raw, str):
        phones_raw = from_json(phones_raw, [])
    phones = sorted({p for p in (normalise_phone(str(x)) for x in phones_raw) if p})
    sex = (_text(row.get("sex")) or "").lower()
    keys = list(forename_keys(forename)) if forename else []
    surname_parts = sorted({name_key(p) for p in surname.split()} - {""}) if surname else []
    return {
        "unique_id": int(row["mention_id"]),
        "source": _text(row.get("source")),
        "forename1": forename,
        "forename_std": forename_key(forename) if forename else None,
        "forename_keys": keys or None,
        "surname": surname,
        "surname_std": surname_key(surname) or None if surname else None,
        "surname_parts": surname_parts or None,
        "dob": dob.isoformat() if dob is not None and precision == "day" else None,
        "dob_ym": dob.isoformat()[:7]
        if dob is not None and precision in ("day", "month")
        else None,
        "yob_lo": yob_lo,
        "yob_hi": yob_hi,
        "sex": sex if sex in _SEXES else None,
        "postcode": postcode,
        "postcode_district": postcode_district(postcode) if postcode else None,
        "street_number": _street_number(_text(row.get("address"))),
        "address": normalise_address(_text(row.get("address"))),
        "phones": phones or None,
        "identifier": _text(row.get("identifier")),
        "record_id": None if row.get("record_id") is None else int(row["record_id"]),
    }


def _join_key(*parts: Any) -> str | None:
    if any(p is None or (isinstance(p, float) and pd.isna(p)) for p in parts):
        return None
    return "|".join(str(p) for p in parts)


def add_blocking_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the `bk_*` columns (NULL where a part is missing, so that blanks never block)."""
    f = frame
    yob = f["yob_hi"].astype("Int64").astype("string")
    initial = f["forename1"].str[:1]
    phone1 = f["phones"].map(lambda p: p[0] if isinstance(p, list | tuple) and len(p) else None)
    # Both parts keyed the same way (no nickname expansion) so that a swapped order matches.
    name_pairs = [
        None if a is None or b is None else "|".join(sorted((name_key(a), b)))
        for a, b in zip(f["forename1"], f["surname_std"], strict=True)
    ]
    out = f.copy()
    out["bk_name"] = name_pairs
    cols: dict[str, tuple[pd.Series, ...]] = {
        "bk_forename_dob": (f["forename_std"], f["dob"]),
        "bk_surname_dob": (f["surname_std"], f["dob"]),
        "bk_dob": (f["dob"],),
        "bk_surname_yob": (f["surname_std"], yob),
        "bk_forename_yob": (f["forename_std"], yob),
        "bk_postcode_initial": (f["postcode"], initial),
        "bk_phone": (phone1,),
        "bk_identifier": (f["identifier"],),
        "bk_forename_surname2": (f["forename_std"], f["surname"].str[:2]),
        "bk_surname_initial": (f["surname_std"], initial),
        "bk_surname_district": (f["surname_std"], f["postcode_district"]),
        "bk_forename_district": (f["forename_std"], f["postcode_district"]),
    }
    for name, parts in cols.items():
        values = [
            _join_key(*(None if pd.isna(v) else v for v in vals))
            for vals in zip(*parts, strict=True)
        ]
        out[name] = pd.Series(values, index=f.index, dtype="object")
    return out


@dataclass
class BlockGuardReport:
    """What the skewed-block guard did: per key, blocks dropped and the largest block kept."""

    max_block_size: int
    dropped: dict[str, dict[str, Any]] = field(default_factory=dict)
    comparisons: dict[str, int] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """One line per blocking key, for the run's log."""
        lines = []
        for key in BLOCKING_KEYS:
            d = self.dropped.get(key)
            n = self.comparisons.get(key, 0)
            if d:
                lines.append(
                    f"skewed-block guard: {key}: dropped {d['blocks']} block(s) larger than "
                    f"{self.max_block_size} mentions (largest {d['largest']}, {d['mentions']} "
                    f"mentions, {d['comparisons_avoided']} comparisons avoided); "
                    f"{n} comparisons kept"
                )
            else:
                lines.append(f"blocking {key}: {n} comparisons, no block above the cap")
        return lines


def guard_blocks(frame: pd.DataFrame, max_block_size: int) -> BlockGuardReport:
    """Blank out, in place, every blocking-key value shared by more than `max_block_size`
    mentions, and count the comparisons each key generates (before de-duplication)."""
    report = BlockGuardReport(max_block_size=max_block_size)
    for key in BLOCKING_KEYS:
        counts = frame[key].value_counts(dropna=True)
        big = counts[counts > max_block_size]
        kept = counts[counts <= max_block_size]
        report.comparisons[key] = int((kept * (kept - 1) // 2).sum())
        if len(big):
            report.dropped[key] = {
                "blocks": len(big),
                "largest": int(big.max()),
                "mentions": int(big.sum()),
                "comparisons_avoided": int((big * (big - 1) // 2).sum()),
            }
            frame.loc[frame[key].isin(set(big.index)), key] = None
    return report


def build_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The linkage frame (normalised columns + blocking keys) from canonical mention rows."""
    data = [normalise_mention(r) for r in rows]
    columns = list(normalise_mention({"mention_id": 0}).keys())
    frame = pd.DataFrame(data, columns=columns)
    for col in ("yob_lo", "yob_hi", "record_id"):
        frame[col] = frame[col].astype("Int64")
    frame = frame.sort_values("unique_id", kind="stable").reset_index(drop=True)
    return add_blocking_keys(frame)


def add_context(frame: pd.DataFrame, labels: Mapping[int, int]) -> pd.DataFrame:
    """Add `context`: for each mention, the first-pass persons of the *other* mentions in its
    record (a mother named on two referrals about the same child shares that child). NULL
    when the record names nobody else or the record is unknown."""
    out = frame.copy()
    context: list[list[str] | None] = [None] * len(out)
    by_record: dict[int, list[tuple[int, int]]] = {}
    for pos, (uid, rid) in enumerate(zip(out["unique_id"], out["record_id"], strict=True)):
        if not pd.isna(rid):
            by_record.setdefault(int(rid), []).append((pos, int(uid)))
    for members in by_record.values():
        if len(members) < 2:
            continue
        for pos, uid in members:
            others = sorted({str(labels[o]) for _p, o in members if o != uid and o in labels})
            context[pos] = others or None
    out["context"] = pd.Series(context, index=out.index, dtype="object")
    return out


def load_mention_rows(conn: Connection) -> list[dict[str, Any]]:
    """Every mention's identifying values, with its source's name and the record's date
    (an age at the event becomes a range of birth years)."""
    query = (
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
            records.c.occurred_at,
            records.c.recorded_at,
        )
        .select_from(
            mentions.join(sources, sources.c.id == mentions.c.source_id).join(
                records, records.c.id == mentions.c.record_id
            )
        )
        .order_by(mentions.c.id)
    )
    out = []
    for row in conn.execute(query).mappings():
        item = dict(row)
        item["event_date"] = item.pop("occurred_at") or item.pop("recorded_at", None)
        item.pop("recorded_at", None)
        out.append(item)
    return out
