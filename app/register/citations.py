"""Which Art 6(1) basis a lawful-basis wording gives, so that the basis
chosen and the wording the letters quote never say two different things.

The wording gives a basis in two ways, and each one found must be the
basis chosen:

- by name, at its very start: one of the basis names (as ``LawfulBasis``
  labels them: consent, contract, legal obligation, vital interests,
  public task, legitimate interests) followed by a colon, a bracket, a
  dash, a full stop or nothing ("Consent: the parents agreed", "Public
  task (Art 6(1)(e))"). A name anywhere else, or followed by more words
  ("the contract with the school", "Contract with the school"), is an
  ordinary sentence and counts for nothing;
- by citation: the first point of Article 6(1) it cites (later ones may
  say what else applies), in the usual forms: "6(1)(e)", "6 (1) (e)",
  "Art 6.1.e", "Article 6(1) e", "Article 6 paragraph 1 point (e)". A
  bare "6(1)(x)" right after "section", "regulation", "Act", "s." or
  "para" is another law's provision, as is the tail of a longer number
  ("16(1)(a)").
"""

from __future__ import annotations

import re

from app.register.models import LawfulBasis

# Citations naming the article: any of the forms, the point bracketed or
# not. A bare point letter followed by a word ("Article 6(1) a school
# may...") is the article "a", not point (a).
_ARTICLE = (
    r"\bart(?:icle)?\b\.?\s*6\s*(?:\(\s*1\s*\)|\.\s*1|\s+para(?:graph)?\.?\s*1)\s*,?\s*(?:point\s*|\.\s*)?"
    r"(?:\(\s*(?P<bracketed>[a-f])\s*\)|(?P<bare>[a-f])(?![\w'\u2019-])(?!\s+(?!of\b)(?-i:[a-z])))"
)
# "6(1)(e)" alone, with or without spaces; not "16(1)(a)" or "s.6(1)(a)".
_NUMBER = r"(?<![\w.])6\s*\(\s*1\s*\)\s*\(\s*(?P<number>[a-f])\s*\)"
_CITATION = re.compile(f"{_ARTICLE}|{_NUMBER}", re.IGNORECASE)
# What makes a bare "6(1)(x)" another law's: the word just before it.
_OTHER_LAW = re.compile(
    r"\b(?:sections?|ss?|regulations?|regs?|act(?:\s+\d{4})?|para(?:graph)?s?)\.?\s*$", re.IGNORECASE
)
_NAMES = {basis.label.split(" (")[0].lower(): basis for basis in LawfulBasis}
_NAME = "|".join(re.escape(name) for name in _NAMES)
# A name at the start (after an opening quote), then a colon, a bracket, a
# dash, or the end (with or without a full stop).
_NAMED = re.compile(
    rf"\s*[\"'\u201c\u2018]?(?P<name>{_NAME})[\"'\u201d\u2019]?\s*(?:[:(\[\u2013\u2014-]|\.?\s*$)",
    re.IGNORECASE,
)


def cited_point(wording: str) -> str | None:
    """The first point of Article 6(1) the wording cites (``e``), if any."""
    for found in _CITATION.finditer(wording):
        if found.group("number") and _OTHER_LAW.search(wording, 0, found.start()):
            continue
        return (found.group("bracketed") or found.group("bare") or found.group("number")).lower()
    return None


def named_basis(wording: str) -> LawfulBasis | None:
    """The basis the wording names at its start (see the module's rule)."""
    found = _NAMED.match(wording)
    return _NAMES[found.group("name").lower()] if found else None


def citation_conflict(wording: str | None, basis: LawfulBasis | None) -> str | None:
    """A message when the basis the wording gives is not the basis chosen:
    the letter would then say one basis and the rules apply another.

    The wording gives a basis by the first point of Article 6(1) it cites
    (not a "6(1)(x)" of a section, regulation, Act or paragraph), and by a
    basis name only at its very start, before a colon, a bracket, a dash, a
    full stop or the end ("Consent: ..."). A name inside a sentence ("the
    contract with the school") gives nothing."""
    if not wording or basis is None:
        return None
    # The citation first: where the two disagree with the basis alike, its
    # point is the more exact thing to tell the admin.
    point = cited_point(wording)
    if point is not None and point != basis.point:
        return (
            f"The wording gives Article 6(1)({point}) as the basis, but the basis chosen is "
            f"{basis.label}: make them agree"
        )
    named = named_basis(wording)
    if named is not None and named is not basis:
        return (
            f"The wording names {named.label} as the basis, but the basis chosen is {basis.label}: "
            "make them agree"
        )
    return None
