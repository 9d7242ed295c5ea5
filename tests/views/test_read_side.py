"""The read side on a store the real pipeline built: what the pages and the command line show
is what the stages wrote (link explanations, evidence, queue, search, reports, audit log)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from casereview.errors import AccessDenied
from casereview.ingest.views import age_at, record_view
from casereview.link.explain import explain_pair
from casereview.link.search import PersonQuery, search_persons, soundex
from casereview.link.views import person_view
from casereview.model.codes import AuditAction, IndicatorCode, SubjectType
from casereview.model.tables import audit_log, mention_person, mentions, records, review_items
from casereview.network.views import group_view, groups_of_record, groups_page
from casereview.review.evidence import subject_evidence
from casereview.review.queue import QueueFilters, allocate, queue_page
from casereview.review.views import item_for_subject, supervision_view
from casereview.store.access import Actor, load_actor, system_actor
from casereview.store.db import reading
from casereview.store.views import (
    AuditFilters,
    audit_page,
    code_label,
    published_file,
    reports_view,
    team_id_by_name,
    user_id_by_name,
)


def _actor(engine: Engine, name: str) -> Actor:
    with reading(engine) as conn:
        return load_actor(conn, name)


def _analyst() -> Actor:
    return system_actor("test-analyst")


def _linked_persons(engine: Engine) -> list[int]:
    """Persons with two or more mentions, most mentions first."""
    with reading(engine) as conn:
        rows = conn.execute(
            select(mention_person.c.person_id, func.count().label("n"))
            .group_by(mention_person.c.person_id)
            .having(func.count() > 1)
            .order_by(func.count().desc(), mention_person.c.person_id)
        ).all()
    return [int(r.person_id) for r in rows]


# ------------------------------------------------------------------------- persons and links


def test_person_view_explains_pairs_as_the_link_stage_wrote_them(built: Engine) -> None:
    """The bug of issue 17: the page read a list with `match_weight`; the stage writes
    {"bars", "prior"}. Every pair shown equals the link stage's own explanation."""
    explained = 0
    for pid in _linked_persons(built)[:15]:
        with reading(built) as conn:
            person = person_view(conn, _analyst(), pid)
        for pair in person.pairs:
            own = explain_pair(built, pair.mention_a, pair.mention_b)
            assert (pair.prior, pair.bars) == (own.prior, own.bars)
            assert pair.bars, pair
            total = pair.prior + sum(b.weight for b in pair.bars)
            # Whatever the stored weight holds beyond prior and bars is shown, never dropped.
            assert math.isclose(total + pair.unexplained, pair.match_weight, abs_tol=1e-6)
            assert [after for _, _, after in pair.steps][-1] == pytest.approx(total)
            explained += 1
    assert explained > 0


def test_person_view_shows_only_visible_mentions(built: Engine) -> None:
    north = _actor(built, "rev_n")
    with reading(built) as conn:
        item = [
            i for i in queue_page(conn, north, QueueFilters(scope="mine")).items
            if i.subject_type == "record"
        ][1]  # fmt: skip
        record = record_view(conn, north, item.subject_id)
        person_id = next(m.person_id for m in record.persons if m.person_id)
        seen = person_view(conn, north, person_id)
        everything = person_view(conn, _analyst(), person_id)
        with pytest.raises(AccessDenied):
            person_view(conn, _actor(built, "aud"), person_id)
    assert item.id and {m.mention_id for m in seen.mentions} <= {
        m.mention_id for m in everything.mentions
    }
    assert item.subject_id in {m.record_id for m in seen.mentions}


def test_age_at_the_event_is_computed_from_the_date_of_birth() -> None:
    assert age_at(dt.date(2000, 6, 15), dt.date(2014, 6, 14)) == 13
    assert age_at(dt.date(2000, 6, 15), dt.date(2014, 6, 15)) == 14
    assert age_at(None, dt.date(2014, 1, 1)) is None
    assert age_at(dt.date(2014, 1, 2), dt.date(2014, 1, 1)) is None


