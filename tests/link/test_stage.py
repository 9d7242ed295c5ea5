"""The link stage end to end on a store: persons, stable ids, judgements, explanations, export."""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from linkworld import add_mentions, add_user, tiny_people
from sqlalchemy import Engine, select

from casereview.link import stage
from casereview.link.explain import (
    LEGEND_ARTIFACT,
    compared_values,
    explain_pair,
    explanation_legend,
    pair_levels,
)
from casereview.link.export import export_persons
from casereview.link.frame import build_frame, load_mention_rows
from casereview.link.judgements import record_judgement, revoke_judgement
from casereview.link.stage import predict_persons, run_link
from casereview.model.tables import (
    audit_log,
    match_pairs,
    mention_person,
    person_lineage,
    persons,
    run_artifacts,
)
from casereview.store import audit
from casereview.store.db import reading
from casereview.store.exports import neutralise_cell

People = tuple[Engine, list[dict[str, Any]], dict[str, int]]


def _mapping(engine: Engine) -> dict[int, int]:
    with reading(engine) as conn:
        return dict(
            conn.execute(select(mention_person.c.mention_id, mention_person.c.person_id)).all()
        )


def _pairwise_f1(mapping: dict[int, int], truth: dict[int, str]) -> float:
    def pairs(labels: dict[int, Any]) -> set[tuple[int, int]]:
        groups: dict[Any, list[int]] = {}
        for m, g in labels.items():
            groups.setdefault(g, []).append(m)
        return {(a, b) for ms in groups.values() for a in ms for b in ms if a < b}

    pred, true = pairs(mapping), pairs(truth)
    tp = len(pred & true)
    return 2 * tp / (len(pred) + len(true))


def test_link_resolves_people_and_saves_the_model(people_store: People) -> None:
    engine, rows, ids = people_store
    result = run_link(engine)
    mapping = _mapping(engine)
    truth = {ids[r["key"]]: r["person"] for r in rows}
    assert set(mapping) == set(ids.values())
    assert _pairwise_f1(mapping, truth) >= 0.9
    with reading(engine) as conn:
        names = {
            a.name
            for a in conn.execute(
                select(run_artifacts).where(run_artifacts.c.run_id == result.run_id)
            )
        }
        active = (
            conn.execute(select(persons.c.id).where(persons.c.active.is_(True))).scalars().all()
        )
        changes = Counter(conn.execute(select(person_lineage.c.change)).scalars())
    assert names == {"splink_model", "explanation_legend", "log"}
    assert sorted(active) == sorted(set(mapping.values()))
    assert changes == Counter({"new": result.persons})


def test_ids_are_stable_when_five_percent_new_records_arrive(people_store: People) -> None:
    engine, _rows, _ids = people_store
    run_link(engine)
    before = _mapping(engine)
    extra = tiny_people(99, 3, prefix="new")  # about 9 new mentions: 5% of the store
    add_mentions(engine, extra)
    run_link(engine)
    after = _mapping(engine)
    by_person_before: dict[int, set[int]] = {}
    for m, p in before.items():
        by_person_before.setdefault(p, set()).add(m)
    by_person_after: dict[int, set[int]] = {}
    for m, p in after.items():
        by_person_after.setdefault(p, set()).add(m)
    unchanged = {
        p
        for p, ms in by_person_before.items()
        if any(
            ms == {m for m in later if m in before} and later == ms
            for later in by_person_after.values()
        )
    }
    # Every cluster whose membership did not change keeps its id.
    assert unchanged and all(by_person_after.get(p) == by_person_before[p] for p in unchanged)
    assert len(unchanged) >= 0.9 * len(by_person_before)
    new_ids = {after[m] for m in after if m not in before}
    assert min(new_ids - set(before.values()), default=max(before.values()) + 1) > max(
        before.values()
    )


def test_not_same_judgement_splits_and_survives_relinking(people_store: People) -> None:
    engine, _rows, _ids = people_store
    run_link(engine)
    mapping = _mapping(engine)
    clusters: dict[int, list[int]] = {}
    for m, p in mapping.items():
        clusters.setdefault(p, []).append(m)
    members = sorted(max(clusters.values(), key=len))
    a, b = members[0], members[-1]
    user = add_user(engine)
    judged = record_judgement(engine, a, b, "not_same", user, "different dates of birth on file")
    run_link(engine)
    assert _mapping(engine)[a] != _mapping(engine)[b]
    run_link(engine)  # a second re-link still honours it
    assert _mapping(engine)[a] != _mapping(engine)[b]
    revoke_judgement(engine, judged.id, user, "entered in error")
    run_link(engine)
    assert _mapping(engine)[a] == _mapping(engine)[b]
    with reading(engine) as conn:
        actions = conn.execute(
            select(audit_log.c.action, audit_log.c.object_type).where(
                audit_log.c.object_type == "match_judgement"
            )
        ).all()
    assert [tuple(x) for x in actions] == [("combine", "match_judgement")] * 2


