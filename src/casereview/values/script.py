"""Names written in other scripts, in Latin letters: anyascii, with the project's tables on top.

Council records name some children in the script their family writes (Cyrillic, Greek,
Arabic, Bengali); police records name the same child in Latin letters. anyascii (a
maintained transliteration table for every Unicode script) gives a Latin spelling that the
variant tables (`casereview.values.name_variants`) then key like any other spelling:
"Мухаммед" -> "Mukhammed" -> the key of Mohammed.

Scripts written without short vowels (Arabic, Urdu, Persian, Pashto) transliterate to a
consonant skeleton ("محمد" -> "mhmd") that no Latin record spells: for the names common in
London case records, `_WHOLE_WORDS` gives the usual Latin spelling of the whole word
instead, before anyascii sees it. The table is a starting point, easy to extend.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from anyascii import anyascii

__all__ = ["to_latin"]

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


def _word_to_latin(word: str) -> str:
    if any(_is_arabic_script(c) for c in word):
        bare = "".join(c for c in word.translate(_ARABIC_FOLDS) if not unicodedata.combining(c))
        known = _WHOLE_WORDS.get(bare)
        if known is not None:
            return known
    return anyascii(word)


@lru_cache(maxsize=65_536)
def to_latin(text: str) -> str:
    """`text` in Latin letters: ASCII text unchanged; other scripts word by word, through the
    project's table for Arabic-script names, else anyascii. Never raises."""
    if text.isascii():
        return text
    return " ".join(_word_to_latin(word) for word in text.split())
