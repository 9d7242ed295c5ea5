"""One planted case of each missed-opportunity indicator, and a near miss beside most, written
into a synthetic world's exports and run through the real pipeline (ingest, link, classify,
network, review): persons, groups, classifications and findings are what the stages made.

The people have names and dates of birth no synthetic person carries, so tests find their
records by reference (`Found.ref`) and their persons by name (`Found.one`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from casereview.ingest import ingest_directory
from casereview.pipeline import run_pipeline
from casereview.store.db import make_engine
from casereview.store.migrate import upgrade
from export_world import (
    CSE_TEXT,
    MAPPINGS,
    append_csv,
    append_referrals,
    build_synthetic_store,
    case_crime,
    case_intel,
    case_nominal,
    case_referral,
)
from pipeline_world import built_once
from review.findings_world import Found

# People: (forename, surname, dob dd/mm/yyyy, address, postcode, phone)
# A group of three men, never suspects in the same crime, tied through their victims' records
# sharing a car and a venue; Seraphina is its victim in G1 and G2.
MEN = [
    ("Alaric", "Thornbury", "05/04/1978", "1 Gannet Row", "E5 1AA", "07700900401", "GX63ZZB"),
    ("Benedikt", "Ravensworth", "06/05/1979", "2 Gannet Row", "E5 1AB", "07700900402", "GX63ZZB"),
    ("Casimir", "Holloway", "07/06/1977", "3 Gannet Row", "E5 1AC", "07700900403", ""),
]
SERA = ("Seraphina", "Gallowglass", "14/02/2000", "6 Plover Street", "E8 2CC", "")
TAMS = ("Tamsin", "Blackthorne", "15/03/2000", "7 Plover Street", "E8 2CD", "")
# Three missing episodes and no exploitation concern anywhere.
TOBI = ("Tobias", "Wrenfield", "16/04/2000", "8 Plover Street", "E8 2CE", "")
# A child exploited by a man of no group, missing three times: her own record only.
OTTI = ("Ottilie", "Fairbrass", "17/05/2000", "9 Plover Street", "E8 2CF", "")
HORA = ("Horatio", "Pilkington", "18/06/1975", "10 Curlew Road", "E9 3DD", "07700900404")
# Ezekiel: two crimes closed without charge, never linked; the first as a child's "Boyfriend".
EZEK = ("Ezekiel", "Morrowgate", "01/06/1980", "11 Curlew Road", "E9 3DE", "07700900405")
IMOG = ("Imogen", "Sallowby", "", "12 Curlew Road", "E9 3DF", "")
JUNP = ("Juniper", "Cavendale", "", "13 Curlew Road", "E9 3DG", "")
# Leopold, 15: two crimes the source linked; their victims write one phone.
LEOP = ("Leopold", "Ashdown", "03/03/1999", "14 Curlew Road", "E9 3DH", "")
ROSM = ("Rosamund", "Eddleston", "", "15 Curlew Road", "E9 3DJ", "+447700900001")
PHLM = ("Philomena", "Tarrant", "", "16 Curlew Road", "E9 3DK", "+447700900001")
GWEN = ("Gwendolyn", "Hartsease", "22/08/1980", "17 Curlew Road", "E9 3DL", "")
# A council CSE concern about a child no police record names.
PERD = ("Perdita", "Vanstone", "19/07/2001", "18 Curlew Road", "E9 3DM", "")
# One police crime writes the child's name the other way round, forename in the surname column.
EMILY = ("Emily", "Edwards", "06/05/2005", "19 Curlew Road", "E9 3DN", "")
EMILY_SWAPPED = ("EDWARDS", "emily", "06/05/2005", "19 Curlew Road", "E9 3DN", "")
EMILY_OTHER = ("Emily", "Edwards", "14/09/2006", "20 Curlew Road", "E9 3DP", "")

VEHICLE = "AB12CDE"
FORMULA_REF = "=HYPERLINK(1)"
GROUP_CRIMES = ["CRIS/9100001/14", "CRIS/9100002/14", "CRIS/9100003/14", "CRIS/9100004/14"]
EPISODES = {
    "Seraphina": ["2014-08-01", "2014-11-01", "2015-03-01"],
    "Tobias": ["2014-02-01", "2014-03-01", "2014-04-01"],
    "Ottilie": ["2014-05-01", "2014-07-01", "2014-12-01"],
}


def episode(ref: str, child: tuple[str, ...], day: str) -> dict[str, str]:
    """A missing episode of `child`, in the police missing-persons export's layout."""
    forename, surname, dob, address, postcode = child[:5]
    return {"episode_id": ref, "person_id": f"{ref}-C", "child_name": f"{forename} {surname.upper()}",
            "dob": dob.replace("/", "."), "age": "", "sex": "F", "reported_missing": f"{day} 18:00",
            "returned": "", "borough": "Hackney", "home_address": address, "postcode": postcode,
            "location_found": "", "risk": "Medium", "referral_made": "N",
            "narrative": "Reported missing by carer. Returned the next day.", "council_child_id": ""}  # fmt: skip