def test_same_judgement_joins(people_store: People) -> None:
    engine, rows, ids = people_store
    run_link(engine)
    mapping = _mapping(engine)
    a = ids[rows[0]["key"]]
    b = next(m for m in mapping if mapping[m] != mapping[a])
    record_judgement(engine, a, b, "same", add_user(engine), "same custody photo")
    run_link(engine)
    assert _mapping(engine)[a] == _mapping(engine)[b]


def test_explanation_bars_sum_to_the_match_weight(people_store: People) -> None:
    engine, rows, ids = people_store
    run_link(engine)
    mapping = _mapping(engine)
    a = ids[rows[0]["key"]]
    partner = next(m for m in mapping if m != a and mapping[m] == mapping[a])
    stranger = next(m for m in mapping if mapping[m] != mapping[a])
    for other, stored in ((partner, True), (stranger, None)):
        expl = explain_pair(engine, a, other)
        assert math.isclose(
            expl.prior + sum(b.weight for b in expl.bars), expl.match_weight, abs_tol=1e-6
        )
        assert [b.comparison for b in expl.bars] == [
            "forename",
            "surname",
            "dob",
            "sex",
            "postcode",
            "phones",
        ]
        assert expl.mention_a == a and expl.mention_b == other
        if stored:
            assert expl.stored and expl.same_person is True
    assert explain_pair(engine, a, stranger).same_person is False


