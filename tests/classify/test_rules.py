"""Each typology rule on a minimal world: it fires, and a near miss does not."""

from __future__ import annotations

import datetime as dt

from casereview.classify.facts import MentionFact, RecordFact
from casereview.classify.rules import RuleParams, classify_records

DAY = dt.date(2020, 3, 1)
SEX = "IP disclosed sexual activity with the suspect."


def rec(rid: int, *people: MentionFact, narrative: str = SEX, record_type: str = "crime",
        offence: str = "", factors: frozenset[str] = frozenset(), on: dt.date = DAY,
        places: set[str] | None = None, online: set[int] | None = None,
        borough: str | None = None) -> RecordFact:
    return RecordFact(rid, 1, "s", "police", f"R{rid}", record_type, on, borough, None, factors,
                      offence, narrative, list(people), places or set(), online or set())


def m(mid: int, role: str, person: int | None, *, age: int | None = None,
      rel: str | None = None, address: str | None = None, postcode: str | None = None
      ) -> MentionFact:
    return MentionFact(mid, role, person, age, rel, address, postcode)


def labels(*records: RecordFact) -> dict[int, dict[str, list[str]]]:
    out = classify_records({r.record_id: r for r in records}, RuleParams())
    return {rid: {name: sorted(label.rule_ids) for name, label in found.items()}
            for rid, found in out.items()}


def test_cse_evidence_rules_fire_and_ordinary_crime_does_not() -> None:
    got = labels(
        rec(1, m(1, "victim", 1), narrative="", factors=frozenset({"cse"})),
        rec(2, m(2, "victim", 2), narrative="", offence="Sexual activity with a child"),
        rec(3, m(3, "victim", 3), narrative="Missing overnight, driven to a hotel; new phone."),
        rec(4, m(4, "victim", 4), narrative="Theft from the person near the station."),
        rec(5, m(5, "victim", 5), narrative="Missing overnight only."),
    )
    assert got == {
        1: {"cse_likely": ["T-CSE-01"]},
        2: {"cse_likely": ["T-CSE-02"]},
        3: {"cse_likely": ["T-CSE-03"]},
    }


def test_negated_indicator_and_criminal_exploitation_do_not_make_cse() -> None:
    got = labels(
        rec(1, m(1, "victim", 1), narrative="No concerns of sexual activity; found at home."),
        rec(2, m(2, "suspect", 2, age=15),
            narrative="Running a county line for an older male; given alcohol, driven to a hotel."),
    )
    assert got == {}


def test_group_rules() -> None:
    got = labels(
        rec(1, m(1, "victim", 10), m(2, "suspect", 20, age=30), m(3, "suspect", 21, age=31)),
        rec(2, m(4, "victim", 11), m(5, "suspect", 20, age=30)),  # co-offender elsewhere
        rec(3, m(6, "victim", 12), m(7, "suspect", 30, age=40)),
        rec(4, m(8, "victim", 12), m(9, "suspect", 31, age=40)),  # victim with two suspects
        # Words alone do not make a group: one named suspect with no associates stays lone.
        rec(5, m(10, "victim", 13), m(11, "suspect", 40, age=40),
            narrative="Taken to addresses by a group of males; sexual activity disclosed."),
        # ...they corroborate a group the structured facts show.
        rec(6, m(12, "victim", 14), m(13, "suspect", 50, age=40), m(14, "suspect", 51, age=41),
            narrative="Taken to addresses by a group of males; sexual activity disclosed."),
    )
    assert got == {
        1: {"cse_likely": ["T-CSE-03"], "group_based": ["T-GRP-01"]},
        2: {"cse_likely": ["T-CSE-03"], "group_based": ["T-GRP-02"]},
        3: {"cse_likely": ["T-CSE-03"], "group_based": ["T-GRP-03"]},
        4: {"cse_likely": ["T-CSE-03"], "group_based": ["T-GRP-03"]},
        5: {"cse_likely": ["T-CSE-03"], "lone_offender": ["T-LONE-01"]},
        6: {"cse_likely": ["T-CSE-03"], "group_based": ["T-GRP-01", "T-GRP-04"]},
    }