def test_record_view_gives_an_age_wherever_the_date_of_birth_and_the_date_are_known(
    built: Engine,
) -> None:
    with reading(built) as conn:
        rows = conn.execute(
            select(mentions.c.record_id)
            .join(records, records.c.id == mentions.c.record_id)
            .where(
                mentions.c.dob.is_not(None),
                mentions.c.age_at_event.is_(None),
                records.c.occurred_at.is_not(None),
            )
            .distinct()
            .limit(10)
        ).scalars()
        ids = list(rows)
        assert ids, "the synthetic world records some dates of birth without an age"
        for rid in ids:
            record = record_view(conn, _analyst(), rid)
            for m in record.persons:
                if m.dob is not None:
                    assert m.age_at_event == age_at(m.dob, record.occurred_at)


# ------------------------------------------------------------------------------------- search


def test_soundex() -> None:
    assert [soundex(w) for w in ("Robert", "Rupert", "Ashcraft", "Tymczak", "Pfister")] == [
        "R163",
        "R163",
        "A261",
        "T522",
        "P236",
    ]
    assert soundex("Smith") == soundex("Smyth") and soundex("") == ""


def _named(engine: Engine) -> list[tuple[int, str, str]]:
    """(person, forename, surname) of linked persons with both names recorded."""
    out = []
    with reading(engine) as conn:
        for pid in _linked_persons(engine):
            row = conn.execute(
                select(mentions.c.forenames, mentions.c.surname)
                .join(mention_person, mention_person.c.mention_id == mentions.c.id)
                .where(
                    mention_person.c.person_id == pid,
                    mentions.c.forenames.is_not(None),
                    mentions.c.surname.is_not(None),
                )
                .limit(1)
            ).first()
            if row is not None:
                out.append((pid, row.forenames.split()[0], row.surname))
    return out


def test_search_by_full_name_in_either_order_finds_the_person_first(built: Engine) -> None:
    for pid, forename, surname in _named(built)[:8]:
        with reading(built) as conn:
            for text in (
                f"{forename} {surname}",
                f"{surname} {forename}",
                f"{surname}, {forename}",
            ):
                page = search_persons(conn, _analyst(), PersonQuery(text))
                assert pid in [h.person_id for h in page.items if h.matched_by == "name"], text
                first = page.items[0]
                assert first.matched_by == "name" and first.mentions >= 1 and first.names


def test_search_by_nickname_spelling_and_sound(built: Engine) -> None:
    pid, forename, surname = next(
        (p, f, s) for p, f, s in _named(built) if f.lower() in {"robert", "william", "mohammed",
                                                              "muhammad", "katarzyna", "thomas",
                                                              "daniel", "james", "joseph"}
    )  # fmt: skip
    short = {"robert": "Bob", "william": "Bill", "mohammed": "Muhammad", "muhammad": "Mohammed",
             "katarzyna": "Kasia", "thomas": "Tom", "daniel": "Dan", "james": "Jim",
             "joseph": "Joe"}[forename.lower()]  # fmt: skip
    with reading(built) as conn:
        by_variant = search_persons(conn, _analyst(), PersonQuery(f"{short} {surname}"), 1, 200)
        sounded = surname[:-1] + ("e" if surname[-1] != "e" else "a")
        by_sound = search_persons(conn, _analyst(), PersonQuery(f"{forename} {sounded}"), 1, 200)
    assert pid in [h.person_id for h in by_variant.items]
    assert {h.matched_by for h in by_variant.items if h.person_id == pid} <= {
        "name variant or nickname"
    }
    if soundex(sounded) == soundex(surname):
        assert pid in [h.person_id for h in by_sound.items]


def test_search_by_date_of_birth_and_age(built: Engine) -> None:
    with reading(built) as conn:
        row = conn.execute(
            select(mention_person.c.person_id, mentions.c.dob)
            .join(mentions, mentions.c.id == mention_person.c.mention_id)
            .where(mentions.c.dob.is_not(None))
            .limit(1)
        ).one()
        by_dob = search_persons(conn, _analyst(), PersonQuery(dob=row.dob), 1, 500)
        children = search_persons(conn, _analyst(), PersonQuery(age_from=10, age_to=15), 1, 500)
        assert row.person_id in [h.person_id for h in by_dob.items]
        assert all(row.dob in h.dates_of_birth for h in by_dob.items)
        assert children.total > 0
        for hit in children.items[:20]:
            person = person_view(conn, _analyst(), hit.person_id)
            assert any(
                m.age_at_event is not None and 10 <= m.age_at_event <= 15 for m in person.mentions
            )


