"""How one value from a pack reads on paper: plain strings, never markup.

Every string made here from a pack's data is a plain ``str`` that the Jinja
environment escapes. The one exception is ``marked_text``, which escapes
each piece of the text itself before joining the pieces with a fixed span
that picks out a redaction marker.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from markupsafe import Markup, escape

from app.letters.services import format_date
from app.review.redaction import MARKER

# Text at least this long, or with a line break, reads as a paragraph, not a cell.
LONG_TEXT = 120

# Bidirectional controls reorder the text around them: "exe.txt" can be made
# to display as "txt.exe". Printed, the reader could not tell, so each one is
# shown by its code point instead; ordinary right-to-left letters are left
# alone. C0/C1 controls (other than tab and newline) are shown the same way.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")

LABELS: dict[str, str] = {
    "upn": "Unique pupil number (UPN)",
    "former_upn": "Former UPN",
    "fsm_eligible": "Eligible for free school meals",
    "date_of_birth": "Date of birth",
    "send": "Special educational needs",
    "sen": "Special educational needs",
    "dob": "Date of birth",
    "subject_is": "This person is",
    "people_tagged": "People named",
    "sent_at": "Sent",
    "opened_at": "Opened",
    "closed_at": "Closed",
    "recorded_at": "Recorded",
    "occurred_at": "When",
    "wording_sha256": "Wording fingerprint (SHA-256)",
    "person_kind": "Record held in",
    "actor_kind": "Who",
    "actor_name": "Name",
    "actor_email": "Email",
    "action": "What they did",
    "area": "Where",
    "restricted": "Use of this record is restricted",
    "provision": "Type of support",
}


def inert(text: str) -> str:
    """``text`` with every invisible control shown as ``[U+XXXX]``."""
    if text.isascii() and text.isprintable():
        return text  # the common case, kept cheap
    out = []
    for char in text:
        if char in _BIDI_CONTROLS or (unicodedata.category(char) == "Cc" and char not in "\n\t"):
            out.append(f"[U+{ord(char):04X}]")
        else:
            out.append(char)
    return "".join(out)


def label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").strip().capitalize()


def show(value: Any) -> str:
    """One value as it reads on paper: a plain string, never markup."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return f"{format_date(value)}, {value:%H:%M}"
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, str):
        if ISO_DATE.fullmatch(value):
            try:
                return format_date(date.fromisoformat(value))
            except ValueError:
                return inert(value)
        if ISO_DATETIME.fullmatch(value):
            try:
                return show(datetime.fromisoformat(value.replace("Z", "+00:00")))
            except ValueError:
                return inert(value)
        return inert(value)
    if isinstance(value, list | tuple):
        return "; ".join(show(v) for v in value) if value else "—"
    if isinstance(value, Mapping):
        return "; ".join(f"{label(str(k))}: {show(v)}" for k, v in value.items())
    return inert(str(value))


def marked_text(value: Any) -> Markup:
    """Free text, escaped, with each redaction marker picked out."""
    text = show(value)
    if MARKER not in text:
        return escape(text)
    return Markup('<span class="redacted">[redacted]</span>').join(text.split(MARKER))


def is_long(value: Any) -> bool:
    return isinstance(value, str) and (len(value) >= LONG_TEXT or "\n" in value)
