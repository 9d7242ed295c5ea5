"""The expressions real exports need: lists given to single-valued fields, patterns (RE2,
search semantics, named groups) on every text field including places, places and objects
taken from a text with their provenance, two-digit years with a pivot, dates of birth in the
future and ages over 110 noted, unknown codes and unreadable boroughs counted, district-only
postcodes kept, a bad person of a nested list quarantined alone, and lookups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from casereview.errors import MappingError, SourceFileError
from casereview.ingest import ingest_mapping, parse_mapping
from casereview.ingest.patterns import Pattern, PatternError
from casereview.values import normalise_postcode_or_district, parse_date


def _load(store: Engine, folder: Path, mapping: str, files: dict[str, str]) -> list:
    for name, body in files.items():
        (folder / name).write_text(body, encoding="utf-8")
    path = folder / "m.yaml"
    path.write_text(mapping, encoding="utf-8")
    return ingest_mapping(store, path, folder, "tester")


def _rows(store: Engine, sql: str) -> list[tuple]:
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).all()]


REFERRALS = """\
source: {name: csc, kind: local_authority}
year_pivot: 25
codes:
  role: {values: {mother: parent_carer}, unknown: default, default: associate}
  gender: {values: {F: female, M: male}, unknown: default, default: unknown}
files:
  - role: referrals
    path: referrals.jsonl
    records:
      key: id
      record_type: {constant: referral}
      cse_flag: {column: tags, list: contains, contains: ["C.S.E", "CSE"]}
      offence: {column: tags, list: join, join: "; "}
      narrative: {column: summary, list: first}
      borough: la
      persons:
        - key: child.id
          role: {constant: subject}
          name: child.name
          dob: {column: child.dob, formats: ["%d-%m-%y"]}
          sex: {column: child.gender, codes: gender}
          postcode: child.postcode
        - each: associates
          key: id
          role: {column: rel, codes: role}
          name: name
          age: age
          objects:
            - kind: vehicle
              value: vrm
