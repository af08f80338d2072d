"""Taking an anonymised pupil's name out of the text kept for others.

When a pupil record is anonymised (``retention.anonymise_pupils``: the
schedule's pupil rules, and an erasure's pupil record), the messages and
support tickets kept for other people lose the pupil's tags and link, but
their text may still give the child's name ("Thank you for your message
about Elliot Smith"): the anonymised child would still be named, for as
long as the correspondence is kept (three years after the contract ends).

So, at the pupil's own school (a name means a person only there), in every
message (subject and body) and support ticket (subject, its lines, the
subjects and bodies of its summaries) under no legal hold:

- the pupil's name in full becomes ``NAME_REMOVED``, in the forms
  ``messages.full_names`` gives (legal or preferred forename, with the legal
  or preferred surname, and the forename with the middle names), by the
  same per-school pattern that takes a leaver off their messages
  (``messages.names_removed``);
- the first name alone (legal or preferred forename) goes too, but only in
  the messages tagged with the pupil and the tickets about the pupil, read
  before the tags and links go. Those are about the child: at their school a
  first name in a message about them (from a parent, to their teacher) is
  enough to tell who they are, unlike a member of staff's "Dear Margaret"
  among colleagues, which the leaver rule keeps. Elsewhere a first name
  alone is left as it is: most messages at a school give some child's first
  name, and removing every anonymised pupil's first name from all of them
  would take other people's names and ordinary words out of the record the
  school keeps. Names are matched as whole words, with their capitals as
  written, so a capitalised word that is also the child's first name
  ("May", "Will") in a message about them goes too: a kept record loses a
  word rather than keep a name.

Set-based: one query reads the names of the pupils (before their record is
cleared; never their messages or tickets) for the full-name patterns; the
first names are read in SQL, per message from its tags and per ticket from
its pupil, so no message or ticket is read into Python. A second run finds
no name (the records are anonymised), so it changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import ColumnElement, Select, String, and_, case, func, literal, or_, select, update

from app.extensions import db
from app.rights import predicates as where
from app.rights.messages import NAME_REMOVED, NameParts, fitted, full_names, names_removed
from app.sources.helpdesk.models import TicketEntry, TicketSummaryEmail

PUPILS, MESSAGES, TAGS, TICKETS = where.PUPILS, where.MESSAGES, where.MESSAGE_PEOPLE, where.TICKETS
ENTRIES, SUMMARIES = TicketEntry.__table__, TicketSummaryEmail.__table__
# A pupil record's names once anonymised (``retention.ANONYMISED_NAME``).
_ANONYMISED = "Anonymised"
# What a regular expression reads as other than itself, outside a bracket
# (``re.escape`` for the full names; the backslash first, as it escapes the rest).
_SPECIAL = "\\.^$*+?{}[]|()"


def pupil_full_names(pupils: Select) -> dict[uuid.UUID, list[str]]:
    """One query: the full names (``full_names``) of the pupils ``pupils``
    (a select of ids) per organisation, while the records still have them."""
    p = PUPILS.c
    rows = db.session.execute(
        select(
            p.organisation_id, p.legal_forename, p.middle_names, p.preferred_forename,
            p.legal_surname, p.preferred_surname,
        ).where(p.id.in_(pupils), p.legal_surname != _ANONYMISED)
    )  # fmt: skip
    people: dict[uuid.UUID, list[NameParts]] = {}
    for organisation_id, forename, middle, preferred, surname, preferred_surname in rows:
        with_middle = f"{forename} {middle.strip()}" if middle and middle.strip() else None
        for last in {surname, preferred_surname} - {None}:
            people.setdefault(organisation_id, []).append((with_middle, forename, preferred, last))
    return {organisation_id: full_names(names) for organisation_id, names in people.items()}


def _escaped(column: ColumnElement) -> ColumnElement:
    for character in _SPECIAL:
        column = func.replace(column, character, "\\" + character)
    return column


def _first_names(pupil) -> ColumnElement:
    """ "Elliot" or "Elliot|Ell": the pupil's legal and preferred forenames
    as alternatives of a pattern, the longer first (a shorter one inside it
    must not win)."""
    legal_name, preferred_name = func.trim(pupil.c.legal_forename), func.trim(pupil.c.preferred_forename)
    legal, preferred = _escaped(legal_name), _escaped(preferred_name)
    same = func.coalesce(preferred_name, "").in_(["", legal_name])
    return case(
        (same, legal),
        (func.length(preferred) > func.length(legal), preferred + "|" + legal),
        else_=legal + "|" + preferred,
    )


def _whole_words(alternatives: ColumnElement) -> ColumnElement:
    """The pattern ``messages.name_pattern`` builds, around SQL alternatives (NULL stays NULL)."""
    return literal(r"(?<!\w)(?:", String) + alternatives + literal(r")(?!\w)", String)


def _first_names_removed(column: ColumnElement, pattern: ColumnElement) -> ColumnElement:
    return case((pattern.is_(None), column), else_=func.regexp_replace(column, pattern, NAME_REMOVED, "g"))


def _of_pupils(pupils: Select, pupil) -> ColumnElement[bool]:
    return and_(pupil.c.id.in_(pupils), pupil.c.legal_surname != _ANONYMISED)


def take_pupils_off_text(pupils: Select) -> None:
    """Take the pupils ``pupils`` (a select of ids, records not yet cleared,
    tags and ticket links still on) out of the text of the messages and
    tickets at their schools. Only rows whose text changes are written: a
    school's other messages are left alone, and a second run writes none."""
    names = pupil_full_names(pupils)
    if not names:
        return
    pupil = PUPILS.alias("named_pupil")
    tagged = (
        select(_whole_words(func.aggregate_strings(_first_names(pupil), "|")))
        .select_from(TAGS.join(pupil, pupil.c.id == TAGS.c.pupil_id))
        .where(
            TAGS.c.message_id == MESSAGES.c.id,
            pupil.c.organisation_id == MESSAGES.c.organisation_id,
            _of_pupils(pupils, pupil),
        )
        .scalar_subquery()
    )
    ticket, about_pupil = TICKETS.alias("of_ticket"), PUPILS.alias("about_pupil")

    def about(ticket_id: ColumnElement) -> ColumnElement:
        return (
            select(_whole_words(_first_names(about_pupil)))
            .select_from(ticket.join(about_pupil, about_pupil.c.id == ticket.c.about_pupil_id))
            .where(ticket.c.id == ticket_id, about_pupil.c.organisation_id == ticket.c.organisation_id,
                   _of_pupils(pupils, about_pupil))
            .scalar_subquery()
        )  # fmt: skip

    take_names_off_text(names, tagged=tagged, about=about)


