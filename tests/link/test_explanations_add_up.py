"""Every stored pair's explanation adds up to its stored match weight: the prior plus one bar
per comparison of the model that scored it, record context included (a pair lifted by its
records naming a person in common shows that bar), and shows the values its two mentions
were compared with. Read from a store built by the real pipeline, through the one renderer
every reader uses (`link.explain.stored_explanation`)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from casereview.link.explain import NOT_WEIGHED, compared_of, load_legends, stored_explanation
from casereview.model.tables import match_pairs, mentions
from casereview.store.db import make_engine, reading


def test_each_stored_explanation_adds_up_to_its_weight(review_store: Path) -> None:
    engine = make_engine(f"sqlite:///{review_store}")
    try:
        with reading(engine) as conn:
            rows = conn.execute(select(match_pairs)).all()
            legends = load_legends(conn, {r.run_id for r in rows})
            compared = compared_of(
                conn, {m for r in rows for m in (r.mention_a_id, r.mention_b_id)}
            )
            surnames = {
                int(m): s for m, s in conn.execute(select(mentions.c.id, mentions.c.surname)).all()
            }
    finally:
        engine.dispose()
    assert rows
    assert all(r.levels is not None and r.comparison is None for r in rows)
    comparisons: set[str] = set()
    off, unshown, mislabelled = [], [], []
    not_weighed: set[str] = set()
    for row in rows:
        prior, bars = stored_explanation(row, legends, compared)
        comparisons |= {bar.comparison for bar in bars}
        total = prior + sum(bar.weight for bar in bars)
        if abs(total - row.match_weight) > 1e-6:
            off.append((row.match_weight, total))
        # The surname bar shows both mentions' surnames whenever both were written down.
        # "No value on one side" only where a value is missing (the borough of two mentions
        # that both give a postcode is left to the postcode comparison, and says so).
        for bar in bars:
            if bar.level == "no value on one side" and bar.value_a and bar.value_b:
                mislabelled.append((row.mention_a_id, row.mention_b_id, bar))
            if bar.level == NOT_WEIGHED:
                not_weighed.add(bar.comparison)
        (surname,) = [bar for bar in bars if bar.comparison == "surname"]
        both = surnames[row.mention_a_id] and surnames[row.mention_b_id]
        if both and not (surname.value_a and surname.value_b):
            unshown.append((row.mention_a_id, row.mention_b_id, surname))
    assert off == [], f"{len(off)} of {len(rows)} explanations do not add up, e.g. {off[:3]}"
    assert mislabelled == [], f"{len(mislabelled)} bars, e.g. {mislabelled[:3]}"
    assert not_weighed == {"borough"}
    assert unshown == [], f"{len(unshown)} pairs show no surnames, e.g. {unshown[:3]}"
    assert "context" in comparisons  # the synthetic world's records name people in common
