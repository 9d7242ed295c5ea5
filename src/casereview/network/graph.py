"""The network: who is tied to whom, from resolved persons, records, objects and places.

`load_inputs` reads the store into small frames (one row per fact); `offender_ties` turns them
into weighted ties between suspects of CSE-likely records (co-offending, named together in
intelligence, shared victims, shared phones/vehicles/online ids, shared places), and
`build_graph` gives the full typed igraph over persons, records, objects and places.
Objects and places held by more than `max_place_degree` persons (a busy station, a care home)
never tie anyone: they would glue unrelated people together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import igraph as ig
import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, or_, select

from casereview.classify.rules import FAMILY_WORDS
from casereview.model.codes import MentionRole, RecordType, Typology
from casereview.model.serial import from_json
from casereview.model.tables import (
    classifications,
    locations,
    mention_person,
    mentions,
    record_links,
    record_locations,
    record_objects,
    records,
)

__all__ = [
    "NetworkInputs",
    "TieWeights",
    "build_graph",
    "load_inputs",
    "offender_ties",
    "police_suspects",
]

# Social-care records where a child names the adults around them.
_NAMING_CHILD = (RecordType.REFERRAL.value, RecordType.ASSESSMENT.value)
_CHILD_SUBJECT = (
    RecordType.MISSING_EPISODE.value,
    RecordType.REFERRAL.value,
    RecordType.ASSESSMENT.value,
    RecordType.STRATEGY_MEETING.value,
)


_WORD = re.compile(r"[^\W\d_]+")
_EDGE_TYPES = ("suspect_in", "victim_in", "named_in", "object_in", "at_place", "source_link")
_SIDE_TYPE = {"suspect": 0, "victim": 1, "other": 2}


@dataclass(frozen=True)
class TieWeights:
    """Edge weights and guards (from NetworkSettings)."""

    co_offending: float = 3.0
    shared_victim: float = 2.0
    named_in_intelligence: float = 2.0
    shared_object: float = 1.0
    shared_place: float = 1.0
    min_tie: float = 2.0
    max_place_degree: int = 25
    shared_nickname: float = 1.0
    same_name: float = 2.0


def _empty(*columns: str) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


@dataclass
class NetworkInputs:
    """Frames the network is built from. `person` columns hold resolved person ids."""

    records: pd.DataFrame  # record_id, record_type, occurred_at, borough, cse (bool)
    people: pd.DataFrame  # mention_id, record_id, person, side ("suspect" | "victim" | "other")
    objects: pd.DataFrame  # record_id, object_id, mention_id (nullable)
    places: pd.DataFrame  # record_id, place
    links: pd.DataFrame  # record_id, to_record_id
    # mention_id, nickname (lower case): aliases as written on the mention
    nicknames: pd.DataFrame = field(default_factory=lambda: _empty("mention_id", "nickname"))
    # mention_id, name (forename and surname words, sorted, lower case), born (year or NaN)
    names: pd.DataFrame = field(default_factory=lambda: _empty("mention_id", "name", "born"))

    def with_people(self, people: pd.DataFrame) -> NetworkInputs:
        """The same inputs with other person ids on the mentions (strict persons)."""
        return NetworkInputs(
            self.records, people, self.objects, self.places, self.links, self.nicknames, self.names
        )


def _frame(conn: Connection, query: object, columns: list[str]) -> pd.DataFrame:
    rows = conn.execute(query).all()  # type: ignore[call-overload]
    return pd.DataFrame.from_records(rows, columns=columns)


def load_inputs(conn: Connection) -> NetworkInputs:
    """Read records, resolved mentions, objects, places and source links from the store."""
    recs = _frame(
        conn,
        select(records.c.id, records.c.record_type, records.c.occurred_at, records.c.borough),
        ["record_id", "record_type", "occurred_at", "borough"],
    )
    cse_ids = _frame(
        conn,
        select(classifications.c.record_id).where(
            classifications.c.label == Typology.CSE_LIKELY.value
        ),
        ["record_id"],
    )
    recs["cse"] = recs["record_id"].isin(cse_ids["record_id"])
    people = _frame(
        conn,
        select(
            mentions.c.id,
            mentions.c.record_id,
            mention_person.c.person_id,
            mentions.c.role,
            records.c.record_type,
            mentions.c.relationship,
        )
        .join(mention_person, mention_person.c.mention_id == mentions.c.id)
        .join(records, records.c.id == mentions.c.record_id),
        ["mention_id", "record_id", "person", "role", "record_type", "relationship"],
    )
    people["side"] = mention_sides(people["role"], people["record_type"], people["relationship"])
    people = people.drop(columns=["role", "record_type", "relationship"])
    objs = _frame(
        conn,
        select(record_objects.c.record_id, record_objects.c.object_id, record_objects.c.mention_id),
        ["record_id", "object_id", "mention_id"],
    )
    places = _frame(
        conn,
        select(record_locations.c.record_id, locations.c.place_id, locations.c.id).join(
            locations, locations.c.id == record_locations.c.location_id
        ),
        ["record_id", "place_id", "location_id"],
    )
    places["place"] = places["place_id"].fillna(-places["location_id"]).astype("int64")
    links = _frame(
        conn,
        select(record_links.c.record_id, record_links.c.to_record_id).where(
            record_links.c.to_record_id.is_not(None)
        ),
        ["record_id", "to_record_id"],
    )
    nicknames, names = _name_frames(conn)
    return NetworkInputs(
        recs,
        people,
        objs,
        places[["record_id", "place"]].drop_duplicates(),
        links,
        nicknames,
        names,
    )


def _name_frames(conn: Connection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nicknames and name keys of suspect-side mentions (the only ones ties are drawn between)."""
    side = or_(
        mentions.c.role == MentionRole.SUSPECT.value,
        and_(
            mentions.c.role == MentionRole.SUBJECT.value,
            records.c.record_type == RecordType.INTELLIGENCE.value,
        ),
        and_(
            mentions.c.role == MentionRole.ASSOCIATE.value,
            records.c.record_type.in_(_NAMING_CHILD),
        ),
    )
    rows = conn.execute(
        select(
            mentions.c.id,
            mentions.c.aliases,
            mentions.c.forenames,
            mentions.c.surname,
            mentions.c.dob,
        )
        .join(records, records.c.id == mentions.c.record_id)
        .where(side)
    ).all()
    nick_rows: list[tuple[int, str]] = []
    name_rows: list[tuple[int, str, float, float]] = []
    for mid, aliases, forenames, surname, dob in rows:
        for alias in from_json(aliases, []) or []:
            key = " ".join(_WORD.findall(str(alias).lower()))
            if key:
                nick_rows.append((int(mid), key))
        words = sorted(_WORD.findall(f"{forenames or ''} {surname or ''}".lower()))
        if forenames and surname and len(words) >= 2:
            # a day of birth other than 1 January (how a year alone is written), as month*100+day
            day = dob.month * 100 + dob.day if dob and (dob.month, dob.day) != (1, 1) else np.nan
            name_rows.append(
                (int(mid), " ".join(words), float(dob.year) if dob else np.nan, float(day))
            )
    nicknames = pd.DataFrame(nick_rows, columns=["mention_id", "nickname"]).drop_duplicates()
    names = pd.DataFrame(name_rows, columns=["mention_id", "name", "born", "day"])
    return nicknames, names


