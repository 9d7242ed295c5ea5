"""Placing lone mentions by the company they keep (`attach_bare_names`).

After the pairs are clustered, some mentions stand alone although their person is written
about elsewhere: a name with nothing else, a name whose evidence no pair took up, a surname
alone. Two names alone never reach the threshold, so no pair can join them; the people their
record names (the child an associate is named by, the suspect of a crime against that child)
can. docs/linkage.md says what is placed and what never is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

import numpy as np
import pandas as pd

from casereview.link.cluster import Clustering, Forenames, Judgement, full_date
from casereview.link.frame import handle_list
from casereview.values.name_variants import forename_keys, name_key

__all__ = [
    "FIELD_ODDS",
    "PLACED_YEARS_APART",
    "PROLIFIC_MENTIONS",
    "attach_bare_names",
    "join_split_pairs",
]

# A person mentioned at least this many times is the likelier referent of a mention that
# gives only their full name: the prior odds that a bare name refers to one person grow with
# how often that person is written about (a prolific suspect, a child in many referrals).
PROLIFIC_MENTIONS = 4
# What a mention carries besides its name; a "bare" mention carries none of it.
_EVIDENCE = ("dob", "yob_lo", "postcode", "address", "phones", "identifier", "strong_id")
# A word written alone is read as a surname (or a given name) only when the run's records
# write it in that field at least this many times as often as in the other: "Bernard" or
# "Thomas" is either, and is not placed.
FIELD_ODDS = 4
# A lone mention placed by its company joins a person whose years of birth are at most this
# far from its own (a year mistyped by one is common; a generation apart is someone else).
PLACED_YEARS_APART = 1


def attach_bare_names(
    frame: pd.DataFrame,
    clustering: Clustering,
    judgements: Iterable[Judgement] = (),
    min_mentions: int = PROLIFIC_MENTIONS,
) -> int:
    """Place the mentions that no pair joined to anyone by the company they keep. Five
    kinds of lone mention are placed:

    - a full name and nothing else (no date of birth or age, postcode, address, phone or
      identifier): joined to the person of that full name (forename and surname keys) named
      with a person its record names (the associate a child names, and the suspect of a
      crime against that child), else to the one person of that name when exactly one
      carries it, has at least `min_mentions` mentions and is written about in the
      mention's borough;
    - a full name with evidence that no pair took up (a date of birth in a referral, a
      phone): joined only to the person of that full name named with a person its record
      names;
    - a name of one word (a police nominal with only a forename or only a surname, a
      council's one name field): joined only to the person named with a person its record
      names who carries the word in the field it is read as (or was written by the word
      alone in a mention a pair joined to them). A forename column's word is a
      given name (nickname keys expanded); a word stored as a surname is read as a surname
      (or a given name) only when the frame writes it so at least `FIELD_ODDS` times as
      often as the other way: a lone word from a one-field name ("Bernard") is stored as a
      surname but is as likely a given name, and a word written both ways is read as
      neither. A word read as neither is read as a given name when no one of the company
      carries it as a surname beside a forename. Not when its record names someone of that surname (the
      family's surname: any of the family). A person written with more than one word is
      preferred; when none of the company carries the word, another lone mention of that
      word named with the same people is (the same associate named alone in two records
      about one child);
    - initials ("A Gupta", "Amit G"): joined to the one person named with a person its
      record names who carries the word in full and a name starting with the initial, not
      when its record names someone of that surname (any of the family);
    - a mention without a full name (a word, initials, no name beside a handle) that
      carries a phone or an online handle (the frame's `handles`): joined to the one person
      named with a person its record names who carries that phone or handle, when its name
      and its other phone or handle point at no one else (the frame holds the phones and
      handles themselves: the stage's frame, and the Spark driver's lean frame).

    A cluster made only of one word written alone several times, with no evidence on any
    of its mentions (the same associate named alone in two records about one child, joined
    to itself by the record context of that child), is placed as a lone word, by its first
    mention.

    All but the first kind also need a year of birth within `PLACED_YEARS_APART` of the
    person's, when both have one. A person named in the same record as the mention is never
    joined, nor one against a "not same" judgement.
    Two names alone never reach the threshold, and a name is often someone else's (two Jan
    Johnsons): only a name placed by the company it keeps, or no one else's and written
    about again and again, is joined. Changes `clustering.labels` in place (a cluster's
    label stays its smallest mention id) and returns how many mentions were joined."""
    labels = clustering.labels
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    fore = frame["forename_std"].to_numpy(dtype=object)
    sur = frame["surname_std"].to_numpy(dtype=object)
    has_fore, has_sur = pd.notna(fore), pd.notna(sur)
    named = has_fore & has_sur
    evidence = np.zeros(len(frame), dtype=bool)
    for col in _EVIDENCE:
        if col in frame.columns:
            evidence |= frame[col].notna().to_numpy()
    bare = named & ~evidence
    label = _label_of(labels, ids)
    size = pd.Series(label).value_counts()
    lone = pd.Series(label).map(size).to_numpy() == 1
    # A name of one word: its word, and whether it is spelled out (not an initial).
    word, written_alone, spelled = _one_words(fore, sur, has_fore, has_sur)
    # A cluster of one word alone written several times and nothing else (the associate a
    # child names alone in two referrals, joined by the child they share) is placed as one
    # lone mention, by its first row: no pair can join a word alone to a full name either.
    word_only = written_alone & ~evidence
    groups = pd.DataFrame({"label": label, "word": word})[~lone]
    if len(groups):
        words = groups.groupby("label")["word"].nunique()
        only = pd.Series(word_only[~lone]).groupby(groups["label"].to_numpy()).all()
        alike = words.index[(words == 1).to_numpy() & only.reindex(words.index).to_numpy()]
        if len(alike):
            first = groups[groups["label"].isin(alike)].reset_index().groupby("label")["index"]
            lone[first.min().to_numpy()] = True
    fields = _Fields(frame)
    # A name of one word (not an initial): a police nominal's forename column alone is a
    # given name; a word stored as a surname (a police nominal's surname column alone, or a
    # council's one name field) is read as the field the run's records write it in.
    one_word = lone & spelled
    surname_only = np.zeros(len(frame), dtype=bool)
    given_only = one_word & has_fore
    for pos in np.flatnonzero(one_word & has_sur):
        surname_only[pos], given_only[pos] = fields.reading(sur[pos])
    # A name with an initial for one of its two words ("A Gupta", "Amit G"): placed by the
    # one person of its company whose other name is the word and whose name starts with
    # the initial.
    # Each such row's (initial, word), found once.
    abbreviated: dict[int, tuple[str, str]] = {}
    for pos in np.flatnonzero(lone & named):
        first, last = str(fore[pos]), str(sur[pos])
        if (len(first) == 1) != (len(last) == 1):
            abbreviated[int(pos)] = (first, last) if len(first) == 1 else (last, first)
    initials = np.zeros(len(frame), dtype=bool)
    initials[list(abbreviated)] = True
    # The phones and online handles of each row (read only for the rows asked about: the
    # lone mentions and the persons of their company).
    contacts = _Contacts(frame)
    # A lone mention without a full name (one word, an initial, or no name beside a handle
    # or an id) that carries a phone or a handle may be placed by it.
    by_contact = lone & (~named | initials) & contacts.present
    placing = lone & (named | one_word) | by_contact
    if not placing.any():
        return _words_by_evidence(frame, clustering, fields, judgements)
    record = pd.to_numeric(frame["record_id"], errors="coerce").to_numpy(dtype=float)
    borough = frame["borough"].to_numpy(dtype=object) if "borough" in frame.columns else None
    years = _Years(frame)
    key = np.full(len(frame), None, dtype=object)
    key[named] = [
        f"{f}|{s}" for f, s in zip(fore[named].tolist(), sur[named].tolist(), strict=True)
    ]
    # The persons carrying each full name and each surname that a lone mention carries,
    # bare mentions and surnames alone left alone not counted: two bare mentions of one name
    # say nothing of who else carries it.
    alone = bare & lone
    holders = _holders(key, label, named & ~alone, placing & named)
    # Rows that count as carrying a surname (as `holders`: bare lone mentions and surnames
    # alone left out) and each row's forename keys (a police forename's own, nicknames
    # expanded; a one-field word read as a given name keyed as a forename).
    surname_rows = has_sur & ~alone & ~surname_only
    fkeys = frame["forename_keys"].to_numpy(dtype=object)
    neither = one_word & has_sur & ~surname_only & ~given_only
    word_keys = {
        int(pos): _keys(fkeys[pos]) if has_fore[pos] else forename_keys(str(sur[pos]))
        for pos in np.flatnonzero(given_only | neither)
    }
    # Each one-word mention's word, by every key (either field, either reading): the same
    # word alone in two records about one child ("Blaze", a street name no record writes
    # beside another name) is the same associate, whichever field it was stored in; and a
    # person a pair already joined to the word alone ("Prince" with his date of birth)
    # carries it, though no mention writes it beside another name.
    words_alone = set(label[one_word].tolist())
    word_sets: dict[int, frozenset[str]] = {}
    for pos in np.flatnonzero(spelled):
        keys = _keys(fkeys[pos]) if has_fore[pos] else forename_keys(str(sur[pos]))
        word_sets[int(pos)] = frozenset((*keys, str(word[pos])))

    def carries(pos: int, kind: str, person: int) -> bool:
        """Whether `person` carries the one word of row `pos` in the field it is read as
        (or is another lone mention of that word)."""
        mine, wk = word_sets[pos], word_keys.get(pos, ())
        for r in at[person].tolist():
            if r in word_sets and word_sets[r] & mine:
                return True
            if kind == "surname" and surname_rows[r] and sur[r] == sur[pos]:
                return True
            if kind == "given":
                keys = word_keys[r] if r in word_keys else _keys(fkeys[r])
                if any(k in wk for k in keys):
                    return True
        return False

    def carries_as_surname(pos: int, person: int) -> bool:
        """Whether `person` carries the word of row `pos` as a surname: beside a forename
        (the word alone in a surname field says nothing of which of the two it is: a one-field
        name, or a nickname a pair joined to the person, "Prince" with his date of birth)."""
        rows = at[person]
        return bool((surname_rows[rows] & named[rows] & (sur[rows] == sur[pos])).any())

    contacted_alone = set(label[by_contact].tolist())

    def by_the_contact(pos: int, kind: str, candidates: set[int]) -> int | None:
        """The one of `candidates` (the persons named with the company of row `pos`) who
        carries one of its phones (`kind` "phone") or handles ("handle"), if exactly one
        does, born within a year of it."""
        mine = contacts.of_row(int(pos), kind)
        if not mine:
            return None
        found = {p for p in candidates if contacts.of_person(p, at[p], kind) & mine}
        # A person of other mentions is preferred to another lone mention with the phone
        # (which is placed with that person itself).
        if found - contacted_alone:
            found -= contacted_alone
        if len(found) != 1:
            return None
        person = next(iter(found))
        return person if years.near(int(pos), at[person]) else None

    def initials_match(pos: int, person: int) -> bool:
        """Whether `person` carries the name of row `pos` (an initial and a word) in full:
        the word as its surname and a forename starting with the initial, or the word as
        its given name (nickname keys expanded) and a surname starting with the initial,
        whichever field each was stored in."""
        letter, word = abbreviated[pos]
        given = set(forename_keys(word))
        for r in at[person].tolist():
            if not named[r] or alone[r]:
                continue
            rf, rs = str(fore[r]), str(sur[r])
            if rs == word and rf[:1] == letter:
                return True
            if rs[:1] == letter and given & set(_keys(fkeys[r])):
                return True
        return False

    not_same = _not_same(judgements)
    # Each person's positions in the frame, found once (not a scan of the frame per mention).
    at = pd.Series(label).groupby(label).indices
    company = _Company(record, label, at)
    joins: list[tuple[int, int]] = []  # (lone mention, person label it joins)
    placed = {
        "bare": 0,
        "bare_by_company": 0,
        "evidence": 0,
        "surname": 0,
        "given": 0,
        "either": 0,
        "word": 0,
        "initials": 0,
        "phone": 0,
        "handle": 0,
    }
    for pos in np.flatnonzero(placing):
        mention, own = int(ids[pos]), int(label[pos])
        kind = (
            "initials"
            if initials[pos] and not holders.get(key[pos], set()) - {own}
            else "bare"
            if bare[pos]
            else "evidence"
            if named[pos]
            else "surname"
            if surname_only[pos]
            else "given"
            if given_only[pos]
            else "word"
            if one_word[pos]
            else "contact"
        )
        others: set[int] = set()
        if kind in ("bare", "evidence"):
            others = holders.get(key[pos], set()) - {own}
            if not others:
                continue
        mine = company.named_with(int(pos), own)
        # The one person of that name named with someone the lone mention's record names
        # (and, for a mention with evidence, born within a year of it).
        if kind == "bare":
            target = company.shared(mine, others)
        else:
            # A record names each person once: its other people are not candidates. A
            # surname alone beside someone of that surname (the child of the family) is any
            # of the family.
            if one_word[pos] and has_sur[pos] and any((sur[at[p]] == sur[pos]).any() for p in mine):
                continue
            # An initial and a word beside someone of that surname (the child of the family)
            # is any of the family.
            if kind == "initials" and any(
                (sur[at[p]] == abbreviated[int(pos)][1]).any() for p in mine
            ):
                continue
            # The persons named with its company are few: each is asked whether it carries
            # the word (not every holder of a common given name gathered).
            candidates = company.named_with_any(mine) - mine - {own} if mine else set()
            if kind == "evidence":
                sharing = company.sharing(mine, others - mine)
            elif kind == "word":
                # A word written both ways is read as a given name when no one of the
                # company carries it as a surname (a child names an associate by the name
                # she calls him by); else only another lone mention of the word carries it.
                sharing = {p for p in candidates if carries(int(pos), "given", p)}
                if any(carries_as_surname(int(pos), p) for p in candidates):
                    sharing &= words_alone
            elif kind == "contact":
                sharing = set()
            elif kind == "initials":
                sharing = {p for p in candidates if initials_match(int(pos), p)}
            else:
                sharing = {p for p in candidates if carries(int(pos), kind, p)}
            # A person written with more than one word is the likelier referent; another
            # lone word only when none is (it is placed with that person itself otherwise).
            if sharing - words_alone:
                sharing -= words_alone
            near = {p for p in sharing if years.near(int(pos), at[p])}
            target = next(iter(near)) if len(near) == 1 else None
            if kind == "word" and target is not None and target not in words_alone:
                kind = "either"
            # A phone or a handle of the mention that one person of the company carries:
            # that person, when the name points at no one (or at the same person); a name,
            # a phone and a handle pointing at two people leave the mention alone.
            if by_contact[pos]:
                pointed = {
                    way: person
                    for way in ("phone", "handle")
                    if (person := by_the_contact(int(pos), way, candidates)) is not None
                }
                # Another lone mention with the phone or handle does not count against a
                # person (it is placed with that person itself).
                firm = set(pointed.values()) - contacted_alone
                if target is not None:
                    if firm - {target}:
                        continue
                else:
                    chosen = firm or set(pointed.values())
                    if len(chosen) > 1:
                        continue
                    if chosen:
                        target = chosen.pop()
                        kind = next(way for way, p in pointed.items() if p == target)
            company.placed = target is not None
        if target is None:
            if kind != "bare" or len(others) != 1:
                continue
            target = next(iter(others))
            if size[target] < min_mentions:
                continue
        rows = at[target]
        if np.isin(record[rows], record[at[own]]).any():
            continue
        # Written about in the borough the bare name was written in: a name alone in
        # another borough is as likely someone else of that name (unless the company it
        # keeps placed it).
        if (
            not company.placed
            and borough is not None
            and borough[pos] is not None
            and borough[pos] not in set(borough[rows].tolist())
        ):
            continue
        if mention in not_same and not_same[mention] & set(ids[rows].tolist()):
            continue
        joins.append((own, target))
        placed["bare_by_company" if kind == "bare" and company.placed else kind] += 1
    _merge(labels, ids, at, joins)
    joined = len(joins)
    if joined:
        clustering.notes.append(
            f"{joined} lone mention(s) joined by the company they keep: "
            f"{placed['bare_by_company']} giving only a full name to the one of that name "
            f"named with someone their record names, {placed['bare']} to the one person of "
            f"that name with at least {min_mentions} mentions, {placed['evidence']} full "
            f"names with evidence no pair took up, {placed['surname']} surnames alone, "
            f"{placed['given']} given names alone, {placed['either']} words written both "
            f"ways read as a given name and {placed['word']} other words alone (to another "
            f"mention of that word alone) to the one of that name named with someone their "
            f"record names, {placed['initials']} initials to the one named with someone "
            f"their record names whose name they abbreviate, {placed['phone']} by a phone "
            f"and {placed['handle']} by an online handle that one person named with "
            f"someone their record names carries"
        )
    return joined + _words_by_evidence(frame, clustering, fields, judgements)


def join_split_pairs(
    frame: pd.DataFrame,
    clustering: Clustering,
    pairs: pd.DataFrame,
    threshold: float,
    judgements: Iterable[Judgement] = (),
) -> int:
    """Join two persons a pair scored below `threshold` when two people named with them,
    one in the records of each, are one person too: a child split between a police record
    and a referral (the victim "Rahman Chinedu Abdul" and the referral's subject "Cibedu
    Rahman"), and the suspect of the crime and the associate the referral names ("Mateusz
    Hassan" and "Mateusz" alone), each pair needing the other. The record context adds its
    weight only for a person already in common, so neither half joins alone; decided
    together, each pair is the other's evidence.

    Two persons A and B (the two halves of a child) and two others C and D (the two halves
    of her associate) are joined, A with B and C with D, when:

    - a pair of a mention of A and one of B was scored (kept, below the threshold), and C
      is named in a record of A, D in a record of B, neither in a record of both;
    - C and D are one person by the names they carry: a pair of theirs scored (kept), or
      one of them written only as one word alone that the other carries as a given name
      beside a surname (nickname keys expanded; a surname alone is any of the family), or
      the two written with one full name (a forename key in common and one surname);
    - neither pair is contradicted: no record names both, every year of birth within
      `PLACED_YEARS_APART` of every other, a full date of birth in common when both carry
      one (not a 1 January), a person written only as one word alone carrying it as the
      other's given name, no two forenames that differ (`Forenames.differ`:
      siblings of one surname at one address never join), no "not same" judgement;
    - exactly one such C and D stand for A and B (two candidates leave all four apart).

    Changes `clustering.labels` in place; returns how many persons were joined."""
    labels = clustering.labels
    if pairs is None or not len(pairs):
        return 0
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    pos_of = pd.Series(np.arange(len(ids)), index=ids)
    label = _label_of(labels, ids)
    left = pos_of.reindex(pairs["unique_id_l"].to_numpy()).to_numpy()
    right = pos_of.reindex(pairs["unique_id_r"].to_numpy()).to_numpy()
    weight = pairs["match_weight"].to_numpy(dtype=float)
    known = ~(np.isnan(left) | np.isnan(right))
    left, right, weight = left[known].astype(np.int64), right[known].astype(np.int64), weight[known]
    la, lb = label[left], label[right]
    apart = la != lb
    if not apart.any():
        return 0
    # Each two persons a pair scored, below the threshold (above it, a guard cut them).
    lo, hi = np.minimum(la, lb)[apart], np.maximum(la, lb)[apart]
    below = weight[apart] < threshold
    scored_apart = set(zip(lo.tolist(), hi.tolist(), strict=True))
    weak = sorted(set(zip(lo[below].tolist(), hi[below].tolist(), strict=True)))
    if not weak:
        return 0
    record = pd.to_numeric(frame["record_id"], errors="coerce").to_numpy(dtype=float)
    at = pd.Series(label).groupby(label).indices
    company = _Company(record, label, at)
    years = _Years(frame)
    forenames = Forenames(frame)
    fore = frame["forename_std"].to_numpy(dtype=object)
    sur = frame["surname_std"].to_numpy(dtype=object)
    has_fore, has_sur = pd.notna(fore), pd.notna(sur)
    named = has_fore & has_sur
    fkeys = frame["forename_keys"].to_numpy(dtype=object)
    not_same = _not_same(judgements)

    dob = frame["dob"].to_numpy(dtype=object)

    def full_dates(rows: np.ndarray) -> set[str]:
        """The full dates of birth of `rows` (not a 1 January, which stands for a year)."""
        return {d for d in dob[rows].tolist() if full_date(d)}

    def records_of(person: int) -> set[float]:
        return {r for r in record[at[person]].tolist() if r == r}

    def compatible(a: int, b: int) -> bool:
        """No contradiction between persons `a` and `b`: no record naming both, years of
        birth within `PLACED_YEARS_APART`, no two forenames that differ, no judgement."""
        ra, rb = at[a], at[b]
        if records_of(a) & records_of(b):
            return False
        ylo = np.concatenate([years.lo[ra], years.lo[rb]])
        yhi = np.concatenate([years.hi[ra], years.hi[rb]])
        if (~np.isnan(ylo)).any() and np.nanmax(ylo) - np.nanmin(yhi) > PLACED_YEARS_APART:
            return False
        # A word alone is this person only as a given name the other carries (a surname
        # alone is any of the family).
        for one, other in ((a, b), (b, a)):
            alone = one_word(one)
            if alone is not None and not carries(other, alone):
                return False
        dates_a, dates_b = full_dates(ra), full_dates(rb)
        if dates_a and dates_b and not dates_a & dates_b:
            return False
        for x in ra.tolist():
            for y in rb.tolist():
                if forenames.differ(x, y):
                    return False
        if not_same:
            mentions_b = set(ids[rb].tolist())
            for m in ids[ra].tolist():
                if not_same.get(m, set()) & mentions_b:
                    return False
        return True

    @cache
    def one_word(person: int) -> str | None:
        """The word of a person written only as one word alone (the same word each time)."""
        rows = at[person]
        if named[rows].any():
            return None
        words = {str(fore[r]) if has_fore[r] else str(sur[r]) for r in rows.tolist()}
        words.discard("None")
        if len(words) != 1:
            return None
        word = next(iter(words))
        return word if len(word) > 1 else None

    def carries(person: int, word: str) -> bool:
        """Whether `person` carries `word` as a given name beside a surname (a surname
        alone is any of the family)."""
        keys = set(forename_keys(word))
        return any(named[r] and bool(keys & set(_keys(fkeys[r]))) for r in at[person].tolist())

    @cache
    def full_names(person: int) -> frozenset[tuple[str, str]]:
        return frozenset(
            (k, str(sur[r])) for r in at[person].tolist() if named[r] for k in _keys(fkeys[r])
        )

    def one_person(c: int, d: int) -> bool:
        """Whether the names of `c` and `d` say they are one person."""
        if (min(c, d), max(c, d)) in scored_apart:
            return True
        wc, wd = one_word(c), one_word(d)
        if wc is not None and wd is None:
            return carries(d, wc)
        if wd is not None and wc is None:
            return carries(c, wd)
        if wc is not None and wd is not None:
            return False
        return bool(full_names(c) & full_names(d))

    joins: list[tuple[int, int]] = []
    used: set[int] = set()
    for a, b in weak:
        if a in used or b in used:
            continue
        ca, cb = company.of_person(a), company.of_person(b)
        only_a, only_b = ca - cb - {b}, cb - ca - {a}
        if not only_a or not only_b:
            continue
        found = [(c, d) for c in only_a for d in only_b if c != d and one_person(c, d)]
        if len(found) != 1:
            continue
        c, d = found[0]
        if {c, d} & used or not compatible(a, b) or not compatible(c, d):
            continue
        joins += [(a, b), (c, d)]
        used |= {a, b, c, d}
    _merge(labels, ids, at, joins)
    if joins:
        clustering.notes.append(
            f"{len(joins) // 2} person(s) a pair scored below the threshold joined with "
            f"another two named in their records, whose names say they are one person too "
            f"(a child split between a police record and a referral, and her associate)"
        )
    return len(joins)


def _words_by_evidence(
    frame: pd.DataFrame,
    clustering: Clustering,
    fields: _Fields,
    judgements: Iterable[Judgement],
) -> int:
    """Place the lone one-word mentions whose date of birth or address no pair took up (a
    street name or a given name alone, with the date of birth and the address of one person
    of the run): a word alone and a full name never reach the threshold, however much else
    they share. Two ways, each to the one person of the run (a person written with a full
    name) that the evidence points at:

    - **the date of birth and the address**: the one person carrying both the mention's
      full date of birth (not a 1 January, which stands for a year) and its postcode or
      address, when the word is one of that person's names (either field, nickname keys
      expanded) or is written as a name nowhere in the run (a street name: "Snup" with Lauren
      Kowalczyk's date of birth and address). A word that is a name of someone else is
      not placed;
    - **a given name and one of them**: a word read as a given name (a forename column's
      word, or a one-field word the run writes as a given name, `_Fields`) that exactly one
      person carries as a given name with the mention's full date of birth, postcode or
      address ("Rabia" with Rabia Hussain's postcode). A word read as a surname is never
      placed this way (a surname and an address are any of the family).

    Not when the mention's full date of birth differs from every full date of birth of the
    person, nor when their years of birth are more than `PLACED_YEARS_APART` apart, nor to a
    person named in the mention's record or against a "not same" judgement. Returns how many
    mentions were joined; changes `clustering.labels` in place."""
    labels = clustering.labels
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    fore = frame["forename_std"].to_numpy(dtype=object)
    sur = frame["surname_std"].to_numpy(dtype=object)
    has_fore, has_sur = pd.notna(fore), pd.notna(sur)
    named = has_fore & has_sur
    label = _label_of(labels, ids)
    size = pd.Series(label).value_counts()
    lone = pd.Series(label).map(size).to_numpy() == 1
    word, _, spelled = _one_words(fore, sur, has_fore, has_sur)
    one_word = lone & spelled
    dob = frame["dob"].to_numpy(dtype=object) if "dob" in frame.columns else None
    exact = np.zeros(len(frame), dtype=bool)
    if dob is not None:
        exact = np.fromiter(map(full_date, dob.tolist()), dtype=bool, count=len(dob))
    places = [
        frame[col].to_numpy(dtype=object) for col in ("postcode", "address") if col in frame.columns
    ]
    placed_at = np.zeros(len(frame), dtype=bool)
    for values in places:
        placed_at |= pd.notna(values)
    asking = one_word & (exact | placed_at)
    if not asking.any():
        return 0
    # The persons written with a full name somewhere: the only ones a word is placed with.
    full = np.zeros(len(frame), dtype=bool)
    full[named] = True
    with_name = set(label[full].tolist())
    person_rows = np.isin(label, list(with_name)) & ~lone
    dob_holders = (
        _holders(dob, label, person_rows & exact, asking & exact) if dob is not None else {}
    )
    place_holders = [
        _holders(values, label, person_rows & pd.notna(values), asking & pd.notna(values))
        for values in places
    ]
    at = pd.Series(label).groupby(label).indices
    record = pd.to_numeric(frame["record_id"], errors="coerce").to_numpy(dtype=float)
    fkeys = frame["forename_keys"].to_numpy(dtype=object)
    years = _Years(frame)
    not_same = _not_same(judgements)

    def word_keys(pos: int) -> frozenset[str]:
        keys = _keys(fkeys[pos]) if has_fore[pos] else forename_keys(str(word[pos]))
        return frozenset((*keys, str(word[pos])))

    def names_of(person: int, given_only: bool) -> set[str]:
        """The words `person` is written with (given names by their keys; surnames as
        written, unless `given_only`), on its full-name mentions."""
        out: set[str] = set()
        for r in at[person].tolist():
            if not named[r]:
                continue
            out.update(_keys(fkeys[r]))
            out.add(str(fore[r]))
            if not given_only:
                out.add(str(sur[r]))
        return out

    # The words the run writes as names beside another name (not beside an initial: a
    # street name is written so, "Litle T").
    spelled_both = named & np.array(
        [len(str(f)) > 1 and len(str(s)) > 1 for f, s in zip(fore, sur, strict=True)], dtype=bool
    )
    name_words = set(fore[spelled_both].tolist()) | set(sur[spelled_both].tolist())

    def a_name(text: str) -> bool:
        """Whether the run writes `text` as a name beside another (or the tables know it
        as a nickname or a given name's variant)."""
        return _nickname(text) or text in name_words

    joins: list[tuple[int, int]] = []
    ways = {"dob_place": 0, "company": 0, "given": 0}
    company = _Company(record, label, at)
    for pos in np.flatnonzero(asking):
        own = int(label[pos])
        by_dob = dob_holders.get(dob[pos], set()) if exact[pos] and dob is not None else set()
        by_place: set[int] = set()
        for values, holders in zip(places, place_holders, strict=True):
            if values[pos] is not None and values[pos] == values[pos]:
                by_place |= holders.get(values[pos], set())
        by_dob, by_place = by_dob - {own}, by_place - {own}
        mine = word_keys(int(pos))
        target, way = None, ""
        both = by_dob & by_place
        if len(both) == 1:
            person = next(iter(both))
            if names_of(person, False) & mine or not a_name(str(word[pos])):
                target, way = person, "dob_place"
        if target is None and by_dob:
            # The one person named with its company (the people its record names) who
            # carries its full date of birth ("Bos" with Samuel Valker's, in a referral
            # about the child Samuel is named with).
            mine_now = company.named_with(int(pos), own)
            near_by = company.sharing(mine_now, by_dob - mine_now) if mine_now else set()
            if len(near_by) == 1:
                person = next(iter(near_by))
                if names_of(person, False) & mine or not a_name(str(word[pos])):
                    target, way = person, "company"
        if target is None:
            given = has_fore[pos] or fields.reading(str(sur[pos]))[1]
            if given:
                found = {p for p in by_dob | by_place if names_of(p, True) & mine}
                if len(found) == 1:
                    target, way = next(iter(found)), "given"
        if target is None:
            continue
        rows = at[target]
        if not years.near(int(pos), rows):
            continue
        if exact[pos] and dob is not None:
            theirs = {d for d, e in zip(dob[rows].tolist(), exact[rows].tolist(), strict=True) if e}
            if theirs and dob[pos] not in theirs:
                continue
        if np.isin(record[rows], record[pos]).any():
            continue
        mention = int(ids[pos])
        if mention in not_same and not_same[mention] & set(ids[rows].tolist()):
            continue
        joins.append((own, target))
        ways[way] += 1
    _merge(labels, ids, at, joins)
    if joins:
        clustering.notes.append(
            f"{len(joins)} lone word(s) with evidence no pair took up joined: "
            f"{ways['dob_place']} to the one person of their date of birth and address, "
            f"{ways['company']} to the one person of their date of birth named with someone "
            f"their record names, "
            f"{ways['given']} to the one person of that given name with their date of birth "
            f"or address"
        )
    return len(joins)


def _holders(
    values: np.ndarray, label: np.ndarray, rows: np.ndarray, wanted: np.ndarray
) -> dict[str, set[int]]:
    """The persons (labels) of the rows `rows` (a mask) carrying each value that a row of
    `wanted` carries (only those values are looked up)."""
    needed = pd.unique(values[wanted])
    take = rows & pd.Series(values, dtype=object).isin(needed).to_numpy()
    out: dict[str, set[int]] = {}
    for value, person in zip(values[take].tolist(), label[take].tolist(), strict=True):
        out.setdefault(value, set()).add(person)
    return out


class _Contacts:
    """The phones and online handles of a frame's rows, read only for the rows asked about
    (the lone mentions and the persons of their company, not the million rows of a run)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.phones = frame["phones"] if "phones" in frame.columns else None
        self.handles = frame["handles"] if "handles" in frame.columns else None
        # Which rows carry one (a phone, a handle): no row's value is read to know it.
        self._has = {
            kind: column.notna().to_numpy()
            if column is not None
            else np.zeros(len(frame), dtype=bool)
            for kind, column in (("phone", self.phones), ("handle", self.handles))
        }
        self.present = self._has["phone"] | self._has["handle"]
        self._person: dict[tuple[int, str], frozenset[str]] = {}

    def of_row(self, pos: int, kind: str) -> frozenset[str]:
        """Row `pos`'s phones (`kind` "phone") or handles ("handle")."""
        if kind == "phone":
            if self.phones is None:
                return frozenset()
            value = self.phones.iat[pos]
            if isinstance(value, list | tuple | np.ndarray):
                return frozenset(str(p) for p in value)
            return frozenset()
        if self.handles is None:
            return frozenset()
        return frozenset(handle_list(self.handles.iat[pos]))

    def of_person(self, person: int, rows: np.ndarray, kind: str) -> frozenset[str]:
        """The phones or handles carried on any of `rows` (the mentions of `person`)."""
        found = self._person.get((person, kind))
        if found is None:
            with_one = rows[self._has[kind][rows]]
            found = frozenset().union(*(self.of_row(int(r), kind) for r in with_one.tolist()))
            self._person[(person, kind)] = found
        return found


def _keys(value: object) -> tuple[str, ...]:
    """A row's forename keys as a tuple (none when the cell is empty)."""
    if isinstance(value, list | tuple | np.ndarray):
        return tuple(str(k) for k in value)
    return ()


def _nickname(word: str) -> bool:
    """A nickname or short form of a given name (its forename keys are those of the names
    it is short for)."""
    return bool(set(forename_keys(word)) - {name_key(word)})


class _Fields:
    """How often the run's records write a word as a given name and as a surname (beside
    the other field): which of the two a word written alone is read as."""

    def __init__(self, frame: pd.DataFrame) -> None:
        both = frame["forename_std"].notna() & frame["surname_std"].notna()
        self.as_given = frame.loc[both, "forename_std"].value_counts().to_dict()
        self.as_surname = frame.loc[both, "surname_std"].value_counts().to_dict()
        self._read: dict[str, tuple[bool, bool]] = {}

    def reading(self, word: str) -> tuple[bool, bool]:
        """(read as a surname, read as a given name) for a word keyed as a surname. A
        surname: written as one at least `FIELD_ODDS` times as often as a given name, and
        not a nickname of a given name. A given name (or a nickname of one): written as one
        at least `FIELD_ODDS` times as often as a surname. Neither when written both ways."""
        read = self._read.get(word)
        if read is None:
            given = sum(int(self.as_given.get(k, 0)) for k in forename_keys(word))
            surname = int(self.as_surname.get(word, 0))
            nickname = _nickname(word)
            read = self._read[word] = (
                not nickname and surname > 0 and surname >= FIELD_ODDS * given,
                (given > 0 or nickname) and given >= FIELD_ODDS * surname,
            )
        return read


class _Years:
    """The years of birth (from a date of birth or an age) of a frame's rows."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.lo = pd.to_numeric(frame["yob_lo"], errors="coerce").to_numpy(dtype=float)
        self.hi = pd.to_numeric(frame["yob_hi"], errors="coerce").to_numpy(dtype=float)

    def near(self, pos: int, rows: np.ndarray, apart: int = PLACED_YEARS_APART) -> bool:
        """Row `pos`'s years within `apart` years of some row of `rows`, or either side
        without a year."""
        if np.isnan(self.lo[pos]):
            return True
        lo, hi = self.lo[rows], self.hi[rows]
        known = ~np.isnan(lo)
        if not known.any():
            return True
        gap = np.maximum(lo[known], self.lo[pos]) - np.minimum(hi[known], self.hi[pos])
        return bool((gap <= apart).any())


def _label_of(labels: Mapping[int, int], ids: np.ndarray) -> np.ndarray:
    """Each mention's person (its label in `labels`; a mention not in it is its own)."""
    return np.fromiter((labels.get(i, i) for i in ids.tolist()), dtype=np.int64, count=len(ids))


def _not_same(judgements: Iterable[Judgement]) -> dict[int, set[int]]:
    """The mentions each mention is judged "not same" as (both ways)."""
    apart: dict[int, set[int]] = {}
    for j in judgements:
        if j.judgement == "not_same":
            apart.setdefault(j.mention_a, set()).add(j.mention_b)
            apart.setdefault(j.mention_b, set()).add(j.mention_a)
    return apart


def _one_words(
    fore: np.ndarray, sur: np.ndarray, has_fore: np.ndarray, has_sur: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A name of one word: each mention's word (its one field), whether its name is one
    word, and whether that word is spelled out (two letters or more, not an initial)."""
    word = np.where(has_fore, fore, sur)
    written_alone = has_fore ^ has_sur
    spelled = written_alone.copy()
    for pos in np.flatnonzero(written_alone):
        spelled[pos] = isinstance(word[pos], str) and len(word[pos]) > 1
    return word, written_alone, spelled


def _merge(
    labels: dict[int, int],
    ids: np.ndarray,
    at: Mapping[int, np.ndarray],
    joins: list[tuple[int, int]],
) -> None:
    """Join the persons of each pair of labels in `joins` (chains too: a lone mention joined
    to another that is joined elsewhere); each new person's label is its smallest mention id."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in joins:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for x in list(parent):
        groups.setdefault(root(x), []).append(x)
    for members in groups.values():
        merged = [int(m) for person in members for m in ids[at[person]].tolist()]
        new = min(merged)
        for m in merged:
            labels[m] = new


class _Company:
    """The persons named in the same records as a mention or a person: the company a bare
    name keeps, which tells apart the people who carry it."""

    def __init__(self, record: np.ndarray, label: np.ndarray, at: Mapping[int, np.ndarray]):
        self.record, self.at = record, at
        known = ~np.isnan(record)
        order = np.argsort(record[known], kind="stable")
        # Records sorted, with the person of each of their mentions: a record's persons are
        # one slice, looked up when asked (most records are never asked about).
        self.records, self.persons = record[known][order], label[known][order]
        # Where each record's slice starts and ends, found once for every record.
        unique, first = np.unique(self.records, return_index=True)
        ends = np.append(first[1:], len(self.records))[: len(first)]  # none when no record
        self._span = dict(
            zip(unique.tolist(), zip(first.tolist(), ends.tolist(), strict=True), strict=True)
        )
        self._named: dict[float, set[int]] = {}
        self._kept: dict[int, set[int]] = {}
        self.placed = False

    def _named_in(self, r: float) -> set[int]:
        named = self._named.get(r)
        if named is None:
            lo, hi = self._span.get(r, (0, 0))
            named = self._named[r] = set(self.persons[lo:hi].tolist())
        return named

    def _of(self, rows: np.ndarray, person: int) -> set[int]:
        out: set[int] = set()
        for r in self.record[rows].tolist():
            if r == r:  # not NaN: a mention without a record names no one with it
                out |= self._named_in(r)
        out.discard(person)
        return out

    def of_person(self, person: int) -> set[int]:
        kept = self._kept.get(person)
        if kept is None:
            kept = self._kept[person] = self._of(self.at[person], person)
        return kept

    def named_with(self, pos: int, own: int) -> set[int]:
        """The persons (other than `own`) named in the record of row `pos`."""
        r = float(self.record[pos])
        if r != r:  # NaN: a mention without a record names no one with it
            return set()
        return self._named_in(r) - {own}

    def named_with_any(self, mine: set[int]) -> set[int]:
        """The persons named in a record with one of `mine`."""
        return set().union(*(self.of_person(p) for p in mine))

    def sharing(self, mine: set[int], candidates: set[int]) -> set[int]:
        """The `candidates` (persons) named in a record with one of `mine` (the persons a
        mention's record names, `named_with`)."""
        # Being named in one record is symmetric: the candidates named with one of `mine` are
        # found from the few persons of this record, not from every holder of a common name.
        found: set[int] = set()
        for person in mine:
            found |= candidates & self.of_person(person)
        return found

    def shared(self, mine: set[int], candidates: set[int]) -> int | None:
        """The one of `candidates` (persons) named in a record with one of `mine` (the
        persons a mention's record names), if exactly one is; sets `placed` accordingly."""
        found = self.sharing(mine, candidates)
        self.placed = len(found) == 1
        return next(iter(found)) if self.placed else None
