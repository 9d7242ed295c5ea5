"""Postcode and borough of record weighed as one piece of evidence (scored with the reference
model): where both mentions give a postcode the borough comparison says nothing and the
postcode comparison carries it, so a move (another postcode in another borough) is
penalised once and one address (the same postcode, hence the same borough) rewarded once."""

from __future__ import annotations

from test_name_levels import _gamma, _scored

PERSON = {
    "forenames": "Chloe",
    "surname": "Taylor",
    "dob": "1998-11-05",
    "dob_precision": "day",
    "sex": "female",
    "source": "met_missing",
}


def test_the_borough_speaks_only_where_a_postcode_is_missing() -> None:
    rows = [
        {"mention_id": 1, **PERSON, "postcode": "W14 1LR", "borough": "Hammersmith and Fulham"},
        # Moved across London: another postcode, another borough.
        {"mention_id": 2, **PERSON, "postcode": "SE7 2QD", "borough": "Greenwich"},
        # Moved within the borough.
        {"mention_id": 3, **PERSON, "postcode": "W6 9AA", "borough": "Hammersmith and Fulham"},
        # The same address.
        {"mention_id": 4, **PERSON, "postcode": "W14 1LR", "borough": "Hammersmith and Fulham"},
        # No postcode: the borough is the only evidence of place.
        {"mention_id": 5, **PERSON, "borough": "Hammersmith and Fulham"},
    ]
    pairs = _scored(rows)
    null = -1
    levels = {
        (a, b): (int(pairs.loc[(a, b), "gamma_postcode"]), int(pairs.loc[(a, b), "gamma_borough"]))
        for a, b in [(1, 2), (1, 3), (1, 4), (1, 5)]
    }
    assert levels == {
        (1, 2): (_gamma("postcode", "All other comparisons"), null),
        (1, 3): (_gamma("postcode", "Other postcode in the same borough of record"), null),
        (1, 4): (_gamma("postcode", "Exact match on postcode"), null),
        (1, 5): (null, _gamma("borough", "Exact match on borough")),
    }
    weight = pairs["match_weight"]
    # Moving within the borough weighs more than moving away, less than staying.
    assert weight.loc[(1, 2)] < weight.loc[(1, 3)] < weight.loc[(1, 4)]
