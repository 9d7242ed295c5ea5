"""Tie kinds and weights (docs/rules.md, "Offender groups"): one weak kind alone never ties,
two kinds together do, and one man split across two persons by linkage stays with his group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from casereview.network.graph import NetworkInputs, TieWeights, offender_ties
from casereview.network.groups import detect_groups


def inputs(
    suspects: list[tuple[int, int, int]],
    *,
    victims: tuple[tuple[int, int, int], ...] = (),
    objects: tuple[tuple[int, int, int], ...] = (),
    nicknames: tuple[tuple[int, str], ...] = (),
    names: tuple[tuple[int, str, float] | tuple[int, str, float, float], ...] = (),
) -> NetworkInputs:
    """Suspects and victims as (mention, record, person); every record CSE-likely."""
    people = [(m, r, p, "suspect") for m, r, p in suspects] + [
        (m, r, p, "victim") for m, r, p in victims
    ]
    recs = sorted({r for _, r, _, _ in people})
    return NetworkInputs(
        records=pd.DataFrame(
            {
                "record_id": recs,
                "record_type": "crime",
                "occurred_at": None,
                "borough": "B",
                "cse": True,
            }
        ),
        people=pd.DataFrame(people, columns=["mention_id", "record_id", "person", "side"]),
        objects=pd.DataFrame(
            [(r, o, m) for m, r, o in objects], columns=["record_id", "object_id", "mention_id"]
        ).astype({"mention_id": float}),
        places=pd.DataFrame(columns=["record_id", "place"]),
        links=pd.DataFrame(columns=["record_id", "to_record_id"]),
        nicknames=pd.DataFrame(list(nicknames), columns=["mention_id", "nickname"]),
        names=pd.DataFrame(
            [(*n, np.nan) if len(n) == 3 else n for n in names],
            columns=["mention_id", "name", "born", "day"],
        ),
    )


def pairs(data: NetworkInputs) -> dict[tuple[int, int], str]:
    ties = offender_ties(data, TieWeights())
    return {(int(a), int(b)): str(k) for a, b, k in ties[["a", "b", "kinds"]].itertuples(False)}


def test_a_shared_nickname_alone_is_weak_and_with_a_phone_ties() -> None:
    alone = inputs([(1, 10, 1), (2, 20, 2)], nicknames=((1, "skinny"), (2, "skinny")))
    assert pairs(alone) == {}
    both = inputs(
        [(1, 10, 1), (2, 20, 2)],
        nicknames=((1, "skinny"), (2, "skinny")),
        objects=((1, 10, 500), (2, 20, 500)),
    )
    assert pairs(both) == {(1, 2): "shared_nickname,shared_object"}


def test_one_man_split_by_linkage_stays_with_his_group() -> None:
    # Persons 1 and 2 co-offend; person 3 is the same man as 2 (same name, born the same year),
    # whom linkage left apart: the same-name tie puts him in the group.
    data = inputs(
        [(1, 10, 1), (2, 10, 2), (3, 30, 3)],
        names=((2, "dean lomax", 1985.0), (3, "dean lomax", 1985.0)),
    )
    assert pairs(data) == {(1, 2): "co_offending", (2, 3): "same_name"}
    ties = offender_ties(data, TieWeights())
    assert detect_groups(ties, max_component_size=15, resolution=0.1, seed=7) == [
        frozenset({1, 2, 3})
    ]


def test_same_name_with_birth_years_apart_or_a_common_name_ties_nobody() -> None:
    apart = inputs(
        [(1, 10, 1), (2, 20, 2)], names=((1, "dean lomax", 1985.0), (2, "dean lomax", 1999.0))
    )
    assert pairs(apart) == {}
    common = inputs(
        [(i, 10 * i, i) for i in range(1, 5)],
        names=tuple((i, "mohammed khan", np.nan) for i in range(1, 5)),
    )
    assert pairs(common) == {}


def test_same_name_born_another_day_and_year_is_another_man() -> None:
    """Typical seed 2: "Ali AHMED" born 28 May 1997 (one group, 2015-2017) and "Ali AHMED" born
    19 September 1998 (another, 2022-2024) were tied as one man split by linkage and joined
    three groups into one. Both days of birth written, neither year nor day agreeing: two men.
    One slip (the year, or the day) is still one man; 1 January is a year written alone."""
    def tie(born_a: tuple[float, float], born_b: tuple[float, float]) -> dict:
        return pairs(inputs(
            [(1, 10, 1), (2, 20, 2)],
            names=((1, "ahmed ali", *born_a), (2, "ahmed ali", *born_b)),
        ))

    assert tie((1997.0, 528.0), (1998.0, 919.0)) == {}
    assert tie((1997.0, 528.0), (1998.0, 528.0)) == {(1, 2): "same_name"}
    assert tie((1997.0, 528.0), (1997.0, 529.0)) == {(1, 2): "same_name"}
    assert tie((1997.0, 528.0), (1998.0, np.nan)) == {(1, 2): "same_name"}
    # undated under the shared name, born another day and year under his fuller name
    fuller = inputs(
        [(1, 10, 1), (2, 20, 2), (3, 30, 2)],
        names=((1, "ahmad ali", 1997.0, 528.0), (2, "ahmad ali", np.nan, np.nan),
               (3, "adnan ahmad ali", 1998.0, 919.0)),
    )
    assert pairs(fuller) == {}
