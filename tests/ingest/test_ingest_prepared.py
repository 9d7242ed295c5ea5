"""A persons file's chunks made ready to insert (`FreshMentionRows`): ids numbered on across
chunks, orphans and repeated keys quarantined in the writer's order (row order; a row's record
is checked before its key, so an orphan never takes its key), new places and objects numbered
in key order and inserted once. (That the stored result equals the general
path's is tested on whole stores in test_ingest_parallel.py.)"""

from __future__ import annotations

import pytest

from casereview.ingest.pipeline import Problem
from casereview.ingest.prepared import FreshMentionRows, KnownIds, PreparedMentions
from casereview.ingest.transform import LocationOut, MentionOut, ObjectOut, RecordOut

HOME = LocationOut("E1 1AA|1 high st", "residential", "1 High St", "E1 1AA", "home_address",
                   "1 High St, E1 1AA")  # fmt: skip
AWAY = LocationOut("D2 2BB|2 low rd", None, "2 Low Rd", "D2 2BB", "seen_at", "2 Low Rd, D2 2BB")
OLD_PLACE = LocationOut("E3 3CC|3 old lane", "residential", "3 Old Lane", "E3 3CC",
                        "home_address", "3 Old Lane, E3 3CC")  # fmt: skip
CAR = ObjectOut("vehicle", "AB12CDE", "ab12 cde", "used_by")


def _mention(key: str, ref: str, *places: LocationOut, car: bool = False) -> MentionOut:
    return MentionOut(key, ("victim", key.lower()), f'{{"id":"{key}"}}', f"hash-{key}",
                      [CAR] if car else [], list(places), ref)  # fmt: skip


def test_two_chunks_give_the_writers_rows_and_quarantine() -> None:
    known = KnownIds(
        records={"C1": 10, "C2": 11},
        locations={OLD_PLACE.key: 4},
        objects={},
        next_mention=100,
        next_location=5,
        next_object=1,
    )
    build = FreshMentionRows(3, 21, known)  # source 3, import 21
    bad = Problem("role", "unknown_code", "code 'X' is not in the table", '{"id":"P9"}')
    first = build(
        [
            (2, _mention("P1", "C1", HOME)),
            (3, _mention("P2", "C9")),  # orphan
            (4, _mention("P2", "C2")),  # P2 again: loads (the orphan did not take the key)
            (5, bad),
            (6, _mention("P3", "C2", HOME, OLD_PLACE, AWAY, car=True)),
        ]
    )
    assert first == PreparedMentions(
        loaded=3,
        mentions=[
            (100, 10, 3, "P1", "victim", "p1", '{"id":"P1"}', "hash-P1", 21),
            (101, 11, 3, "P2", "victim", "p2", '{"id":"P2"}', "hash-P2", 21),
            (102, 11, 3, "P3", "victim", "p3", '{"id":"P3"}', "hash-P3", 21),
        ],
        # New places numbered in key order (AWAY's key sorts first), as the writer's INSERT.
        locations=[
            (5, AWAY.key, None, "2 Low Rd", "D2 2BB", None),
            (6, HOME.key, "residential", "1 High St", "E1 1AA", None),
        ],
        objects=[(1, "vehicle", "AB12CDE")],
        location_links=[
            (10, 6, 100, "home_address", "1 High St, E1 1AA"),
            (11, 6, 102, "home_address", "1 High St, E1 1AA"),
            (11, 4, 102, "home_address", "3 Old Lane, E3 3CC"),
            (11, 5, 102, "seen_at", "2 Low Rd, D2 2BB"),
        ],
        object_links=[(11, 1, 102, "used_by", "ab12 cde")],
        quarantine=[
            (3, "record_key", "orphan", "no record with source ref 'C9' in source",
             '{"id":"P2"}', "row"),
            (5, "role", "unknown_code", "code 'X' is not in the table", '{"id":"P9"}', "row"),
        ],
    )  # fmt: skip
    # Ids go on; P2 is taken now; the places and the car have their ids.
    second = build([(7, _mention("P4", "C1", HOME, car=True)), (8, _mention("P2", "C1"))])
    assert second == PreparedMentions(
        loaded=1,
        mentions=[(103, 10, 3, "P4", "victim", "p4", '{"id":"P4"}', "hash-P4", 21)],
        locations=[],
        objects=[],
        location_links=[(10, 6, 103, "home_address", "1 High St, E1 1AA")],
        object_links=[(10, 1, 103, "used_by", "ab12 cde")],
        quarantine=[(8, "key", "duplicate_key", "mention key 'P2' appears twice in the file",
                     '{"id":"P2"}', "row")],
    )  # fmt: skip


def test_a_record_in_a_persons_file_is_a_programming_error() -> None:
    build = FreshMentionRows(1, 1, KnownIds({}, {}, {}, 1, 1, 1))
    record = RecordOut("C1", (), "{}", "h", [], [], [])
    with pytest.raises(TypeError, match="row 2: RecordOut in a persons file"):
        build([(2, record)])