def test_gang_rules_and_lone_offender() -> None:
    got = labels(
        rec(1, m(1, "victim", 10), m(2, "suspect", 20, age=25), m(3, "suspect", 21, age=26)),
        rec(2, m(4, "suspect", 50, age=15), m(5, "suspect", 21, age=26), offence="",
            narrative="Arrested with wraps of class A; running a county line."),
        rec(3, m(6, "victim", 11), m(7, "suspect", 30, age=25), m(8, "suspect", 31, age=26),
            factors=frozenset({"gangs"})),
        rec(4, m(9, "victim", 12), m(10, "suspect", 40, age=35)),
    )
    assert got == {
        1: {"cse_likely": ["T-CSE-03"], "gang_associated": ["T-GANG-01"],
            "group_based": ["T-GRP-01"]},
        3: {"cse_likely": ["T-CSE-03"], "gang_associated": ["T-GANG-02"],
            "group_based": ["T-GRP-01"]},
        4: {"cse_likely": ["T-CSE-03"], "lone_offender": ["T-LONE-01"]},
    }


def test_gang_through_a_street_name_the_county_line_quotes() -> None:
    """The arrested child holds the drugs "for 'Rico'" and names nobody else; an intelligence
    report of the borough calls its one subject "known as 'Rico'", and he offends with another
    man against a girl: the group is gang-associated (sparse seed 1: 30 records of one gang
    whose county line named its member only by his street name). A namesake in another borough,
    or years away, or among several suspects, is nobody the line named."""
    line = ("Stop and search: IP (M, 15) with cash and two phones; holding them for 'Rico'. "
            "Concerns of criminal exploitation.")
    intel = "Subject known as 'Rico' believed to supply alcohol to local girls."
    got = labels(
        rec(1, m(1, "suspect", 50, age=15), narrative=line, borough="Brent",
            on=dt.date(2021, 5, 1)),
        rec(2, m(2, "subject", 20), narrative=intel, record_type="intelligence",
            borough="Brent"),
        rec(3, m(3, "victim", 10), m(4, "suspect", 20, age=25), m(5, "suspect", 21, age=26),
            borough="Brent"),
        # the same street name in another borough, and in Brent six years before the line
        rec(4, m(6, "subject", 30), narrative=intel, record_type="intelligence",
            borough="Camden"),
        rec(5, m(7, "victim", 11), m(8, "suspect", 30, age=25), m(9, "suspect", 31, age=26),
            borough="Camden"),
        rec(6, m(10, "subject", 40), narrative=intel, record_type="intelligence",
            borough="Brent", on=dt.date(2015, 1, 1)),
        rec(7, m(11, "victim", 12), m(12, "suspect", 40, age=25), m(13, "suspect", 41, age=26),
            borough="Brent", on=dt.date(2015, 1, 1)),
    )
    assert "gang_associated" in got[3]
    assert got[3]["gang_associated"] == ["T-GANG-01"]
    assert "gang_associated" not in got[5]
    assert "gang_associated" not in got[7]


