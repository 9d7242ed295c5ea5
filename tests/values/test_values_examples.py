"""Known examples of the phone, postcode, vehicle, address and borough normalisers."""

from __future__ import annotations

import pytest

from casereview.values import (
    normalise_address,
    normalise_any_postcode,
    normalise_borough,
    normalise_identifier,
    normalise_phone,
    normalise_postcode,
    normalise_vrm,
    postcode_district,
)
from casereview.values.borough import BOROUGH_NAMES


def test_phone_examples() -> None:
    raw = ["07700 900123", "+44 (0)7700-900123", "0044 7700 900123", "020 7946 0018", "12", "abc"]
    assert [normalise_phone(v) for v in raw] == [
        "+447700900123",
        "+447700900123",
        "+447700900123",
        "+442079460018",
        None,
        None,
    ]
    assert normalise_phone("(202) 555-0143", region="US") == "+12025550143"


def test_postcode_examples() -> None:
    raw = ["sw1a1aa", " SW1A  1AA ", "e1 6an", "EC1A1BB", "gir 0aa", "SW1A", "12345", "E1 6A"]
    assert [normalise_postcode(v) for v in raw] == [
        "SW1A 1AA",
        "SW1A 1AA",
        "E1 6AN",
        "EC1A 1BB",
        "GIR 0AA",
        None,
        None,
        None,
    ]
    assert [postcode_district(v) for v in ["sw1a 1aa", "e16an", "N16", "nope"]] == [
        "SW1A",
        "E1",
        "N16",
        None,
    ]


def test_any_country_postcode_examples() -> None:
    raw = ["sw1a1aa", "2615", " 1012 ab ", "12345-6789", "k1a 0b6", "00-950", "7", "n/a",
           "1-", "12--34", "ABCDEFGHIJK", "E1 6A"]  # fmt: skip
    assert [normalise_any_postcode(v) for v in raw] == [
        "SW1A 1AA",  # UK-shaped: the UK form
        "2615",
        "1012AB",
        "12345-6789",
        "K1A0B6",
        "00-950",
        None,
        None,
        None,
        None,
        None,
        "E16A",
    ]


def test_vrm_examples() -> None:
    raw = ["ab12 cde", "AB-12-CDE", "A123 BCD", "ABC 123D", "1234 AB", "hello", "12345678"]
    assert [normalise_vrm(v) for v in raw] == [
        "AB12CDE",
        "AB12CDE",
        "A123BCD",
        "ABC123D",
        "1234AB",
        None,
        None,
    ]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Flat 3, 12 Acacia Ave.", "flat 3 12 acacia avenue"),
        ("Apartment 4, 7 High St", "flat 4 7 high street"),
        ("Apt. 4 7 High Street", "flat 4 7 high street"),
        ("12 St Johns Rd", "12 saint johns road"),
        ("1 O'Neill Cl, Hackney", "1 oneill close hackney"),
        ("  ,  ", None),
    ],
)
def test_address_examples(raw: str, clean: str | None) -> None:
    assert normalise_address(raw) == clean


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("TOWER HAMLETS", "Tower Hamlets"),
        ("HT", "Tower Hamlets"),
        ("Twr Hamlets", "Tower Hamlets"),
        ("TowerHamlets", "Tower Hamlets"),
        ("London Borough of Tower Hamlets", "Tower Hamlets"),
        ("LB Barnet", "Barnet"),
        ("Barking & Dagenham", "Barking and Dagenham"),
        ("H&F", "Hammersmith and Fulham"),
        ("RBKC", "Kensington and Chelsea"),
        ("Royal Borough of Greenwich", "Greenwich"),
        ("Kingston-upon-Thames", "Kingston upon Thames"),
        ("City of London Corporation", "City of London"),
        ("City of Westminster", "Westminster"),
        ("Westminister", "Westminster"),
        ("Haringay", "Haringey"),
        ("Manchester", None),
    ],
)
def test_borough_examples(raw: str, name: str | None) -> None:
    assert normalise_borough(raw) == name


def test_every_borough_is_its_own_canonical_name() -> None:
    assert len(BOROUGH_NAMES) == 33
    assert [normalise_borough(n) for n in BOROUGH_NAMES] == list(BOROUGH_NAMES)
    assert [normalise_borough(n.upper()) for n in BOROUGH_NAMES] == list(BOROUGH_NAMES)


def test_phone_fast_path_agrees_with_libphonenumber() -> None:
    """The UK fast path gives what libphonenumber gives, for every three-digit prefix, with
    and without spaces and in both national and international form."""
    import random

    from casereview.values.phone import parse_phone

    rng = random.Random(5)
    for prefix in range(100, 1000):
        tail = "".join(rng.choice("0123456789") for _ in range(7))
        for text in (f"0{prefix}{tail}", f"+44{prefix}{tail}", f"0{prefix} {tail[:3]} {tail[3:]}"):
            normalise_phone.cache_clear()
            assert normalise_phone(text) == parse_phone(text.strip(), "GB"), text


def test_identifier_examples() -> None:
    raw = ["943 476 5919", " 12/345678a ", "123456/12A", "la-000123", "   ", "x" * 65]
    assert [normalise_identifier(v) for v in raw] == [
        "9434765919",
        "12/345678A",
        "123456/12A",
        "LA-000123",
        None,
        None,
    ]