def mention_sides(
    role: pd.Series, record_type: pd.Series, relationship: pd.Series | None = None
) -> pd.Series:
    """'suspect', 'victim' or 'other' for each mention. Intelligence subjects are suspects, and
    so is an adult the council names as a child's associate on a referral or an assessment
    (not family: a sister or an uncle): the man a child names is the first lead to a group,
    and often the same man linkage left apart from his police records."""
    side = pd.Series("other", index=role.index, dtype=object)
    if relationship is not None:
        family = relationship.fillna("").str.strip().str.lower().isin(FAMILY_WORDS)
        named = (role == MentionRole.ASSOCIATE.value) & record_type.isin(_NAMING_CHILD) & ~family
        side[named] = "suspect"
    side[role == MentionRole.VICTIM.value] = "victim"
    side[role == MentionRole.SUSPECT.value] = "suspect"
    subject = role == MentionRole.SUBJECT.value
    side[subject & (record_type == RecordType.INTELLIGENCE.value)] = "suspect"
    side[subject & record_type.isin(_CHILD_SUBJECT)] = "victim"
    return side


def _pairs(frame: pd.DataFrame, key: str, kind: str, weight: float) -> pd.DataFrame:
    """All pairs a < b of persons sharing `key`, tagged with the tie kind."""
    left = frame[[key, "person"]].drop_duplicates()
    joined = left.merge(left, on=key, suffixes=("_a", "_b"))
    joined = joined[joined["person_a"] < joined["person_b"]]
    out = joined.rename(columns={"person_a": "a", "person_b": "b"})[["a", "b", key]]
    out = out.rename(columns={key: "via"})
    out["kind"] = kind
    out["weight"] = weight
    return out


