"""The possible-matches queue on a pipeline-built store: what it lists, a judgement through
`matches judge` changing the next link run, the latest judgement superseding the earlier,
reasons required, team visibility, and the audit entries."""

from __future__ import annotations

from sqlalchemy import select

from casereview.link.stage import run_link
from casereview.model.serial import from_json
from casereview.model.tables import audit_log, match_judgements, match_pairs, mention_person, runs
from casereview.settings import get_settings
from casereview.store.audit import verify
from casereview.store.db import reading


def _persons(world, *mention_ids: int) -> list[int]:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        found = dict(
            conn.execute(
                select(mention_person.c.mention_id, mention_person.c.person_id).where(
                    mention_person.c.mention_id.in_(mention_ids)
                )
            ).all()
        )
    return [int(found[m]) for m in mention_ids]


def test_queue_lists_every_near_miss_and_split_of_the_last_run(world) -> None:  # type: ignore[no-untyped-def]
    listed = world.run_json("ana", "matches", "list", "--limit", "100000")
    with reading(world.engine) as conn:
        threshold = from_json(
            conn.execute(select(runs.c.parameters).where(runs.c.stage == "link")).scalar(), {}
        )["match_weight_threshold"]
        stored = conn.execute(select(match_pairs)).all()
        person = dict(
            conn.execute(select(mention_person.c.mention_id, mention_person.c.person_id)).all()
        )
    floor = threshold - get_settings().link.near_miss_margin
    expected = {
        (p.mention_a_id, p.mention_b_id): ("split" if p.match_weight >= threshold else "near_miss")
        for p in stored
        if person[p.mention_a_id] != person[p.mention_b_id] and p.match_weight >= floor
    }
    assert expected, "the pipeline world has near misses"
    assert {(m["mention_a"], m["mention_b"]): m["kind"] for m in listed["pairs"]} == expected
    weights = [m["match_weight"] for m in listed["pairs"]]
    assert weights == sorted(weights, reverse=True)
    assert listed["counts"] == {
        "near_miss_open": sum(1 for k in expected.values() if k == "near_miss"),
        "split_open": sum(1 for k in expected.values() if k == "split"),
        "judged": 0,
        "awaiting_link_run": 0,
    }


def test_a_judgement_changes_the_next_link_run(world) -> None:  # type: ignore[no-untyped-def]
    pairs = world.run_json("ana", "matches", "list", "--kind", "near_miss")["pairs"]
    pair = pairs[0]
    a, b = pair["mention_a"], pair["mention_b"]
    before = _persons(world, a, b)
    assert before[0] != before[1]
    shown = world.run_json("ana", "matches", "show", str(a), str(b))
    assert (shown["side_a"]["mention_id"], shown["side_b"]["mention_id"]) == (a, b)
    bars = shown["pair"]
    assert abs(bars["prior"] + sum(x["weight"] for x in bars["bars"]) - bars["match_weight"]) < 1e-6
    judged = world.run_json(
        "ana", "matches", "judge", str(a), str(b), "--judgement", "same",
        "--reason", "same date of birth and phone in both records",
    )  # fmt: skip
    assert judged["judgement"] == "same"
    waiting = world.run_json("ana", "matches", "list", "--status", "judged")
    assert [
        (m["mention_a"], m["mention_b"], m["judgement"], m["in_effect"]) for m in waiting["pairs"]
    ] == [(a, b, "same", False)]
    assert waiting["counts"]["awaiting_link_run"] == 1
    assert _persons(world, a, b) == before  # nothing changes until the next link run
    run_link(world.engine, actor="pipeline")
    after = _persons(world, a, b)
    assert after[0] == after[1]
    now = world.run_json("ana", "matches", "list", "--status", "judged")
    assert [(m["mention_a"], m["mention_b"], m["in_effect"]) for m in now["pairs"]] == [
        (a, b, True)
    ]
    # A later judgement supersedes the first (revoked, audited) and splits them again.
    world.run_json(
        "ana", "matches", "judge", str(a), str(b), "--judgement", "not_same",
        "--reason", "different fathers named in the referral",
    )  # fmt: skip
    with reading(world.engine) as conn:
        rows = conn.execute(
            select(match_judgements.c.judgement, match_judgements.c.revoked_at.is_not(None))
            .where(match_judgements.c.mention_a_id == a, match_judgements.c.mention_b_id == b)
            .order_by(match_judgements.c.id)
        ).all()
        entries = conn.execute(
            select(audit_log.c.action, audit_log.c.purpose, audit_log.c.details)
            .where(audit_log.c.object_type == "match_judgement")
            .order_by(audit_log.c.seq)
        ).all()
    assert [tuple(r) for r in rows] == [("same", True), ("not_same", False)]
    assert [(e.action, e.purpose) for e in entries] == [
        ("combine", "same date of birth and phone in both records"),
        ("combine", "different fathers named in the referral"),
    ]
    assert from_json(entries[1].details)["replaces"] != []
    run_link(world.engine, actor="pipeline")
    split = _persons(world, a, b)
    assert split[0] != split[1]
    assert verify(world.engine).ok


def test_a_judgement_needs_a_reason_and_a_visible_pair(world) -> None:  # type: ignore[no-untyped-def]
    pair = world.run_json("ana", "matches", "list")["pairs"][0]
    a, b = str(pair["mention_a"]), str(pair["mention_b"])
    blank = world.run("ana", "matches", "judge", a, b, "--judgement", "same", "--reason", "  ")
    assert blank.code == 2 and "reason" in blank.err
    outside = world.run("rev_s", "matches", "judge", a, b, "--judgement", "same", "--reason", "x")
    assert outside.code == 1 and "not in the work of your teams" in outside.err
    assert world.run_json("rev_s", "matches", "list")["pairs"] == []
    with reading(world.engine) as conn:
        assert conn.execute(select(match_judgements)).all() == []
        denied = conn.execute(
            select(audit_log.c.actor, audit_log.c.object_id).where(audit_log.c.action == "denied")
        ).all()
    assert [tuple(d) for d in denied] == [("rev_s", "matches judge")]
