"""Name keys for matching: the same person typed differently gets one key."""

from __future__ import annotations

import re
import unicodedata

_NOT_LETTERS = re.compile(r"[^a-z]")

# Letters that NFKD does not split into a base letter and an accent: folding
# to ASCII would drop them ("Łukasz" -> "ukasz"), so "Lukasz" typed on a form
# would only be a typo of the record. They are spelt as English writes them
# instead. The stores keep keys: a change here needs a migration that
# recomputes them (as 0024 did, with its own copy of this table).
_TRANSLITERATED = str.maketrans(
    {
        "ł": "l", "Ł": "l", "ß": "ss", "ẞ": "ss", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d",
        "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
        "\N{LATIN SMALL LETTER DOTLESS I}": "i", "ħ": "h", "Ħ": "h", "ŀ": "l", "Ŀ": "l",
    }
)  # fmt: skip


def name_key(name: str) -> str:
    """Lower-case ASCII letters only: accents folded, letters such as ł, ß
    and ø spelt out, and hyphens, apostrophes and spaces dropped, so
    "O'Brien-Núñez" and "obrien nunez" share a key, as do "Małgorzata" and
    "Malgorzata"."""
    spelt = name.translate(_TRANSLITERATED)
    folded = unicodedata.normalize("NFKD", spelt).encode("ascii", "ignore").decode("ascii")
    return _NOT_LETTERS.sub("", folded.lower())


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_postcode(postcode: str) -> str:
    return re.sub(r"\s+", "", postcode).upper()


_NOT_DIGITS = re.compile(r"\D")


def phone_key(phone: str | None) -> str | None:
    """A UK number as dialled from within the UK, digits only, so that
    "+44 (0)7700 900123", "0044 7700 900123" and "07700900123" share a key;
    None for anything too short or too long to be one number."""
    if not phone:
        return None
    digits = _NOT_DIGITS.sub("", phone)
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("44") and len(digits) >= 12:
        digits = digits[2:]
        digits = digits if digits.startswith("0") else "0" + digits
    return digits if 10 <= len(digits) <= 11 and digits.startswith("0") else None
