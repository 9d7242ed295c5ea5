"""Lone mentions without a full name placed by the company they keep (issue 23): a given
name alone, a surname alone, the same word alone in two records about one child. A small
world of ordinary people with planted cases is linked once by the real model (frame,
blocking, training without labels, scoring, record context, clustering with the guards);
each test takes its mention out of its person by hand, as at 1M where no pair reaches it
(two names alone never reach the threshold there), and asks `attach_bare_names` to place
it: with the person its company points at, or nowhere."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from linkworld import add_planted, tiny_people

from casereview.link import placement
from casereview.link.cluster import Clustering
from casereview.link.frame import build_frame, handle_list
from casereview.link.placement import attach_bare_names
from casereview.link.stage import Prediction, predict_persons


def _child(forename: str, surname: str, dob: str, *records: str) -> list[dict[str, Any]]:
    """A child named in each of `records` (a crime against her, a referral about her)."""
    return [
        {
            "forenames": forename,
            "surname": surname,
            "dob": dob,
            "postcode": "E5 0AA" if i == 0 else None,
            "record": record,
            "source": "la_csc" if record.startswith("ref") else "met_crime",
        }
        for i, record in enumerate(records)
    ]


# Each planted person: a list of mentions (the columns of `build_frame`'s input). Records
# are shared where a mention carries `record` (one record naming several people).
PLANTED: dict[str, list[dict[str, Any]]] = {
    # A suspect of a crime against a child; a referral about her names "Kieran" in its one
    # name field, and a police nominal of another crime against her has only the forename
    # column. Another Kieran is written about elsewhere.
    "given_child": _child("Amara", "Nwosu", "2009-04-11", "crime1", "ref1", "crime2"),
    "given_suspect": [
        {"forenames": "Kieran", "surname": "Doyle", "dob": "1996-02-03", "record": "crime1"},
        {"forenames": "Kieran", "surname": "Doyle", "dob": "1996-02-03", "postcode": "E5 9ZZ"},
    ],
    "given_word": [{"name_raw": "Kieran", "record": "ref1", "source": "la_csc"}],
    "given_forename": [{"forenames": "Kieran", "record": "crime2"}],
    "given_namesake": [
        {"forenames": "Kieran", "surname": "Fairweather", "dob": "1971-08-08", "postcode": "W3 1AA"},
        {"forenames": "Kieran", "surname": "Fairweather", "dob": "1971-08-08", "postcode": "W3 1AA"},
    ],
    # Two men called Jamal are named with a child; "Jamal" alone in another referral about
    # her is either of them.
    "two_child": _child("Sofia", "Marchetti", "2010-01-20", "crime3", "ref3", "ref4"),
    "two_first": [
        {"forenames": "Jamal", "surname": "Ridgeway", "dob": "1995-03-03", "record": "crime3"},
        {"forenames": "Jamal", "surname": "Ridgeway", "dob": "1995-03-03", "postcode": "N4 4AA"},
    ],
    "two_second": [
        {
            "forenames": "Jamal",
            "surname": "Whitcombe",
            "dob": "1994-07-07",
            "record": "ref3",
            "source": "la_csc",
        },
        {"forenames": "Jamal", "surname": "Whitcombe", "dob": "1994-07-07", "postcode": "N7 7AA"},
    ],
    "two_word": [{"name_raw": "Jamal", "record": "ref4", "source": "la_csc"}],
    # "Morgan" in a referral's one name field: Owen Morgan is named with the child, and
    # "Morgan" is as often a given name (Morgan Ashdown, Morgan Treharne): the word is not
    # placed as his surname.
    "either_child": _child("Nadia", "Voronova", "2008-06-06", "crime4", "ref5"),
    "either_surname": [
        {"forenames": "Owen", "surname": "Morgan", "dob": "1990-10-10", "record": "crime4"},
        {"forenames": "Owen", "surname": "Morgan", "dob": "1990-10-10", "postcode": "SE9 1AA"},
    ],
    "either_given": [
        {"forenames": "Morgan", "surname": "Ashdown", "dob": "1985-01-01", "postcode": "NW2 2AA"},
        {"forenames": "Morgan", "surname": "Ashdown", "dob": "1985-01-01", "postcode": "NW2 2AA"},
    ],
    "either_given2": [
        {"forenames": "Morgan", "surname": "Treharne", "dob": "1999-02-02", "postcode": "NW3 3AA"},
    ],
    "either_word": [{"name_raw": "Morgan", "record": "ref5", "source": "la_csc"}],
    # A police nominal with only the surname "Achebe" on a crime against a child; Marcus
    # Achebe is suspected of another crime against her, and one record wrote his names the
    # other way round ("Achebe Marcus"): the word is still far more often a surname.
    "swapped_child": _child("Ellie", "Brannigan", "2009-09-09", "crime5", "crime6"),
    "swapped_suspect": [
        {"forenames": "Marcus", "surname": "Achebe", "dob": "1992-12-01", "record": "crime5"},
        {"forenames": "Marcus", "surname": "Achebe", "dob": "1992-12-01", "postcode": "E6 6AA"},
        {"forenames": "Marcus", "surname": "Achebe", "dob": "1992-12-01", "postcode": "E6 6AA"},
        {"forenames": "Achebe", "surname": "Marcus", "dob": "1992-12-01", "postcode": "E6 6AA"},
    ],
    "swapped_nominal": [{"surname": "Achebe", "record": "crime6"}],
    "swapped_namesake": [
        {"forenames": "Tunde", "surname": "Achebe", "dob": "1970-03-03", "postcode": "SE1 1AA"},
        {"forenames": "Tunde", "surname": "Achebe", "dob": "1970-03-03", "postcode": "SE1 1AA"},
    ],
    # A child names "Blaze" (a street name no record writes beside another name) in two
    # referrals; another child names a "Blaze" too.
    "street_child": _child("Lily", "Ferreira", "2010-05-05", "ref6", "ref7"),
    "street_name": [
        {"name_raw": "Blaze", "record": "ref6", "source": "la_csc"},
        {"name_raw": "Blaze", "record": "ref7", "source": "la_csc"},
    ],
    "other_child": _child("Maisie", "Thornbury", "2009-11-11", "ref8"),
    # A child names "Mo" in a referral; Mohammed Rahimi is the suspect of a crime against
    # her. Many other Mohammeds are written about elsewhere.
    "nickname_child": _child("Zara", "Lindqvist", "2009-02-02", "crime10", "ref10"),
    "nickname_suspect": [
        {"forenames": "Mohammed", "surname": "Rahimi", "dob": "1993-04-04", "record": "crime10"},
        {"forenames": "Mohammed", "surname": "Rahimi", "dob": "1993-04-04", "postcode": "E2 2AA"},
    ],
    "nickname_word": [{"name_raw": "Mo", "record": "ref10", "source": "la_csc"}],
    "other_street_name": [{"name_raw": "Blaze", "record": "ref8", "source": "la_csc"}],
    # "Hassan" is written as a given name (Hassan Idowu, Hassan Adeyemi, Hassan Mahmoud) as
    # often as a surname (Omar Hassan, Yusuf Hassan, Tariq Hassan). A child names "Hassan" in
    # a referral; Hassan Idowu is the suspect of a crime against her and no one named with
    # her is surnamed Hassan.
    "both_child": _child("Chloe", "Barrington", "2009-03-03", "crime20", "ref20"),
    "both_given": [
        {"forenames": "Hassan", "surname": "Idowu", "dob": "1994-05-05", "record": "crime20"},
        {"forenames": "Hassan", "surname": "Idowu", "dob": "1994-05-05", "postcode": "SE5 5AA"},
    ],
    "both_word": [{"name_raw": "Hassan", "record": "ref20", "source": "la_csc"}],
    "both_elsewhere_given": [
        {"forenames": "Hassan", "surname": "Adeyemi", "dob": "1980-06-06", "postcode": "N15 1AA"},
        {"forenames": "Hassan", "surname": "Adeyemi", "dob": "1980-06-06", "postcode": "N15 1AA"},
    ],
    "both_elsewhere_omar": [
        {"forenames": "Omar", "surname": "Hassan", "dob": "1988-07-07", "postcode": "E12 2AA"},
        {"forenames": "Omar", "surname": "Hassan", "dob": "1988-07-07", "postcode": "E12 2AA"},
    ],
    "both_elsewhere_yusuf": [
        {"forenames": "Yusuf", "surname": "Hassan", "dob": "1975-08-08", "postcode": "E13 3AA"},
        {"forenames": "Yusuf", "surname": "Hassan", "dob": "1975-08-08", "postcode": "E13 3AA"},
    ],
    # Another child's company carries "Hassan" both ways: Hassan Mahmoud and Tariq Hassan
    # are each suspected of a crime against her; "Hassan" alone in a referral is either.
    "mixed_child": _child("Ruby", "Okafor", "2010-08-08", "crime21", "crime22", "ref21"),
    "mixed_given": [
        {"forenames": "Hassan", "surname": "Mahmoud", "dob": "1993-09-09", "record": "crime21"},
        {"forenames": "Hassan", "surname": "Mahmoud", "dob": "1993-09-09", "postcode": "E1 1AA"},
    ],
    "mixed_surname": [
        {"forenames": "Tariq", "surname": "Hassan", "dob": "1991-10-10", "record": "crime22"},
        {"forenames": "Tariq", "surname": "Hassan", "dob": "1991-10-10", "postcode": "E3 3AA"},
    ],
    "mixed_word": [{"name_raw": "Hassan", "record": "ref21", "source": "la_csc"}],
    # A child names "Slim" (a street name) with a phone in a referral, and a second referral
    # gives only the phone; Kwame Asante, the suspect of a crime against her, carries that
    # phone. The same street name and phone named about another child, whose company no
    # one with that phone is in, stays alone.
    "phone_child": _child("Grace", "Whitfield", "2009-07-07", "crime23", "ref23", "ref24"),
    "phone_suspect": [
        {
            "forenames": "Kwame",
            "surname": "Asante",
            "dob": "1991-01-15",
            "record": "crime23",
            "phones": ["+447700900123"],
        },
        {"forenames": "Kwame", "surname": "Asante", "dob": "1991-01-15", "postcode": "SE15 1AA"},
    ],
    "phone_word": [
        {"name_raw": "Slim", "record": "ref23", "source": "la_csc", "phones": ["+447700900123"]}
    ],
    "phone_only": [{"record": "ref24", "source": "la_csc", "phones": ["+447700900123"]}],
    "phone_stranger_child": _child("Poppy", "Castellano", "2010-02-14", "ref25"),
    "phone_stranger_word": [
        {"name_raw": "Slim", "record": "ref25", "source": "la_csc", "phones": ["+447700900777"]}
    ],
    "phone_stranger": [
        {"forenames": "Dwayne", "surname": "Pryce", "dob": "1989-03-30", "phones": ["+447700900777"]},
        {"forenames": "Dwayne", "surname": "Pryce", "dob": "1989-03-30", "postcode": "N9 9AA"},
    ],
    # A child names "Tiny" with a phone that two men of her company carry (a shared line).
    "line_child": _child("Isla", "Fenwick", "2009-12-12", "crime26", "crime27", "ref26"),
    "line_first": [
        {
            "forenames": "Reece",
            "surname": "Holloway",
            "dob": "1996-04-04",
            "record": "crime26",
            "phones": ["+447700900555"],
        },
        {"forenames": "Reece", "surname": "Holloway", "dob": "1996-04-04", "postcode": "E8 8AA"},
    ],
    "line_second": [
        {
            "forenames": "Jordan",
            "surname": "Pike",
            "dob": "1997-05-05",
            "record": "crime27",
            "phones": ["+447700900555"],
        },
        {"forenames": "Jordan", "surname": "Pike", "dob": "1997-05-05", "postcode": "E9 9AA"},
    ],
    "line_word": [
        {"name_raw": "Tiny", "record": "ref26", "source": "la_csc", "phones": ["+447700900555"]}
    ],
    # A child names "Dean" with a phone: Dean Carter is named with her, and the phone is
    # Leon Marsh's, named with her too. The name and the phone point at two men.
    "split_child": _child("Megan", "Ashworth", "2010-03-21", "crime28", "crime29", "ref28"),
    "split_name": [
        {"forenames": "Dean", "surname": "Carter", "dob": "1995-06-16", "record": "crime28"},
        {"forenames": "Dean", "surname": "Carter", "dob": "1995-06-16", "postcode": "SE1 6AA"},
    ],
    "split_phone": [
        {
            "forenames": "Leon",
            "surname": "Marsh",
            "dob": "1994-11-02",
            "record": "crime29",
            "phones": ["+447700900888"],
        },
        {"forenames": "Leon", "surname": "Marsh", "dob": "1994-11-02", "postcode": "SE2 2AA"},
    ],
    "split_word": [
        {"forenames": "Dean", "record": "ref28", "source": "la_csc", "phones": ["+447700900888"]}
    ],
    # A child names an associate by his handle alone, and "Kai" with the same handle, in two
    # referrals; Kai Brennan-Obi, suspected of a crime against her, used that handle. The
    # same handle named about another child whose company does not hold him stays alone.
    "handle_child": _child("Olivia", "Hartnell", "2009-05-19", "crime30", "ref30", "ref31"),
    "handle_suspect": [
        {
            "forenames": "Kai",
            "surname": "Brennan-Obi",
            "dob": "1995-09-09",
            "record": "crime30",
            "handles": ["@kaibee_95"],
        },
        {"forenames": "Kai", "surname": "Brennan-Obi", "dob": "1995-09-09", "postcode": "N17 1AA"},
    ],
    "handle_only": [{"record": "ref30", "source": "la_csc", "handles": ["@KaiBee_95"]}],
    "handle_word": [
        {"name_raw": "Kai", "record": "ref31", "source": "la_csc", "handles": ["@kaibee_95"]}
    ],
    "handle_stranger_child": _child("Jessica", "Lowther", "2010-09-01", "ref32"),
    "handle_stranger_only": [{"record": "ref32", "source": "la_csc", "handles": ["@kaibee_95"]}],
    # A handle two men of a child's company used (a shared account), and a handle whose one
    # carrier in the company is a generation older than the age the referral gives.
    "shared_child": _child("Ava", "Kowalczyk", "2009-10-10", "crime33", "crime34", "ref33", "ref34"),
    "shared_first": [
        {
            "forenames": "Tyrone",
            "surname": "Eastwood",
            "dob": "1996-01-01",
            "record": "crime33",
            "handles": ["snapz_crew"],
        },
        {"forenames": "Tyrone", "surname": "Eastwood", "dob": "1996-01-01", "postcode": "E4 4AA"},
    ],
    "shared_second": [
        {
            "forenames": "Callum",
            "surname": "Raines",
            "dob": "1997-02-02",
            "record": "crime34",
            "handles": ["snapz_crew", "cal_r97"],
        },
        {"forenames": "Callum", "surname": "Raines", "dob": "1997-02-02", "postcode": "E5 5AB"},
    ],
    "shared_only": [{"record": "ref33", "source": "la_csc", "handles": ["snapz_crew"]}],
    "aged_only": [
        {"record": "ref34", "source": "la_csc", "handles": ["cal_r97"], "age_at_event": "15"}
    ],
    # A child names "Dev" with the handle of Ricky Stone, named with her too, while Dev
    # Malhotra is named with her: the name and the handle point at two men.
    "pointing_child": _child("Freya", "Lindgren", "2009-06-30", "crime35", "crime36", "ref35"),
    "pointing_name": [
        {"forenames": "Dev", "surname": "Malhotra", "dob": "1993-03-13", "record": "crime35"},
        {"forenames": "Dev", "surname": "Malhotra", "dob": "1993-03-13", "postcode": "W7 7AA"},
    ],
    "pointing_handle": [
        {
            "forenames": "Ricky",
            "surname": "Stone",
            "dob": "1992-08-18",
            "record": "crime36",
            "handles": ["rickyst0ne"],
        },
        {"forenames": "Ricky", "surname": "Stone", "dob": "1992-08-18", "postcode": "W8 8AA"},
    ],
    "pointing_word": [
        {"forenames": "Dev", "record": "ref35", "source": "la_csc", "handles": ["rickyst0ne"]}
    ],
    # Initials: a referral about a child names "A Okonkwo-Reid" and a police nominal of
    # another crime against her "Adrian O"; Adrian Okonkwo-Reid is suspected of a crime
    # against her. Anthony Okonkwo-Reid is written about elsewhere, never with her.
    "initial_child": _child("Maya", "Sorensen", "2010-04-04", "crime40", "ref40", "crime41"),
    "initial_suspect": [
        {"forenames": "Adrian", "surname": "Okonkwo-Reid", "dob": "1994-02-12", "record": "crime40"},
        {"forenames": "Adrian", "surname": "Okonkwo-Reid", "dob": "1994-02-12", "postcode": "SE8 1AA"},
    ],
    "initial_namesake": [
        {"forenames": "Anthony", "surname": "Okonkwo-Reid", "dob": "1990-12-12", "postcode": "SE9 9AB"},
        {"forenames": "Anthony", "surname": "Okonkwo-Reid", "dob": "1990-12-12", "postcode": "SE9 9AB"},
    ],
    "initial_forename": [
        {"forenames": "A", "surname": "Okonkwo-Reid", "record": "ref40", "source": "la_csc"}
    ],
    "initial_surname": [{"forenames": "Adrian", "surname": "O", "record": "crime41"}],
    # "J Whitlock" about a child with whom Jason and Jake Whitlock (brothers) are both named.
    "initials_two_child": _child("Evie", "Marchbank", "2009-01-09", "crime42", "crime43", "ref42"),
    "initials_two_first": [
        {"forenames": "Jason", "surname": "Whitlock", "dob": "1993-05-05", "record": "crime42"},
        {"forenames": "Jason", "surname": "Whitlock", "dob": "1993-05-05", "postcode": "N1 1AB"},
    ],
    "initials_two_second": [
        {"forenames": "Jake", "surname": "Whitlock", "dob": "1995-07-07", "record": "crime43"},
        {"forenames": "Jake", "surname": "Whitlock", "dob": "1995-07-07", "postcode": "N1 1AB"},
    ],
    "initials_two_word": [
        {"forenames": "J", "surname": "Whitlock", "record": "ref42", "source": "la_csc"}
    ],
    # "R Castellanos" aged 45 in a referral about a child with whom Rafael Castellanos, born
    # 1998, is named: a generation apart, someone else (his father).
    "initials_aged_child": _child("Daisy", "Pemberton", "2010-07-17", "crime44", "ref44"),
    "initials_aged_suspect": [
        {"forenames": "Rafael", "surname": "Castellanos", "dob": "1998-03-03", "record": "crime44"},
        {"forenames": "Rafael", "surname": "Castellanos", "dob": "1998-03-03", "postcode": "E10 1AA"},
    ],
    "initials_aged_word": [
        {
            "forenames": "R",
            "surname": "Castellanos",
            "age_at_event": "45",
            "record": "ref44",
            "source": "la_csc",
        }
    ],
    # "D Kaczmarek" in a referral about Zofia Kaczmarek: Dariusz Kaczmarek, named with her in
    # another referral, is one of her family, and so may the initials be (her mother Dorota).
    "initials_family_child": _child("Zofia", "Kaczmarek", "2010-11-11", "ref47", "ref48"),
    "initials_family_father": [
        {
            "forenames": "Dariusz",
            "surname": "Kaczmarek",
            "dob": "1980-05-05",
            "record": "ref48",
            "source": "la_csc",
        },
        {"forenames": "Dariusz", "surname": "Kaczmarek", "dob": "1980-05-05", "postcode": "E7 7AB"},
    ],
    "initials_family_word": [
        {"forenames": "D", "surname": "Kaczmarek", "record": "ref47", "source": "la_csc"}
    ],
    # "N Petrakis" with the phone of Liam Doherty, named with the child as Nikos Petrakis is.
    "initials_phone_child": _child("Harriet", "Quill", "2009-08-28", "crime45", "crime46", "ref45"),
    "initials_phone_name": [
        {"forenames": "Nikos", "surname": "Petrakis", "dob": "1991-04-14", "record": "crime45"},
        {"forenames": "Nikos", "surname": "Petrakis", "dob": "1991-04-14", "postcode": "N8 8AB"},
    ],
    "initials_phone_other": [
        {
            "forenames": "Liam",
            "surname": "Doherty",
            "dob": "1992-10-20",
            "record": "crime46",
            "phones": ["+447700900444"],
        },
        {"forenames": "Liam", "surname": "Doherty", "dob": "1992-10-20", "postcode": "N9 9AB"},
    ],
    "initials_phone_word": [
        {
            "forenames": "N",
            "surname": "Petrakis",
            "record": "ref45",
            "source": "la_csc",
            "phones": ["+447700900444"],
        }
    ],
    # A child names "Tomasz" alone in two referrals (joined to each other by the child they
    # share, as at 1M); Tomasz Brzezinski is the suspect of a crime against her.
    "group_child": _child("Keisha", "Oyelaran", "2010-08-08", "crime50", "ref50", "ref51"),
    "group_suspect": [
        {"forenames": "Tomasz", "surname": "Brzezinski", "dob": "1991-05-05", "record": "crime50"},
        {"forenames": "Tomasz", "surname": "Brzezinski", "dob": "1991-05-05", "postcode": "E9 9AC"},
    ],
    "group_word": [
        {"name_raw": "Tomasz", "record": "ref50", "source": "la_csc"},
        {"name_raw": "Tomasz", "record": "ref51", "source": "la_csc"},
    ],
    # The same, but two men called Idris are named with the child: the pair of "Idris"
    # alone is either of them.
    "group_two_child": _child(
        "Ruby", "Castellano", "2009-12-12", "crime52", "crime53", "ref52", "ref53"
    ),
    "group_two_first": [
        {"forenames": "Idris", "surname": "Okafor", "dob": "1993-03-03", "record": "crime52"},
        {"forenames": "Idris", "surname": "Okafor", "dob": "1993-03-03", "postcode": "N1 1AC"},
    ],
    "group_two_second": [
        {"forenames": "Idris", "surname": "Mbeki", "dob": "1990-09-09", "record": "crime53"},
        {"forenames": "Idris", "surname": "Mbeki", "dob": "1990-09-09", "postcode": "N2 2AC"},
    ],
    "group_two_word": [
        {"name_raw": "Idris", "record": "ref52", "source": "la_csc"},
        {"name_raw": "Idris", "record": "ref53", "source": "la_csc"},
    ],
    # Jamal Okonjo, the suspect of a crime against a child, is also written by his street
    # name alone, "Prince", with his date of birth (a police nominal's surname column; the
    # tests put it in his cluster, as a pair does at 1M). "Prince" alone in a referral
    # about the child, and no record writes the word beside another name.
    "alias_child": _child("Mia", "Kowalewska", "2009-07-07", "crime55", "ref55"),
    "alias_suspect": [
        {"forenames": "Jamal", "surname": "Okonjo", "dob": "1987-07-18", "record": "crime55"},
        {"forenames": "Jamal", "surname": "Okonjo", "dob": "1987-07-18", "postcode": "SE27 2SD"},
    ],
    "alias_alias": [{"surname": "Prince", "dob": "1987-07-18"}],
    "alias_word": [{"name_raw": "Prince", "record": "ref55", "source": "la_csc"}],
    # The same with "Blessing", but Blessing Adjei is named with that child too: the word
    # alone is either of them.
    "alias_two_child": _child("Leah", "Sobczak", "2010-02-14", "crime56", "crime57", "ref56"),
    "alias_two_suspect": [
        {"forenames": "Daniel", "surname": "Osei", "dob": "1989-01-09", "record": "crime56"},
        {"forenames": "Daniel", "surname": "Osei", "dob": "1989-01-09", "postcode": "SE15 1AD"},
    ],
    "alias_two_alias": [{"surname": "Blessing", "dob": "1989-01-09"}],
    "alias_two_other": [
        {"forenames": "Blessing", "surname": "Adjei", "dob": "1995-06-06", "record": "crime57"},
        {"forenames": "Blessing", "surname": "Adjei", "dob": "1995-06-06", "postcode": "SE16 1AD"},
    ],
    "alias_two_word": [{"name_raw": "Blessing", "record": "ref56", "source": "la_csc"}],
    # A police nominal with only the forename column, "Snup" (a street name no record writes
    # as a name), with Gabriela Wisniewska's date of birth and address: no pair takes a word
    # alone and a full name to the threshold, whatever else they share.
    "evid_person": [
        {
            "forenames": "Gabriela",
            "surname": "Wisniewska",
            "dob": "2001-09-23",
            "postcode": "SE9 8QN",
            "address": "33 Shelley Walk",
        },
        {"forenames": "Gabriela", "surname": "Wisniewska", "dob": "2001-09-23"},
    ],
    "evid_street": [{"forenames": "Snup", "dob": "2001-09-23", "postcode": "SE9 8QN"}],
    # "Callum" with her date of birth and address: a name (Callum Stroud's), not hers.
    "evid_other_name": [{"forenames": "Callum", "dob": "2001-09-23", "postcode": "SE9 8QN"}],
    "evid_callum": [
        {"forenames": "Callum", "surname": "Stroud", "dob": "1993-05-05", "postcode": "N8 8AA"},
        {"forenames": "Callum", "surname": "Stroud", "dob": "1993-05-05", "postcode": "N8 8AA"},
    ],
    # Two young people of one children's home, born on one day: "Zeph" with that date of
    # birth and the home's postcode is either of them.
    "evid_twin_a": [
        {"forenames": "Tobi", "surname": "Adeyemi", "dob": "2006-03-14", "postcode": "SE15 4QQ"},
        {"forenames": "Tobi", "surname": "Adeyemi", "dob": "2006-03-14", "postcode": "SE15 4QQ"},
    ],
    "evid_twin_b": [
        {"forenames": "Kemi", "surname": "Lawson", "dob": "2006-03-14", "postcode": "SE15 4QQ"},
        {"forenames": "Kemi", "surname": "Lawson", "dob": "2006-03-14", "postcode": "SE15 4QQ"},
    ],
    "evid_twin_word": [{"forenames": "Zeph", "dob": "2006-03-14", "postcode": "SE15 4QQ"}],
    # A forename column's "Rabia" with Rabia Hussain's postcode; a surname column's
    # "Hussain" with it is any of the family (her father Imran Hussain lives there too).
    "given_ev_person": [
        {"forenames": "Rabia", "surname": "Hussain", "dob": "2006-01-16", "postcode": "E7 8ZX"},
        {"forenames": "Rabia", "surname": "Hussain", "dob": "2006-01-16"},
    ],
    "given_ev_father": [
        {"forenames": "Imran", "surname": "Hussain", "dob": "1975-11-02", "postcode": "E7 8ZX"},
        {"forenames": "Imran", "surname": "Hussain", "dob": "1975-11-02", "postcode": "E7 8ZX"},
    ],
    "given_ev_word": [{"forenames": "Rabia", "postcode": "E7 8ZX"}],
    "given_ev_surname": [{"surname": "Hussain", "postcode": "E7 8ZX"}],
    # A forename column's "Rabia" with another date of birth than hers, at her postcode: her
    # namesake, not her.
    "given_ev_other_dob": [{"forenames": "Rabia", "dob": "1988-04-30", "postcode": "E7 8ZX"}],
}


def _rows() -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The world's mention rows (background people, then the planted ones) and each mention
    id's planted person (background mentions are not listed)."""
    rows: list[dict[str, Any]] = [
        {k: v for k, v in row.items() if k not in ("key", "person", "role")}
        for row in tiny_people(31, 120)
    ]
    planted, _ = add_planted(rows, PLANTED)
    return rows, planted