def test_intra_familial_peer_and_institutional_rules() -> None:
    got = labels(
        rec(1, m(1, "victim", 1, age=12), m(2, "suspect", 2, age=40, rel="Stepfather")),
        rec(2, m(3, "victim", 3, address="1 a st", postcode="E81AA"),
            m(4, "suspect", 4, age=40, address="1 a st", postcode="E81AA")),
        rec(3, m(5, "victim", 5, postcode="E81AA"), m(6, "suspect", 6, age=40, postcode="E81AB")),
        rec(4, m(7, "victim", 7), m(8, "suspect", 8, age=15)),
        rec(5, m(9, "victim", 9), m(10, "suspect", 10),
            narrative="A boy from school pressured her into sexual activity."),
        rec(6, m(11, "victim", 11), m(12, "suspect", 12, age=30, rel="teacher")),
        rec(7, m(13, "victim", 13), m(14, "suspect", 14, age=30), places={"care_home"}),
        rec(8, m(15, "victim", 15), m(16, "suspect", 16),
            narrative="A member of staff had sexual contact with her."),
        rec(9, m(17, "victim", 17), m(18, "suspect", 18, age=15), places={"school"}),
    )
    assert got == {
        1: {"cse_likely": ["T-CSE-03"], "intra_familial": ["T-INT-01"]},
        2: {"cse_likely": ["T-CSE-03"], "intra_familial": ["T-INT-02"]},
        3: {"cse_likely": ["T-CSE-03"], "lone_offender": ["T-LONE-01"]},
        4: {"cse_likely": ["T-CSE-03"], "peer_on_peer": ["T-PEER-01"]},
        5: {"cse_likely": ["T-CSE-03"], "peer_on_peer": ["T-PEER-02"]},
        6: {"cse_likely": ["T-CSE-03"], "institutional": ["T-INS-01"]},
        7: {"cse_likely": ["T-CSE-03"], "institutional": ["T-INS-02"]},
        8: {"cse_likely": ["T-CSE-03"], "institutional": ["T-INS-03"]},
        9: {"cse_likely": ["T-CSE-03"], "peer_on_peer": ["T-PEER-01"]},
    }


def test_online_rules() -> None:
    got = labels(
        rec(1, m(1, "victim", 1), m(2, "suspect", 2, age=30), places={"online"}),
        rec(2, m(3, "victim", 3), m(4, "suspect", 4, age=30), online={7}),
        rec(3, m(5, "victim", 5), m(6, "suspect", 6, age=30),
            narrative="Groomed via social media; asked for images."),
        rec(4, m(7, "subject", 8), online={7}, record_type="intelligence",
            narrative="Believed to supply alcohol to local girls."),
    )
    lone = ["T-LONE-01"]
    assert got == {
        1: {"cse_likely": ["T-CSE-03"], "online_facilitated": ["T-ONL-01"], "lone_offender": lone},
        2: {"cse_likely": ["T-CSE-03"], "online_facilitated": ["T-ONL-02"], "lone_offender": lone},
        3: {"cse_likely": ["T-CSE-03"], "online_facilitated": ["T-ONL-03"], "lone_offender": lone},
        4: {"cse_likely": ["T-CSE-03"], "lone_offender": lone},
    }


def test_records_without_suspects_take_the_context_of_their_child() -> None:
    got = labels(
        rec(1, m(1, "victim", 9), m(2, "suspect", 20, age=30), m(3, "suspect", 21, age=30)),
        rec(2, m(4, "subject", 9), record_type="missing_episode", narrative="Missing overnight.",
            on=DAY + dt.timedelta(days=30)),
        rec(3, m(5, "subject", 9), record_type="missing_episode", narrative="Missing overnight.",
            on=DAY + dt.timedelta(days=400)),
        # The time alone is not enough: the episode itself must carry a sign.
        rec(4, m(6, "subject", 9), record_type="missing_episode",
            narrative="Argument at home; returned of own accord.", on=DAY + dt.timedelta(days=20)),
    )
    assert got == {
        1: {"cse_likely": ["T-CSE-03"], "group_based": ["T-GRP-01"]},
        2: {"cse_likely": ["T-CSE-03", "T-CSE-04"], "group_based": ["T-CTX-01"]},
    }


