"""A synthetic world with a few cases of issue 16 added to its exports, run through the real
pipeline (ingest, link, classify, network, review): nothing derived is written by hand.

Each case's people have names and dates of birth no synthetic person carries, so the tests can
find their records by reference and their persons by name.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, select

from casereview.ingest import ingest_directory
from casereview.model.serial import from_json
from casereview.model.tables import (
    classifications,
    flag_findings,
    group_members,
    groups,
    indicators,
    mention_person,
    mentions,
    records,
)
from casereview.pipeline import run_pipeline
from casereview.store.db import make_engine, reading
from casereview.store.migrate import upgrade
from casereview.synth import SynthConfig, generate_world

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"


# People: (forename, surname, dob dd/mm/yyyy, address, postcode, phone)
ZEPH = ("Zephyrine", "Quillfeather", "04/05/2006", "12 Larkspur Row", "E8 1QA", "07700900101")
OTTO = ("Ottoline", "Vexbridge", "11/09/2005", "3 Fennel Court", "N16 7AB", "07700900102")
PERP = ("Perpetua", "Hollowmere", "21/02/2007", "44 Tansy Walk", "E5 0PL", "07700900103")
BARN = ("Barnaby", "Crumhorn", "17/08/1984", "9 Cobble Yard", "E9 6RT", "07700900104")
WILH = ("Wilhelmina", "Sparrowgate", "30/06/2006", "7 Heron Mews", "N1 4DE", "07700900105")
THAD = ("Thaddeus", "Grimwold", "02/12/1988", "81 Quarry Lane", "E3 2JX", "07700900106")
LUCI = ("Lucius", "Brackenbury", "14/03/1979", "5 Osier Street", "E2 9LM", "07700900107")
CORN = ("Cornelius", "Wetherstone", "23/10/1986", "19 Alder Rise", "N15 3GH", "07700900108")
ROSA = ("Rosalind", "Ashcombe", "09/01/2007", "2 Wren Close", "E10 5TY", "07700900109")
# I: a child's police crime names Fitzgerald as suspect and Ambrose as a witness; her referral
# names both by a lone given name (as a child knows them; Fitzgerald as her boyfriend, his age
# written nowhere on it), and a handle built from his name.
MARI = ("Marigold", "Tumblethorn", "12/08/2007", "6 Vetch Lane", "E8 4QQ", "07700900110")
FITZ = ("Fitzgerald", "Oakenshaw", "19/11/1985", "27 Quill Street", "E5 8JD", "07700900111")
AMBR = ("Ambrose", "Kettleworth", "03/03/1980", "14 Damson Road", "E9 7LP", "07700900112")
# Three men of one group, never suspects in the same crime: tied through their victims' records
# sharing a car and a venue, and (the third) a shared victim.
GRP = [
    ("Ignatius", "Falconbridge", "05/05/1990", "1 Sedge Lane", "E1 1AA", "07700900201", "LK19ZZA"),
    ("Peregrine", "Thistlewood", "06/06/1991", "2 Sedge Lane", "E1 1AB", "07700900202", "LK19ZZA"),
    ("Octavius", "Merriweather", "07/07/1989", "3 Sedge Lane", "E1 1AC", "07700900203", ""),
]
GRP_KIDS = [
    ("Clementine", "Abernathy", "01/02/2006", "4 Reed Street", "E2 2BB", ""),
    ("Henrietta", "Bramblecote", "02/03/2006", "5 Reed Street", "E2 2BC", ""),
]
# J: Philippa's crime names Barnabus as suspect; her referral names "Junior", a word another
# record writes as a forename and another narrative quotes as a street name.
PHIL = ("Philippa", "Wainscott", "15/02/2007", "8 Teasel Row", "E8 2QA", "07700900301")
BARQ = ("Barnabus", "Quenby", "06/06/1983", "3 Sorrel Yard", "E5 9QP", "07700900302")
JUNI = ("Junior", "Applethwaite", "09/09/1995", "1 Vane Street", "E9 1AA", "07700900303")
# K: Araminta's crime names Saleem Kandeel; her referral writes him in Arabic script.
ARAM = ("Araminta", "Coldharbour", "21/07/2006", "5 Burdock Way", "N16 3XY", "07700900304")
SALK = ("Saleem", "Kandeel", "11/11/1979", "70 Yarrow Road", "N15 2TT", "07700900305")
# L: a 16-year-old of the group of H (a suspect in a crime of Clementine), named by Henrietta's
# referral by his given name alone (as the child knows him), no date of birth.
LYSA = ("Lysander", "Pembrook", "12/03/2004", "4 Sedge Lane", "E1 1AD", "07700900306")
CSE_TEXT = ("IP (F, 14) reports an older male gave her alcohol and lifts and took her to a hotel "
            "where sexual activity took place.")  # fmt: skip
CCE_TEXT = ("IP (M, 15) stopped travelling to Swindon by train with a line phone; believed to be "
            "going there to sell drugs for an older male.")  # fmt: skip


def _person(
    p: tuple[str, ...], role: str, ref: str, n: int, rel: str = "", vrm: str = "", **column: str
) -> dict[str, str]:
    """A nominal of crime `ref`; `column` overrides any of its columns (an age for a dob...)."""
    forename, surname, dob, address, postcode, phone = p[:6]
    return {"nominal_id": f"NX{ref[-7:-3]}{n}", "crime_ref": ref, "role": role,
            "surname": surname, "forename": forename, "dob": dob, "age": "", "sex": "F" if role == "V" else "M",
            "ethnicity": "", "address": address, "postcode": postcode, "phone": phone,
            "relationship_to_victim": rel, "vrm": vrm, "arrested": "N", **column}  # fmt: skip


def _crime(ref: str, offence: str, day: str, flag: str, narrative: str, *, outcome: str = "",
           linked: str = "", place: tuple[str, str, str] = ("", "", "")) -> dict[str, str]:  # fmt: skip
    kind, address, postcode = place
    return {"crime_ref": ref, "offence": offence, "committed_date": f"{day} 20:00",
            "recorded_date": day, "borough": "Hackney", "cse_flag": flag, "outcome": outcome,
            "linked_refs": linked, "location_type": kind, "location_name": "",
            "location_address": address, "location_postcode": postcode, "narrative": narrative}  # fmt: skip


def _referral(ref: str, day: str, child: tuple[str, ...], factors: list[str], concern: str,
              summary: str, associates: list[tuple[tuple[str, ...], str]]) -> dict[str, object]:  # fmt: skip
    forename, surname, dob, address, postcode, _ = child[:6]
    d, m, y = dob.split("/")
    return {
        "referral_id": ref, "record_type": "referral", "date_received": day,
        "local_authority": "Hackney",
        "child": {"child_id": f"{ref}-C", "name": f"{forename} {surname}", "dob": f"{y}-{m}-{d}",
                  "gender": "Female", "ethnicity": None, "address": address, "postcode": postcode},
        "factors": factors, "cse_concern": concern, "referral_source": "School",
        "outcome": "S47",
        "associates": [
            {"associate_id": f"{ref}-A{i}", "name": f"{a[0]} {a[1]}", "relationship": rel,
             "dob": "-".join(reversed(a[2].split("/"))), "phone": a[5]}
            for i, (a, rel) in enumerate(associates, 1)
        ],
        "summary": summary,
    }  # fmt: skip


def append_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """Rows added to an export file in its own header's columns."""
    with path.open(newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    with path.open("a", newline="", encoding="utf-8") as f:
        csv.DictWriter(f, header, restval="").writerows(rows)


def append_referrals(data: Path, referrals: list[dict[str, object]]) -> None:
    """Referrals added to the council's export (one JSON object per line)."""
    with (data / "la_csc" / "referrals.jsonl").open("a", encoding="utf-8") as f:
        for row in referrals:
            f.write(json.dumps(row) + "\n")


def intel(ref: str, day: str, name: str, dob: str) -> dict[str, str]:
    """An intelligence report on one subject, in the police intelligence log's layout."""
    return {"intel_ref": ref, "subject_id": f"{ref}-S1", "report_date": day,
            "borough": "Hackney", "grading": "B2", "subject_name": name, "subject_dob": dob,
            "subject_sex": "M", "text": "Subject seen with young girls near the station."}  # fmt: skip


def _add_cases(data: Path) -> None:
    crimes = [
        # A: a crime of Zephyrine not flagged CSE; a council CSE concern about her 19 days later.
        _crime("CRIS/9000001/20", "Theft from the person", "01/03/2020", "N", "Phone taken."),
        # C: flagged CSE; the council never recorded Perpetua.
        _crime("CRIS/9000002/21", "Sexual activity with a child", "10/06/2021", "Y", CSE_TEXT),
        # D: Barnaby suspect in an open crime and a charged one, never linked.
        _crime(
            "CRIS/9000003/19",
            "Assault occasioning actual bodily harm",
            "02/02/2019",
            "N",
            "Altercation in the street.",
        ),
        _crime(
            "CRIS/9000004/22", "Criminal damage", "05/05/2022", "N", "Window broken.", outcome="OC1"
        ),
        # E: Wilhelmina's crime, Lucius the suspect; Thaddeus (named by the council) never is.
        _crime("CRIS/9000005/21", "Sexual activity with a child", "01/04/2021", "Y", CSE_TEXT),
        # F: child cruelty is not CSE; county lines is not grooming (and flagged CSE: wrong).
        _crime(
            "CRIS/9000006/18",
            "Child cruelty - wilful assault",
            "03/03/2018",
            "N",
            "Child seen with bruising; parent arrested.",
        ),
        _crime("CRIS/9000020/21", "Sexual activity with a child", "02/09/2021", "Y", CSE_TEXT),
        _crime(
            "CRIS/9000007/18",
            "Possession with intent to supply class A",
            "04/04/2018",
            "Y",
            CCE_TEXT,
        ),
    ]
    nominals = [
        _person(ZEPH, "V", "CRIS/9000001/20", 1),
        _person(PERP, "V", "CRIS/9000002/21", 1),
        _person(CORN, "S", "CRIS/9000002/21", 2),
        _person(BARN, "S", "CRIS/9000003/19", 1),
        _person(BARN, "S", "CRIS/9000004/22", 1),
        _person(WILH, "V", "CRIS/9000005/21", 1),
        _person(LUCI, "S", "CRIS/9000005/21", 2),
        _person(ROSA, "V", "CRIS/9000006/18", 1),
        _person(MARI, "V", "CRIS/9000020/21", 1),
        _person(FITZ, "S", "CRIS/9000020/21", 2),
        _person(AMBR, "W", "CRIS/9000020/21", 3),
        _person(
            ("Jonah", "Peppercorn", "01/01/2003", "8 Moss Road", "E6 1AA", ""),
            "S",
            "CRIS/9000007/18",
            1,
        ),
    ]
    # H: the group. Each man a suspect alone; kid 1's two crimes at one venue, the car on both.
    venue = ("HOTEL", "Larchmont Hotel, 200 Mare Street", "E8 3RH")
    for i, (man, kid) in enumerate([(0, 0), (1, 0), (2, 1), (0, 1)], start=8):
        ref = f"CRIS/900000{i}/20" if i < 10 else f"CRIS/90000{i}/20"
        crimes.append(
            _crime(
                ref,
                "Sexual activity with a child",
                f"0{i - 7}/07/2020",
                "Y",
                CSE_TEXT,
                place=venue if kid == 0 else ("", "", ""),
            )
        )
        nominals.append(_person(GRP_KIDS[kid], "V", ref, 1))
        nominals.append(_person(GRP[man], "S", ref, 2, vrm=GRP[man][6]))
    # L: Lysander, 16, a suspect in a crime of Clementine at the group's venue, in its car.
    crimes.append(
        _crime(
            "CRIS/9000040/20",
            "Sexual activity with a child",
            "20/07/2020",
            "Y",
            CSE_TEXT,
            place=venue,
        )
    )
    nominals.append(_person(GRP_KIDS[0], "V", "CRIS/9000040/20", 1))
    nominals.append(_person(LYSA, "S", "CRIS/9000040/20", 2, vrm=GRP[0][6]))
    # J and K: each child's own crime, and another record quoting 'Junior' as a street name.
    crimes += [
        _crime("CRIS/9000041/21", "Sexual activity with a child", "03/03/2021", "Y", CSE_TEXT),
        _crime(
            "CRIS/9000042/21",
            "Robbery of personal property",
            "04/04/2021",
            "N",
            "Victim robbed of phone by a male known as 'Junior'.",
        ),
        _crime("CRIS/9000043/21", "Sexual activity with a child", "05/05/2021", "Y", CSE_TEXT),
    ]
    nominals += [
        _person(PHIL, "V", "CRIS/9000041/21", 1),
        _person(BARQ, "S", "CRIS/9000041/21", 2),
        _person(JUNI, "W", "CRIS/9000042/21", 1),
        _person(ARAM, "V", "CRIS/9000043/21", 1),
        _person(SALK, "S", "CRIS/9000043/21", 2),
    ]
    for name, rows in (("crimes", crimes), ("nominals", nominals)):
        path = data / "met_crime" / f"{name}.csv"
        with path.open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f))  # the export's own columns, whatever the world writes
        with path.open("a", newline="", encoding="utf-8") as f:
            csv.DictWriter(f, header, restval="").writerows(rows)
    referrals = [
        _referral(
            "CSCX00001", "2020-03-20", ZEPH, ["CSE"], "Y", "Concerns she is being exploited.", []
        ),
        # B: a council CSE concern about a child the police never recorded.
        _referral(
            "CSCX00002",
            "2021-01-10",
            OTTO,
            ["CSE", "MISS"],
            "Y",
            "Concerns about an older male friend.",
            [],
        ),
        # E: Thaddeus named as associate (never a suspect); Lucius too (he is the suspect).
        _referral(
            "CSCX00003",
            "2021-05-01",
            WILH,
            ["CSE"],
            "Y",
            "Child says an older male friend collects her in a car.",
            [(THAD, "older male friend"), (LUCI, "boyfriend")],
        ),
        # G: a referral describing grooming without the CSE factor: missing_cse_flag.
        _referral("CSCX00004", "2018-04-01", ROSA, ["MISS"], "N", CSE_TEXT, []),
    ]
    by_name_only = _referral(
        "CSCX00005", "2021-10-01", MARI, ["CSE"], "Y", "Child names older male friends.", []
    )
    by_name_only["associates"] = [
        {"associate_id": f"CSCX00005-A{i}", "name": name, "relationship": relationship,
         "dob": None, "phone": None, "online": online}
        for i, (name, relationship, online) in enumerate(
            [("Fitzgerald", "boyfriend", None), ("Ambrose", "older male friend", None),
             (None, "older male friend", "@fitzgerald_91")], 1
        )
    ]  # fmt: skip
    referrals.append(by_name_only)
    unwritten = [
        ("CSCX00006", "2021-06-01", PHIL, "Junior", "CSCX00006-A1"),
        ("CSCX00007", "2021-07-01", ARAM, "سليم قنديل", "CSCX00007-A1"),
        ("CSCX00008", "2020-09-01", GRP_KIDS[1], "Lysander", "CSCX00008-A1"),
    ]
    for ref, day, child, name, key in unwritten:
        referral = _referral(ref, day, child, ["CSE"], "Y", "Child names an older male friend.", [])
        referral["associates"] = [
            {"associate_id": key, "name": name, "relationship": "older male friend",
             "dob": None, "phone": None}
        ]  # fmt: skip
        referrals.append(referral)
    append_referrals(data, referrals)


