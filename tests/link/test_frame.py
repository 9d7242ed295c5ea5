"""Frame normalisation, the skewed-block guard and the name-equivalence tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from casereview.link.evaluate import blocking_recall
from casereview.link.frame import (
    BLOCKING_KEYS,
    LIST_KEYS,
    bare_blocking_columns,
    blocking_columns,
    build_frame,
    guard_blocks,
    select_blocking_keys,
)
from casereview.values.name_variants import (
    fold_spelling,
    forename_key,
    forename_keys,
    name_key,
    surname_key,
)


def test_equivalent_names_share_a_key() -> None:
    groups = [
        ("Mohammed", "Muhammad", "Mohamed", "Mohammad"),
        ("Robert", "Bob", "Rob"),
        ("Katarzyna", "Kasia"),
        ("Aleksander", "Alexander", "Alex"),
        ("Hussain", "Hossain", "Hussein"),
        ("Wójcik", "Wojcik"),
        ("Siobhan", "Shivaun"),
        ("Oluwaseun", "Seun"),
    ]
    for group in groups:
        assert len({forename_key(n) for n in group}) == 1, group
    assert set(forename_keys("Sam")) == {"sam", "samanta", "samuel"}
    assert surname_key("Smith-Jones") == "smith jones"
    assert surname_key("O'Brien") == surname_key("OBrien") == "obrien"
    assert forename_key("Jessica") != forename_key("Jennifer")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_name_normalisers_never_raise_and_are_idempotent(text: str) -> None:
    key = name_key(text)
    assert name_key(key) == key
    folded = fold_spelling(text)
    assert fold_spelling(folded) == folded
    assert surname_key(surname_key(text)) == surname_key(text)
    assert all(k == k.strip() for k in forename_keys(text))
    assert forename_key(text) == forename_key(text)


def _word(i: int) -> str:
    letters = "bcdfghjklmnpqrstvwxz"
    out = ""
    while True:
        out += letters[i % 20] + "aeiou"[i % 5]
        i //= 20
        if not i:
            return out.title()


def _row(i: int, **values: object) -> dict[str, object]:
    base = {"mention_id": i, "source": "met_crime", "forenames": "Amy", "surname": f"S{i}"}
    base.update(values)
    return base


def test_frame_normalises_and_keeps_no_protected_characteristic() -> None:
    frame = build_frame(
        [
            _row(
                1,
                forenames="  Mary-Jane ",
                surname="Smith-Jones",
                dob="2003-04-05",
                dob_precision="day",
                sex="Female",
                postcode="e1 6an",
                phones='["07700 900123"]',
                ethnicity="white",
                nationality="British",
                role="victim",
            ),
            _row(
                2,
                forenames="",
                surname=None,
                dob=None,
                age_at_event=15,
                event_date="2018-06-01",
                sex="",
            ),
        ]
    )
    first = frame.iloc[0]
    assert (
        first.forename1,
        first.surname,
        first.dob,
        first.dob_ym,
        first.yob_lo,
        first.sex,
        first.postcode,
        first.postcode_district,
        first.phones,
    ) == (
        "mary",
        "smith jones",
        "2003-04-05",
        "2003-04",
        2003,
        "female",
        "E1 6AN",
        "E1",
        ["+447700900123"],
    )
    second = frame.iloc[1]
    assert second.forename1 is None and second.surname is None and second.sex is None
    assert (second.yob_lo, second.yob_hi) == (2002, 2003)
    assert not {"ethnicity", "nationality", "religion", "role"} & set(frame.columns)


def test_identifiers_become_evidence_keyed_by_scheme() -> None:
    frame = build_frame(
        [
            _row(1, surname="Webb", identifiers='{"ssn": "8331654", "pnc": "12/3456A"}'),
            _row(2, surname="Webxb", identifiers='{"ssn": "8331654"}'),
            _row(3, surname="Webb", identifiers='{"nhs": "8331654"}'),
            _row(4, surname="Webb", identifiers="{}"),
        ]
    )
    # The first scheme in sorted order is the mention's identifier ("pnc" < "ssn").
    assert frame["id_scheme"].tolist() == ["pnc", "ssn", "nhs", None]
    assert frame["identifier"].tolist() == ["12/3456A", "8331654", "8331654", None]
    # The blocking key carries the scheme: the same digits under another scheme do not block.
    keys = frame["bk_identifier"].tolist()
    assert len({keys[0], keys[1], keys[2]}) == 3 and keys[3] is pd.NA
    again = build_frame(
        [
            _row(9, surname="Other", identifiers='{"ssn": "8331654"}'),
            *[_row(i, surname="Webb", identifiers='{"nhs": "8331654"}') for i in (10, 11)],
        ]
    )["bk_identifier"].tolist()
    assert again[1] == again[2] != again[0]


def test_household_key_only_with_address_evidence() -> None:
    rows = [
        _row(i, forenames=f, surname="Berry", postcode="E1 6AN", address="95 Leahy Place")
        for i, f in ((1, "Joshua"), (2, "Zachary"))
    ]
    frame = build_frame(rows)
    keys = frame["bk_postcode_number"].tolist()
    assert keys[0] == keys[1] and keys[0] is not pd.NA
    other = build_frame([*rows, _row(3, forenames="Ann", surname="Berry", postcode="E1 6AN")])
    assert other["bk_postcode_number"].tolist()[2] is pd.NA  # no house number: no key
    assert "bk_postcode_number" in blocking_columns(select_blocking_keys(frame, addresses=True))
    without = select_blocking_keys(frame, addresses=False)
    assert "bk_postcode_number" not in without.columns
    assert "bk_postcode_number" not in blocking_columns(without)


def test_guard_refines_a_planted_mega_block_and_says_so() -> None:
    # 400 different people share a care home's postcode and a taxi firm's phone.
    rows = [
        _row(
            i,
            forenames=_word(i),
            surname=_word(i + 5000),
            postcode="N1 1AA",
            phones='["02079460000"]',
            dob=f"{1990 + i % 20}-01-{1 + i % 28:02d}",
            dob_precision="day",
        )
        for i in range(1, 401)
    ]
    frame = build_frame(rows)
    report = guard_blocks(frame, max_block_size=300)
    # The phone block is refined by year of birth (20 blocks of 20) instead of dropped; the
    # refinement by postcode district is one block of 400 again, and that one is dropped.
    assert set(report.refined) == {"bk_phone"}
    assert report.refined["bk_phone"]["by"] == ["yob_hi", "postcode_district"]
    assert report.refined["bk_phone"]["largest"] == 400
    assert frame["bk_phone"].isna().all()
    assert frame["bk_phone__yob_hi"].value_counts().tolist() == [20] * 20
    assert set(report.dropped) == {"bk_phone__postcode_district"}
    assert frame["bk_phone__postcode_district"].isna().all()
    assert report.comparisons["bk_phone__yob_hi"] == 20 * (20 * 19 // 2)
    assert "bk_phone__yob_hi" in blocking_columns(frame)
    assert "bk_phone__postcode_district" not in blocking_columns(frame)
    notes = report.notes()
    assert len(notes) == len(BLOCKING_KEYS) + len(LIST_KEYS) + 2
    assert any(
        n.startswith(
            "skewed-block guard: bk_phone: 1 block(s) larger than 300 mentions "
            "(largest 400, 400 mentions) refined with yob_hi, postcode_district"
        )
        for n in notes
    )
    assert isinstance(frame, pd.DataFrame)


def test_guard_never_refines_a_key_by_what_it_already_holds() -> None:
    # 400 people born on one day, in 4 postcode districts: refining the date-of-birth key
    # by year of birth would rebuild the same block; by district it splits into 4 of 100.
    districts = ["N1 1AA", "E2 7QB", "SE5 8RS", "W9 3HJ"]
    rows = [
        _row(
            i,
            forenames=_word(i),
            surname=_word(i + 5000),
            dob="2004-03-02",
            dob_precision="day",
            postcode=districts[i % 4],
        )
        for i in range(1, 401)
    ]
    frame = build_frame(rows)
    report = guard_blocks(frame, max_block_size=300)
    # ... and narrowed to the mentions sharing the initials as well (`NARROWINGS`).
    assert report.refined["bk_dob"]["by"] == ["postcode_district", "initials"]
    assert "bk_dob__yob_hi" not in frame.columns
    assert frame["bk_dob__postcode_district"].value_counts().tolist() == [100] * 4


def test_guard_drops_a_block_it_cannot_refine() -> None:
    # 1,000 mentions with one phone and nothing else: no refinement, too many to compare.
    rows = [
        _row(i, forenames=None, surname=_word(i), phones='["02079460000"]') for i in range(1000)
    ]
    frame = build_frame(rows)
    report = guard_blocks(frame, max_block_size=300)
    assert report.dropped["bk_phone"] == {
        "blocks": 1,
        "largest": 1000,
        "mentions": 1000,
        "comparisons_avoided": 1000 * 999 // 2,
        "by": [],
    }
    assert frame["bk_phone"].isna().all()
    assert not bare_blocking_columns(frame)
    assert any(
        n.startswith("skewed-block guard: bk_phone: dropped 1 block(s)") for n in report.notes()
    )


def test_guard_compares_name_only_mentions_with_their_block() -> None:
    # 400 "Oliver Smith"s with a date of birth, 10 with nothing but the name.
    rows = [
        _row(i, forenames="Oliver", surname="Smith", dob=f"{1950 + i % 50}-02-03")
        for i in range(400)
    ] + [_row(1000 + i, forenames="Oliver", surname="Smith") for i in range(10)]
    frame = build_frame(rows)
    guard_blocks(frame, max_block_size=300)
    assert ("bk_name__bare", "bk_name__big") in bare_blocking_columns(frame)
    assert frame["bk_name__bare"].notna().sum() == 10
    assert frame["bk_name__big"].notna().sum() == 410
    truth = {int(u): "oliver" for u in frame["unique_id"]}
    recall, n = blocking_recall(frame, truth)
    assert n == 410 * 409 // 2
    # Pairs of two dated mentions share a key only when their birth years are equal.
    assert 0 < recall < 1


_NAME_TEXT = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["Idris Mohamed", "MOHAMUD", "Мухаммед", "محمد علي", "José-María", "O'Brien"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_NAME_TEXT, _NAME_TEXT), max_size=8))
def test_name_words_of_every_mention_are_those_of_each_whole_name(
    names: list[tuple[str | None, str | None]],
) -> None:
    """The frame keys each distinct forename and surname once (`_name_words_of`); that must
    give what keying each whole name "forenames|surname" gives (`_name_words`)."""
    from casereview.link.frame import _name_words, _name_words_of
    from casereview.values.missing import present_text

    forenames = [present_text(f) for f, _ in names]
    surnames = [present_text(s) for _, s in names]
    assert _name_words_of(forenames, surnames) == [
        _name_words(f"{f or ''}|{s or ''}") for f, s in zip(forenames, surnames, strict=True)
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(-3, 5)), max_size=40),
    st.booleans(),
)
def test_lists_by_position_sorted_and_distinct(pairs: list[tuple[int, int]], text: bool) -> None:
    from casereview.link.frame import lists_by_position

    pos = np.array([p for p, _ in pairs], dtype=np.int64)
    values = [f"v{v}" if text else v for _, v in pairs]
    expected: list[list[object] | None] = [None] * 10
    for p in range(10):
        found = sorted({v for q, v in zip(pos.tolist(), values, strict=True) if q == p})
        expected[p] = found or None
    array = np.array(values, dtype=object if text else np.int64)
    assert lists_by_position(pos, array, 10) == expected


def test_an_initial_written_first_shares_a_block_with_the_full_name() -> None:
    """ "Y Bhatia" in a one-field name reads as forename "Bhatia", surname "Y": its surname
    and initial key is taken the other way round, so that it meets "Yasti Bhatia" (on the
    sparse profile, parents and associates named so in referrals stayed apart), and not
    another forename of the family."""
    rows = [
        {"mention_id": 1, "source": "la_csc", "name_raw": "Y Bhatia"},
        {"mention_id": 2, "source": "la_csc", "forenames": "Yasti", "surname": "Bhatia"},
        {"mention_id": 3, "source": "la_csc", "forenames": "Kiran", "surname": "Bhatia"},
        {"mention_id": 4, "source": "la_csc", "forenames": "Amit", "surname": "G"},
        {"mention_id": 5, "source": "la_csc", "forenames": "Amit", "surname": "Gupta"},
    ]
    frame = build_frame(rows).set_index("unique_id")
    assert frame.loc[1, ["forename1", "surname"]].tolist() == ["bhatia", "y"]
    key = frame["bk_surname_initial"]
    assert key[1] == key[2]
    assert len({key[1], key[3], key[4], key[5]}) == 4
    # "Amit G" still meets "Amit Gupta" on the forename and surname-initial key.
    assert frame.loc[4, "bk_forename_surname1"] == frame.loc[5, "bk_forename_surname1"]


def test_a_list_key_loses_only_its_crowded_elements() -> None:
    """The guard on a list-valued key (counted on integer codes) drops the elements more
    mentions share than the cap, from every list, and keeps the rest of each list; the same
    as counting the exploded lists."""
    from casereview.link.frame import BlockGuardReport, _guard_list_key

    lists = [[1, 2], [1, 3], [1], None, [2, 4], [1, 4], [5]]
    frame = pd.DataFrame({"bka_mates": pd.Series(lists, dtype="object")})
    report = BlockGuardReport(max_block_size=3)
    _guard_list_key(frame, "bka_mates", 3, report)
    assert frame["bka_mates"].tolist() == [[2], [3], None, None, [2, 4], [4], [5]]
    assert report.dropped["bka_mates"] == {
        "blocks": 1, "largest": 4, "mentions": 4, "comparisons_avoided": 6,
    }  # fmt: skip
    assert report.comparisons["bka_mates"] == 2  # the pairs sharing 2, and those sharing 4
    # Elements that are not integer codes are counted by pandas, with the same outcome.
    texts = pd.DataFrame({"bka_mates": pd.Series([[str(k) for k in v] if v else v for v in lists], dtype="object")})
    report_texts = BlockGuardReport(max_block_size=3)
    _guard_list_key(texts, "bka_mates", 3, report_texts)
    assert texts["bka_mates"].tolist() == [["2"], ["3"], None, None, ["2", "4"], ["4"], ["5"]]
    assert report_texts.dropped == report.dropped and report_texts.comparisons == report.comparisons
