"""A persons file's chunks made ready to insert (`FreshMentionRows`): ids numbered on across
chunks, repeated keys and orphans quarantined in the writer's order, a key freed again by an
orphan, places and objects sent once per file. (That the stored result equals the general
path's is tested on whole stores in test_ingest_parallel.py.)"""

from __future__ import annotations

import pytest

from casereview.ingest.pipeline import Problem
from casereview.ingest.prepared import FreshMentionRows, PreparedMentions
from casereview.ingest.transform import LocationOut, MentionOut, ObjectOut, RecordOut

HOME = LocationOut("E1 1AA|1 high st", "residential", "1 High St", "E1 1AA", "home_address",
                   "1 High St, E1 1AA")  # fmt: skip
CAR = ObjectOut("vehicle", "AB12CDE", "ab12 cde", "used_by")


def _mention(key: str, ref: str, *, home: bool = False, car: bool = False) -> MentionOut:
    return MentionOut(key, ("victim", key.lower()), f'{{"id":"{key}"}}', f"hash-{key}",
                      [CAR] if car else [], [HOME] if home else [], ref)  # fmt: skip


def test_two_chunks_give_the_writers_rows_and_quarantine() -> None:
    build = FreshMentionRows(source_id=3, record_ids={"C1": 10, "C2": 11}, first_id=100)
    bad = Problem("role", "unknown_code", "code 'X' is not in the table", '{"id":"P9"}')
    first = build(
        [
            (2, _mention("P1", "C1", home=True)),
            (3, _mention("P2", "C9")),  # orphan
            (4, _mention("P2", "C2")),  # repeats P2 in the same chunk: still a duplicate
            (5, bad),
            (6, _mention("P3", "C2", car=True, home=True)),
        ]
    )
    assert first == PreparedMentions(
        loaded=2,
        mentions=[
            (100, 10, 3, "P1", "victim", "p1", '{"id":"P1"}', "hash-P1"),
            (101, 11, 3, "P3", "victim", "p3", '{"id":"P3"}', "hash-P3"),
        ],
        locations={HOME.key: ("residential", "1 High St", "E1 1AA")},
        objects={("vehicle", "AB12CDE")},
        location_links=[
            (10, HOME.key, 100, "home_address", "1 High St, E1 1AA"),
            (11, HOME.key, 101, "home_address", "1 High St, E1 1AA"),
        ],
        object_links=[(11, "vehicle", "AB12CDE", 101, "used_by", "ab12 cde")],
        quarantine=[
            (4, "key", "duplicate_key", "mention key 'P2' appears twice in the file",
             '{"id":"P2"}'),
            (5, "role", "unknown_code", "code 'X' is not in the table", '{"id":"P9"}'),
            (3, "record_key", "orphan", "no record with source ref 'C9' in source",
             '{"id":"P2"}'),
        ],
    )  # fmt: skip
    # The orphan freed P2; P1 stays taken; the place and the car were sent already.
    second = build([(7, _mention("P2", "C1", home=True, car=True)), (8, _mention("P1", "C1"))])
    assert second == PreparedMentions(
        loaded=1,
        mentions=[(102, 10, 3, "P2", "victim", "p2", '{"id":"P2"}', "hash-P2")],
        locations={},
        objects=set(),
        location_links=[(10, HOME.key, 102, "home_address", "1 High St, E1 1AA")],
        object_links=[(10, "vehicle", "AB12CDE", 102, "used_by", "ab12 cde")],
        quarantine=[(8, "key", "duplicate_key", "mention key 'P1' appears twice in the file",
                     '{"id":"P1"}')],
    )  # fmt: skip


def test_a_record_in_a_persons_file_is_a_programming_error() -> None:
    build = FreshMentionRows(source_id=1, record_ids={}, first_id=1)
    record = RecordOut("C1", (), "{}", "h", [], [], [])
    with pytest.raises(TypeError, match="row 2: RecordOut in a persons file"):
        build([(2, record)])
