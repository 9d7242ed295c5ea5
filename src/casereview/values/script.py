"""Names written in other scripts, in Latin letters: anyascii, with the project's tables on top.

Council records name some children in the script their family writes (Cyrillic, Greek,
Arabic, Bengali); police records name the same child in Latin letters. anyascii (a
maintained transliteration table for every Unicode script) gives a Latin spelling that the
variant tables (`casereview.values.name_variants`) then key like any other spelling:
"Мухаммед" -> "Mukhammed" -> the key of Mohammed.

Scripts written without short vowels (Arabic, Urdu, Persian, Pashto) transliterate to a
consonant skeleton ("محمد" -> "mhmd") that no Latin record spells: for the names common in
London case records, `_WHOLE_WORDS` gives the usual Latin spelling of the whole word
instead, before anyascii sees it. The table is a starting point, easy to extend. Another
word is read letter by letter as a pattern of Latin spellings (`arabic_pattern`) and spelled
as the one name of the variant tables that fits it, if only one does.

Bengali and Tamil are abugidas whose inherent vowel anyascii leaves out, and Greek writes
some sounds with two letters; each is read by its own writing system's rules below
(`_indic_to_latin`, `_greek_to_latin`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

__all__ = ["arabic_pattern", "to_latin"]

# A name as written in Arabic script (Arabic, Urdu, Persian spellings) -> its usual Latin
# spelling. Alef forms, teh marbuta and Persian yeh/kaf are folded before the lookup.
# fmt: off
_WHOLE_WORDS: dict[str, str] = {
    "محمد": "Mohammed", "احمد": "Ahmed", "محمود": "Mahmoud", "مصطفي": "Mustafa",
    "علي": "Ali", "عمر": "Omar", "عثمان": "Osman", "حسن": "Hassan", "حسين": "Hussain",
    "ابراهيم": "Ibrahim", "اسماعيل": "Ismail", "يوسف": "Yusuf", "يونس": "Younis",
    "خالد": "Khalid", "عبدالله": "Abdullah", "عبد": "Abdul", "الله": "Allah",
    "عبدالرحمن": "Abdirahman", "عبدالقادر": "Abdulkadir", "كريم": "Karim", "طارق": "Tariq",
    "جمال": "Jamal", "كمال": "Kamal", "حمزه": "Hamza", "بلال": "Bilal", "اسامه": "Usama",
    "سليمان": "Suleiman", "موسي": "Musa", "عيسي": "Isa", "ادريس": "Idris", "زكريا": "Zakaria",
    "رحمان": "Rahman", "الرحمن": "Rahman", "خان": "Khan", "شاه": "Shah", "حيدر": "Haider",
    "رضا": "Reza", "امير": "Amir", "نور": "Nur", "صالح": "Salih", "سعيد": "Saeed",
    "فاطمه": "Fatima", "عائشه": "Aisha", "عايشه": "Aisha", "مريم": "Mariam", "خديجه": "Khadija",
    "زينب": "Zainab", "امينه": "Amina", "حليمه": "Halima", "ياسمين": "Yasmin", "ناديه": "Nadia",
    "سارا": "Sara", "ساره": "Sara", "ليلي": "Layla", "هدي": "Huda",
    "رقيه": "Ruqayya", "سميه": "Sumaya", "اسماء": "Asma", "زهرا": "Zahra", "زهراء": "Zahra",
    "بيگم": "Begum", "بيغم": "Begum", "بيجوم": "Begum", "اختر": "Akhtar", "چودهري": "Chowdhury",
    "قريشي": "Qureshi", "صديقي": "Siddiqui", "ملك": "Malik", "بت": "Butt", "مرزا": "Mirza",
}
# fmt: on
# Letters written several ways in Arabic script, folded so that the table matches them all.
_ARABIC_FOLDS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ی": "ي",
        "ې": "ي",
        "ک": "ك",
        "ۀ": "ه",
        "ە": "ه",
        "ـ": "",
    }
)


def _is_arabic_script(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f"


# Arabic script without short vowels: a word not in `_WHOLE_WORDS` is read letter by letter
# as a pattern of Latin spellings, and matched against the spellings in the project's
# variant tables (`casereview.values.name_variants`); when the spellings it fits are all one
# name, the word is spelled as that name ("عمران": a vowel, m, r, long a, n = Imran, Emran).
# Each consonant stands for its usual Latin spellings (خ kh, k or h; ق q or k; ث th, s or
# t), written once or doubled, with at most one short vowel, unwritten in the script, before
# the next letter. Alif is a long a (a, aa); waw and ya are consonants (w, y) at the start
# of a word and long vowels after it (u, oo, ou, o; i, ee, ie, ei, e, y, and at the end of a
# word, where ya stands for alif maqsura, a) or consonants after a vowel; alif or ʿayn at
# the start is the spelling's first vowel; ta marbuta (or a final ha) is a final a, ah, e
# or eh. A word that fits no name there, or several (a skeleton
# such as m-h-m-d fits Mohammed and Mahmood), keeps anyascii's letters.
_CONSONANTS: dict[str, str] = {
    "ب": "b", "پ": "p", "ت": "t", "ٹ": "t", "ث": "(?:th|s|t)", "ج": "(?:j|g|dj)",
    "چ": "ch", "ح": "h", "خ": "(?:kh|k|h|x)", "د": "d", "ڈ": "d", "ذ": "(?:dh|z|d)", "ر": "r",
    "ڑ": "r", "ز": "z", "ژ": "(?:zh|j|z)", "س": "s", "ش": "(?:sh|ch|s)", "ص": "s",
    "ض": "(?:d|dh|z)", "ط": "t", "ظ": "(?:z|dh)", "غ": "(?:gh|g)", "ف": "(?:f|ph)",
    "ق": "(?:q|k|g)", "ك": "(?:k|c|ck)", "گ": "g", "ل": "l", "م": "m", "ن": "n", "ں": "n",
    "ه": "h", "ھ": "h",
}  # fmt: skip
_SHORT = "[aeiou]?"
_LONG = {"ا": "(?:aa|a)", "و": "(?:oo|ou|u|o|w)", "ي": "(?:ee|ie|ei|i|e|y)"}
_GLOTTAL = frozenset("عءئؤ")


def arabic_pattern(word: str) -> re.Pattern[str] | None:
    """The Latin spellings a word in Arabic script may stand for, as a pattern over a cleaned
    name ("عمران" -> vowel m r long-a n: imran, emran, omran), or None for a word of fewer than
    two consonants."""
    bare = [c for c in word.translate(_ARABIC_FOLDS) if not unicodedata.combining(c)]
    parts: list[str] = []
    consonants = 0
    for i, char in enumerate(bare):
        last = i == len(bare) - 1
        if i == 0 and (char == "ا" or char in _GLOTTAL):
            parts.append("[aeiou]{1,2}")
        elif i == 0 and char in ("و", "ي"):
            parts.append("(?:w|v)" if char == "و" else "y")
            consonants += 1
        elif char in _LONG and last:
            parts.append(_LONG[char][:-1] + "|a)h?" if char == "ي" else _LONG[char] + "h?")
        elif char in _LONG:
            parts.append(_LONG[char] + _SHORT)
        elif char in _GLOTTAL:
            parts.append("[aeiou]{0,2}")
        elif char == "ه" and last:
            parts.append("(?:[ae]h?|h)")
        elif char in _CONSONANTS:
            parts.append(f"(?:{_CONSONANTS[char]})+")
            consonants += 1
            if not last and bare[i + 1] not in _LONG and bare[i + 1] not in _GLOTTAL:
                parts.append(_SHORT)
        else:
            return None
    if consonants < 2:
        return None
    return re.compile("".join(parts))


@lru_cache(maxsize=1)
def _table_spellings() -> dict[str, str]:
    """Every spelling in the project's variant tables -> its name key."""
    from casereview.values import name_variants  # the tables read `to_latin`: import late

    return {s: name_variants.name_key(s) for s in name_variants.table_spellings() if s}


