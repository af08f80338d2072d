"""The disclosure schedule, internal view: one line per collected item with
what was decided, on which exemption, by whom and when.

The version the requester receives is ``app.exports.content.ScheduleRow``
(built with the pack): no notes, no names of staff. This one is for the
reviewers and the DPO, so it also shows undecided and stale items and the
internal note. Like the pack, it leaves out a withheld item's title: the
title may itself say what is being withheld, and the schedule is the list
most likely to be copied into a letter.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from app.accounts.models import User
from app.cases.models import Case, RequestType
from app.extensions import db
from app.review.exemptions import EXEMPTIONS, Exemption, citation
from app.review.listing import ReviewItem, log_review_look, review
from app.review.models import Action

SCHEDULE_AREA = "rights_desk.disclosure_schedule"


@dataclass(frozen=True)
class ScheduleLine:
    item_key: str
    source: str
    source_title: str
    category: str
    title: str | None  # None for a withheld item
    occurred_on: date | None
    state: str  # undecided, stale or decided
    action: Action | None
    exemption: Exemption | None
    exemption_title: str | None
    exemption_citation: str | None
    redacted_parts: int
    note: str | None
    decided_by_id: uuid.UUID | None
    decided_by: str | None  # the staff user's name
    decided_at: datetime | None


def _line(
    entry: ReviewItem, source_title: str, names: dict[uuid.UUID, str], *, portability: bool
) -> ScheduleLine:
    decision = entry.decision
    info = EXEMPTIONS.get(decision.exemption) if decision and decision.exemption else None
    withheld = decision is not None and decision.action is Action.WITHHOLD
    return ScheduleLine(
        item_key=entry.key,
        source=entry.item.source,
        source_title=source_title,
        category=entry.item.category,
        title=None if withheld else entry.item.title,
        occurred_on=entry.item.occurred_on,
        state=entry.state,
        action=decision.action if decision else None,
        exemption=decision.exemption if decision else None,
        exemption_title=info.title if info else None,
        exemption_citation=citation(info, portability=portability) if info else None,
        redacted_parts=len(decision.redactions) if decision else 0,
        note=decision.note if decision else None,
        decided_by_id=decision.decided_by_id if decision else None,
        decided_by=names.get(decision.decided_by_id) if decision and decision.decided_by_id else None,
        decided_at=decision.decided_at if decision else None,
    )


def schedule(case: Case) -> list[ScheduleLine]:
    """Every item, in the review's order (source, category, date). Not
    logged: see ``view_schedule``."""
    result = review(case, with_suggestions=False)
    ids = {e.decision.decided_by_id for e in result.items if e.decision and e.decision.decided_by_id}
    names: dict[uuid.UUID, str] = {}
    if ids:
        query = select(User.id, User.name).where(User.id.in_(sorted(ids, key=str)))
        names = {user_id: name for user_id, name in db.session.execute(query)}
    portability = case.request_type is RequestType.PORTABILITY
    return [
        _line(entry, group.source_title, names, portability=portability)
        for group in result.groups
        for entry in group.items
    ]


def view_schedule(user: User, case: Case) -> list[ScheduleLine]:
    """``schedule``, logged as a look at the subject's records: titles and
    notes are personal data."""
    lines = schedule(case)
    log_review_look(user, case, len(lines), SCHEDULE_AREA)
    return lines
