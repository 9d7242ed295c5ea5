"""Places of the pipeline-built store: resolving again (which writes only the locations whose
place changed) gives the places the link stage wrote, whatever place ids the store held."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from casereview.link.places import (
    PlacesAhead,
    _Location,
    _place_ids,
    _same_place,
    resolve_places,
)
from casereview.model.tables import locations
from casereview.store.db import make_engine, reading, writing
from casereview.values.address import normalise_address
from casereview.values.postcode import normalise_postcode


def _places(engine) -> dict[int, int | None]:  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        return dict(conn.execute(select(locations.c.id, locations.c.place_id)).all())


def test_places_resolved_again_are_the_stage_s_places(review_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    shutil.copyfile(review_store, store)
    engine = make_engine(f"sqlite:///{store}")
    try:
        written = _places(engine)
        assert written and None not in written.values()
        with writing(engine) as conn:
            again = resolve_places(conn)
        assert _places(engine) == written
        assert again == {"locations": len(written), "places": len(set(written.values()))}
        # From a store where the place ids are wrong (all one place) or missing, the same places.
        with writing(engine) as conn:
            conn.execute(update(locations).values(place_id=min(written)))
            conn.execute(update(locations).where(locations.c.id % 3 == 0).values(place_id=None))
            resolve_places(conn)
        assert _places(engine) == written
    finally:
        engine.dispose()


def _pairwise_places(rows: list[_Location]) -> list[int]:
    """The places as the module docstring defines them, every two locations of a postcode
    compared (how `resolve_places` worked before it grouped equal addresses)."""
    parent = {r.id: r.id for r in rows}

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_postcode: dict[str, list[tuple[int, str | None]]] = {}
    by_address: dict[str, list[int]] = {}
    for r in rows:
        postcode, address = normalise_postcode(r.postcode), normalise_address(r.address)
        if postcode:
            by_postcode.setdefault(postcode, []).append((r.id, address))
        elif address:
            by_address.setdefault(address, []).append(r.id)
    for members in by_postcode.values():
        for i, (id_a, addr_a) in enumerate(members):
            for id_b, addr_b in members[i + 1 :]:
                if _same_place(addr_a, addr_b):
                    union(id_a, id_b)
    for ids in by_address.values():
        for other in ids[1:]:
            union(ids[0], other)
    return [find(r.id) for r in rows]


def test_places_are_those_of_comparing_every_two_locations(review_store: Path) -> None:
    engine = make_engine(f"sqlite:///{review_store}")
    try:
        with reading(engine) as conn:
            rows = [
                _Location(*r)
                for r in conn.execute(
                    select(
                        locations.c.id, locations.c.postcode, locations.c.address,
                        locations.c.place_id,
                    ).order_by(locations.c.id)
                ).all()
            ]  # fmt: skip
    finally:
        engine.dispose()
    assert rows
    assert _place_ids(rows) == _pairwise_places(rows)


_POSTCODES = st.sampled_from([None, "", "E1 6AN", "e16an", "SW1A 1AA", "not a postcode"])
_ADDRESSES = st.sampled_from(
    [None, "", "1 High St", "1 high street", "Flat 1, 1 High Street", "2 High Street",
     "1 High Street Ilford", "Care Home, 1 Park Rd", "1 Park Road"]
)  # fmt: skip


@given(st.lists(st.tuples(_POSTCODES, _ADDRESSES), max_size=30), st.randoms())
def test_places_whatever_the_order_of_ids(given_rows, random) -> None:  # type: ignore[no-untyped-def]
    ids = list(range(1, len(given_rows) + 1))
    random.shuffle(ids)
    rows = [_Location(i, p, a, None) for i, (p, a) in zip(ids, given_rows, strict=True)]
    assert _place_ids(rows) == _pairwise_places(rows)


def test_places_worked_out_ahead_are_used_only_for_the_same_locations(
    review_store: Path, tmp_path: Path
) -> None:
    """The places the link stage works out in a forked child from the locations it read
    (`PlacesAhead`) are those `resolve_places` writes when the locations are unchanged; a
    location changed in between (an import, an edit) is resolved from what the transaction
    reads, never from the stale places."""
    store = tmp_path / "store.db"
    shutil.copyfile(review_store, store)
    engine = make_engine(f"sqlite:///{store}")
    try:
        written = _places(engine)
        with reading(engine) as conn:
            ahead = PlacesAhead(conn)
        with writing(engine) as conn:
            conn.execute(update(locations).values(place_id=None))
            resolve_places(conn, ahead)
        assert _places(engine) == written
        # A location is moved to another's postcode and address after the places were worked
        # out ahead: it joins that location's place.
        with reading(engine) as conn:
            found = conn.execute(
                select(locations.c.id, locations.c.postcode, locations.c.address)
                .where(locations.c.postcode.is_not(None), locations.c.address.is_not(None))
                .order_by(locations.c.id)
            ).first()
            assert found is not None
            target, postcode, address = found
            ahead = PlacesAhead(conn)
        moved = max(i for i, p in written.items() if p != written[target])
        with writing(engine) as conn:
            conn.execute(
                update(locations)
                .where(locations.c.id == moved)
                .values(postcode=postcode, address=address)
            )
            resolve_places(conn, ahead)
        after = _places(engine)
        assert after[moved] == after[target] != written[moved]
        with writing(engine) as conn:
            resolve_places(conn)
        assert _places(engine) == after
    finally:
        engine.dispose()
