"""Person names: a cleaned comparison form, and splitting a full name into its parts."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from casereview.values._text import fold_ascii
from casereview.values.script import to_latin

__all__ = ["clean_name", "split_full_name"]

_NOT_NAME_CHAR = re.compile(r"[^a-z0-9\-\s]")
_HYPHENS = re.compile(r"-+")
_SPACES = re.compile(r"\s+")

NameOrder = Literal["forename_first", "surname_first", "auto"]


@lru_cache(maxsize=262_144)
def clean_name(text: str | None) -> str | None:
    """A name folded for comparison: lower-case ASCII, accents and apostrophes dropped,
    other punctuation turned into spaces, inner hyphens kept, whitespace collapsed.

    Other scripts are transliterated (`casereview.values.script.to_latin`), never dropped.

    "O'Brien" -> "obrien"; "Smith-Jones" -> "smith-jones"; "  José  " -> "jose";
    "Мухаммед" -> "mukhammed"; "محمد" -> "mohammed".
    """
    if not text:
        return None
    folded = fold_ascii(to_latin(text)).lower().replace("'", "")
    folded = _NOT_NAME_CHAR.sub(" ", folded)
    words = []
    for word in folded.split():
        word = _HYPHENS.sub("-", word).strip("-")
        if word:
            words.append(word)
    return " ".join(words) or None


def _is_caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _join(words: list[str]) -> str | None:
    return " ".join(words) or None


def split_full_name(text: str | None, order: NameOrder = "auto") -> tuple[str | None, str | None]:
    """(forenames, surname) of a full name, in its original case.

    A comma always means "SURNAME, Forenames". Otherwise `order` says which comes first; in
    "auto" mode an all-caps run of words next to mixed-case words is the surname (police
    systems write "SMITH John" or "John SMITH"), and failing that the last word is.
    """
    if not text:
        return None, None
    cleaned = _SPACES.sub(" ", text).strip(" ,")
    if not cleaned:
        return None, None
    if "," in cleaned:
        surname, _, forenames = cleaned.partition(",")
        return _join(forenames.replace(",", " ").split()), _join(surname.split())
    words = cleaned.split()
    if len(words) == 1:
        return None, words[0]
    if order == "surname_first":
        return _join(words[1:]), words[0]
    if order == "auto":
        caps = [_is_caps(w) for w in words]
        if not all(caps) and any(caps):
            if caps[0]:
                n = caps.index(False)
                return _join(words[n:]), _join(words[:n])
            if caps[-1]:
                n = len(words) - caps[::-1].index(False)
                return _join(words[:n]), _join(words[n:])
    return _join(words[:-1]), words[-1]