def test_peer_is_not_inherited_from_a_group_nor_read_off_intelligence() -> None:
    got = labels(
        rec(1, m(1, "victim", 9), m(2, "suspect", 20, age=30), m(3, "suspect", 21, age=16)),
        rec(2, m(4, "subject", 9), record_type="referral", factors=frozenset({"cse"}),
            narrative="", on=DAY + dt.timedelta(days=10)),
        rec(3, m(5, "subject", 20, age=30), m(6, "subject", 21, age=16),
            record_type="intelligence", narrative="Seen with young girls at a hotel."),
        rec(4, m(7, "subject", 40, age=16), record_type="intelligence",
            narrative="Seen with young girls at a hotel."),
    )
    assert got[1]["peer_on_peer"] == ["T-PEER-01"]
    assert "peer_on_peer" not in got[2] and got[2]["group_based"] == ["T-CTX-01"]
    assert "peer_on_peer" not in got[3]
    assert got[4]["peer_on_peer"] == ["T-PEER-01"]


def test_a_schoolmate_just_turned_18_is_a_peer_not_staff() -> None:
    got = labels(
        rec(1, m(1, "victim", 1, age=15), m(2, "suspect", 2, age=18, rel="schoolmate"),
            places={"school"}),
        rec(2, m(3, "victim", 3, age=15), m(4, "suspect", 4, age=18),
            narrative="An 18-year-old peer pressured her into sexual activity.",
            places={"youth_club"}),
        rec(3, m(5, "victim", 5, age=15), m(6, "suspect", 6, age=25, rel="schoolmate"),
            places={"school"}),
    )
    assert got[1] == {"cse_likely": ["T-CSE-03"], "peer_on_peer": ["T-PEER-02"]}
    assert got[2] == {"cse_likely": ["T-CSE-03"], "peer_on_peer": ["T-PEER-02"]}
    assert got[3] == {"cse_likely": ["T-CSE-03"], "institutional": ["T-INS-02"]}


def test_online_harm_factor_and_its_context() -> None:
    got = labels(
        rec(1, m(1, "victim", 9), m(2, "suspect", 20, age=16)),
        rec(2, m(3, "subject", 9), record_type="referral", narrative="",
            factors=frozenset({"cse", "online"}), on=DAY + dt.timedelta(days=20)),
        rec(3, m(4, "victim", 8), m(5, "suspect", 30, age=16)),
        rec(4, m(6, "subject", 8), record_type="referral", narrative="",
            factors=frozenset({"cse"}), on=DAY + dt.timedelta(days=20)),
    )
    assert got[1]["online_facilitated"] == ["T-CTX-02"]
    assert got[2]["online_facilitated"] == ["T-CTX-01", "T-ONL-04"]
    assert "online_facilitated" not in got[3] and "online_facilitated" not in got[4]


def test_intelligence_about_an_online_offender() -> None:
    """T-CTX-03: a report takes online_facilitated from its subject's own online crimes (not
    from a handle on the report, nor from a crime made online only by context, nor from a crime
    more than subject_context_days away)."""
    far = DAY + dt.timedelta(days=RuleParams().subject_context_days + 1)
    got = labels(
        rec(1, m(1, "victim", 9), m(2, "suspect", 20, age=40), places={"online"}),
        rec(2, m(3, "subject", 20), record_type="intelligence",
            on=DAY + dt.timedelta(days=300)),
        rec(3, m(4, "subject", 21), record_type="intelligence", online={7}),  # handle only
        rec(4, m(5, "subject", 20), record_type="intelligence", on=far),
        # Online only by its child's context (T-CTX-02): not the man's own online contact.
        rec(5, m(6, "victim", 8), m(7, "suspect", 30, age=40)),
        rec(6, m(8, "subject", 8), record_type="referral", narrative="",
            factors=frozenset({"cse", "online"}), on=DAY + dt.timedelta(days=20)),
        rec(7, m(9, "subject", 30), record_type="intelligence"),
    )
    assert got[1]["online_facilitated"] == ["T-ONL-01"]
    assert got[2]["online_facilitated"] == ["T-CTX-03"]
    assert got[5]["online_facilitated"] == ["T-CTX-02"]
    assert "online_facilitated" not in got[3]
    assert "online_facilitated" not in got[4]
    assert "online_facilitated" not in got[7]