def test_search_is_paged_and_within_what_the_actor_sees(built: Engine) -> None:
    _pid, _forename, surname = _named(built)[0]
    with reading(built) as conn:
        everyone = search_persons(conn, _analyst(), PersonQuery(surname), 1, 1000)
        pages = [
            search_persons(conn, _analyst(), PersonQuery(surname), n, 2)
            for n in range(1, everyone.total // 2 + 2)
        ]
        south = search_persons(conn, _actor(built, "rev_s"), PersonQuery(surname), 1, 1000)
        auditor = search_persons(conn, _actor(built, "aud"), PersonQuery(surname), 1, 1000)
    assert [h.person_id for p in pages for h in p.items] == [h.person_id for h in everyone.items]
    assert {h.person_id for h in south.items} <= {h.person_id for h in everyone.items}
    assert auditor.total == 0


# ------------------------------------------------------------------------------ queue and items


def test_supervisors_see_items_of_no_team_reviewers_do_not(built: Engine) -> None:
    with reading(built) as conn:
        no_team = conn.execute(
            select(func.count()).where(
                review_items.c.team_id.is_(None), review_items.c.active.is_(True)
            )
        ).scalar_one()
        sup = queue_page(conn, _actor(built, "sup_n"), QueueFilters(unallocated=True))
        rev = queue_page(conn, _actor(built, "rev_n"), QueueFilters())
    assert no_team > 0
    assert sup.total == no_team + 0  # North allocated everything it took
    assert all(i.team is None for i in sup.items)
    assert all(i.team == "North" for i in rev.items) and rev.total > 0


def test_queue_pages_cover_the_queue_once(built: Engine) -> None:
    sup = _actor(built, "sup_n")
    with reading(built) as conn:
        first = queue_page(conn, sup, QueueFilters(), 1, 40)
        ids = [
            i.id
            for n in range(1, first.pages + 1)
            for i in queue_page(conn, sup, QueueFilters(), n, 40).items
        ]
    assert len(ids) == len(set(ids)) == first.total
    assert first.has_next and first.items[0].priority >= first.items[-1].priority


def test_allocation_by_filter_is_one_audited_transition_per_item(private: Engine) -> None:
    sup = _actor(private, "sup_n")
    with reading(private) as conn:
        north = team_id_by_name(conn, "North")
        rev = user_id_by_name(conn, "rev_n2")
        chosen = QueueFilters(indicator=IndicatorCode.REPEAT_MISSING, unallocated=True)
        before = queue_page(conn, sup, chosen, 1, 500)
        head = conn.execute(select(func.max(audit_log.c.seq))).scalar_one()
    assert before.total > 0
    done = allocate(private, sup, chosen, assignee_id=rev, team_id=north)
    assert sorted(done.assigned) == sorted(i.id for i in before.items) and done.refused == []
    with reading(private) as conn:
        entries = conn.execute(
            select(
                audit_log.c.actor, audit_log.c.action, audit_log.c.object_id, audit_log.c.details
            )
            .where(audit_log.c.seq > head)
            .order_by(audit_log.c.seq)
        ).all()
        after = queue_page(conn, _actor(private, "rev_n2"), QueueFilters(scope="mine"), 1, 500)
    assert [(e.actor, e.action, int(e.object_id)) for e in entries] == [
        ("sup_n", AuditAction.ALTER.value, i) for i in done.assigned
    ]
    assert all(json.loads(e.details)["transition"] == "assign" for e in entries)
    assert sorted(i.id for i in after.items) == sorted(done.assigned)


def test_allocation_to_a_team_the_supervisor_does_not_lead_is_refused(private: Engine) -> None:
    with reading(private) as conn:
        south = team_id_by_name(conn, "South")
        rev = user_id_by_name(conn, "rev_s")
    with pytest.raises(AccessDenied):
        allocate(private, _actor(private, "sup_n"), QueueFilters(), assignee_id=rev, team_id=south)


# -------------------------------------------------------------------- evidence and priorities


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def test_evidence_and_priority_reasons_are_sentences_linking_records_by_reference(
    built: Engine,
) -> None:
    rev = _actor(built, "rev_n")
    with reading(built) as conn:
        items = queue_page(conn, rev, QueueFilters(scope="mine"), 1, 50).items
        checked = 0
        for item in items:
            kind = SubjectType(item.subject_type)
            evidence = subject_evidence(conn, rev, kind, item.subject_id)
            review = item_for_subject(conn, rev, kind, item.subject_id)
            assert review is not None and review.reasons
            sentences = [
                s
                for e in evidence.indicators + evidence.findings + evidence.typology
                for s in e.sentences
            ]
            sentences += review.reasons
            for s in sentences:
                assert "{" not in s.text and "[" not in s.text, s.text
                for part in s.parts:
                    if part.href and part.href.startswith("/records/"):
                        rid = int(part.href.rsplit("/", 1)[1])
                        ref = conn.execute(
                            select(records.c.source_ref).where(records.c.id == rid)
                        ).scalar()
                        assert part.text.startswith(ref)
                        checked += 1
            assert evidence.indicators or kind == SubjectType.RECORD
        assert checked > 0


def test_a_group_item_shows_its_evidence_and_the_record_links_to_its_group(built: Engine) -> None:
    rev = _actor(built, "rev_n")
    with reading(built) as conn:
        group_item = next(
            i
            for i in queue_page(conn, rev, QueueFilters(scope="mine"), 1, 50).items
            if i.subject_type == "group"
        )
        evidence = subject_evidence(conn, rev, SubjectType.GROUP, group_item.subject_id)
        group = group_view(conn, rev, group_item.subject_id)
        record_id = group.timeline[0].record_id
        links = groups_of_record(conn, rev, record_id)
        listed = groups_page(conn, rev)
    assert evidence.indicators and all(e.sentences for e in evidence.indicators)
    assert group.id in {g.group_id for g in links}
    assert group.id in {g.id for g in listed.items}


def test_supervision_view_reads_second_review_agreement_from_the_workflow(built: Engine) -> None:
    from casereview.review.second_review import second_review_agreement

    with reading(built) as conn:
        view = supervision_view(conn, _actor(built, "sup_n"))
    assert view.second_review == second_review_agreement(built)
    assert view.unallocated > 0 and "rev_n" in view.members and "ana" not in view.members


# ---------------------------------------------------------------------- reports and the audit log


def test_reports_list_and_serve_what_the_report_stage_published(
    built: Engine, review_store: Path
) -> None:
    folder = review_store.parent / "report"
    ana = _analyst()
    with reading(built) as conn:
        views = reports_view(conn, ana, folder)
        served = published_file(conn, ana, folder, "report.html")
        with pytest.raises(AccessDenied):
            reports_view(conn, _actor(built, "rev_n"), folder)
        with pytest.raises(Exception, match="published no file"):
            published_file(conn, ana, folder, "../ingested.db")
    on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert [f.name for f in views[0].files] == on_disk
    assert all(f.intact for f in views[0].files)
    assert served == folder / "report.html"


def test_audit_page_filters_by_date_and_pages(built: Engine) -> None:
    aud = _actor(built, "aud")
    today = dt.datetime.now(dt.UTC).date()
    with reading(built) as conn:
        everything = audit_page(conn, aud, AuditFilters(), 1, 1000)
        today_only = audit_page(conn, aud, AuditFilters(since=today, until=today), 1, 1000)
        none = audit_page(conn, aud, AuditFilters(until=today - dt.timedelta(days=3650)))
        second = audit_page(conn, aud, AuditFilters(), 2, 10)
    assert everything.total == today_only.total > 0 and none.total == 0
    assert [e.seq for e in second.items] == [e.seq for e in everything.items[10:20]]
    assert all(
        isinstance(k, str) and isinstance(v, str) for e in everything.items for k, v in e.details
    )


def test_every_code_has_a_human_label() -> None:
    from casereview.model.codes import all_code_sets

    for codes in all_code_sets():
        for member in codes:
            label = code_label(member.value)
            assert label and "_" not in label, (codes.__name__, member.value)
    assert code_label("awaiting_sign_off") == "Awaiting sign-off"
    assert code_label("16") == "16: " + next(
        m.definition for c in all_code_sets() for m in c if m.value == "16"
    )
