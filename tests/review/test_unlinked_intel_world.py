"""Intelligence subjects and the crimes an analyst would take for theirs, on a world the real
pipeline built (issue 16, ninth session).

- "Quintis Ravensworth", born 19/10/1990, is the subject of a report; two months earlier a crime
  names "Quintus Ravensworth-Oakley", born 19/10/1980: his name, and his date of birth with one
  digit of the year slipped.
- "Evander Blackthorne-Hale" is the older male friend Cordelia's referral names, and the
  subject of a report; a crime against Cordelia names "Blackthorne-Hale Evnader" (swapped, two
  letters swapped too, which linkage leaves apart): the same man, found through the same
  child. "Lucan Pettigrew-Marsh", the subject of another report, shares his name, written the
  same way ("Pettigrew-Marsh Lcuan"), with the suspect of a crime against a child no record
  ties him to: a similar name alone, not taken. (Until the twelfth session both crimes wrote
  the names swapped but whole; linkage now blocks a swapped double-barrelled name by its first
  part and joins both, as it joins Leontes' same-order name alone, so the rule's own lookup
  would not be reached.)
- "Florizel Dunmore-Vance", written by his name alone, is the subject of a report five years
  after a crime whose suspect has his name: too far apart for a name alone. "Leontes
  Ashbury-Crane", written the same way, seven months after his namesake's crime: taken.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casereview.model.serial import from_json
from casereview.model.tables import indicators, records
from casereview.store.db import reading
from export_world import (
    CSE_TEXT,
    append_csv,
    append_referrals,
    build_synthetic_store,
    case_crime,
    case_intel,
    case_nominal,
    case_referral,
)

pytestmark = pytest.mark.slow

SEX = "Sexual activity with a child"
GIRLS = [
    ("Rowena", "Kittiwake", "03/04/2006", "11 Sorrel Row", "E8 2QA", ""),
    ("Cordelia", "Fenwright", "05/06/2006", "12 Sorrel Row", "E8 2QB", ""),
    ("Imogen", "Starling", "07/08/2006", "13 Sorrel Row", "E8 2QC", ""),
    ("Philippa", "Marchmont", "09/10/2001", "14 Sorrel Row", "E8 2QD", ""),
    ("Hermia", "Threlkeld", "11/12/2006", "15 Sorrel Row", "E8 2QE", ""),
]
QUINTUS = ("Quintus", "Ravensworth-Oakley", "19/10/1980", "", "", "")
# written surname first, as some records do; his date of birth on the crime alone
EVANDER = ("Blackthorne-Hale", "Evnader", "12/09/1991", "", "", "")
LUCAN = ("Pettigrew-Marsh", "Lcuan", "03/03/1988", "", "", "")
FLORIZEL = ("Florizel", "Dunmore-Vance", "14/08/1979", "", "", "")
LEONTES = ("Leontes", "Ashbury-Crane", "22/05/1984", "", "", "")




def _add_cases(data: Path) -> None:
    append_csv(data / "met_crime" / "crimes.csv", [
        case_crime("CRIS/9300001/21", SEX, "10/07/2021", "Y", CSE_TEXT),
        case_crime("CRIS/9300002/20", SEX, "31/10/2020", "Y", CSE_TEXT),
        case_crime("CRIS/9300003/20", SEX, "02/11/2020", "Y", CSE_TEXT),
        case_crime("CRIS/9300004/15", SEX, "01/03/2015", "Y", CSE_TEXT),
        case_crime("CRIS/9300005/20", SEX, "01/02/2020", "Y", CSE_TEXT),
    ])  # fmt: skip
    append_csv(data / "met_crime" / "nominals.csv", [
        case_nominal(GIRLS[0], "V", "CRIS/9300001/21", 1), case_nominal(QUINTUS, "S", "CRIS/9300001/21", 2),
        case_nominal(GIRLS[1], "V", "CRIS/9300002/20", 1), case_nominal(EVANDER, "S", "CRIS/9300002/20", 2),
        case_nominal(GIRLS[2], "V", "CRIS/9300003/20", 1), case_nominal(LUCAN, "S", "CRIS/9300003/20", 2),
        case_nominal(GIRLS[3], "V", "CRIS/9300004/15", 1), case_nominal(FLORIZEL, "S", "CRIS/9300004/15", 2),
        case_nominal(GIRLS[4], "V", "CRIS/9300005/20", 1), case_nominal(LEONTES, "S", "CRIS/9300005/20", 2),
    ])  # fmt: skip
    append_csv(data / "met_intel" / "intel_log.csv", [
        case_intel("IRY0000001", "2021-09-24", "Quintis Ravensworth", "1990-10-19"),
        case_intel("IRY0000002", "2020-10-25", "Evander Blackthorne-Hale", ""),
        case_intel("IRY0000003", "2020-10-25", "Lucan Pettigrew-Marsh", ""),
        case_intel("IRY0000004", "2020-09-01", "Florizel Dunmore-Vance", ""),
        case_intel("IRY0000005", "2020-09-01", "Leontes Ashbury-Crane", ""),
    ])  # fmt: skip
    referral = case_referral(
        "CSCZ00001", "2020-10-26", GIRLS[1], ["CSE"], "Y", "Child names an older male friend.", []
    )
    referral["associates"] = [
        {"associate_id": "CSCZ00001-A1", "name": "Evander Blackthorne-Hale",
         "relationship": "older male friend", "dob": None, "phone": None}
    ]  # fmt: skip
    append_referrals(data, [referral])


@pytest.fixture(scope="module")
def fired(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Each record's reference -> the evidence of its unlinked_intelligence firings, and each
    reference's record id."""
    engine = build_synthetic_store(tmp_path_factory.mktemp("intel"), _add_cases, seed=19)
    try:
        with reading(engine) as conn:
            ids = {
                str(r): int(i) for i, r in conn.execute(select(records.c.id, records.c.source_ref))
            }
            ref = {i: r for r, i in ids.items()}
            out = {
                ref[int(r)]: from_json(e, {})["fired"]
                for r, e in conn.execute(
                    select(indicators.c.record_id, indicators.c.evidence).where(
                        indicators.c.subject_type == "record",
                        indicators.c.code == "unlinked_intelligence",
                    )
                )
            }
        return out, ids
    finally:
        engine.dispose()


