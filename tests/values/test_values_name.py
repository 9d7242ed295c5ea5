"""Names: cleaning for comparison and splitting full names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casereview.values.name import clean_name, split_full_name


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),
        ("Smith-Jones", "smith-jones"),
        ("  José   Núñez ", "jose nunez"),
        ("MÜLLER", "muller"),
        ("Strauß", "strauss"),
        ("-Ann-  Marie-", "ann marie"),
        ("smith -- jones", "smith jones"),
        ("Dr. J. Smith", "dr j smith"),
        ("!!!", None),
    ],
)
def test_clean_name_examples(raw: str, clean: str | None) -> None:
    assert clean_name(raw) == clean


@pytest.mark.parametrize(
    ("raw", "order", "parts"),
    [
        ("SMITH, John Paul", "auto", ("John Paul", "SMITH")),
        ("Smith, John", "forename_first", ("John", "Smith")),
        ("John Paul Smith", "auto", ("John Paul", "Smith")),
        ("John Paul SMITH", "auto", ("John Paul", "SMITH")),
        ("SMITH John Paul", "auto", ("John Paul", "SMITH")),
        ("VAN DYKE John", "auto", ("John", "VAN DYKE")),
        ("JOHN SMITH", "auto", ("JOHN", "SMITH")),
        ("Smith John", "surname_first", ("John", "Smith")),
        ("John Smith", "forename_first", ("John", "Smith")),
        ("Smith", "auto", (None, "Smith")),
        ("  ", "auto", (None, None)),
        (None, "auto", (None, None)),
    ],
)
def test_split_full_name_examples(raw: str | None, order: str, parts: tuple) -> None:
    assert split_full_name(raw, order) == parts  # type: ignore[arg-type]


@given(st.text(max_size=80), st.sampled_from(["auto", "forename_first", "surname_first"]))
def test_split_is_total_and_keeps_words(text: str, order: str) -> None:
    forenames, surname = split_full_name(text, order)  # type: ignore[arg-type]
    kept = f"{forenames or ''} {surname or ''}".replace(",", " ").split()
    assert sorted(kept) == sorted(text.replace(",", " ").split())


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Мухаммед", "mukhammed"),
        ("Ольга", "olga"),
        ("Αλέξανδρος", "alexandros"),
        ("محمد", "mohammed"),
        ("أحمد علي", "ahmed ali"),
        ("فاطمة", "fatima"),
        ("মোহাম্মদ", "mohammad"),
        ("Şükrü", "sukru"),
    ],
)
def test_other_scripts_are_transliterated_not_dropped(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


@pytest.mark.parametrize(
    ("written", "latin"),
    [
        ("Мухаммед", "Mohammed"),
        ("محمد", "Muhammad"),
        ("মোহাম্মদ", "Mohammad"),
        ("فاطمه", "Fatema"),
        ("Kobina", "Kwabena"),
        ("Kwabina", "Kwabena"),
        ("Jimmy", "James"),
        ("Dima", "Dmitri"),
        ("Dima", "Dmitry"),
        ("Katya", "Ekaterina"),
        ("Nastya", "Anastasia"),
        ("Bayo", "Adebayo"),
        ("Mide", "Olumide"),
        ("Manny", "Emmanuel"),
        ("Abdi", "Abdullahi"),
        ("Abdi", "Abdirahman"),
        ("Abdi", "Abdikadir"),
        ("Abdi", "Abdi"),
    ],
)
def test_a_name_in_another_script_or_form_shares_the_latin_names_key(
    written: str, latin: str
) -> None:
    from casereview.values.name_variants import forename_keys, name_key

    assert name_key(clean_name(latin) or "") in forename_keys(clean_name(written) or "")


def test_distinct_akan_day_names_stay_distinct() -> None:
    from casereview.values.name_variants import name_key

    keys = {name_key(n) for n in ("kwabena", "kwaku", "kwasi", "kwadwo", "yaw", "kofi", "kwame")}
    assert len(keys) == 7


def test_abdi_keeps_its_own_blocking_key() -> None:
    """Abdi is a name of its own as well as the short form of the Abdi- names: it agrees with
    each of them, and blocks as itself."""
    from casereview.values.name_variants import forename_key

    assert forename_key("abdi") == "abdi"
    assert forename_key("dima") == forename_key("dmitri")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Julia", "Iulia"),  # Romanian, and anyascii's Юлия
        ("Julia", "Yulia"),
        ("Yuliya", "Iuliia"),
        ("Tatiana", "Tetiana"),  # Russian / Ukrainian Тетяна
        ("Sergei", "Serhiy"),
        ("Ekaterina", "Yekaterina"),
        ("Layla", "Leila"),
        ("Nasser", "Nasir"),  # ناصر
        ("Hoque", "Haque"),  # হক
        ("Chowdhury", "Choudhry"),
        ("Qureshi", "Qureishi"),
        ("Farah", "Faarax"),  # Somali x for the Arabic h
        ("Akua", "Akwa"),
        ("Zhang", "Cheung"),  # 张
        ("Liu", "Lau"),  # 刘
        ("Zhou", "Chow"),  # 周
    ],
)
def test_a_romanisation_the_tables_list_shares_the_names_key(one: str, other: str) -> None:
    from casereview.values.name_variants import forename_keys, surname_key

    assert set(forename_keys(one)) & set(forename_keys(other))
    assert surname_key(one) == surname_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Julia", "Julian"),
        ("Tatiana", "Tania"),
        ("Nasser", "Nasr"),  # نصر: another name
        ("Kwesi", "Kweku"),  # Sunday's and Wednesday's child
        ("Zhang", "Chan"),
    ],
)
def test_names_near_a_listed_romanisation_stay_apart(one: str, other: str) -> None:
    from casereview.values.name_variants import forename_keys

    assert not set(forename_keys(one)) & set(forename_keys(other))
