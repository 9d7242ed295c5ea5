"""Findings, indicators, typology and groups of issue 16 on a world the real pipeline built."""

from __future__ import annotations

import pytest

from review.findings_world import Found, build_findings_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> Found:
    engine = build_findings_store(tmp_path_factory.mktemp("findings"))
    try:
        return Found(engine)
    finally:
        engine.dispose()


def test_police_la_mismatch_needs_both_agencies_and_names_both_records(found: Found) -> None:
    crime, referral = found.ref["CRIS/9000001/20"], found.ref["CSCX00001"]
    child = found.one("Zephyrine Quillfeather")
    assert found.findings[(referral, "police_la_mismatch")] == {
        "child": child, "rule": "F-PLA-01", "window_days": 365,
        "records": [{"child": child, "concern_here": True, "other_agency_records": [crime]}],
    }  # fmt: skip
    assert found.findings[(crime, "police_la_mismatch")] == {
        "child": child, "rule": "F-PLA-01", "window_days": 365,
        "records": [{"child": child, "concern_here": False, "other_agency_records": [referral]}],
    }  # fmt: skip
    # A child one agency never recorded is no mismatch: an indicator of its own, each way.
    assert found.codes("CSCX00002") == {"la_concern_no_police_record"}
    assert "police_la_mismatch" not in found.codes("CRIS/9000002/21")
    assert "police_concern_no_la_record" in found.codes("CRIS/9000002/21")
    assert found.indicators[(found.ref["CRIS/9000002/21"], "police_concern_no_la_record")][
        "persons"
    ] == [found.one("Perpetua Hollowmere")]
    assert "police_concern_no_la_record" not in found.codes("CRIS/9000005/21")  # council knows her


def test_unlinked_repeat_suspect_on_open_and_charged_crimes(found: Found) -> None:
    open_, charged = found.ref["CRIS/9000003/19"], found.ref["CRIS/9000004/22"]
    man = found.one("Barnaby Crumhorn")
    for rid, other in ((open_, charged), (charged, open_)):
        evidence = found.indicators[(rid, "unlinked_repeat_suspect")]
        assert evidence["persons"] == [man]
        assert evidence["fired"] == [
            {"records": sorted([open_, charged]), "not_linked_to": [other]}
        ]


def test_named_associate_not_investigated(found: Found) -> None:
    referral = found.ref["CSCX00003"]
    evidence = found.indicators[(referral, "named_associate_not_investigated")]
    # Thaddeus is never a suspect in Wilhelmina's police records; Lucius is, so only one.
    assert evidence["persons"] == [found.one("Thaddeus Grimwold")]
    (fired,) = evidence["fired"]
    assert fired["child"] == found.one("Wilhelmina Sparrowgate")
    assert fired["child_police_records"] == [found.ref["CRIS/9000005/21"]]
    assert fired["relationship"] == "older male friend"


def test_an_associate_named_as_the_child_knows_him_is_taken_as_the_suspect(found: Found) -> None:
    """Linkage cannot join a lone given name or a handle to the suspect; the rule reads the
    suspect of the child's own police record instead. Ambrose, whose given name differs from
    every suspect's, is the one associate never investigated."""
    referral, crime = found.ref["CSCX00005"], found.ref["CRIS/9000020/21"]
    evidence = found.indicators[(referral, "named_associate_not_investigated")]
    assert evidence["persons"] == [found.one("None Ambrose")]
    (fired,) = evidence["fired"]
    assert fired["child"] == found.one("Marigold Tumblethorn")
    assert fired["child_police_records"] == [crime]


def test_a_street_name_tells_an_associate_apart_from_no_suspect(found: Found) -> None:
    """'Junior' is written as a forename on one record, but another narrative quotes it as
    what a man is known by: Philippa's 'Junior' may be Barnabus, the suspect of her crime."""
    assert "named_associate_not_investigated" not in found.codes("CSCX00006")


def test_an_associate_written_in_another_script_is_compared_by_consonants(found: Found) -> None:
    """Her referral's "سليم قنديل" (in Latin letters "Slym Qndyl") is Saleem Kandeel, the
    suspect of her crime."""
    assert "named_associate_not_investigated" not in found.codes("CSCX00007")


def test_a_child_of_her_group_named_as_associate_is_not_an_adult(found: Found) -> None:
    """Henrietta's referral names "Lysander", no age written; he is of her group,
    a suspect in a crime of Clementine born 12/03/2004: 16 on the referral's day."""
    lysander = found.one("Lysander Pembrook")
    assert any(
        lysander in members.get("offender", set())
        and found.one("Henrietta Bramblecote") in members.get("victim", set())
        for members in found.groups.values()
    )
    assert "named_associate_not_investigated" not in found.codes("CSCX00008")


def test_a_partner_without_an_age_takes_the_age_of_the_suspect_he_is(found: Found) -> None:
    """Her boyfriend 'Fitzgerald' has no age on the referral; the suspect of her crime he
    agrees with was born 19/11/1985, so 35 on the referral's day (Marigold is 14)."""
    evidence = found.indicators[(found.ref["CSCX00005"], "age_gap_partner")]
    (fired,) = evidence["fired"]
    assert fired["partner_age"] == 35
    assert fired["child_ages"] == [14]
    assert fired["relationship"] == "boyfriend"
    # either linkage joined him to the suspect he is, or the referral's lookup found that suspect
    suspect = found.one("Fitzgerald Oakenshaw")
    if "partner_age_from_person" in fired:
        assert fired["partner_age_from_person"] == suspect
        assert "partner_age_from_suspect" not in fired
    else:
        assert found.mention_person[fired["partner_age_from_suspect"]] == suspect


def test_flags_on_referrals_and_typology_words(found: Found) -> None:
    assert "missing_cse_flag" in found.codes("CSCX00004")  # grooming described, no CSE factor
    cruelty, lines = found.ref["CRIS/9000006/18"], found.ref["CRIS/9000007/18"]
    assert not {lab for r, lab in found.labels if r == cruelty}
    assert (lines, "cse_likely") not in found.labels
    assert "wrong_cse_flag" in found.codes("CRIS/9000007/18")


def test_group_from_shared_victims_car_and_venue_exports_roles(found: Found) -> None:
    men = {found.one(f"{m[0]} {m[1]}") for m in
           (("Ignatius", "Falconbridge"), ("Peregrine", "Thistlewood"), ("Octavius", "Merriweather"),
            ("Lysander", "Pembrook"), ("None", "Lysander"))}  # fmt: skip
    # "Lysander" as Henrietta's referral names him is a person of his own (no date of birth to
    # join him by), tied to the group as a group victim's associate.
    kids = {found.one("Clementine Abernathy"), found.one("Henrietta Bramblecote")}
    (group,) = [g for g in found.groups.values() if g.get("offender", set()) & men]
    assert group == {"offender": men, "victim": kids}
