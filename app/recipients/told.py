"""Art 19 in the requester's answer: what a rectification or an erasure
letter can truthfully say of the recipients of the data, from the notices
the change recorded. The one place both letters (their emails and their
printed copies) take it from.

A notice sent is a recipient told, on the day it went. A notice pending is
one the school has been asked to give (we hold no contact for that
recipient): it is not told yet, and the letter says who was asked. The
register also words some recipients as a kind of recipient, not an
organisation ("Others only where the law requires it"): nothing records
such a disclosure here, so the letter names no organisation for them (their
notices are recorded closed, as none recorded: nobody is to tell them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from app.cases.models import Case
from app.recipients.models import Change, NoticeStatus, RecipientNotice
from app.recipients.who_received import changed_categories

_UK = ZoneInfo("Europe/London")
# A register recipient worded as a kind of recipient ("Others only where
# the law requires it", "Any other organisation ..."), not one named.
_KIND_OF_RECIPIENT = re.compile(
    r"^(?:others|other (?:organisations|bodies|recipients|third parties)|anyone|any other)\b"
)


def names_an_organisation(name: str) -> bool:
    """False for a register recipient that is a kind of recipient, not an organisation."""
    return not _KIND_OF_RECIPIENT.search(name.strip().casefold())


@dataclass(frozen=True)
class ToldRecipient:
    name: str
    on: date


@dataclass(frozen=True)
class RecipientsTold:
    """What the letter says of the recipients, in three groups."""

    # Organisations sent the notice, with the day it was sent.
    told: tuple[ToldRecipient, ...] = ()
    # Organisations the school has been asked to tell (no contact with us).
    school_to_tell: tuple[str, ...] = ()
    # The register names only kinds of recipient for some of the data: no
    # disclosure to anyone is recorded for it.
    none_recorded: bool = False

    @property
    def nobody(self) -> bool:
        """No recipient at all: the register names none for the data changed."""
        return not (self.told or self.school_to_tell or self.none_recorded)


def recipients_told(notices: Iterable[RecipientNotice]) -> RecipientsTold:
    """The groups the letter words, from one change's notices."""
    told: dict[str, date] = {}
    asked: set[str] = set()
    none_recorded = False
    for notice in notices:
        if notice.status is NoticeStatus.NONE_RECORDED or not names_an_organisation(notice.recipient_name):
            none_recorded = True
        elif notice.status is NoticeStatus.SENT and notice.sent_at is not None:
            told[notice.recipient_name] = _uk_date(notice.sent_at)
        else:
            asked.add(notice.recipient_name)
    return RecipientsTold(
        told=tuple(ToldRecipient(name, told[name]) for name in sorted(told, key=str.casefold)),
        school_to_tell=tuple(sorted(asked - set(told), key=str.casefold)),
        none_recorded=none_recorded,
    )


def _uk_date(moment: datetime) -> date:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_UK).date()


def letter_recipients(
    case: Case, change: Change | str, notices: Iterable[RecipientNotice]
) -> RecipientsTold | None:
    """What the letter answering ``change`` says of the recipients; None
    when the change changed nothing, so that no one had anything to be told."""
    if not changed_categories(case, Change(change)):
        return None
    return recipients_told(notices)
