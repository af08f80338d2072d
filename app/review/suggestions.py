"""Suggested redactions: names of other known people in an item's free text.

DPA 2018 Sch 2 para 16 protects third parties named in the subject's data.
The people a school knows (its pupils, their contacts, its staff) are the
third parties most likely to appear in a message body, a SEND note or a
ticket, so their names are looked for in every free-text field and offered
to the reviewer as spans to redact. A suggestion is only that: nothing is
redacted until the reviewer accepts it.

Set-based: ``name_index(case)`` reads every candidate name of the case's
organisations in five queries (the organisations, the confirmed records, one
per person store), however many items or people there are, and
keeps them as a dictionary from normalised token sequences (``app.sources.
names.name_key`` per word) to the kind of person. Scanning an item is then
one regex pass over its text and a few dictionary look-ups per word, so an
organisation with thousands of pupils costs a bigger dictionary, not more
queries or more passes.

Who is *not* suggested: the subject (their own records, and the name on the
request), and, for a parent asking for their child, the parent: their own
name is their data. A match made only of such people's words is skipped,
so the subject's own surname is never offered, while a sibling's full name
(forename and the shared surname) still is.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.cases.models import Case, Relationship
from app.collect.identity import REQUESTER, SUBJECT, organisations_of
from app.collect.models import CaseCandidate, Decision
from app.extensions import db
from app.review.redaction import text_fields
from app.sources.contacts.models import Contact
from app.sources.employees.models import Employee
from app.sources.names import name_key
from app.sources.pupils.models import Pupil

PUPIL, STAFF, CONTACT = "pupil", "staff", "contact"
# When one name belongs to several kinds of people, the span is labelled
# with the first of these (the label only helps the reviewer read it).
_KIND_ORDER = (PUPIL, STAFF, CONTACT)

# A field is free text, worth scanning, when it is a top-level string at
# least this long with a space in it: a sentence, not a code, date, email
# address or short label such as "Class teacher".
FREE_TEXT_MIN_LENGTH = 20
# Name words shorter than this ("J", initials) would match everywhere.
MIN_WORD_LENGTH = 2

# A word: letters (any script, accents precomposed or combining) with inner
# apostrophes, straight or curly ("O'Brien", "D'Souza"). Hyphens and spaces
# separate words, so "O'Brien-Núñez" is two words on both the text side and
# the name side. Whole words only: not glued to digits or underscores (the
# "deb" of "8deb" in an id is no name).
_APOSTROPHES = "'\u2019"
_LETTER = r"[^\W\d_]"
_MARK = r"[\u0300-\u036f]"  # combining accents, for text not in NFC
_WORD = re.compile(
    rf"(?<!\w){_LETTER}(?:{_LETTER}|{_MARK}|[{_APOSTROPHES}](?={_LETTER}))*(?![\w\u0300-\u036f])"
)
_POSSESSIVE = re.compile(rf"[{_APOSTROPHES}][sS]$")
# What may stand between the words of one name: spaces and hyphens or dashes.
_NAME_GAP = " \t-\u2010\u2013"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A span of one text field that looks like another person's name.
    Deliberately no name and no person id: offsets and a kind only."""

    field: str
    start: int
    end: int
    name_kind: str

    def as_span(self) -> dict[str, Any]:
        return {"field": self.field, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class NameIndex:
    """Known third parties' names as token sequences, and the words that
    belong to the subject (and a parent requester) alone."""

    names: Mapping[tuple[str, ...], str]
    own_words: frozenset[str]
    longest: int

    def __len__(self) -> int:
        return len(self.names)


def words(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, key) for each word of ``text``; a trailing possessive
    "'s" is left outside the word, so "Isla's" yields "Isla"."""
    for match in _WORD.finditer(text):
        start, end = match.span()
        possessive = _POSSESSIVE.search(match.group())
        if possessive and end - start - 2 >= MIN_WORD_LENGTH:
            end -= 2
        key = name_key(text[start:end])
        if key:
            yield start, end, key


def name_words(*names: str | None) -> tuple[str, ...]:
    """The keys of every word of the given name parts, in order."""
    return tuple(key for name in names if name for _, _, key in words(name))


def free_text_fields(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(path, text) of the free text at any depth: a chat transcript's
    entries hold names as much as a message body does."""
    return [
        (path, value)
        for path, value in text_fields(data)
        if len(value) >= FREE_TEXT_MIN_LENGTH and any(c.isspace() for c in value)
    ]


class _Builder:
    def __init__(self) -> None:
        self.kinds: dict[tuple[str, ...], set[str]] = {}

    def person(
        self, kind: str, forenames: Iterable[str | None], surnames: Iterable[str | None], middle: str | None
    ) -> None:
        firsts = {name_words(f) for f in forenames if f} - {()}
        lasts = {name_words(s) for s in surnames if s} - {()}
        for first in firsts:
            for last in lasts:
                self._add(first + last, kind)
                if middle:
                    self._add(first + name_words(middle) + last, kind)
        for part in firsts | lasts:
            for word in part:
                self._add((word,), kind)

    def _add(self, sequence: tuple[str, ...], kind: str) -> None:
        # A one-letter word is fine inside a full name ("Zoë Ó Dónaill") but
        # would match everywhere on its own.
        if len(sequence) > 1 or len(sequence[0]) >= MIN_WORD_LENGTH:
            self.kinds.setdefault(sequence, set()).add(kind)

    def index(self, own: set[str]) -> NameIndex:
        names = {seq: next(k for k in _KIND_ORDER if k in kinds) for seq, kinds in self.kinds.items()}
        return NameIndex(names, frozenset(own), max((len(seq) for seq in names), default=0))


def _own_people(case: Case) -> tuple[set[uuid.UUID], set[str]]:
    """Record ids and name words of the people whose names are not
    suggested: the subject and, for a parent acting for a child, the parent."""
    parent = case.requester_relationship is Relationship.PARENT_CARER
    about = [SUBJECT, REQUESTER] if parent else [SUBJECT]
    ids = set(
        db.session.scalars(
            select(CaseCandidate.record_id).where(
                CaseCandidate.case_id == case.id,
                CaseCandidate.decision == Decision.CONFIRMED,
                CaseCandidate.about.in_(about),
            )
        )
    )
    own = set(name_words(case.subject_name))
    if parent:
        own |= set(name_words(case.requester_name))
    return ids, own


def name_index(case: Case) -> NameIndex:
    """Every known person of the case's organisations: five queries in all.

    Anonymised pupils and contacts have no real name left; staff keep theirs
    (retention keeps an employee's name for historical reports).
    """
    organisation_ids = sorted(organisations_of(case), key=str)
    own_ids, own = _own_people(case)
    builder = _Builder()

    def add(
        record_id: uuid.UUID,
        kind: str,
        forenames: tuple[str | None, ...],
        surnames: tuple[str | None, ...],
        middle: str | None = None,
    ) -> None:
        if record_id in own_ids:
            own.update(name_words(*forenames, *surnames, middle))
        else:
            builder.person(kind, forenames, surnames, middle)

    pupils = select(
        Pupil.id,
        Pupil.legal_forename,
        Pupil.preferred_forename,
        Pupil.legal_surname,
        Pupil.preferred_surname,
        Pupil.middle_names,
    ).where(Pupil.organisation_id.in_(organisation_ids), Pupil.anonymised_at.is_(None))
    for p in db.session.execute(pupils):
        add(
            p.id,
            PUPIL,
            (p.legal_forename, p.preferred_forename),
            (p.legal_surname, p.preferred_surname),
            p.middle_names,
        )
    contacts = select(Contact.id, Contact.forename, Contact.surname).where(
        Contact.organisation_id.in_(organisation_ids), Contact.anonymised_at.is_(None)
    )
    for c in db.session.execute(contacts):
        add(c.id, CONTACT, (c.forename,), (c.surname,))
    staff = select(Employee.id, Employee.forename, Employee.preferred_name, Employee.surname).where(
        Employee.organisation_id.in_(organisation_ids)
    )
    for e in db.session.execute(staff):
        add(e.id, STAFF, (e.forename, e.preferred_name), (e.surname,))
    return builder.index(own)


def suggest_in_text(index: NameIndex, field: str, text: str) -> list[Suggestion]:
    """Longest known name at each word, left to right, never overlapping."""
    found: list[Suggestion] = []
    tokens = list(words(text))
    position = 0
    while position < len(tokens):
        step = 1
        for length in range(min(index.longest, len(tokens) - position), 0, -1):
            sequence = tuple(key for _, _, key in tokens[position : position + length])
            kind = index.names.get(sequence)
            if kind is None:
                continue
            if all(key in index.own_words for key in sequence):
                continue  # the subject's (or parent requester's) own name
            if not _adjacent(text, tokens, position, length):
                continue  # the words are not next to each other in the text
            found.append(Suggestion(field, tokens[position][0], tokens[position + length - 1][1], kind))
            step = length
            break
        position += step
    return found


def _adjacent(text: str, tokens: list[tuple[int, int, str]], position: int, length: int) -> bool:
    """Words of a multi-word name must be separated by spaces or a hyphen
    only, so "Amelia. Hughes said" is not read as one name."""
    for (_, end, _), (start, _, _) in zip(
        tokens[position : position + length - 1], tokens[position + 1 : position + length], strict=True
    ):
        gap = text[end:start]
        if len(gap) > 3 or gap.strip(_NAME_GAP) != "":
            return False
    return True


def suggest(index: NameIndex, data: Mapping[str, Any]) -> list[Suggestion]:
    """Suggested spans for one item's data, by field then position."""
    found: list[Suggestion] = []
    for field, text in free_text_fields(data):
        found.extend(suggest_in_text(index, field, text))
    return found