@pytest.fixture(scope="module")
def linked() -> tuple[Prediction, dict[str, list[int]]]:
    rows, planted = _rows()
    prediction = predict_persons(build_frame(pd.DataFrame(rows)), detail=False)
    by_person: dict[str, list[int]] = {}
    for mention, person in planted.items():
        by_person.setdefault(person, []).append(mention)
    return prediction, by_person


def _placed(linked: tuple[Prediction, dict[str, list[int]]], *alone: int) -> dict[int, int]:
    """The labels after `attach_bare_names`, with the mentions `alone` taken out of their
    persons first (as at 1M, where no pair reaches them)."""
    prediction, _ = linked
    labels = dict(prediction.clustering.labels)
    for mention in alone:
        old = labels[mention]
        labels[mention] = mention
        rest = [m for m, lab in labels.items() if lab == old and m != mention]
        for m in rest:  # the rest keep one label, their smallest id
            labels[m] = min(rest)
    clustering = Clustering(labels=labels)
    attach_bare_names(prediction.frame, clustering)
    return clustering.labels


def _grouped(linked: tuple[Prediction, dict[str, list[int]]], group: list[int]) -> dict[int, int]:
    """The labels after `attach_bare_names`, with the mentions of `group` taken out of their
    persons and made one cluster of their own first (two words alone joined to each other by
    the record context of the child they share, as at 1M, and to no one else)."""
    prediction, _ = linked
    labels = dict(prediction.clustering.labels)
    for mention in group:
        old = labels[mention]
        rest = [m for m, lab in labels.items() if lab == old and m not in group]
        for m in rest:
            labels[m] = min(rest)
    for mention in group:
        labels[mention] = min(group)
    clustering = Clustering(labels=labels)
    attach_bare_names(prediction.frame, clustering)
    return clustering.labels