def _by_pattern(word: str) -> str | None:
    pattern = arabic_pattern(word)
    if pattern is None:
        return None
    keys = {k for s, k in _table_spellings().items() if pattern.fullmatch(s)}
    return keys.pop() if len(keys) == 1 else None


# Greek: the digraphs a letter-by-letter table spells as two letters, read as Greek and
# Cypriot names are written in Latin letters (ELOT 743 with the English-language usage of
# London records): "ου" is one vowel, u ("Γεωργίου" -> Georgiou, not Georgioy); "αυ"/"ευ"
# are av/ev; after the first letter "μπ" is mb and "γκ", "γγ" are ng
# ("Χαραλάμπους" -> Charalambous). Lower case: only the folded comparison form reads these.
_GREEK_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("ου", "ou"),
    ("αυ", "av"),
    ("ευ", "ev"),
    ("μπ", "mb"),
    ("γκ", "ng"),
    ("γγ", "ng"),
)


def _is_greek(char: str) -> bool:
    return "\u0370" <= char <= "\u03ff" or "\u1f00" <= char <= "\u1fff"


def _greek_to_latin(word: str) -> str:
    bare = "".join(
        c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c)
    )
    head, rest = bare[:1], bare[1:]
    for old, new in _GREEK_DIGRAPHS:
        if old in ("ου", "αυ", "ευ"):
            head_rest = head + rest
            head_rest = head_rest.replace(old, new)
            head, rest = head_rest[:1], head_rest[1:]
        else:
            rest = rest.replace(old, new)
    return anyascii(head + rest)


