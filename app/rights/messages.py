"""Taking people off the messages kept for others.

A message a member of staff wrote or received at work is also the
correspondence of the parents and colleagues it concerns or went to, and is
kept for them (correspondence: three years after the school's contract
ends). Taking the member of staff off it, whether an erasure asked for it
(``app.erasure.targets``, reason ``shared_record_staff``) or the retention
schedule anonymises their staff record (``app.rights.leavers``), means the
same four things: their name and address as the sender, their own recipient
rows, their tags, and their name where the text gives it in full (a letter's
signature). Both callers run ``take_off_messages``; the statements are the
same however many messages it changes (one on PostgreSQL), and no message is
read into Python.

The text is rewritten in SQL by a whole-word regular expression of the
person's names, per organisation (a name means a person only at their own
school). PostgreSQL has ``regexp_replace``; SQLite has none, so the app
gives each SQLite connection one (``sqlite_regexp_replace``) with Python's
``re`` and the same pattern, which both engines read alike (``re.escape``
escapes only punctuation and spaces, which PostgreSQL's regular expressions
take literally after a backslash). ``names_removed`` is that rewrite for
any text column; an anonymised pupil's name leaves the text kept for others
by it too (``app.rights.pupil_text``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache

from sqlalchemy import ColumnElement, case, delete, func, select, update

from app.extensions import db
from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient

MESSAGES, RECIPIENTS, TAGS = Message.__table__, MessageRecipient.__table__, MessagePerson.__table__
# What a message kept for others shows where it named the person taken off it.
NAME_REMOVED = "[name removed]"
# A staff record's surname once anonymised (``app.rights.retention.ANONYMISED_NAME``).
_ANONYMISED_SURNAME = "Anonymised"

NameParts = tuple[str | None, str | None, str | None, str | None]  # title, forename, preferred, surname


def full_names(people: Iterable[NameParts]) -> list[str]:
    """The ways a letter gives these people's names in full ("Margaret
    Hughes", "Ms Hughes", "Maggie Hughes"), longest first so that a longer
    form is replaced before a shorter one inside it."""
    names = {
        f"{first.strip()} {surname.strip()}"
        for title, forename, preferred, surname in people
        if surname and surname.strip() and surname != _ANONYMISED_SURNAME
        for first in (forename, preferred, title)
        if first and first.strip()
    }
    return sorted(names, key=lambda name: (-len(name), name))


def name_pattern(names: Sequence[str]) -> str:
    """Whole words only: "Mr Lord", never the start of "Mr Lordson"."""
    return r"(?<!\w)(?:" + "|".join(re.escape(name) for name in names) + r")(?!\w)"


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def sqlite_regexp_replace(
    source: str | None, pattern: str | None, replacement: str, flags: str
) -> str | None:
    """PostgreSQL's ``regexp_replace(source, pattern, replacement, flags)``
    for SQLite, as far as this module uses it: a literal replacement, and
    ``g`` for every match rather than the first."""
    if source is None or pattern is None:
        return None
    return _compiled(pattern).sub(lambda _match: replacement, source, count=0 if "g" in flags else 1)


def names_removed(
    column: ColumnElement, organisation: ColumnElement, names: Mapping[uuid.UUID, Sequence[str]]
) -> ColumnElement:
    """``column`` with the full names of ``names`` (per organisation,
    ``full_names``) replaced by ``NAME_REMOVED``, by the pattern of the
    row's ``organisation``; unchanged at any other organisation."""
    whens = [
        (organisation == org, func.regexp_replace(column, name_pattern(forms), NAME_REMOVED, "g"))
        for org, forms in names.items()
        if forms
    ]
    return case(*whens, else_=column) if whens else column


def fitted(expression: ColumnElement, column: ColumnElement) -> ColumnElement:
    """``expression`` cut to ``column``'s length, when it has one: a short
    name replaced by the longer ``NAME_REMOVED`` must not make a full subject
    line overflow its column, which would fail the whole sweep."""
    length = getattr(column.type, "length", None)
    return func.substr(expression, 1, length) if length else expression


def take_off_messages(
    messages: ColumnElement[bool],
    addressed: Callable[[ColumnElement], ColumnElement[bool]],
    tagged: ColumnElement[bool],
    names: Mapping[uuid.UUID, Sequence[str]],
) -> int:
    """Take people off the messages ``messages`` (a clause over ``messages``)
    keeps for others; the number of messages. ``addressed`` says of an
    address column that it is one of theirs, ``tagged`` (over
    ``message_people``) which tags are theirs, ``names`` their full names
    per organisation (``full_names``).

    On PostgreSQL one statement: the messages are chosen once and the
    update and the two deletes are data-modifying CTEs over them. Elsewhere
    the text and sender go first and the tags last: ``messages`` may find a
    message by any of the links this removes, and each statement removes
    one kind of link only, so every message is still found by the link the
    statement acts on."""
    sender = addressed(MESSAGES.c.sender_email)
    values: dict[str, ColumnElement] = {
        "sender_name": case((sender, NAME_REMOVED), else_=MESSAGES.c.sender_name),
        "sender_email": case((sender, None), else_=MESSAGES.c.sender_email),
    }
    if any(names.values()):
        # A subject line names people too ("Cover for Margaret Hughes").
        subject = names_removed(MESSAGES.c.subject, MESSAGES.c.organisation_id, names)
        values["subject"] = fitted(subject, MESSAGES.c.subject)
        values["body"] = names_removed(MESSAGES.c.body, MESSAGES.c.organisation_id, names)
    if db.session.get_bind().dialect.name == "postgresql":
        target = select(MESSAGES.c.id).where(messages).cte("target")
        ids = select(target.c.id)
        changed = update(MESSAGES).where(MESSAGES.c.id.in_(ids)).values(**values).cte("changed")
        unsent = delete(RECIPIENTS).where(RECIPIENTS.c.message_id.in_(ids), addressed(RECIPIENTS.c.email))
        untagged = delete(TAGS).where(TAGS.c.message_id.in_(ids), tagged)
        statement = (
            select(func.count())
            .select_from(target)
            .add_cte(changed, unsent.cte("unsent"), untagged.cte("untagged"))
        )
        return db.session.execute(statement).scalar_one()
    count = db.session.scalar(select(func.count()).select_from(MESSAGES).where(messages)) or 0
    if not count:
        return 0
    db.session.execute(update(MESSAGES).where(messages).values(**values))
    ids = select(MESSAGES.c.id).where(messages)
    db.session.execute(
        delete(RECIPIENTS).where(RECIPIENTS.c.message_id.in_(ids), addressed(RECIPIENTS.c.email))
    )
    db.session.execute(delete(TAGS).where(TAGS.c.message_id.in_(ids), tagged))
    return count