def _of(labels: dict[int, int], by_person: dict[str, list[int]], name: str) -> set[int]:
    return {labels[m] for m in by_person[name]}


def test_a_given_name_alone_joins_the_one_of_that_name_named_with_the_same_child(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Kieran" in a referral's one name field, and "Kieran" in a police nominal's forename
    column, each on a record about Amara Nwosu: both join Kieran Doyle, the suspect of a
    crime against her, not Kieran Fairweather."""
    _, by_person = linked
    (word,), (forename,) = by_person["given_word"], by_person["given_forename"]
    labels = _placed(linked, word, forename)
    suspect = _of(labels, by_person, "given_suspect")
    assert len(suspect) == 1
    assert labels[word] in suspect
    assert labels[forename] in suspect
    assert suspect.isdisjoint(_of(labels, by_person, "given_namesake"))


def test_a_given_name_alone_that_two_of_the_childs_company_carry_is_not_placed(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """Jamal Ridgeway and Jamal Whitcombe are both named with Sofia Marchetti: "Jamal"
    alone in a third record about her is either, and stays alone."""
    _, by_person = linked
    (word,) = by_person["two_word"]
    labels = _placed(linked, word)
    assert labels[word] == word


def test_a_word_written_as_often_a_given_name_as_a_surname_is_not_placed(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Morgan" alone in a referral about Nadia Voronova, where Owen Morgan is named with
    her: the records write "Morgan" as a given name about as often as a surname, so the
    word is neither read as his surname nor placed."""
    _, by_person = linked
    (word,) = by_person["either_word"]
    labels = _placed(linked, word)
    assert labels[word] == word


def test_without_the_field_odds_the_word_would_join_the_one_surnamed_so(
    linked: tuple[Prediction, dict[str, list[int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard of the test above is what keeps "Morgan" alone: read either way, the
    company points at Owen Morgan alone (the given-name Morgans are not named with her)."""
    _, by_person = linked
    (word,) = by_person["either_word"]
    monkeypatch.setattr(placement, "FIELD_ODDS", 0)
    labels = _placed(linked, word)
    assert labels[word] in _of(labels, by_person, "either_surname")


def test_a_surname_alone_once_written_as_a_given_name_is_still_placed(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Achebe" alone on a crime against Ellie Brannigan joins Marcus Achebe, suspected of
    another crime against her, though one record swapped his names (the word is written as
    a surname five times for once as a given name); not Tunde Achebe."""
    _, by_person = linked
    (nominal,) = by_person["swapped_nominal"]
    labels = _placed(linked, nominal)
    suspect = _of(labels, by_person, "swapped_suspect")
    assert labels[nominal] in suspect
    assert suspect.isdisjoint(_of(labels, by_person, "swapped_namesake"))


def test_the_same_word_alone_in_two_records_about_one_child_is_one_person(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Blaze" named in two referrals about Lily Ferreira, and nowhere beside another name:
    the same associate, joined; the "Blaze" another child names stays apart."""
    _, by_person = linked
    first, second = by_person["street_name"]
    (other,) = by_person["other_street_name"]
    labels = _placed(linked, first, second, other)
    assert labels[first] == labels[second]
    assert labels[other] == other


def test_a_nickname_alone_joins_the_one_it_is_short_for_named_with_the_same_child(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Mo" in a referral's one name field (stored as a surname) is a nickname of
    Mohammed: it joins Mohammed Rahimi, the suspect of a crime against the same child, and
    not one of the other Mohammeds of the world."""
    _, by_person = linked
    (word,) = by_person["nickname_word"]
    labels = _placed(linked, word)
    assert labels[word] in _of(labels, by_person, "nickname_suspect")


def test_a_word_written_both_ways_joins_the_one_of_the_company_who_carries_it_as_a_given_name(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Hassan" alone in a referral about Chloe Barrington: the records write the word as a
    given name as often as a surname, and no one named with her is surnamed Hassan, so it
    is read as a given name and joins Hassan Idowu, suspected of a crime against her (not
    Hassan Adeyemi elsewhere, nor Omar or Yusuf Hassan)."""
    _, by_person = linked
    (word,) = by_person["both_word"]
    labels = _placed(linked, word)
    suspect = _of(labels, by_person, "both_given")
    assert labels[word] in suspect
    for other in ("both_elsewhere_given", "both_elsewhere_omar", "both_elsewhere_yusuf"):
        assert suspect.isdisjoint(_of(labels, by_person, other))


def test_a_word_written_both_ways_that_the_company_carries_both_ways_is_not_placed(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """Hassan Mahmoud and Tariq Hassan are both named with Ruby Okafor: "Hassan" alone in a
    referral about her is either, and stays alone (without the surname carrier's veto it
    would join Hassan Mahmoud, the one who carries it as a given name)."""
    _, by_person = linked
    (word,) = by_person["mixed_word"]
    labels = _placed(linked, word)
    assert labels[word] == word


def test_a_phone_that_one_person_of_the_company_carries_places_a_street_name_and_a_bare_phone(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Slim" with a phone, and a phone with no name, in two referrals about Grace
    Whitfield: Kwame Asante, suspected of a crime against her, carries that phone, and no
    one else named with her does. Both join him. "Slim" with another phone in a referral
    about Poppy Castellano stays alone: the one man with that phone, Dwayne Pryce, is named
    with no one her record names."""
    _, by_person = linked
    (word,), (bare,) = by_person["phone_word"], by_person["phone_only"]
    (stranger_word,) = by_person["phone_stranger_word"]
    labels = _placed(linked, word, bare, stranger_word)
    suspect = _of(labels, by_person, "phone_suspect")
    assert len(suspect) == 1
    assert labels[word] in suspect
    assert labels[bare] in suspect
    assert labels[stranger_word] == stranger_word


def test_a_phone_that_two_of_the_company_carry_does_not_place(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Tiny" with a phone that both Reece Holloway and Jordan Pike carry (both suspected
    of crimes against Isla Fenwick): either of them, so alone."""
    _, by_person = linked
    (word,) = by_person["line_word"]
    labels = _placed(linked, word)
    assert labels[word] == word


def test_a_name_and_a_phone_pointing_at_two_people_do_not_place(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Dean" (a police forename column alone) with Leon Marsh's phone, on a record about
    Megan Ashworth, with whom Dean Carter and Leon Marsh are both named: the name says one
    man and the phone the other, and the mention stays alone (without that check the name
    alone would join it to Dean Carter)."""
    _, by_person = linked
    (word,) = by_person["split_word"]
    labels = _placed(linked, word)
    assert labels[word] == word


def test_an_online_handle_that_one_person_of_the_company_used_places_a_mention(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """A handle with no name, and "Kai" with the same handle (written in another case), in
    two referrals about Olivia Hartnell: Kai Brennan-Obi, suspected of a crime against her,
    used it, and no one else named with her did. Both join him. The same handle with no
    name in a referral about Jessica Lowther stays alone: no one named with her used it."""
    _, by_person = linked
    (bare,), (word,) = by_person["handle_only"], by_person["handle_word"]
    (stranger,) = by_person["handle_stranger_only"]
    labels = _placed(linked, bare, word, stranger)
    suspect = _of(labels, by_person, "handle_suspect")
    assert len(suspect) == 1
    assert labels[bare] in suspect
    assert labels[word] in suspect
    assert labels[stranger] == stranger


def test_a_handle_two_of_the_company_used_or_a_generation_apart_does_not_place(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """A handle that Tyrone Eastwood and Callum Raines both used (both suspected of crimes
    against Ava Kowalczyk) is either of them; Callum's own handle given for someone aged 15
    is not Callum (born 1997). Both stay alone."""
    _, by_person = linked
    (shared,), (aged,) = by_person["shared_only"], by_person["aged_only"]
    labels = _placed(linked, shared, aged)
    assert labels[shared] == shared
    assert labels[aged] == aged


def test_a_name_and_a_handle_pointing_at_two_people_do_not_place(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Dev" with Ricky Stone's handle, on a referral about Freya Lindgren, with whom Dev
    Malhotra and Ricky Stone are both named: the name says one man and the handle the
    other, and the mention stays alone."""
    _, by_person = linked
    (word,) = by_person["pointing_word"]
    labels = _placed(linked, word)
    assert labels[word] == word


def test_initials_join_the_one_of_the_company_whose_name_they_abbreviate(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"A Okonkwo-Reid" in a referral and "Adrian O" in a police nominal, each about Maya
    Sorensen: both join Adrian Okonkwo-Reid, suspected of a crime against her, not Anthony
    Okonkwo-Reid, who is written about elsewhere."""
    _, by_person = linked
    (forename,), (surname,) = by_person["initial_forename"], by_person["initial_surname"]
    labels = _placed(linked, forename, surname)
    suspect = _of(labels, by_person, "initial_suspect")
    assert len(suspect) == 1
    assert labels[forename] in suspect
    assert labels[surname] in suspect
    assert suspect.isdisjoint(_of(labels, by_person, "initial_namesake"))


def test_initials_that_two_of_the_company_share_or_a_generation_apart_do_not_place(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"J Whitlock" about Evie Marchbank, with whom Jason and Jake Whitlock are both named,
    is either; "R Castellanos" aged 45 about Daisy Pemberton is not Rafael Castellanos
    (born 1998), named with her. Both stay alone."""
    _, by_person = linked
    (two,), (aged,) = by_person["initials_two_word"], by_person["initials_aged_word"]
    labels = _placed(linked, two, aged)
    assert labels[two] == two
    assert labels[aged] == aged


def test_initials_with_a_phone_of_someone_else_of_the_company_do_not_place(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"N Petrakis" with Liam Doherty's phone, on a referral about Harriet Quill, with whom
    Nikos Petrakis and Liam Doherty are both named: the initials say one man and the phone
    the other, and the mention stays alone."""
    _, by_person = linked
    (word,) = by_person["initials_phone_word"]
    labels = _placed(linked, word)
    assert labels[word] == word


def test_the_frame_reads_the_handles_the_store_attaches_to_a_mention() -> None:
    """`handles` holds a mention's online handles lower-cased, distinct and sorted, in one
    text; `handle_list` gives them back."""
    frame = build_frame(
        pd.DataFrame(
            [
                {"mention_id": 1, "handles": ["@KaiBee_95", "cal_r97", "@kaibee_95"]},
                {"mention_id": 2, "handles": "b\x1fa"},
                {"mention_id": 3},
            ]
        )
    )
    assert [handle_list(v) for v in frame["handles"]] == [("@kaibee_95", "cal_r97"), ("a", "b"), ()]


def test_initials_of_the_childs_family_name_are_not_placed(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"D Kaczmarek" in a referral about Zofia Kaczmarek, with whom her father Dariusz
    Kaczmarek is named in another referral: initials of the family's surname beside the
    child are any of the family (her mother Dorota), and stay alone."""
    _, by_person = linked
    (word,) = by_person["initials_family_word"]
    labels = _placed(linked, word)
    assert labels[word] == word


def test_a_word_alone_written_in_two_records_joined_to_each_other_is_placed_as_one(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Tomasz" alone in two referrals about Keisha Oyelaran, the two already one cluster:
    the cluster is placed as a lone mention would be, with Tomasz Brzezinski, the suspect of
    a crime against her (before, only a mention alone in its cluster was placed)."""
    _, by_person = linked
    words = by_person["group_word"]
    labels = _grouped(linked, words)
    suspect = _of(labels, by_person, "group_suspect")
    assert len(suspect) == 1
    assert {labels[m] for m in words} == suspect


def test_a_word_alone_in_two_records_that_two_of_the_company_carry_is_not_placed(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """Idris Okafor and Idris Mbeki are both named with Ruby Castellano: the two "Idris"
    alone about her stay one cluster of their own."""
    _, by_person = linked
    words = by_person["group_two_word"]
    labels = _grouped(linked, words)
    assert {labels[m] for m in words} == {min(words)}
    assert _of(labels, by_person, "group_two_first").isdisjoint({min(words)})


def _aliased(
    linked: tuple[Prediction, dict[str, list[int]]], alias: int, person: str, word: int
) -> dict[int, int]:
    """The labels after `attach_bare_names`, with `alias` (a word alone with a date of
    birth) in `person`'s cluster, as a pair puts it at 1M, and `word` taken out alone."""
    prediction, by_person = linked
    labels = dict(prediction.clustering.labels)
    for mention in (alias, word):
        old = labels[mention]
        rest = [m for m, lab in labels.items() if lab == old and m != mention]
        for m in rest:
            labels[m] = min(rest)
        labels[mention] = mention
    owner = {labels[m] for m in by_person[person]}
    assert len(owner) == 1
    labels[alias] = owner.pop()
    for m in [m for m, lab in labels.items() if lab == labels[alias]]:
        labels[m] = min(m for m, lab in labels.items() if lab == labels[alias])
    clustering = Clustering(labels=labels)
    attach_bare_names(prediction.frame, clustering)
    return clustering.labels


def test_a_word_alone_joins_the_one_of_the_company_a_pair_joined_to_that_word(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Prince" alone in a referral about Mia Kowalewska joins Jamal Okonjo, suspected of a
    crime against her, whom a pair already joined to "Prince" with his date of birth
    (before, a word carried only alone, not beside another name, counted for no one, and
    the word alone in a surname field vetoed the reading as a given name)."""
    _, by_person = linked
    (alias,), (word,) = by_person["alias_alias"], by_person["alias_word"]
    labels = _aliased(linked, alias, "alias_suspect", word)
    suspect = _of(labels, by_person, "alias_suspect")
    assert len(suspect) == 1
    assert labels[word] in suspect


def test_a_word_alone_that_a_pair_joined_to_one_and_another_carries_is_not_placed(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Blessing" alone in a referral about Leah Sobczak: Daniel Osei, written "Blessing"
    with his date of birth, and Blessing Adjei are both named with her: either, so alone
    (before, it joined Blessing Adjei, the one who wrote the word beside another name)."""
    _, by_person = linked
    (alias,), (word,) = by_person["alias_two_alias"], by_person["alias_two_word"]
    labels = _aliased(linked, alias, "alias_two_suspect", word)
    assert labels[word] == word


def test_a_street_name_with_the_date_of_birth_and_address_of_one_person_joins_her(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Snup" (a forename column alone, a word the run writes as no one's name) with
    Gabriela Wisniewska's full date of birth and postcode joins her: the one person of the
    run carrying both (on main it stayed alone: no pair reaches a word alone)."""
    _, by_person = linked
    (word,) = by_person["evid_street"]
    labels = _placed(linked, word)
    person = _of(labels, by_person, "evid_person")
    assert len(person) == 1
    assert labels[word] in person


def test_a_name_of_someone_else_or_twins_date_of_birth_and_address_do_not_place(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """"Callum" with Gabriela Wisniewska's date of birth and postcode is a name, and not
    hers: alone. "Zeph" with the date of birth and postcode of two young people of one
    children's home (Tobi Adeyemi and Kemi Lawson, born on one day) is either: alone."""
    _, by_person = linked
    (other,), (twin,) = by_person["evid_other_name"], by_person["evid_twin_word"]
    labels = _placed(linked, other, twin)
    assert labels[other] == other
    assert labels[twin] == twin


def test_a_given_name_with_the_postcode_of_the_one_person_of_that_name_there_joins_her(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """A forename column's "Rabia" with Rabia Hussain's postcode (and nothing else) joins
    her: the one person of the run of that given name with that postcode (on main it stayed
    alone)."""
    _, by_person = linked
    (word,) = by_person["given_ev_word"]
    labels = _placed(linked, word)
    person = _of(labels, by_person, "given_ev_person")
    assert len(person) == 1
    assert labels[word] in person


def test_a_surname_at_a_familys_postcode_or_a_given_name_of_another_birth_does_not_place(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    """A surname column's "Hussain" at the postcode of Rabia and Imran Hussain is any of the
    family: alone. "Rabia" at her postcode with another full date of birth than hers is
    someone else: alone."""
    _, by_person = linked
    (surname,), (other,) = by_person["given_ev_surname"], by_person["given_ev_other_dob"]
    labels = _placed(linked, surname, other)
    assert labels[surname] == surname
    assert labels[other] == other


# A child split in two (a crime's victim with her date of birth; a referral's subject with
# only her postcode) and the man named with her split in two with her (the crime's suspect
# in full; "Mateusz" alone in the referral): no person in common, so record context adds
# nothing to either pair, and neither joins alone. Siblings of one surname at one address,
# each with their mother named in their own referral, and a child whose halves are named
# with two different men, are the near misses.
SPLIT: dict[str, list[dict[str, Any]]] = {
    "child_crime": [
        {"forenames": "Anjali", "surname": "Subramaniam", "dob": "2004-10-15", "record": "c1"},
        {"forenames": "Anjali", "surname": "Subramaniam", "dob": "2004-10-15", "record": "c2"},
    ],
    "child_ref": [
        {"name_raw": "Anjali Subramaniam", "postcode": "E6 2QT", "record": "r1", "source": "la_csc"}
    ],
    "suspect": [
        {"forenames": "Mateusz", "surname": "Hassan", "dob": "1990-01-08", "record": "c1"},
        {"forenames": "Mateusz", "surname": "Hassan", "dob": "1990-01-08", "record": "c2"},
    ],
    "associate": [{"name_raw": "Mateusz", "record": "r1", "source": "la_csc"}],
    # Two sisters at one address; their mother named in a referral about each.
    "sister_a": [{"forenames": "Aisha", "surname": "Begum", "dob": "2008-02-02", "record": "c3"}],
    "sister_b": [
        {"name_raw": "Zara Begum", "postcode": "E1 1AA", "record": "r3", "source": "la_csc"}
    ],
    "mother_a": [{"forenames": "Rokeya", "surname": "Begum", "record": "c3"}],
    "mother_b": [{"name_raw": "Rokeya", "record": "r3", "source": "la_csc"}],
    # One child's halves named with two different men.
    "other_crime": [
        {"forenames": "Leon", "surname": "Achterberg", "dob": "2007-04-04", "record": "c4"}
    ],
    "other_ref": [
        {"name_raw": "Leon Achterberg", "postcode": "N1 1AA", "record": "r4", "source": "la_csc"}
    ],
    "other_suspect": [{"forenames": "Dean", "surname": "Carter", "dob": "1991-01-09", "record": "c4"}],
    "other_associate": [{"name_raw": "Tyrone", "record": "r4", "source": "la_csc"}],
}


@pytest.fixture(scope="module")
def split() -> tuple[pd.DataFrame, dict[str, list[int]]]:
    rows: list[dict[str, Any]] = [
        {k: v for k, v in row.items() if k not in ("key", "person", "role")}
        for row in tiny_people(7, 20)
    ]
    planted, _ = add_planted(rows, SPLIT)
    by_person: dict[str, list[int]] = {}
    for mention, person in planted.items():
        by_person.setdefault(person, []).append(mention)
    return build_frame(pd.DataFrame(rows)), by_person


def _split_run(
    split: tuple[pd.DataFrame, dict[str, list[int]]], weak: list[tuple[str, str]]
) -> tuple[dict[int, int], int]:
    """Each planted person one cluster, a pair scored below the threshold (5.5, as the
    model scored the two Anjali Subramaniams on the sparse world: 4.9) between the first
    mentions of each two of `weak`; `join_split_pairs` run on it."""
    frame, by_person = split
    labels = {int(m): int(m) for m in frame["unique_id"].tolist()}
    for mentions in by_person.values():
        for m in mentions:
            labels[m] = min(mentions)
    pairs = pd.DataFrame(
        {
            "unique_id_l": [by_person[a][0] for a, _ in weak],
            "unique_id_r": [by_person[b][0] for _, b in weak],
            "match_weight": [5.5] * len(weak),
        }
    )
    clustering = Clustering(labels=labels)
    joined = placement.join_split_pairs(frame, clustering, pairs, 7.0)
    return clustering.labels, joined


def test_a_child_split_in_two_and_her_associate_split_in_two_are_joined_together(
    split: tuple[pd.DataFrame, dict[str, list[int]]],
) -> None:
    """The crime's Anjali Subramaniam and the referral's (a pair below the threshold) are one
    child, and the crime's suspect Mateusz Hassan and the referral's "Mateusz" one man:
    each pair is the other's evidence, and both are joined (on main neither was)."""
    _, by_person = split
    labels, joined = _split_run(split, [("child_crime", "child_ref")])
    assert joined == 2
    assert {labels[m] for m in by_person["child_crime"] + by_person["child_ref"]} == {
        min(by_person["child_crime"])
    }
    assert {labels[m] for m in by_person["suspect"] + by_person["associate"]} == {
        min(by_person["suspect"])
    }


def test_sisters_sharing_a_mother_or_a_child_named_with_two_men_are_not_joined(
    split: tuple[pd.DataFrame, dict[str, list[int]]],
) -> None:
    """Aisha and Zara Begum (a pair below the threshold: one surname, one address), each
    with "Rokeya" (Begum) named in her record: their forenames differ, and neither the
    sisters nor the mother's two halves are joined. Leon Achterberg's two halves, one named
    with Dean Carter and the other with "Tyrone": nothing says the two men are one, and the
    halves stay apart."""
    _, by_person = split
    labels, joined = _split_run(split, [("sister_a", "sister_b"), ("other_crime", "other_ref")])
    assert joined == 0
    for name in ("sister_b", "mother_b", "other_ref", "other_associate"):
        assert all(labels[m] == m for m in by_person[name])