def test_cli_explain_is_audited_as_a_consultation(
    people_store: People, store_url: str, capsys: Any
) -> None:
    from casereview.cli import main

    engine, rows, ids = people_store
    run_link(engine)
    a, b = ids[rows[0]["key"]], ids[rows[1]["key"]]
    with reading(engine) as conn:
        before = audit.head(conn)[0]
    capsys.readouterr()
    assert main(["--database", store_url, "explain", str(a), str(b), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["mention_a"], shown["mention_b"]) == (a, b)
    with reading(engine) as conn:
        new = [e for e in audit.iter_entries(conn) if e.seq > before]
    assert [(e.action, e.object_type, e.object_id) for e in new] == [
        ("consult", "mention_pair", f"{a}-{b}")
    ]
    assert new[0].details_dict["view"] == "explain"
    # An unknown mention is a clear error, and nothing is consulted.
    assert main(["--database", store_url, "explain", "999999", str(b)]) != 0
    with reading(engine) as conn:
        assert audit.head(conn)[0] == before + 1


def test_export_persons_columns_and_audit(people_store: People, tmp_path: Path) -> None:
    engine, _rows, ids = people_store
    add_mentions(
        engine,
        [{"key": "=cmd|' /C calc'!A0", "forenames": "Eve", "surname": "Hack", "dob": "2001-01-01"}],
    )
    run_link(engine)
    out = tmp_path / "persons.csv"
    n = export_persons(engine, out, purpose="serious case review", recipient="LSCP", actor="alice")
    with out.open(newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["source", "mention_key", "person_id"]
    assert len(table) == n + 1 == len(ids) + 2
    assert table[1 + [r[1] for r in table[1:]].index("'=cmd|' /C calc'!A0")][:2] == [
        "met_crime",
        "'=cmd|' /C calc'!A0",
    ]
    mapping = _mapping(engine)
    keyed = {r[1]: int(r[2]) for r in table[1:]}
    assert all(keyed[k] == mapping[m] for k, m in ids.items())
    with reading(engine) as conn:
        entry = conn.execute(select(audit_log).where(audit_log.c.action == "disclose")).one()
    assert (entry.actor, entry.purpose, entry.recipient, entry.object_id) == (
        "alice",
        "serious case review",
        "LSCP",
        "persons",
    )
    assert json.loads(entry.details) == {
        "columns": ["source", "mention_key", "person_id"],
        "file": "persons.csv",
        "rows": n,
    }
    assert [neutralise_cell(v) for v in ("+1", "-x", "@a", "\tb", "\rc", "ok", None)] == [
        "'+1",
        "'-x",
        "'@a",
        "'\tb",
        "'\rc",
        "ok",
        "",
    ]


_WRITTEN = st.one_of(st.none(), st.sampled_from(["", " ", "amy", "Amy", "AMY", "Zoë", "ali", "b"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_WRITTEN, _WRITTEN, _WRITTEN, st.integers(1, 4)), max_size=30))
def test_display_names_of_every_person_follow_the_one_rule(
    mentions_written: list[tuple[str | None, str | None, str | None, int]],
) -> None:
    """The stage names every person at once; each name must be `values.display_name` of
    that person's mentions (most frequent written name, ties to the first in sort order)."""
    import numpy as np
    import pandas as pd

    from casereview.link.stage import _display_names
    from casereview.values.display_name import display_name

    rows = pd.DataFrame(
        {
            "mention_id": list(range(len(mentions_written))),
            "forenames": pd.Series([m[0] for m in mentions_written], dtype="object"),
            "surname": pd.Series([m[1] for m in mentions_written], dtype="object"),
            "name_raw": pd.Series([m[2] for m in mentions_written], dtype="object"),
        }
    )
    person_of = {i: m[3] for i, m in enumerate(mentions_written)}
    expected = {
        pid: display_name([m[:3] for i, m in enumerate(mentions_written) if person_of[i] == pid])
        for pid in set(person_of.values())
    }
    person = [person_of[i] for i in range(len(mentions_written))]
    assert _display_names(rows, np.array(person, dtype=np.int64)) == {
        p: n for p, n in expected.items() if n
    }


def _pair_read(row: Any) -> tuple[Any, ...]:
    """A stored pair as compared across two runs: its mentions and levels exact, its weight
    and each level's weight as numbers (`pytest.approx` compares them)."""
    a, b, weight, levels = row
    names: list[str] = []
    weights = [float(weight)]
    for part in str(levels).split(","):
        level, sep, value = part.partition(":")
        names.append(level)
        if sep:
            weights.append(float(value))
    return (a, b, names), weights


def test_explanations_written_in_slices_are_those_written_at_once(
    people_store: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept pairs are explained and written a slice at a time (`stage._WRITE_SLICE`): the
    stored levels, each mention's compared values (from the first pair it is in) and the run's
    legend (every level any slice saw) do not depend on the size of the slices."""
    engine, _rows, _ids = people_store

    def stored(run_id: int) -> tuple[list[Any], list[Any], Any]:
        with reading(engine) as conn:
            pairs = conn.execute(
                select(match_pairs.c.mention_a_id, match_pairs.c.mention_b_id,
                       match_pairs.c.match_weight, match_pairs.c.levels)
                .order_by(match_pairs.c.mention_a_id, match_pairs.c.mention_b_id)
            ).all()  # fmt: skip
            compared = conn.execute(
                select(mention_person.c.mention_id, mention_person.c.compared).order_by(
                    mention_person.c.mention_id
                )
            ).all()
            legend = conn.execute(
                select(run_artifacts.c.content).where(
                    run_artifacts.c.run_id == run_id,
                    run_artifacts.c.name == LEGEND_ARTIFACT,
                )
            ).scalar_one()
        return pairs, compared, json.loads(legend)

    at_once = stored(run_link(engine).run_id)
    monkeypatch.setattr(stage, "_WRITE_SLICE", 3)
    in_slices = stored(run_link(engine).run_id)
    assert len(at_once[0]) > 3 * 3  # several slices
    assert sum(c is not None for _m, c in at_once[1]) > 3
    # The same pairs and levels; the weights within 1e-9 (each run trains its model, and two
    # trainings differ in the last bits: DuckDB sums in parallel).
    sliced_pairs = [_pair_read(p) for p in in_slices[0]]
    once_pairs = [_pair_read(p) for p in at_once[0]]
    assert [k for k, _w in sliced_pairs] == [k for k, _w in once_pairs]
    for (_k, got), (_k2, want) in zip(sliced_pairs, once_pairs, strict=True):
        assert got == pytest.approx(want, abs=1e-9)
    assert in_slices[1] == at_once[1]
    # Every level of every comparison, with its weight (two trainings differ by 1e-15).
    sliced, once = in_slices[2], at_once[2]
    assert sliced["prior"] == pytest.approx(once["prior"], abs=1e-12)
    assert [(c["name"], c["labels"]) for c in sliced["comparisons"]] == [
        (c["name"], c["labels"]) for c in once["comparisons"]
    ]
    for a, b in zip(sliced["comparisons"], once["comparisons"], strict=True):
        assert a["weights"] == pytest.approx(b["weights"], abs=1e-12)


def test_names_and_compared_values_made_a_slice_at_a_time_are_those_made_whole(
    people_store: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The persons' display names and the mentions' compared values are made whole in a
    forked child on DuckDB, and a slice of persons or mentions at a time in the process
    itself where the child is off (Spark: `Prediction.detail`): every person's name and
    count and every mention's person and compared values are the same either way, whatever
    the size of the slices."""
    engine, _rows, _ids = people_store

    def stored() -> tuple[list[Any], list[Any]]:
        with reading(engine) as conn:
            people = conn.execute(
                select(persons.c.id, persons.c.display_name, persons.c.mention_count,
                       persons.c.active).order_by(persons.c.id)
            ).all()  # fmt: skip
            rows = conn.execute(
                select(mention_person.c.mention_id, mention_person.c.person_id,
                       mention_person.c.compared).order_by(mention_person.c.mention_id)
            ).all()  # fmt: skip
        return people, rows

    run_link(engine)
    whole = stored()
    assert sum(1 for p in whole[0] if p.active) > 3 * 3  # several slices of persons
    assert len(whole[1]) > 3 * 3  # several slices of mentions
    monkeypatch.setattr(stage, "_WRITE_SLICE", 3)
    run_link(engine)
    assert stored() == whole
    forked = stage.Forked
    made_here: list[bool] = []

    def not_forked(fn: Any, *, enabled: bool = True) -> Any:
        made_here.append(True)
        return forked(fn, enabled=False)

    monkeypatch.setattr(stage, "Forked", not_forked)
    run_link(engine)
    assert made_here
    assert stored() == whole


def _indexes(engine: Engine) -> list[Any]:
    """Every index of the tables link fills (name, columns, unique), as the store has them."""
    from sqlalchemy import inspect

    inspector = inspect(engine)
    return sorted(
        (table, ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
        for table in ("mention_person", "match_pairs", "persons", "person_lineage")
        for ix in inspector.get_indexes(table)
    )


def _written(engine: Engine) -> tuple[list[Any], list[Any], list[Any]]:
    with reading(engine) as conn:
        return (
            conn.execute(select(mention_person).order_by(mention_person.c.mention_id)).all(),
            conn.execute(
                select(match_pairs).order_by(match_pairs.c.mention_a_id, match_pairs.c.mention_b_id)
            ).all(),
            conn.execute(select(persons).order_by(persons.c.id)).all(),
        )


def test_the_indexes_link_drops_while_writing_are_there_after_and_after_a_failure(
    people_store: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite link drops the secondary indexes of mention_person and match_pairs while it
    writes their rows and creates them again after (`stage._indexes_rebuilt`): after a run
    the store has every index it had, the same ones, and they are used; a run that fails half
    way through writing leaves the rows and the indexes as they were (one transaction)."""
    engine, _rows, _ids = people_store
    before = _indexes(engine)
    assert ("mention_person", "ix_mention_person_person_id", ("person_id",), False) in before
    assert ("match_pairs", "ix_match_pairs_mention_b_id", ("mention_b_id",), False) in before
    run_link(engine)
    assert _indexes(engine) == before
    written = _written(engine)
    assert written[0] and written[1]
    if engine.dialect.name == "sqlite":
        with reading(engine) as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT mention_id FROM mention_person WHERE person_id = 1"
            ).all()
        assert "ix_mention_person_person_id" in " ".join(str(r[-1]) for r in plan)

    real_insert = stage._insert_many

    def failing(conn: Any, table: Any, columns: Any, rows: Any) -> int:
        if table is mention_person:  # the last table written: the pairs are in by now
            raise RuntimeError("the machine went away")
        return real_insert(conn, table, columns, rows)

    monkeypatch.setattr(stage, "_insert_many", failing)
    with pytest.raises(RuntimeError, match="went away"):
        run_link(engine)
    assert _indexes(engine) == before
    assert _written(engine) == written


def _explained(prediction: stage.Prediction) -> tuple[Any, ...]:
    """What the store gets of a prediction's kept pairs: ids and weights, each pair's levels
    (gammas; term-frequency adjustments apart), the adjustments, each mention's compared
    values and the run's legend."""
    pairs, model = prediction.pairs, prediction.model_json
    levels = [text.split(",") for text in pair_levels(pairs, model)]
    gammas = [[part.split(":")[0] for part in row] for row in levels]
    adjustments = [
        float(part.split(":")[1]) if ":" in part else 0.0 for row in levels for part in row
    ]
    ids, shown = compared_values(pairs, model)
    return (
        pairs[["unique_id_l", "unique_id_r", "match_weight"]].to_numpy().tolist(),
        gammas,
        adjustments,
        (ids.tolist(), shown),
        explanation_legend(pairs, model),
    )


@pytest.mark.parametrize("given_model", [False, True])
def test_levels_kept_from_the_one_scoring_are_those_of_scoring_again(
    people_store: People, monkeypatch: pytest.MonkeyPatch, given_model: bool
) -> None:
    """On DuckDB the kept pairs are explained from the comparison levels their one scoring
    kept (`stage._score_keeping_levels`), not scored a second time (`stage._with_detail`, still
    Spark's way): the same gammas, term-frequency adjustments, compared values (as the
    backend gives them) and legend. A model trained on the frame scores it in memory, and
    the second scoring reads the model's JSON: weights agree to 1e-12."""
    engine, rows, _ids = people_store
    # Some people written again with an age and no date of birth: years compared.
    add_mentions(
        engine, [dict(row, key=f"aged-{n}", dob=None, age=25) for n, row in enumerate(rows[:15])]
    )
    with reading(engine) as conn:
        frame = build_frame(load_mention_rows(conn))
    trained = predict_persons(frame.copy(), detail=False).model_json if given_model else None
    kept = predict_persons(frame.copy(), trained=trained)
    monkeypatch.setattr(
        stage,
        "_scored",
        lambda linker, model, floor, link, timings, say, detail, dialect: (
            stage.score_timed(linker, model, floor, link, timings, say),
            None,
        ),
    )
    again = predict_persons(frame.copy(), trained=trained)
    pairs, gammas, adjustments, compared, legend = _explained(kept)
    pairs_again, gammas_again, adjustments_again, compared_again, legend_again = _explained(again)
    assert len(pairs) > 20
    # The same pairs in the same order; each weight to 1e-12 (DuckDB may sum a pair's weights in
    # another order from one run to the next: ...512 against ...513 in the last digit was seen).
    assert [p[:2] for p in pairs] == [p[:2] for p in pairs_again]
    assert [p[2] for p in pairs] == pytest.approx([p[2] for p in pairs_again], abs=1e-12)
    assert gammas == gammas_again
    assert adjustments == pytest.approx(adjustments_again, abs=1e-12)
    assert any(a != 0.0 for a in adjustments)  # term frequencies adjusted
    assert compared == compared_again
    assert any("born 19" in text for text in compared[1])
    assert legend["prior"] == legend_again["prior"]
    for a, b in zip(legend["comparisons"], legend_again["comparisons"], strict=True):
        assert (a["name"], a["labels"]) == (b["name"], b["labels"])
        assert a["weights"] == pytest.approx(b["weights"], abs=1e-12)


def test_the_store_is_written_through_a_large_page_cache_and_no_memory_map(
    people_store: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite link writes its rows with a 256 MiB page cache and the store file not
    memory-mapped (`stage._write_settings`: each page of `mentions` a pair's foreign key
    reads would count in the process's resident memory); the connection's own settings are
    back after."""
    engine, _rows, _ids = people_store
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's page cache and memory map")
    seen: dict[str, list[int]] = {"cache_size": [], "mmap_size": []}
    real_insert = stage._insert_many

    def watching(conn: Any, table: Any, columns: Any, rows: Any) -> int:
        for pragma, values in seen.items():
            values.append(int(conn.exec_driver_sql(f"PRAGMA {pragma}").scalar_one()))
        return real_insert(conn, table, columns, rows)

    with engine.connect() as conn:
        before = {p: int(conn.exec_driver_sql(f"PRAGMA {p}").scalar_one()) for p in seen}
    monkeypatch.setattr(stage, "_insert_many", watching)
    result = run_link(engine)
    assert result.persons and result.pairs_stored
    assert seen["cache_size"] and set(seen["cache_size"]) == {-stage._WRITE_CACHE_KIB}
    assert set(seen["mmap_size"]) == {0}
    with engine.connect() as conn:
        assert {p: int(conn.exec_driver_sql(f"PRAGMA {p}").scalar_one()) for p in seen} == before
