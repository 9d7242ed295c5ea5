"""Intelligence subjects linkage kept apart from the crime suspect they are, and the queue's
repeat-missing weight, on a world the real pipeline built (issue 16, seventh session).

An intelligence report names "Quentin Marchbank", born 14/02/1983; seven months earlier a
crime names its suspect by a street name alone, "Wolfie", born the same day. An analyst takes
them for one man whose crime the report was never linked to. "Ptolemy Quarrington" shares a
date of birth with "Bingo", the suspect of a crime six years before: too far apart to tell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from casereview.model.serial import from_json
from casereview.model.tables import indicators, mentions, records, review_items
from casereview.store.db import reading
from export_world import (
    CSE_TEXT,
    append_csv,
    build_synthetic_store,
    case_crime,
    case_intel,
    case_nominal,
)

pytestmark = pytest.mark.slow

CHILD_A = ("Araminta", "Cobblestone", "03/04/2006", "11 Sorrel Row", "E8 2QA", "")
CHILD_B = ("Benedicta", "Ploughwright", "05/06/2000", "12 Sorrel Row", "E8 2QB", "")
WOLFIE = ("Wolfie", "", "14/02/1983", "", "", "")
BINGO = ("Bingo", "", "09/10/1979", "", "", "")




def _add_cases(data: Path) -> None:
    append_csv(data / "met_crime" / "crimes.csv", [
        case_crime("CRIS/9100001/20", "Sexual activity with a child", "10/02/2020", "Y", CSE_TEXT),
        case_crime("CRIS/9100002/14", "Sexual activity with a child", "05/05/2014", "Y", CSE_TEXT),
    ])  # fmt: skip
    append_csv(data / "met_crime" / "nominals.csv", [
        case_nominal(CHILD_A, "V", "CRIS/9100001/20", 1), case_nominal(WOLFIE, "S", "CRIS/9100001/20", 2),
        case_nominal(CHILD_B, "V", "CRIS/9100002/14", 1), case_nominal(BINGO, "S", "CRIS/9100002/14", 2),
    ])  # fmt: skip
    append_csv(data / "met_intel" / "intel_log.csv", [
        case_intel("IRX0000001", "2020-09-01", "Quentin Marchbank", "1983-02-14"),
        case_intel("IRX0000002", "2020-09-01", "Ptolemy Quarrington", "1979-10-09"),
    ])  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    engine = build_synthetic_store(tmp_path_factory.mktemp("split"), _add_cases, seed=13)
    yield engine
    engine.dispose()


def _ids(engine: Engine) -> dict[str, int]:
    with reading(engine) as conn:
        return {str(r.source_ref): int(r.id) for r in conn.execute(select(records.c.id, records.c.source_ref))}  # fmt: skip


def _intel_indicators(engine: Engine) -> dict[int, dict[str, Any]]:
    with reading(engine) as conn:
        return {
            int(r): from_json(e, {})
            for r, e in conn.execute(
                select(indicators.c.record_id, indicators.c.evidence).where(
                    indicators.c.subject_type == "record",
                    indicators.c.code == "unlinked_intelligence",
                )
            )
        }


def test_a_subject_born_the_day_a_street_named_suspect_was_is_him(store: Engine) -> None:
    ids = _ids(store)
    fired = _intel_indicators(store)
    with reading(store) as conn:
        (wolfie,) = conn.execute(
            select(mentions.c.id).where(
                mentions.c.record_id == ids["CRIS/9100001/20"], mentions.c.role == "suspect"
            )
        ).scalars()
    (evidence,) = fired[ids["IRX0000001"]]["fired"]
    assert evidence["crime_records"] == [ids["CRIS/9100001/20"]]
    assert evidence["linked_records"] == []
    assert evidence["suspects_apart"] == [
        {"mention": wolfie, "record": ids["CRIS/9100001/20"], "by": "street name and date of birth"}
    ]
    # Born the same day as "Bingo", six years before the report: not taken for him.
    assert ids["IRX0000002"] not in fired


def test_a_childs_repeat_missing_run_outranks_a_five_point_lead(store: Engine) -> None:
    """The lead of a repeat-missing run (6.5 points) ranks above every item whose leads are
    only 5-point indicators, whatever their cse_likely strength (at most 1 point)."""
    runs, fives = [], []
    with reading(store) as conn:
        for priority, breakdown in conn.execute(
            select(review_items.c.priority, review_items.c.score_breakdown).where(
                review_items.c.active.is_(True)
            )
        ):
            contributions = from_json(breakdown, {}).get("contributions", [])
            terms = [
                c for c in contributions if c.get("kind") == "indicator" and "also_on" not in c
            ]
            if "repeat_missing" in {c["code"] for c in terms}:
                runs.append(float(priority))
            elif [c["points"] for c in terms] == [5.0] and all(
                c.get("kind") != "finding" for c in contributions
            ):
                fives.append(float(priority))  # one 5-point lead and cse_likely, no finding
    assert runs and fives
    assert min(runs) > max(fives)