"""
REFERRAL_LINES = [
    {"id": "R1", "tags": ["Missing", "C.S.E"], "summary": ["Seen with older males.", "2nd"],
     "la": "Hackny Wick", "child": {"id": "C1", "name": "Amy LEE", "dob": "30-05-64",
     "gender": "X", "postcode": "sw14"},
     "associates": [{"id": "A1", "name": "Sara Lee", "rel": "mother", "age": "41"},
                    {"id": "A2", "name": "Kaz", "rel": "boyfriend", "age": "20s"},
                    {"id": "A3", "name": "Dan Fox", "rel": "friend", "vrm": "EA59 Z??"},
                    {"id": "A1", "name": "Sara Lee again", "rel": "mother"}]},
    {"id": "R2", "tags": ["Missing"], "summary": "One line.", "la": "HT",
     "child": {"id": "C2", "name": "Ben COLE", "dob": "01-02-12", "gender": "M"},
     "associates": [{"id": "A4", "name": "Old Man", "rel": "grandfather", "age": "117"}]},
]  # fmt: skip


def test_lists_patterns_pivot_notes_and_nested_items(fresh_store: Engine, tmp_path: Path) -> None:
    lines = "".join(json.dumps(r) + "\n" for r in REFERRAL_LINES)
    (result,) = _load(fresh_store, tmp_path, REFERRALS, {"referrals.jsonl": lines})
    # Both referrals load; three associates are held back, each alone, naming their record.
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 2, 0)
    assert result.items_quarantined == 3
    assert result.notes == {"unknown_code": 3, "unreadable_borough": 1, "age_over_110": 1}
    assert result.reconciliation.endswith(
        "; nested items quarantined 3; notes: unknown codes 3, unreadable boroughs 1, "
        "ages over 110 1"
    )
    assert _rows(fresh_store, "SELECT source_ref, cse_flag, offence, narrative, borough, "
                 "borough_raw FROM records ORDER BY source_ref") == [
        ("R1", True, "Missing; C.S.E", "Seen with older males.", None, "Hackny Wick"),
        ("R2", False, "Missing", "One line.", "Tower Hamlets", "HT"),
    ]  # fmt: skip
    # 30-05-64 with pivot 25 is 1964, not 2064; "sw14" is kept as the district SW14.
    assert _rows(fresh_store, "SELECT mention_key, role, CAST(dob AS VARCHAR(10)), sex, postcode, age_at_event "
                 "FROM mentions ORDER BY mention_key") == [
        ("A1", "parent_carer", None, None, None, 41),
        ("A4", "associate", None, None, None, 117),
        ("C1", "subject", "1964-05-30", "unknown", "SW14", None),
        ("C2", "subject", "2012-02-01", "male", None, None),
    ]  # fmt: skip
    held = _rows(fresh_store, "SELECT row_number, field, reason, scope, message FROM quarantine "
                 "ORDER BY field")  # fmt: skip
    assert [h[:4] for h in held] == [
        (1, "persons[1][1].age", "bad_number", "item"),
        (1, "persons[1][2].objects[0]", "bad_value", "item"),
        (1, "persons[1][3].key", "duplicate_key", "item"),
    ]
    assert "item 2 of record R1; the record and its other persons loaded" in held[0][4]


def test_a_list_in_a_single_valued_field_refuses_the_file(
    fresh_store: Engine, tmp_path: Path
) -> None:
    mapping = REFERRALS.replace("      narrative: {column: summary, list: first}\n",
                                "      narrative: summary\n")  # fmt: skip
    lines = "".join(json.dumps(r) + "\n" for r in REFERRAL_LINES)
    with pytest.raises(SourceFileError) as caught:
        _load(fresh_store, tmp_path, mapping, {"referrals.jsonl": lines})
    assert str(caught.value) == (
        'referrals.jsonl: row 1: field narrative: holds a list (["Seen with older males.",'
        '"2nd"]) but takes one value; say how to read it in the mapping: list: first, list: '
        "join or list: contains"
    )
    assert _rows(fresh_store, "SELECT count(*) FROM imports") == [(0,)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("      offence: {column: tags, list: contains, contains: [x]}\n",
         "offence: list: contains gives yes or no"),
        ("      offence: {column: tags, pattern: '(a)\\1'}\n", "cannot be used: invalid escape"),
        ("      offence: {column: tags, pattern: 'x', matches: all}\n",
         "offence: matches: all gives several values"),
        ("      offence: {column: tags, list: contains}\n", "list: contains and contains: [...]"),
    ],
)  # fmt: skip
def test_a_field_asked_for_what_it_cannot_do_is_a_mapping_error(change: str, message: str) -> None:
    mapping = REFERRALS.replace('      offence: {column: tags, list: join, join: "; "}\n', change)
    with pytest.raises(MappingError, match=message.replace("[", r"\[").replace("]", r"\]")
                       .replace(".", r"\.")):  # fmt: skip
        parse_mapping(mapping, "m.yaml")


PLACES = """\
source: {name: intel, kind: police}
files:
  - role: log
    path: log.csv
    records:
      key: ref
      record_type: {constant: intelligence}
      narrative: text
      locations:
        - relation: mentioned_place
          text: {column: text, pattern: '(?i)(?P<address>\\d+ [a-z]+ (?:road|street)),? (?P<postcode>[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2})?'}
        - relation: seen_at
          address: {column: place, pattern: '^at (.+)$'}
      objects:
        - kind: phone
          value: {column: text, pattern: '(?P<value>07\\d{3} ?\\d{6})', matches: all}
          relation: mentioned
"""


def test_places_and_objects_from_a_text_with_provenance(
    fresh_store: Engine, tmp_path: Path
) -> None:
    data = (
        "ref,text,place\n"
        'I1,"Seen at 12 Mill Road, N1 9AA and 5 high street; calls 07700 900123, 07700900456",at the park\n'
    )
    _load(fresh_store, tmp_path, PLACES, {"log.csv": data})
    assert _rows(fresh_store, "SELECT l.address, l.postcode, rl.relation, rl.raw_value FROM "
                 "record_locations rl JOIN locations l ON l.id = rl.location_id ORDER BY rl.id") == [
        # "5 high street;" is not followed by ", " or " ": the pattern does not take it
        ("12 Mill Road", "N1 9AA", "mentioned_place", "text[8:28] 12 Mill Road, N1 9AA"),
        ("the park", None, "seen_at", "the park"),
    ]  # fmt: skip
    assert _rows(fresh_store, "SELECT o.value, ro.raw_value FROM record_objects ro JOIN objects o "
                 "ON o.id = ro.object_id ORDER BY o.value") == [
        ("+447700900123", "text[54:66] 07700 900123"),
        ("+447700900456", "text[68:79] 07700900456"),
    ]  # fmt: skip


def test_pattern_semantics_and_a_linear_time_engine() -> None:
    assert Pattern(r"(\d+)").first("Outcome 16 and 18") == "16"  # searched, first match
    assert Pattern(r"^(\d+)$").first("Outcome 16") is None  # anchored: whole text
    assert Pattern(r"(?i)oc(?P<value>\d+)").first("OC16") == "16"
    assert Pattern(r"[A-Z]+").first("abc DEF") == "DEF"  # no group: the whole match
    # RE2, not a backtracking engine: back-references (which only backtracking can run) are
    # refused, and the classic catastrophic pattern returns on a text that would take a
    # backtracking engine longer than the universe has existed.
    with pytest.raises(PatternError, match="RE2"):
        Pattern(r"(a)\1")
    assert Pattern("^(a+)+$").first("a" * 50_000 + "b") is None


def test_two_digit_years_districts() -> None:
    assert parse_date("30-05-64", ["%d-%m-%y"]).value.year == 2064  # type: ignore[union-attr]
    assert parse_date("30-05-64", ["%d-%m-%y"], pivot=25).value.year == 1964  # type: ignore[union-attr]
    assert parse_date("30-05-25", ["%d-%m-%y"], pivot=25).value.year == 2025  # type: ignore[union-attr]
    assert [normalise_postcode_or_district(t) for t in ("sw14", "SW1A", "SW14 8AB", "14")] == [
        "SW14", "SW1A", "SW14 8AB", None]  # fmt: skip


EPISODES = """\
source: {name: missing, kind: police}
files:
  - role: children
    path: children.csv
    lookup: {key: child_id}
  - role: episodes
    path: episodes.csv
    lookups:
      - file: children
        key: child
        into: kid
        REQUIRED
    records:
      key: episode
      record_type: {constant: missing_episode}
      persons:
        - key: {column: kid.child_id, prefix: "CH-"}
          role: {constant: subject}
          name: kid.name
          dob: kid.dob