def add_indicator_cases(data: Path) -> None:
    crimes: list[dict[str, str]] = []
    nominals: list[dict[str, str]] = []
    venue = ("HOTEL", "Marlowe Hotel, 30 Dalston Lane", "E8 3AZ")
    # The group: G1 (Alaric, Seraphina) is closed with outcome 21 while he is of the group.
    for ref, (man, kid), day in zip(
        GROUP_CRIMES, [(0, SERA), (1, SERA), (2, TAMS), (0, TAMS)],
        ["01/07/2014", "02/07/2014", "03/07/2014", "04/07/2014"], strict=True,
    ):  # fmt: skip
        crimes.append(
            case_crime(ref, "Sexual activity with a child", day, "Y", CSE_TEXT,
                   outcome="21" if ref == GROUP_CRIMES[0] else "",
                   place=venue if kid is SERA else ("", "", ""))
        )  # fmt: skip
        nominals.append(case_nominal(kid, "V", ref, 1))
        nominals.append(case_nominal(MEN[man], "S", ref, 2, vrm=MEN[man][6]))
    crimes += [
        # Ottilie's exploitation by Horatio, his car the one Ezekiel's crime records.
        case_crime("CRIS/9100005/14", "Sexual activity with a child", "10/01/2014", "Y", CSE_TEXT,
               outcome="1"),
        # Ezekiel: two crimes closed without charge (15, 16), never linked.
        case_crime("CRIS/9100006/14", "Sexual activity with a child", "01/03/2014", "N",
               "Victim reports an older male she calls her boyfriend.", outcome="15"),
        case_crime("CRIS/9100007/15", "Sexual activity with a child", "01/03/2015", "N",
               "Victim reports contact with an older male friend.", outcome="16"),
        # Leopold: two crimes the source linked.
        case_crime("CRIS/9100008/14", "Sexual activity with a child", "01/03/2014", "N",
               "Victim and suspect are in a relationship.", outcome="18"),
        case_crime("CRIS/9100009/15", "Sexual activity with a child", "01/03/2015", "N",
               "Further contact reported.", outcome="18", linked="CRIS/9100008/14"),
        # Seraphina named as a suspect three months after the group's crimes against her.
        case_crime("CRIS/9100010/14", "Assault by beating", "01/10/2014", "N",
               "Altercation at a bus stop; parties known to each other.", outcome="1"),
        # Emily's crime, her name written the other way round.
        case_crime("CRIS/9100011/19", "Sexual activity with a child", "01/01/2019", "Y", CSE_TEXT),
        # A reference a spreadsheet would run as a formula, on a theft wrongly flagged CSE.
        case_crime(FORMULA_REF, "Theft from the person", "02/02/2016", "Y", "Phone taken."),
    ]  # fmt: skip
    nominals += [
        case_nominal(OTTI, "V", "CRIS/9100005/14", 1),
        case_nominal(HORA, "S", "CRIS/9100005/14", 2, vrm=VEHICLE),
        case_nominal(IMOG, "V", "CRIS/9100006/14", 1, age="14"),
        case_nominal(EZEK, "S", "CRIS/9100006/14", 2, rel="Boyfriend", vrm=VEHICLE),
        case_nominal(JUNP, "V", "CRIS/9100007/15", 1, age="17"),
        case_nominal(EZEK, "S", "CRIS/9100007/15", 2, rel="friend"),
        case_nominal(ROSM, "V", "CRIS/9100008/14", 1, age="15"),
        case_nominal(LEOP, "S", "CRIS/9100008/14", 2, rel="boyfriend"),
        case_nominal(PHLM, "V", "CRIS/9100009/15", 1),
        case_nominal(LEOP, "S", "CRIS/9100009/15", 2),
        case_nominal(SERA, "S", "CRIS/9100010/14", 1),
        case_nominal(GWEN, "V", "CRIS/9100010/14", 2),
        case_nominal(EMILY_SWAPPED, "V", "CRIS/9100011/19", 1),
        case_nominal(GWEN, "V", FORMULA_REF, 1, dob="", age="40"),
    ]
    append_csv(data / "met_crime" / "crimes.csv", crimes)
    append_csv(data / "met_crime" / "nominals.csv", nominals)
    # On Ezekiel, linked to none of his crimes; on Leopold, linked to one of his. Neither
    # report describes exploitation: what the review raises about them is the link alone.
    seen = "Subject seen driving a grey car near the market."
    reports = [
        dict(case_intel("IR9100000001", "2014-06-01", "MORROWGATE, Ezekiel", "1980-06-01"), text=seen),
        dict(case_intel("IR9100000002", "2014-06-01", "ASHDOWN, Leopold", "1999-03-03"), text=seen,
             linked_crime_refs="CRIS/9100008/14"),
    ]  # fmt: skip
    append_csv(data / "met_intel" / "intel_log.csv", reports)
    append_csv(
        data / "met_missing" / "missing_episodes.csv",
        [
            episode(f"ME91000{i}{n}", child, day)
            for i, child in enumerate((SERA, TOBI, OTTI), 1)
            for n, day in enumerate(EPISODES[child[0]], 1)
        ],
    )
    referrals = [
        case_referral("CSCX91001", "2016-01-01", PERD, ["CSE"], "Y", "Concerns about older males.", []),
        case_referral("CSCX91002", "2016-01-01", SERA, ["CSE"], "N", "Support continues.", []),
        case_referral("CSCX91003", "2019-02-01", EMILY, ["CSE"], "Y", "Concerns about older males.", []),
        case_referral("CSCX91004", "2019-02-01", EMILY_OTHER, ["CSE"], "Y", "Concerns about older males.", []),
    ]  # fmt: skip
    append_referrals(data, referrals)