def build_findings_store(folder: Path) -> Engine:
    """A 300-case world plus the cases above, through every stage."""
    return build_store(folder, _add_cases)


def build_store(
    folder: Path, add_cases: Callable[[Path], None], *, seed: int = 11, cases: int = 300
) -> Engine:
    """A synthetic world of `cases` crimes and `seed` with `add_cases` written into its exports,
    through ingest and every stage into a SQLite store in `folder`."""
    data = folder / "data"
    generate_world(SynthConfig(cases=cases, seed=seed), data, workers=1)
    add_cases(data)
    engine = make_engine(f"sqlite:///{folder / 'findings.db'}")
    upgrade(engine)
    ingest_directory(engine, MAPPINGS, data, "pipeline")
    run_pipeline(engine, actor="pipeline")
    return engine


class Found:
    """What the stages wrote, by record reference and person name."""

    def __init__(self, engine: Engine) -> None:
        with reading(engine) as conn:
            self.ref = {
                str(r.source_ref): int(r.id)
                for r in conn.execute(select(records.c.id, records.c.source_ref))
            }
            self.person: dict[str, set[int]] = {}
            self.mention_person: dict[int, int] = {}
            for mid, fore, sur, pid in conn.execute(
                select(
                    mentions.c.id, mentions.c.forenames, mentions.c.surname,
                    mention_person.c.person_id,
                ).join(mention_person, mention_person.c.mention_id == mentions.c.id)
            ):  # fmt: skip
                self.person.setdefault(f"{fore} {sur}", set()).add(int(pid))
                self.mention_person[int(mid)] = int(pid)
            self.findings = {
                (int(r), str(c)): from_json(e, {})
                for r, c, e in conn.execute(
                    select(
                        flag_findings.c.record_id, flag_findings.c.code, flag_findings.c.evidence
                    )
                )
            }
            self.indicators = {
                (int(r), str(c)): from_json(e, {})
                for r, c, e in conn.execute(
                    select(indicators.c.record_id, indicators.c.code, indicators.c.evidence).where(
                        indicators.c.subject_type == "record"
                    )
                )
            }
            self.labels = {
                (int(r), str(lab))
                for r, lab in conn.execute(
                    select(classifications.c.record_id, classifications.c.label)
                )
            }
            self.groups: dict[int, dict[str, set[int]]] = {}
            for gid, pid, role in conn.execute(
                select(group_members.c.group_id, group_members.c.person_id, group_members.c.role)
                .join(groups, groups.c.id == group_members.c.group_id)
                .where(groups.c.active.is_(True))
            ):
                self.groups.setdefault(int(gid), {}).setdefault(str(role), set()).add(int(pid))

    def one(self, name: str) -> int:
        (pid,) = self.person[name]
        return pid

    def codes(self, ref: str) -> set[str]:
        rid = self.ref[ref]
        return {c for r, c in self.findings if r == rid} | {
            c for r, c in self.indicators if r == rid
        }