"""


def test_lookups_take_fields_from_another_file(fresh_store: Engine, tmp_path: Path) -> None:
    children = "child_id,name,dob\nK1,Amy LEE,2004-03-01\nK2,Ben COLE,2005-01-02\nK2,Ben Cole,\n"
    episodes = "episode,child\nE1,K1\nE2,K2\nE3,K9\nE4,K1\n"
    mapping = EPISODES.replace("        REQUIRED\n", "        required: true\n")
    (result,) = _load(fresh_store, tmp_path, mapping,
                      {"children.csv": children, "episodes.csv": episodes})  # fmt: skip
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 1, 3)
    assert _rows(fresh_store, "SELECT row_number, field, reason FROM quarantine ORDER BY row_number") == [
        (3, "lookups[0]", "duplicate_key"),  # K2 is two children: which one cannot be told
        (4, "lookups[0]", "orphan"),
        (5, "persons.key", "duplicate_key"),
    ]  # fmt: skip
    assert _rows(
        fresh_store,
        "SELECT mention_key, forenames, surname, CAST(dob AS VARCHAR(10)) FROM mentions",
    ) == [("CH-K1", "Amy", "LEE", "2004-03-01")]
    # A changed lookup file re-derives the file that uses it (its bytes are in the identity).
    (tmp_path / "children.csv").write_text(children.replace("K2,Ben Cole,\n", ""), encoding="utf-8")
    (again,) = ingest_mapping(fresh_store, tmp_path / "m.yaml", tmp_path, "tester")
    assert again.status == "imported" and again.change.startswith("mapping changed since import")
    assert (again.rows_loaded, again.rows_quarantined) == (2, 2)


def test_a_chunk_over_its_time_budget_stops_the_file(fresh_store: Engine, tmp_path: Path) -> None:
    """`ingest.chunk_seconds`: a chunk that runs past its budget stops the file (nothing of
    it stored) with a message naming the rows; a budget of 0 means none."""
    from casereview.errors import CaseReviewError
    from casereview.settings import IngestSettings

    mapping = tmp_path / "m.yaml"
    mapping.write_text(PLACES, encoding="utf-8")
    (tmp_path / "log.csv").write_text("ref,text,place\nI1,a,b\nI2,c,d\n", encoding="utf-8")
    tight = IngestSettings(chunk_seconds=1e-9)
    with pytest.raises(CaseReviewError, match=r"log.csv: rows 2-3 were still being read at row 2 "
                       r"after 1e-09 s, the time budget of a chunk \(ingest.chunk_seconds\): "
                       "stopped, nothing from this file was stored"):  # fmt: skip
        ingest_mapping(fresh_store, mapping, tmp_path, "tester", settings=tight)
    assert _rows(fresh_store, "SELECT count(*) FROM imports") == [(0,)]
    (result,) = ingest_mapping(fresh_store, mapping, tmp_path, "tester",
                               settings=IngestSettings(chunk_seconds=0))  # fmt: skip
    assert result.rows_loaded == 2
