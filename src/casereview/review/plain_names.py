"""Whether two mentions plainly name one person, for the indicators that assert an absence.

`la_concern_no_police_record`, `police_concern_no_la_record` and
`named_associate_not_investigated` say that an agency does not know a person, or that a man
was never a suspect. Linkage can leave a person's mentions apart (a typing slip, a dropped
middle name, a year-only or missing date of birth); a reviewer would see at once that
"Tsylak Yilmaz" with no date of birth is the suspect "Taylak Yilmaz", so these rules give way
to such a plain name rather than raise a lead the reviewer would dismiss. Only names and
dates of birth as written are read (never a protected characteristic).
"""

from __future__ import annotations

import datetime as dt
import re

from casereview.review.context import MentionFacts
from casereview.values.dates import whole_years
from casereview.values.name_variants import forename_keys

__all__ = [
    "NEAR_DAYS",
    "dob_agree",
    "exact_dob",
    "known_as",
    "named_alike_undated",
    "names_agree",
    "near_in_time",
    "plausibly_same",
    "same_child",
    "thinly_same_child",
    "told_apart",
    "words_agree",
]


def _one_edit(a: str, b: str) -> bool:
    """Equal, or one letter substituted, inserted or deleted, or two neighbouring letters
    swapped ("Olievr" / "Oliver": the commonest typing slip)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differ = [k for k, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(differ) == 2 and differ[1] == differ[0] + 1:
            k = differ[0]
            return a[k] == b[k + 1] and a[k + 1] == b[k]
        return len(differ) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:k] + long_[k + 1 :] == short for k in range(len(long_)))


def exact_dob(a: MentionFacts, b: MentionFacts) -> bool:
    """Both write a full date of birth, the same day (or day and month swapped)."""
    if a.dob is None or b.dob is None or "day" not in (a.dob_precision, b.dob_precision):
        return False
    if a.dob_precision != b.dob_precision:
        return False
    return a.dob == b.dob or (a.dob.year, a.dob.month, a.dob.day) == (
        b.dob.year,
        b.dob.day,
        b.dob.month,
    )


def dob_agree(a: MentionFacts, b: MentionFacts) -> bool:
    """Both write a date of birth and they agree to the precision written (the same day, or day
    and month swapped, or the same day and month with one digit of the year slipped: 1994 /
    1984; the same month, or year, where one gives only that). A full date on 1 January is
    read as a year: it is how many systems write a year of birth alone ("01/01/2008"). Another
    year is another person."""
    if a.dob is None or b.dob is None:
        return False
    if "year" in (a.dob_precision, b.dob_precision) or _new_year(a) or _new_year(b):
        return a.dob.year == b.dob.year
    if "month" in (a.dob_precision, b.dob_precision):
        return (a.dob.year, a.dob.month) == (b.dob.year, b.dob.month)
    if a.dob == b.dob or (a.dob.year, a.dob.month, a.dob.day) == (
        b.dob.year,
        b.dob.day,
        b.dob.month,
    ):
        return True
    return (a.dob.month, a.dob.day) == (b.dob.month, b.dob.day) and _one_digit_apart(
        a.dob.year, b.dob.year
    )


def _new_year(m: MentionFacts) -> bool:
    """A full date of birth written on 1 January: often a year of birth alone, written as a
    date."""
    return m.dob is not None and m.dob_precision == "day" and (m.dob.month, m.dob.day) == (1, 1)


def _one_digit_apart(a: int, b: int) -> bool:
    """Two years written with one digit different (a typing slip: 2009 / 2008, 1994 / 1984)."""
    x, y = f"{a:04d}", f"{b:04d}"
    return sum(p != q for p, q in zip(x, y, strict=True)) == 1


def age_fits(dated: MentionFacts, aged: MentionFacts, on: dt.date | None) -> bool:
    """`aged` writes an age at its event and no date of birth; `dated` a date of birth that
    gives that age (within a year) on the day of `aged`'s record. Only the age the record
    writes counts, never one taken from the person linkage put it in."""
    if dated.dob is None or aged.dob is not None or aged.written_age is None:
        return False
    years = whole_years(dated.dob, on)
    return years is not None and abs(years - aged.written_age) <= 1


def _similar_names(a: frozenset[str], b: frozenset[str]) -> bool:
    """The same name words; or all of the shorter name's words (two or more) in the longer one
    (a dropped middle name, a hyphenated surname written in part, swapped order); or the same
    words but one written one letter apart (a typing or transliteration slip)."""
    if not a or not b:
        return False
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 2 and short <= long_:
        return True
    if len(a) != len(b) or len(a) < 2:
        return False
    only_a, only_b = a - b, b - a
    return len(only_a) == 1 and _one_edit(next(iter(only_a)), next(iter(only_b)))


def plausibly_same(
    a: MentionFacts,
    b: MentionFacts,
    *,
    a_day: dt.date | None = None,
    b_day: dt.date | None = None,
    narrow: bool = False,
) -> bool:
    """Two mentions a reviewer would take for one person at a glance: similar names with dates
    of birth that agree (or an age at one record that the other's date of birth gives on that
    record's day: `a_day`, `b_day`), or one shared name word and the same full date of birth.

    `narrow` (a handful of candidates: one child's own records) also takes similar names where
    a date of birth is missing; across a whole agency a common name would match strangers.
    """
    if _similar_names(a.name_key, b.name_key):
        if dob_agree(a, b) or age_fits(a, b, b_day) or age_fits(b, a, a_day):
            return True
        if narrow and (a.dob is None or b.dob is None):
            return True
    return bool(a.name_key & b.name_key) and exact_dob(a, b)


def words_agree(a: str, b: str) -> bool:
    """One name word written for the same name: equal, a nickname or variant of it (Kwame /
    Kwami, Bob / Robert), one letter apart ("Dc" for "Duc"), or a nickname of the name written
    with a slip ("Becky" / "Reebecca": `_nickname_with_slip`)."""
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]  # an initial
    if set(forename_keys(a)) & set(forename_keys(b)):
        return True
    return (max(len(a), len(b)) >= 3 and _one_edit(a, b)) or _nickname_with_slip(a, b)


_HANDLE_WORD = re.compile(r"[a-z]{3,}")


def _handle_words(handles: frozenset[str]) -> set[str]:
    """The words of three letters or more in online handles ("king_jack" -> king, jack)."""
    return {w for h in handles for w in _HANDLE_WORD.findall(h)}


def known_as(
    associate: MentionFacts, suspect: MentionFacts, quoted: frozenset[str] = frozenset()
) -> bool:
    """A child's associate, named on a referral by what the child knows of him, agrees with a
    suspect of one of that child's own police records (the narrow scope that makes thin
    evidence enough): the same phone or online handle; a lone name (a given name, nickname or
    street name) that is one of the suspect's name words or a name the police record quotes
    ("known as 'J'"); names of which the shorter agrees word by word with the longer
    (`names_agree`: a suspect written by a given name alone, a dropped middle name); or a handle
    built from one of them ("@king_jack" for Jack Jones).

    `quoted` is the set of names quoted in the suspect's record's narrative.
    """
    if associate.phones & suspect.phones or associate.handles & suspect.handles:
        return True
    words = associate.name_key
    theirs = suspect.name_key
    if any(frozenset(q.split()) == words for q in quoted):
        return True  # the record quotes his whole name as the child gives it ('Little T')
    if len(words) == 1:
        (word,) = words
        if any(words_agree(word, name) or _lone_name_of(word, name) for name in theirs):
            return True
    elif _names_near(words, theirs) and not _born_apart(associate, suspect):
        # every word of the shorter name written (a slip apart) in the longer: his fuller name
        # in the suspect's, or a suspect written by one name ("Jakub") or a dropped middle name
        # ("Jack Clark" for "Jack Lewis Clarke"), unless their dates of birth tell them apart
        return True
    street = {q for q in quoted if " " not in q}
    return any(
        words_agree(h, name) for h in _handle_words(associate.handles) for name in theirs | street
    )


def _lone_name_of(word: str, name: str) -> bool:
    """A lone name a child gives for one of the suspect's name words, beyond `words_agree`:
    a nickname of the name as written with a slip ("Tony" for "Anthoy", "Danny" for "Dnaiel":
    a nickname key one letter apart from the other name or its key), or the name cut short at either end ("Maine" for "Jermaine"; four letters or
    more)."""
    if len(word) >= 4 and len(name) > len(word) and (name.startswith(word) or name.endswith(word)):
        return True
    return any(
        min(len(x), len(y)) >= 5 and _one_edit(x, y)
        for x in {word, *forename_keys(word)}
        for y in {name, *forename_keys(name)}
    )


def _names_near(a: frozenset[str], b: frozenset[str]) -> bool:
    return names_agree(a, b) or _one_word_apart(a, b)


def _one_word_apart(a: frozenset[str], b: frozenset[str]) -> bool:
    """Names of two words or more, equal but for one word each, and those two the same name
    written with two slips ("Gabriwl" / "Gabirel": same first letter, five letters or more, at
    most two letters apart) or cut short ("Hoq" / "Hoque", three letters or more)."""
    if len(a) != len(b) or len(a) < 2:
        return False
    only_a, only_b = a - b, b - a
    if len(only_a) != 1 or len(only_b) != 1:
        return False
    x, y = next(iter(only_a)), next(iter(only_b))
    short, long_ = sorted((x, y), key=len)
    if len(short) >= 3 and long_.startswith(short):
        return True
    if len(short) >= 5 and long_.endswith(short):
        return True  # cut short at the start ("Maien" for "Jermaien")
    return min(len(x), len(y)) >= 5 and x[0] == y[0] and _edit_distance(x, y) <= 2


def _edit_distance(a: str, b: str) -> int:
    """Letters substituted, inserted, deleted or two neighbours swapped (optimal string
    alignment distance)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def _born_apart(a: MentionFacts, b: MentionFacts) -> bool:
    """Both write a date of birth, more than a year apart."""
    return a.dob is not None and b.dob is not None and abs(a.dob.year - b.dob.year) > 1


def told_apart(associate: MentionFacts, suspect: MentionFacts, given_names: frozenset[str]) -> bool:
    """The associate's given name and the suspect's forename are both written (and `known_as`
    found no agreement), so they are two men. A street name, a handle or an initial tells him
    apart from nobody, nor does a suspect written by his surname alone, nor one written by a
    lone word that is nobody's given name ("Benz", "Bigz": a street name)."""
    if not associate.name_key & given_names:
        return False
    surname = bool(suspect.name_key - suspect.forename_key)
    return any(len(w) > 1 and (surname or w in given_names) for w in suspect.forename_key)


def thinly_same_child(a: MentionFacts, b: MentionFacts) -> bool:
    """Thin agreement between two mentions of a child, enough only beside a suspect who agrees
    with the child's named associate: the council's child id; or every word of the shorter
    name agreeing with one of the longer (a slip, nickname or variant apart: "Samantha" and
    "Samantha Parkes", "Keisa Goordon" and "Keisha Gordon") with dates of birth no more than a
    year apart where both are written."""
    if a.council_id is not None and a.council_id == b.council_id:
        return True
    if (
        a.dob is not None
        and b.dob is not None
        and abs(a.dob.year - b.dob.year) > 1
        and not dob_agree(a, b)  # a year one digit apart on the same day and month agrees
    ):
        return False
    short, long_ = sorted(
        ({w for w in a.name_key if len(w) > 1}, {w for w in b.name_key if len(w) > 1}), key=len
    )
    return bool(short) and all(any(words_agree(x, y) for y in long_) for x in short)


def _nickname_with_slip(a: str, b: str) -> bool:
    """A nickname of one name and the other written with a slip ("Becky" / "Reebecca"): a
    nickname or variant key of one a slip apart from the other or its keys (five letters or
    more)."""
    return any(
        min(len(x), len(y)) >= 5 and _one_edit(x, y)
        for x in {a, *forename_keys(a)}
        for y in {b, *forename_keys(b)}
    )


def names_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    """Every word of the shorter name agrees with a word of its own in the longer
    (`words_agree`: equal, a nickname or variant, a slip, an initial), and two whole words
    agree: "Jen Walker" and "Jennifer Walker", "Marqus B" and "Beatriz Marques"; never an
    initial alone, nor two words of one name taken for the same word of the other ("Mohamed
    Mohamud" is not "Ibrahim Ahmed Mohamud")."""
    short, long_ = sorted((a, b), key=len)
    if not short or not _each_its_own(sorted(short), sorted(long_)):
        return False
    return any(words_agree(x, y) for x in short if len(x) > 1 for y in long_ if len(y) > 1)


def _each_its_own(short: list[str], long_: list[str]) -> bool:
    """Each word of `short` agrees with a different word of `long_` (names are a few words)."""
    if not short:
        return True
    first, rest = short[0], short[1:]
    return any(
        words_agree(first, y) and _each_its_own(rest, long_[:k] + long_[k + 1 :])
        for k, y in enumerate(long_)
    )


def same_child(
    a: MentionFacts, b: MentionFacts, *, a_day: dt.date | None, b_day: dt.date | None
) -> bool:
    """Two mentions of a child a reviewer would take for one child when looking her up in
    another agency's records: the council's own child id; a plain name (`plausibly_same`); or
    names that agree (`names_agree`) at the same postcode, or with a date of birth that agrees
    (for names of two words or more, also an age at the event that the date of birth gives).
    """
    if a.council_id is not None and a.council_id == b.council_id:
        return True
    if plausibly_same(a, b, a_day=a_day, b_day=b_day):
        return True
    if exact_dob(a, b) and _initials_agree(a.name_key, b.name_key):
        return True  # "B Murphy" born 13 April 2007 is the council's Bianca born that day
    if not names_agree(a.name_key, b.name_key):
        return False
    if a.postcode is not None and a.postcode == b.postcode:
        return True
    if min(len(a.name_key), len(b.name_key)) < 2:
        return dob_agree(a, b)  # a lone name needs a written date of birth that agrees
    return dob_agree(a, b) or age_fits(a, b, b_day) or age_fits(b, a, a_day)


# Two records this close in time that name a child alike are about one child: a council
# concern and a police crime about a child, weeks apart (`same_child`).
NEAR_DAYS = 90


def near_in_time(a: dt.date | None, b: dt.date | None) -> bool:
    """Two days at most `NEAR_DAYS` apart."""
    return a is not None and b is not None and abs((a - b).days) <= NEAR_DAYS


def named_alike_undated(a: MentionFacts, b: MentionFacts) -> bool:
    """Similar names of two words or more (`_similar_names`), one side writing no date of
    birth: what a reviewer takes for one child only between records `NEAR_DAYS` apart."""
    if (a.dob is None) == (b.dob is None) and a.dob is not None:
        return False
    words = [{w for w in m.name_key if len(w) > 1} for m in (a, b)]
    return min(len(w) for w in words) >= 2 and _similar_names(a.name_key, b.name_key)


def _initials_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    """Every word of the shorter name agrees with its own word of the longer, an initial
    included (`words_agree`)."""
    short, long_ = sorted((a, b), key=len)
    return bool(short) and _each_its_own(sorted(short), sorted(long_))