def _small(frame: pd.DataFrame, key: str, limit: int) -> pd.DataFrame:
    """Rows whose `key` is held by 2..limit distinct persons."""
    sizes = frame.groupby(key)["person"].nunique()
    keep = sizes[(sizes >= 2) & (sizes <= limit)].index
    return frame[frame[key].isin(keep)]


def cse_people(inputs: NetworkInputs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(suspects, victims) of CSE-likely records: record_id, person (and record_type)."""
    cse = inputs.records.loc[inputs.records["cse"], ["record_id", "record_type"]]
    people = inputs.people.merge(cse, on="record_id")
    suspects = people[people["side"] == "suspect"][
        ["record_id", "person", "record_type", "mention_id"]
    ]
    victims = people[people["side"] == "victim"][["record_id", "person"]].drop_duplicates()
    return suspects, victims


def police_suspects(inputs: NetworkInputs) -> set[int]:
    """Persons suspected in a CSE-likely police record or intelligence (not only named by a
    child on a referral): a group needs two of them, so that one man split across two persons,
    or a lone offender and the man a child names, never make a group by themselves."""
    suspects, _ = cse_people(inputs)
    police_side = suspects[~suspects["record_type"].isin(_NAMING_CHILD)]
    return {int(p) for p in police_side["person"].unique()}


def offender_ties(inputs: NetworkInputs, w: TieWeights) -> pd.DataFrame:
    """Weighted ties between suspects: a, b, weight, kinds (one row per pair, a < b)."""
    suspects, victims = cse_people(inputs)
    limit = w.max_place_degree
    parts = []
    # Adults a child names on one referral are tied through the child (shared victim), not as
    # co-offenders: the record is the child's account, not a crime they were suspects in.
    police_side = suspects[~suspects["record_type"].isin(_NAMING_CHILD)]
    in_record = _small(police_side.drop_duplicates(["record_id", "person"]), "record_id", limit)
    intel = in_record["record_type"] == RecordType.INTELLIGENCE.value
    parts.append(_pairs(in_record[~intel], "record_id", "co_offending", w.co_offending))
    parts.append(
        _pairs(in_record[intel], "record_id", "named_in_intelligence", w.named_in_intelligence)
    )
    sv = (
        suspects[["record_id", "person"]]
        .drop_duplicates()
        .merge(victims.rename(columns={"person": "victim"}), on="record_id")
    )
    parts.append(
        _pairs(
            _small(sv[["victim", "person"]].drop_duplicates(), "victim", limit),
            "victim",
            "shared_victim",
            w.shared_victim,
        )
    )
    parts.append(
        _pairs(
            _small(_object_holders(inputs, suspects), "object_id", limit),
            "object_id",
            "shared_object",
            w.shared_object,
        )
    )
    parts.append(
        _pairs(
            _small(_place_users(inputs, suspects, victims, limit), "place", limit),
            "place",
            "shared_place",
            w.shared_place,
        )
    )
    parts.append(
        _pairs(
            _small(_nickname_holders(inputs, suspects), "nickname", limit),
            "nickname",
            "shared_nickname",
            w.shared_nickname,
        )
    )
    parts.append(_same_name(inputs, suspects, w))
    found = [p for p in parts if not p.empty]
    ties = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    if ties.empty:
        return pd.DataFrame(columns=["a", "b", "weight", "kinds"])
    once = ties.drop_duplicates(["a", "b", "kind"])
    # Each kind is one bit: the kinds of a pair are the sum of its (distinct) bits, named by a
    # lookup of at most 2**5 masks instead of a Python function per pair.
    names = sorted(once["kind"].unique())
    bits = once["kind"].map({k: 1 << i for i, k in enumerate(names)})
    summed = (
        once.assign(mask=bits)
        .groupby(["a", "b"], as_index=False, sort=True)
        .agg(weight=("weight", "sum"), mask=("mask", "sum"))
    )
    summed = summed[summed["weight"] >= w.min_tie].reset_index(drop=True)
    label = {
        mask: ",".join(k for i, k in enumerate(names) if mask >> i & 1)
        for mask in summed["mask"].unique().tolist()
    }
    summed["kinds"] = summed["mask"].map(label)
    return summed[["a", "b", "weight", "kinds"]]


def _nickname_holders(inputs: NetworkInputs, suspects: pd.DataFrame) -> pd.DataFrame:
    """(nickname, person) of suspects of CSE-likely records."""
    held = inputs.nicknames.merge(suspects[["mention_id", "person"]], on="mention_id")
    return held[["nickname", "person"]].drop_duplicates()


def _same_name(inputs: NetworkInputs, suspects: pd.DataFrame, w: TieWeights) -> pd.DataFrame:
    """Persons written with the same full name and no disagreeing date of birth: most often one
    man split by linkage, so his records stay with his group. Dates disagree when the years are
    more than one apart, or when both persons are written with days of birth (not 1 January) and
    neither the year nor the day and month of any agree ("Ali AHMED" born 28 May 1997 and "Ali
    AHMED" born 19 September 1998 are two men; one slip, in the year or in the day, is one man),
    the days and years taken from all the names each person is written with.
    A name held by more than a handful of persons (a common name) ties nobody."""
    named = inputs.names.merge(suspects[["mention_id", "person"]], on="mention_id")
    if named.empty:
        return _empty("a", "b", "via", "kind", "weight")
    if "day" not in named:
        named = named.assign(day=np.nan)
    born = named.groupby(["name", "person"], as_index=False)["born"].agg(["min", "max"])
    # the days and years of birth a person is written with under any of his names ("Ahmad ALI"
    # undated on a referral is the man born 19 September 1998 on every other record)
    dates = named.groupby("person").agg(
        years=("born", lambda v: frozenset(v.dropna())),
        days=("day", lambda v: frozenset(v.dropna())),
    )
    born = born.merge(dates, left_on="person", right_index=True)
    sizes = born.groupby("name")["person"].nunique()
    born = born[born["name"].isin(sizes[(sizes >= 2) & (sizes <= 3)].index)]
    pairs = born.merge(born, on="name", suffixes=("_a", "_b"))
    pairs = pairs[pairs["person_a"] < pairs["person_b"]]
    far = (pairs["min_a"] - pairs["max_b"]).gt(1) | (pairs["min_b"] - pairs["max_a"]).gt(1)
    other_day = [
        bool(da and db and not da & db and not ya & yb)
        for da, db, ya, yb in zip(
            pairs["days_a"], pairs["days_b"], pairs["years_a"], pairs["years_b"], strict=True
        )
    ]
    pairs = pairs[~(far | pd.Series(other_day, index=pairs.index, dtype=bool))]
    out = pairs.rename(columns={"person_a": "a", "person_b": "b", "name": "via"})[["a", "b", "via"]]
    out["kind"] = "same_name"
    out["weight"] = w.same_name
    return out


def _object_holders(inputs: NetworkInputs, suspects: pd.DataFrame) -> pd.DataFrame:
    """(object_id, person): objects of a suspect's mention, or of a record naming them."""
    objs = inputs.objects
    by_mention = objs.dropna(subset=["mention_id"]).merge(
        suspects[["mention_id", "person"]], on="mention_id"
    )
    by_record = objs[objs["mention_id"].isna()].merge(
        suspects[["record_id", "person"]].drop_duplicates(), on="record_id"
    )
    out = pd.concat([by_mention[["object_id", "person"]], by_record[["object_id", "person"]]])
    return out.drop_duplicates()


def _place_users(
    inputs: NetworkInputs, suspects: pd.DataFrame, victims: pd.DataFrame, limit: int
) -> pd.DataFrame:
    """(place, person) for suspects at places used by at most `limit` persons in all."""
    everyone = pd.concat([suspects[["record_id", "person"]], victims]).drop_duplicates()
    at = inputs.places.merge(everyone, on="record_id")
    sizes = at.groupby("place")["person"].nunique()
    quiet = sizes[sizes <= limit].index
    mine = at.merge(suspects[["record_id", "person"]].drop_duplicates(), on=["record_id", "person"])
    return mine[mine["place"].isin(quiet)][["place", "person"]].drop_duplicates()


def build_graph(inputs: NetworkInputs) -> ig.Graph:
    """The full typed graph: person, record, object and place vertices; typed edges.

    Edge types: `suspect_in`, `victim_in`, `named_in` (other roles),
    `object_in` (record-object), `at_place` (record-place) and `source_link` (record-record).
    Built column-wise: each vertex kind's keys are numbered with one `np.unique`, edges are
    two integer arrays handed to igraph at once (no Python loop per row).
    """
    people = inputs.people
    objs = inputs.objects[["record_id", "object_id"]].drop_duplicates()
    places = inputs.places
    links = inputs.links
    rec_keys = np.unique(
        np.concatenate(
            [
                people["record_id"].to_numpy(np.int64),
                objs["record_id"].to_numpy(np.int64),
                places["record_id"].to_numpy(np.int64),
                links["record_id"].to_numpy(np.int64),
                links["to_record_id"].to_numpy(np.int64),
            ]
        )
    )
    person_keys = np.unique(people["person"].to_numpy(np.int64))
    object_keys = np.unique(objs["object_id"].to_numpy(np.int64))
    place_keys = np.unique(places["place"].to_numpy(np.int64))
    offsets = np.cumsum([0, len(person_keys), len(rec_keys), len(object_keys)])

    def ids(keys: np.ndarray, values: pd.Series, offset: int) -> np.ndarray:
        return np.searchsorted(keys, values.to_numpy(np.int64)) + offset

    def rec(values: pd.Series) -> np.ndarray:
        return ids(rec_keys, values, int(offsets[1]))

    sources = [
        ids(person_keys, people["person"], 0),
        rec(objs["record_id"]),
        rec(places["record_id"]),
        rec(links["record_id"]),
    ]
    targets = [
        rec(people["record_id"]),
        ids(object_keys, objs["object_id"], int(offsets[2])),
        ids(place_keys, places["place"], int(offsets[3])),
        rec(links["to_record_id"]),
    ]
    side_codes = people["side"].map(_SIDE_TYPE).fillna(_SIDE_TYPE["other"]).to_numpy(np.int8)
    type_codes = np.concatenate(
        [
            side_codes,
            np.full(len(objs), _EDGE_TYPES.index("object_in"), np.int8),
            np.full(len(places), _EDGE_TYPES.index("at_place"), np.int8),
            np.full(len(links), _EDGE_TYPES.index("source_link"), np.int8),
        ]
    )
    edges = np.column_stack([np.concatenate(sources), np.concatenate(targets)])
    n = int(offsets[3]) + len(place_keys)
    graph = ig.Graph(n=n, edges=edges, directed=False)
    kinds = np.repeat(
        np.array(["person", "record", "object", "place"], dtype=object),
        [len(person_keys), len(rec_keys), len(object_keys), len(place_keys)],
    )
    graph.vs["kind"] = kinds.tolist()
    graph.vs["key"] = np.concatenate([person_keys, rec_keys, object_keys, place_keys]).tolist()
    graph.es["type"] = np.array(_EDGE_TYPES, dtype=object)[type_codes].tolist()
    return graph