@dataclass(frozen=True)
class World:
    """The built world: what the stages wrote (`found`), the closed SQLite store and the
    exports it was imported from. Tests that change anything work on `copy()`."""

    found: Found
    store: Path
    data: Path

    def open(self) -> Engine:
        return make_engine(f"sqlite:///{self.store}")

    def copy(self, to: Path) -> Engine:
        """A copy of the store at `to` (a file), and of the exports beside it (`to`.data)."""
        shutil.copyfile(self.store, to)
        shutil.copytree(self.data, to.with_suffix(".data"))
        return make_engine(f"sqlite:///{to}")

    def build_on(self, engine: Engine) -> None:
        """The world built again into the empty database of `engine` (PostgreSQL): the same
        exports through the real ingest and every stage."""
        upgrade(engine)
        ingest_directory(engine, MAPPINGS, self.data, "pipeline")
        run_pipeline(engine, actor="pipeline")


# The synthetic world the small indicator world plants its cases in: a few crimes, so that the
# queue is the planted cases' (about twenty items) and a copy of the store is cheap.
SMALL_CASES = 10


def build_indicator_world(folder: Path, *, cases: int = 300) -> World:
    """The world (its planted cases in a synthetic world of `cases` crimes), built once per
    test run (tests/pipeline_world.built_once; in `folder` when builds are not shared): never
    change it, `copy()` it."""

    def build(target: Path) -> Path:
        build_synthetic_store(target, add_indicator_cases, cases=cases).dispose()
        return target / "findings.db"

    name = "indicator_world" if cases == 300 else f"indicator_world_{cases}"
    store = built_once(name, build) or build(folder)
    engine = make_engine(f"sqlite:///{store}")
    try:
        return World(Found(engine), store, store.parent / "data")
    finally:
        engine.dispose()


# Worlds built again on PostgreSQL (`World.build_on`) are databases of the test server that
# the tests clone (`CREATE DATABASE ... TEMPLATE`), as each test's empty store is cloned from a
# migrated template (tests/conftest.py).
PG_ENV = "CASEREVIEW_TEST_DATABASE_URL"


def _pg_server() -> Engine:
    url = make_url(os.environ[PG_ENV]).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def pg_url(name: str) -> str:
    """The URL of database `name` on the test server."""
    url = make_url(os.environ[PG_ENV]).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def pg_create(name: str, template: str | None = None) -> None:
    """A new database `name` on the test server: empty, or a clone of `template` (which no
    connection may hold open)."""
    server = _pg_server()
    try:
        with server.connect() as conn:
            clone = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{clone}'))
            # Commits that do not wait for the disk, as every test database (tests/conftest.py,
            # `pg_commits_unflushed`).
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    finally:
        server.dispose()


def pg_drop(name: str) -> None:
    server = _pg_server()
    try:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        server.dispose()


def pg_built(prefix: str, build: Callable[[Engine], None]) -> Iterator[str | None]:
    """For a session fixture: the name of a new database of the test server that `build`
    filled (a world built again on PostgreSQL), dropped at the end; None without
    CASEREVIEW_TEST_DATABASE_URL. Tests clone it (`private_copy`), never change it."""
    if not os.environ.get(PG_ENV):
        yield None
        return
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    pg_create(name)
    try:
        engine = make_engine(pg_url(name))
        try:
            build(engine)
        finally:
            engine.dispose()  # a database with a connection open cannot be cloned
        yield name
    finally:
        pg_drop(name)


def private_copy(
    request: pytest.FixtureRequest, folder: Path, world: World, pg_fixture: str
) -> Iterator[Engine]:
    """For a fixture parametrised by backend: a private copy of `world` on `request.param`,
    the SQLite store copied into `folder`, or on PostgreSQL a clone of the database the
    session fixture `pg_fixture` built (`pg_built`; skipped without
    CASEREVIEW_TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        engine = world.copy(folder / "store.db")
        yield engine
        engine.dispose()
        return
    built = request.getfixturevalue(pg_fixture)  # built only if a test needs it
    if built is None:
        pytest.skip(f"PostgreSQL variant: set {PG_ENV} to run it (CI does)")
    name = f"cr_test_{uuid.uuid4().hex[:12]}"
    pg_create(name, template=built)
    engine = make_engine(pg_url(name))
    try:
        yield engine
    finally:
        engine.dispose()
        pg_drop(name)