def _by(evidence: list[dict[str, Any]]) -> set[str]:
    return {x["by"] for e in evidence for x in e.get("suspects_apart", [])}


def test_a_date_of_birth_with_one_digit_of_the_year_slipped(fired: Any) -> None:
    out, ids = fired
    evidence = out["IRY0000001"]
    assert [e["crime_records"] for e in evidence] == [[ids["CRIS/9300001/21"]]]
    assert _by(evidence) == {"name and date of birth"}


def test_a_suspect_of_a_crime_against_the_child_whose_referral_names_him(fired: Any) -> None:
    out, ids = fired
    evidence = out["IRY0000002"]
    assert ids["CRIS/9300002/20"] in {c for e in evidence for c in e["crime_records"]}
    assert "name and child" in _by(evidence)


def test_a_namesakes_crime_against_a_child_nothing_ties_him_to_is_not_his(fired: Any) -> None:
    out, ids = fired
    crimes = {c for e in out.get("IRY0000003", []) for c in e["crime_records"]}
    assert ids["CRIS/9300003/20"] not in crimes


def test_a_name_alone_years_from_the_crime_is_no_missed_link(fired: Any) -> None:
    out, ids = fired
    crimes = {c for e in out.get("IRY0000004", []) for c in e["crime_records"]}
    assert ids["CRIS/9300004/15"] not in crimes
    # the same written months from the crime is still taken (linkage joined them)
    assert [e["crime_records"] for e in out["IRY0000005"]] == [[ids["CRIS/9300005/20"]]]
