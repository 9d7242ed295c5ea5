"""Plain names: when the absence-asserting indicators give way to a mention naming the person.

Unit tests of pure functions of two mentions: each case is one pair of names, so each mention is
one stored row made into what the rules see by the loader's code (tests/review/facts.py), with
no store; the indicators that use them run on pipeline-built stores in
tests/review/test_indicators.py and test_split_people.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from casereview.review.context import MentionFacts
from casereview.review.plain_names import (
    exact_dob,
    known_as,
    names_agree,
    plausibly_same,
    same_child,
    thinly_same_child,
    told_apart,
)
from review.facts import facts, stored


def mention(name: str, dob: str | None = None, precision: str = "day") -> MentionFacts:
    """A police crime's suspect as the store holds him (tests/review/facts.py)."""
    return facts(stored(1, 1, "suspect", None, name, dob, precision=precision))


@pytest.mark.parametrize(
    ("a", "b", "same", "narrow"),
    [
        (mention("Tsylak Yilmaz"), mention("Taylak Yilmaz", "1978-12-17"), False, True),
        (
            mention("Tsylak Yilmaz", "1978-12-17"),
            mention("Taylak Yilmaz", "1978-12-17"),
            True,
            True,
        ),
        (
            mention("Nikhil Naik Ibrahim", "1972-09-16"),
            mention("Naik Nikhil", "1972-09-16"),
            True,
            True,
        ),
        (mention("Sana Ihab", "2001-09-29"), mention("Ihab Sana"), False, True),  # no DOB
        (
            mention("Merveille Ilunga", "2001-03-05"),
            mention("Merveille Wilson", "2001-03-05"),
            True,
            True,
        ),
        (mention("Emily Stone", "2006-05-06"), mention("Emily Stone", "1995-05-06"), False, False),
        # one digit of the year slipped on the same day and month (sixth session)
        (mention("Emily Stone", "2006-05-06"), mention("Emily Stone", "2005-05-06"), True, True),
        (mention("Emily Stone", "2005-06-05"), mention("Emily Stone", "2005-05-06"), True, True),
        (
            mention("Emily Stone", "2005-01-01", "year"),
            mention("Emily Stone", "2005-08-03"),
            True,
            True,
        ),
        (mention("Emily Stone", "2005-08-03"), mention("Emma Stone", "2005-08-03"), True, True),
        (mention("Emily Stone"), mention("Emma Stone"), False, False),  # two letters apart
        (
            mention("Emily Stone", "2005-08-03"),
            mention("Stone", "2005-08-03"),
            True,
            True,
        ),  # word and DOB
        (
            mention("Merveille Ilunga", "2001-03-05"),
            mention("Grace Wilson", "2001-03-05"),
            False,
            False,
        ),
    ],
)
def test_plausibly_same(a: MentionFacts, b: MentionFacts, same: bool, narrow: bool) -> None:
    """Across a whole agency a missing date of birth never matches; within one child's
    records (narrow) similar names alone do."""
    assert plausibly_same(a, b) is same
    assert plausibly_same(b, a) is same
    assert plausibly_same(a, b, narrow=True) is (same or narrow)


def test_an_age_at_the_event_stands_for_a_missing_date_of_birth() -> None:
    child = mention("Sana Ihab", "2001-09-29")
    aged = replace(mention("Ihab Sana"), age=16, written_age=16)
    assert plausibly_same(child, aged, b_day=dt.date(2018, 3, 1))  # 16 that day
    assert not plausibly_same(child, aged, b_day=dt.date(2021, 3, 1))  # 19 that day
    assert not plausibly_same(child, aged)  # no day to tell


def test_exact_dob_needs_two_full_dates() -> None:
    assert exact_dob(mention("J", "1976-06-10"), mention("Muhammad Gulfam", "1976-06-10"))
    assert not exact_dob(mention("J", "1976-06-10", "month"), mention("M G", "1976-06-10"))
    assert not exact_dob(mention("J"), mention("Muhammad Gulfam", "1976-06-10"))


def suspect(forenames: str, surname: str, **values: object) -> MentionFacts:
    """A police suspect written with forenames and surname apart."""
    row = stored(1, 1, "suspect", None, f"{forenames} {surname}", fields=(forenames, surname))
    return replace(facts(row), **values)  # type: ignore[arg-type]


