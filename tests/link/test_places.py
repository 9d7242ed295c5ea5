"""Places of the pipeline-built store: resolving again (which writes only the locations whose
place changed) gives the places the link stage wrote, whatever place ids the store held."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select, update

from casereview.link.places import resolve_places
from casereview.model.tables import locations
from casereview.store.db import make_engine, reading, writing


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