# Bengali and Tamil are abugidas: a consonant letter carries a vowel ("a") unless a vowel
# sign or the virama (Bengali hasanta, Tamil pulli) follows it. anyascii spells the bare
# consonant ("রহিম" -> "rhim", "குமரன்" -> "kumrn"); here the vowel is read as each writing
# system reads it. Bengali drops it at the end of a word and between a vowel and a
# consonant that carries its own vowel sign ("রহমান" -> rahman, "নুসরাত" -> nusrat); Tamil
# keeps it ("குமரன்" -> kumaran).
_INDIC = {
    # script: (first, last, consonants, vowel signs, virama, nukta)
    "bengali": (
        "\u0980",
        "\u09ff",
        ("\u0995", "\u09b9"),
        "\u09be\u09bf\u09c0\u09c1\u09c2\u09c3\u09c4\u09c7\u09c8\u09cb\u09cc\u09d7",
        "\u09cd",
        "\u09bc",
    ),
    "tamil": (
        "\u0b80",
        "\u0bff",
        ("\u0b95", "\u0bb9"),
        "\u0bbe\u0bbf\u0bc0\u0bc1\u0bc2\u0bc6\u0bc7\u0bc8\u0bca\u0bcb\u0bcc\u0bd7",
        "\u0bcd",
        "",
    ),
}
# Letters whose usual Latin spelling in names differs from anyascii's: Bengali চ/ছ/শ
# (ch, chh, sh), Tamil ச (s, as in Suresh, Senthil, Selvarajah), த (th: Tharani, Kavitha).
# Tamil writes k/g, t/d (retroflex) and p/b with one letter each: always voiced after a nasal
# ("பாலசிங்கம்" -> palasingam). Between vowels usage varies by the name's origin (Abirami,
# Sivakumar), so the letter keeps anyascii's voiceless spelling there.
_TAMIL_VOICED = {"க": "g", "ட": "d", "ப": "b"}
_TAMIL_NASALS = frozenset("ஙஞணநமன")
_INDIC_LETTERS = {"চ": "ch", "ছ": "chh", "শ": "sh", "ষ": "sh", "ச": "s", "த": "th", "ஷ": "sh"}


def _indic_script(word: str) -> str | None:
    for script, (first, last, *_) in _INDIC.items():
        if any(first <= c <= last for c in word):
            return script
    return None


def _indic_to_latin(word: str, script: str) -> str:
    _, _, (c_first, c_last), signs, virama, nukta = _INDIC[script]
    chars = [c for c in word if not nukta or c != nukta]

    def is_consonant(i: int) -> bool:
        return 0 <= i < len(chars) and c_first <= chars[i] <= c_last

    def has_sign(i: int) -> bool:
        return i + 1 < len(chars) and chars[i + 1] in signs

    out: list[str] = []
    vowel_before = False
    for i, char in enumerate(chars):
        latin = _INDIC_LETTERS.get(char) or anyascii(char)
        if script == "tamil" and char in _TAMIL_VOICED and i > 0:
            after_nasal = i > 1 and chars[i - 1] == virama and chars[i - 2] in _TAMIL_NASALS
            if after_nasal:
                latin = _TAMIL_VOICED[char]
        out.append(latin)
        if not is_consonant(i):
            vowel_before = char != virama and bool(latin)
            continue
        if has_sign(i) or (i + 1 < len(chars) and chars[i + 1] == virama):
            vowel_before = False
            continue
        final = i + 1 == len(chars)
        if script == "bengali" and (
            (final and i > 0) or (vowel_before and is_consonant(i + 1) and has_sign(i + 1))
        ):
            vowel_before = False
            continue
        out.append("a")
        vowel_before = True
    return "".join(out)


def _word_to_latin(word: str) -> str:
    if any(_is_arabic_script(c) for c in word):
        bare = "".join(c for c in word.translate(_ARABIC_FOLDS) if not unicodedata.combining(c))
        known = _WHOLE_WORDS.get(bare) or _by_pattern(word)
        if known is not None:
            return known
    elif any(_is_greek(c) for c in word):
        return _greek_to_latin(word)
    elif (script := _indic_script(word)) is not None:
        return _indic_to_latin(word, script)
    return anyascii(word)


@lru_cache(maxsize=65_536)
def to_latin(text: str) -> str:
    """`text` in Latin letters: ASCII text unchanged; other scripts word by word, through the
    project's table for Arabic-script names, else anyascii. Never raises."""
    if text.isascii():
        return text
    return " ".join(_word_to_latin(word) for word in text.split())