def associate(name: str = "", **values: object) -> MentionFacts:
    """A referral's associate as a child names him: a lone name, a handle, a phone."""
    return replace(facts(stored(1, 1, "associate", None, name)), **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("who", "him", "quoted", "agrees"),
    [
        (associate("Maksim"), suspect("Maksim Dmitrovich", "Melnyk"), frozenset(), True),
        (associate("Duc"), suspect("Dc", "Ryan"), frozenset(), True),  # a slip
        (associate("Bob"), suspect("Robert", "Hale"), frozenset(), True),  # a nickname
        (associate("Roger"), suspect("R", "Thomas"), frozenset(), True),  # an initial
        (associate("Skinny"), suspect("Jamie", "Powell"), frozenset({"skinny"}), True),
        (associate("Skinny"), suspect("Jamie", "Powell"), frozenset(), False),
        (associate("Abdurahan Omar"), suspect("Abdurahman Omar", "Hassan-Williams"), frozenset(), True),
        (associate(handles=frozenset({"king_jack"})), suspect("Jack", "Jones"), frozenset(), True),
        (associate(handles=frozenset({"denis8"})), suspect("Jack", "Jones"), frozenset(), False),
        (associate(phones=frozenset({"+447700900111"})), suspect("Jack", "Jones", phones=frozenset({"+447700900111"})), frozenset(), True),
        (associate("Leon"), suspect("Jordan", "Wilkinson"), frozenset(), False),
        # a suspect written by one given name, or with a name dropped (issue 16, fourth session)
        (associate("Jakub Szymanski"), suspect("Jakub", ""), frozenset(), True),
        (associate("Jack Lewis Clarke"), suspect("Jack", "Clark"), frozenset(), True),
        (associate("Oliver Dunn-Miah".replace("-", " ")), suspect("Olievr", "Miah"), frozenset(), True),
        # ... unless their dates of birth tell them apart
        (associate("Jakub Szymanski", dob=dt.date(1970, 1, 1), dob_precision="day"), suspect("Jakub", "", dob=dt.date(2005, 7, 20), dob_precision="day"), frozenset(), False),
        # two words of his name are not both the suspect's one surname
        (associate("Ibrahim Ahmed Mohamud"), suspect("Mohamed", "Mohamud"), frozenset(), False),
        # fifth session: a whole street name the record quotes; a nickname of a name written
        # with a slip; a name cut short; two slips or a cut in one word of a full name
        (associate("Little T"), suspect("Esra", "Yorulmaz"), frozenset({"little t"}), True),
        (associate("Little T"), suspect("Esra", "Yorulmaz"), frozenset({"t"}), False),
        (associate("Tony"), suspect("Anthoy Nicholas", "Smith"), frozenset(), True),
        (associate("Danny"), suspect("Dnaiel", "Taylor"), frozenset(), True),
        (associate("Maine"), suspect("Jermaine", "Mcdaniel"), frozenset(), True),
        (associate("Main"), suspect("Jermaine", "Mcdaniel"), frozenset(), False),
        (associate("Gabriwl Stan"), suspect("Gabirel", "Stan"), frozenset(), True),
        (associate("Sohel Hoque"), suspect("Sohel", "Hoq"), frozenset(), True),
        (associate("Gabriwl Stan"), suspect("Gabriel", "Stone"), frozenset(), False),
        (associate("Connor Slater"), suspect("Carlos", "Slater"), frozenset(), False),
    ],
)  # fmt: skip
def test_known_as(
    who: MentionFacts, him: MentionFacts, quoted: frozenset[str], agrees: bool
) -> None:
    """A lone name, nickname, initial, street name the record quotes, handle or phone agrees
    with a suspect of the child's own records; another given name does not."""
    assert known_as(who, him, quoted) is agrees


def test_a_street_name_or_a_bare_surname_tells_him_apart_from_nobody() -> None:
    given = frozenset({"leon", "jordan", "jamie"})
    assert told_apart(associate("Leon"), suspect("Jordan", "Wilkinson"), given)
    assert not told_apart(associate("Skinny"), suspect("Jamie", "Powell"), given)
    assert not told_apart(associate(handles=frozenset({"x_9"})), suspect("Jamie", "Powell"), given)
    assert not told_apart(associate("Leon"), suspect("", "Kusi"), given)
    # a suspect written by one word that is nobody's given name is written by a street name
    assert not told_apart(associate("Leon Slater"), suspect("Benz", ""), given)
    assert told_apart(associate("Leon Slater"), suspect("Jordan", ""), given)


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        ("Jen Walker", "Jennifer Walker", True),
        ("Marqus B", "Beatriz Marques", True),
        ("Keisa Goordon", "Keisha Gordon", True),
        ("Andreas", "A Ali", False),  # an initial alone is no name
        ("Shanice Cervantes", "Shanice Brady", False),
        ("Olievr Miah", "Oliver Miah", True),  # two letters swapped: a typing slip
        ("Mohamed Mohamud", "Ibrahim Ahmed Mohamud", False),  # each word needs its own
    ],
)
def test_names_agree(a: str, b: str, agree: bool) -> None:
    assert names_agree(frozenset(a.lower().split()), frozenset(b.lower().split())) is agree


def test_the_same_child_found_in_another_agency_by_strong_evidence() -> None:
    day = dt.date(2020, 1, 1)
    council = replace(mention("Jennifer Walker", "2004-06-10"), council_id="RY00000009")
    # the council's child id, on a missing-person report with no name at all
    assert same_child(council, replace(mention(""), council_id="RY00000009"), a_day=day, b_day=day)
    # a nickname and no date of birth: not enough across a whole agency...
    assert not same_child(council, mention("Jen Walker"), a_day=day, b_day=day)
    # ...but enough at the same postcode, or with the date of birth
    at_home = replace(mention("Jen Walker"), postcode="DA52XF")
    assert same_child(replace(council, postcode="DA52XF"), at_home, a_day=day, b_day=day)
    assert same_child(council, mention("Jen Walker", "2004-06-10"), a_day=day, b_day=day)
    # a lone name needs the date of birth, never an age that happens to fit
    lone = replace(mention("Lauren"), age=15)
    assert not same_child(
        mention("Lauren Sheika Williams", "2004-03-26"), lone, a_day=day, b_day=day
    )