def take_names_off_text(
    names: Mapping[uuid.UUID, Sequence[str]],
    *,
    tagged: ColumnElement | None = None,
    about: Callable[[ColumnElement], ColumnElement] | None = None,
) -> None:
    """Replace the full names ``names`` (per organisation, ``full_names``) by
    ``NAME_REMOVED`` in the messages and support tickets at those
    organisations that are under no hold. ``tagged`` (over ``messages``) and
    ``about`` (of a ticket's id) give, where a first name alone goes too,
    its pattern (NULL where it does not). Only rows whose text changes are
    written."""
    schools = sorted(names, key=str)
    if not schools:
        return

    def message_text(column: ColumnElement) -> ColumnElement:
        rewritten = names_removed(column, MESSAGES.c.organisation_id, names)
        if tagged is not None:
            rewritten = _first_names_removed(rewritten, tagged)
        return fitted(rewritten, column)

    subject, body = message_text(MESSAGES.c.subject), message_text(MESSAGES.c.body)
    db.session.execute(
        update(MESSAGES)
        .where(
            MESSAGES.c.organisation_id.in_(schools),
            where.message_not_held(),
            or_(MESSAGES.c.subject != subject, MESSAGES.c.body != body),
        )
        .values(subject=subject, body=body)
    )
    _take_off_tickets(names, schools, about)


def _take_off_tickets(
    names: Mapping[uuid.UUID, Sequence[str]],
    schools: list,
    about: Callable[[ColumnElement], ColumnElement] | None,
) -> None:
    """The tickets' subjects, lines and summaries: full names at the school,
    first names (``about``) on the tickets it gives a pattern for. Lines and
    summaries first, as ``about`` may find their ticket's pupil through the
    link the ticket keeps."""
    ticket = TICKETS.alias("ticket_of_line")
    kept = select(TICKETS.c.id).where(TICKETS.c.organisation_id.in_(schools), where.ticket_not_held())

    def school_of(ticket_id: ColumnElement) -> ColumnElement:
        return select(ticket.c.organisation_id).where(ticket.c.id == ticket_id).scalar_subquery()

    def text(column: ColumnElement, ticket_id: ColumnElement, organisation: ColumnElement) -> ColumnElement:
        rewritten = names_removed(column, organisation, names)
        if about is not None:
            rewritten = _first_names_removed(rewritten, about(ticket_id))
        return fitted(rewritten, column)

    lines, sent = ENTRIES.c, SUMMARIES.c
    line = text(lines.body, lines.ticket_id, school_of(lines.ticket_id))
    db.session.execute(update(ENTRIES).where(lines.ticket_id.in_(kept), lines.body != line).values(body=line))
    summary_school = school_of(sent.ticket_id)
    summary_subject = text(sent.subject, sent.ticket_id, summary_school)
    summary_body = text(sent.body, sent.ticket_id, summary_school)
    db.session.execute(
        update(SUMMARIES)
        .where(sent.ticket_id.in_(kept), or_(sent.subject != summary_subject, sent.body != summary_body))
        .values(subject=summary_subject, body=summary_body)
    )
    subject = text(TICKETS.c.subject, TICKETS.c.id, TICKETS.c.organisation_id)
    db.session.execute(
        update(TICKETS).where(TICKETS.c.id.in_(kept), TICKETS.c.subject != subject).values(subject=subject)
    )
