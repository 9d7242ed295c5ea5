"""A synthetic world with a few cases of issue 16 added to its exports, run through the real
pipeline (ingest, link, classify, network, review): nothing derived is written by hand.

Each case's people have names and dates of birth no synthetic person carries, so the tests can
find their records by reference and their persons by name.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from casereview.model.serial import from_json
from casereview.model.tables import (
    classifications,
    flag_findings,
    group_members,
    groups,
    indicators,
)
from casereview.store.db import reading
from export_world import (
    CSE_TEXT,
    append_csv,
    append_referrals,
    build_synthetic_store,
    case_crime,
    case_nominal,
    case_referral,
    names_to_persons,
    record_ids,
)

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
CCE_TEXT = ("IP (M, 15) stopped travelling to Swindon by train with a line phone; believed to be "
            "going there to sell drugs for an older male.")  # fmt: skip


def _add_cases(data: Path) -> None:
    crimes = [
        # A: a crime of Zephyrine not flagged CSE; a council CSE concern about her 19 days later.
        case_crime("CRIS/9000001/20", "Theft from the person", "01/03/2020", "N", "Phone taken."),
        # C: flagged CSE; the council never recorded Perpetua.
        case_crime("CRIS/9000002/21", "Sexual activity with a child", "10/06/2021", "Y", CSE_TEXT),
        # D: Barnaby suspect in an open crime and a charged one, never linked.
        case_crime(
            "CRIS/9000003/19",
            "Assault occasioning actual bodily harm",
            "02/02/2019",
            "N",
            "Altercation in the street.",
        ),
        case_crime(
            "CRIS/9000004/22", "Criminal damage", "05/05/2022", "N", "Window broken.", outcome="OC1"
        ),
        # E: Wilhelmina's crime, Lucius the suspect; Thaddeus (named by the council) never is.
        case_crime("CRIS/9000005/21", "Sexual activity with a child", "01/04/2021", "Y", CSE_TEXT),
        # F: child cruelty is not CSE; county lines is not grooming (and flagged CSE: wrong).
        case_crime(
            "CRIS/9000006/18",
            "Child cruelty - wilful assault",
            "03/03/2018",
            "N",
            "Child seen with bruising; parent arrested.",
        ),
        case_crime("CRIS/9000020/21", "Sexual activity with a child", "02/09/2021", "Y", CSE_TEXT),
        case_crime(
            "CRIS/9000007/18",
            "Possession with intent to supply class A",
            "04/04/2018",
            "Y",
            CCE_TEXT,
        ),
    ]
    nominals = [
        case_nominal(ZEPH, "V", "CRIS/9000001/20", 1),
        case_nominal(PERP, "V", "CRIS/9000002/21", 1),
        case_nominal(CORN, "S", "CRIS/9000002/21", 2),
        case_nominal(BARN, "S", "CRIS/9000003/19", 1),
        case_nominal(BARN, "S", "CRIS/9000004/22", 1),
        case_nominal(WILH, "V", "CRIS/9000005/21", 1),
        case_nominal(LUCI, "S", "CRIS/9000005/21", 2),
        case_nominal(ROSA, "V", "CRIS/9000006/18", 1),
        case_nominal(MARI, "V", "CRIS/9000020/21", 1),
        case_nominal(FITZ, "S", "CRIS/9000020/21", 2),
        case_nominal(AMBR, "W", "CRIS/9000020/21", 3),
        case_nominal(
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
            case_crime(
                ref,
                "Sexual activity with a child",
                f"0{i - 7}/07/2020",
                "Y",
                CSE_TEXT,
                place=venue if kid == 0 else ("", "", ""),
            )
        )
        nominals.append(case_nominal(GRP_KIDS[kid], "V", ref, 1))
        nominals.append(case_nominal(GRP[man], "S", ref, 2, vrm=GRP[man][6]))
    # L: Lysander, 16, a suspect in a crime of Clementine at the group's venue, in its car.
    crimes.append(
        case_crime(
            "CRIS/9000040/20",
            "Sexual activity with a child",
            "20/07/2020",
            "Y",
            CSE_TEXT,
            place=venue,
        )
    )
    nominals.append(case_nominal(GRP_KIDS[0], "V", "CRIS/9000040/20", 1))
    nominals.append(case_nominal(LYSA, "S", "CRIS/9000040/20", 2, vrm=GRP[0][6]))
    # J and K: each child's own crime, and another record quoting 'Junior' as a street name.
    crimes += [
        case_crime("CRIS/9000041/21", "Sexual activity with a child", "03/03/2021", "Y", CSE_TEXT),
        case_crime(
            "CRIS/9000042/21",
            "Robbery of personal property",
            "04/04/2021",
            "N",
            "Victim robbed of phone by a male known as 'Junior'.",
        ),
        case_crime("CRIS/9000043/21", "Sexual activity with a child", "05/05/2021", "Y", CSE_TEXT),
    ]
    nominals += [
        case_nominal(PHIL, "V", "CRIS/9000041/21", 1),
        case_nominal(BARQ, "S", "CRIS/9000041/21", 2),
        case_nominal(JUNI, "W", "CRIS/9000042/21", 1),
        case_nominal(ARAM, "V", "CRIS/9000043/21", 1),
        case_nominal(SALK, "S", "CRIS/9000043/21", 2),
    ]
    for name, rows in (("crimes", crimes), ("nominals", nominals)):
        append_csv(data / "met_crime" / f"{name}.csv", rows)
    referrals = [
        case_referral(
            "CSCX00001", "2020-03-20", ZEPH, ["CSE"], "Y", "Concerns she is being exploited.", []
        ),
        # B: a council CSE concern about a child the police never recorded.
        case_referral(
            "CSCX00002",
            "2021-01-10",
            OTTO,
            ["CSE", "MISS"],
            "Y",
            "Concerns about an older male friend.",
            [],
        ),
        # E: Thaddeus named as associate (never a suspect); Lucius too (he is the suspect).
        case_referral(
            "CSCX00003",
            "2021-05-01",
            WILH,
            ["CSE"],
            "Y",
            "Child says an older male friend collects her in a car.",
            [(THAD, "older male friend"), (LUCI, "boyfriend")],
        ),
        # G: a referral describing grooming without the CSE factor: missing_cse_flag.
        case_referral("CSCX00004", "2018-04-01", ROSA, ["MISS"], "N", CSE_TEXT, []),
    ]
    by_name_only = case_referral(
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
        referral = case_referral(
            ref, day, child, ["CSE"], "Y", "Child names an older male friend.", []
        )
        referral["associates"] = [
            {"associate_id": key, "name": name, "relationship": "older male friend",
             "dob": None, "phone": None}
        ]  # fmt: skip
        referrals.append(referral)
    append_referrals(data, referrals)


def build_findings_store(folder: Path) -> Engine:
    """A 300-case world plus the cases above, through every stage."""
    return build_synthetic_store(folder, _add_cases)


class Found:
    """What the stages wrote, by record reference and person name."""

    def __init__(self, engine: Engine) -> None:
        self.ref = record_ids(engine)
        self.person, self.mention_person = names_to_persons(engine)
        with reading(engine) as conn:
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
