"""Name keys for matching: the same person typed differently gets one key."""

from __future__ import annotations

import re
import unicodedata

_NOT_LETTERS = re.compile(r"[^a-z]")


def name_key(name: str) -> str:
    """Lower-case ASCII letters only: accents folded, and hyphens, apostrophes
    and spaces dropped, so "O'Brien-Núñez" and "obrien nunez" share a key."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return _NOT_LETTERS.sub("", folded.lower())


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_postcode(postcode: str) -> str:
    return re.sub(r"\s+", "", postcode).upper()