def test_thin_agreement_of_a_child_beside_the_associate() -> None:
    assert thinly_same_child(
        mention("Samantha Parkes", "2004-01-01"), mention("Samantha", "2003-12-06")
    )
    assert thinly_same_child(mention("Keisa Goordon"), mention("Keisha Gordon", "1997-05-14"))
    assert not thinly_same_child(
        mention("Shanice Brady", "2001-07-18"), mention("Shanice Cervantes", "2002-08-22")
    )
    assert not thinly_same_child(
        mention("Emily Wood", "2005-11-26"), mention("Emily Wood", "1990-11-26")
    )


def test_only_a_written_age_fits_a_date_of_birth() -> None:
    """An age the record writes (15 on 2020-06-01) fits a date of birth that gives it; the same
    age taken from the person linkage put the mention in (`age` without `written_age`) is not
    evidence that the two mentions are one person."""
    dated = mention("Kayden Brooks", "2005-01-10")
    day = dt.date(2020, 6, 1)
    written = replace(mention("Kayden Brooks"), age=15, written_age=15)
    derived = replace(mention("Kayden Brooks"), age=15)
    assert plausibly_same(dated, written, b_day=day)
    assert not plausibly_same(dated, derived, b_day=day)


def test_a_name_in_another_script_is_compared_in_latin_letters() -> None:
    """A council writes the child's name in her family's script; the police in Latin letters."""
    from casereview.review.context import _name_key

    assert _name_key("فاطمة", "حسن") == frozenset({"fatima", "hassan"})
    assert names_agree(_name_key("فاطمة", "حسن"), _name_key("Fatima", "HASSAN"))
    assert _name_key("Vásquez", None) == frozenset({"vasquez"})


def test_an_initial_with_the_same_full_date_of_birth_is_the_same_child() -> None:
    day = dt.date(2020, 5, 1)
    bianca = mention("Bianca", "2007-04-13")
    assert same_child(bianca, mention("B Murphy", "2007-04-13"), a_day=day, b_day=day)
    assert not same_child(bianca, mention("C Murphy", "2007-04-13"), a_day=day, b_day=day)
    assert not same_child(bianca, mention("B Murphy", "2007-04-14"), a_day=day, b_day=day)


def test_a_year_written_as_1_january_or_slipped_by_one_digit_agrees() -> None:
    """Sixth session: "Arta HOXHA" born "01/01/2008" is the council's Arta Hoxha born 25 March
    2008 (a year of birth written as a date); "Sheila Abena" born 2 March 1984 is the council's
    Sheila Abena Opoku born 2 March 1994 (one digit of the year slipped). Another year, or the
    same year on another day, is still another child."""
    day = dt.date(2022, 1, 1)
    council = mention("Arta Hoxha", "2008-03-25")
    assert same_child(council, mention("Arta Hoxha", "2008-01-01"), a_day=day, b_day=day)
    assert not same_child(council, mention("Arta Hoxha", "2006-07-16"), a_day=day, b_day=day)
    assert not same_child(council, mention("Arta Hoxha", "2008-07-16"), a_day=day, b_day=day)
    assert same_child(
        mention("Sheila Abena Opoku", "1994-03-02"),
        mention("Sheila Abena", "1984-03-02"),
        a_day=day,
        b_day=day,
    )
    assert not same_child(
        mention("Sheila Abena Opoku", "1994-03-02"),
        mention("Sheila Abena", "1983-03-02"),
        a_day=day,
        b_day=day,
    )


def test_a_nickname_with_a_slip_and_a_name_cut_at_its_start() -> None:
    """Sixth session, sparse seed 3: the council's "Reebecca Cartwright" is the crime's "Becky
    Cartwright" (a nickname of a name written with a slip); the referral's "Jermaien CAMPBELL"
    is the crime's suspect "Maien Campbell" (the name cut short at its start)."""
    assert thinly_same_child(mention("Reebecca Cartwright"), mention("Becky Cartwright"))
    assert not thinly_same_child(mention("Reebecca Cartwright"), mention("Betty Cartwright"))
    jermaien = replace(mention("Jermaien Campbell"), role="associate")
    assert known_as(jermaien, mention("Maien Campbell"))
    assert not known_as(jermaien, mention("Main Campbell"))


def test_a_nickname_of_a_name_with_a_slip_agrees_word_by_word() -> None:
    day = dt.date(2021, 1, 8)
    council = replace(mention("Reebecca Cartwright", "2008-09-01"), postcode="EN57EH")
    crime = replace(mention("Becky Cartwright"), postcode="EN57EH")
    assert same_child(council, crime, a_day=day, b_day=day)
    assert not same_child(council, replace(crime, name_key=frozenset({"betty", "cartwright"})),
                          a_day=day, b_day=day)  # fmt: skip
