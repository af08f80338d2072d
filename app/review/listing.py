"""What the reviewer reads: a case's items by source and category, each with
its decision, whether that decision is stale, and suggested redactions.

``review`` only reads; ``view_review`` and ``view_item`` are the looks a
person makes, each audited and written to the access log of every record
confirmed as the subject's (``app.collect.looks.log_look``, under the
review's own area), in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.cases.models import Case, CaseStatus
from app.collect import looks
from app.collect.identity import SUBJECT
from app.collect.models import CaseCandidate, CollectedItem, Decision
from app.collect.services import candidates_for
from app.exports.content import item_digest
from app.extensions import db
from app.portability import scope
from app.review.models import ItemDecision
from app.review.suggestions import NameIndex, Suggestion, name_index, suggest
from app.sources.registry import get_source

REVIEW_AREA = "rights_desk.review"
UNDECIDED, STALE, DECIDED = "undecided", "stale", "decided"


@dataclass(frozen=True)
class ReviewItem:
    item: CollectedItem
    decision: ItemDecision | None
    # undecided, stale or decided; worked out once (it hashes the item).
    state: str
    # The item's data, opened once (``CollectedItem.data`` parses each time).
    data: dict[str, Any]
    suggestions: tuple[Suggestion, ...] = ()

    @classmethod
    def of(
        cls, item: CollectedItem, decision: ItemDecision | None, index: NameIndex | None = None
    ) -> ReviewItem:
        state = UNDECIDED if decision is None else DECIDED if is_current(item, decision) else STALE
        data = item.data
        found = tuple(suggest(index, data)) if index is not None else ()
        return cls(item, decision, state, data, found)

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def stale(self) -> bool:
        return self.state == STALE


@dataclass(frozen=True)
class ReviewGroup:
    source: str
    source_title: str
    category: str
    items: list[ReviewItem]


@dataclass(frozen=True)
class Progress:
    total: int
    undecided: int
    stale: int

    @property
    def decided(self) -> int:
        return self.total - self.undecided - self.stale

    @property
    def complete(self) -> bool:
        return self.undecided == 0 and self.stale == 0


@dataclass(frozen=True)
class Review:
    case_status: str
    groups: list[ReviewGroup]
    progress: Progress
    # A portability request's items outside the right (never reviewed or sent).
    not_portable: list[scope.Excluded] = field(default_factory=list)

    @property
    def can_decide(self) -> bool:
        return self.case_status == CaseStatus.IN_REVIEW.value  # as ``can_decide(case)``

    @property
    def can_approve(self) -> bool:
        return self.can_decide and self.progress.complete

    @property
    def items(self) -> list[ReviewItem]:
        return [item for group in self.groups for item in group.items]


def can_decide(case: Case) -> bool:
    """Decisions are made (and changed) only while the case is in review."""
    return case.status is CaseStatus.IN_REVIEW


def is_current(item: CollectedItem, decision: ItemDecision) -> bool:
    """Whether the decision was made on the item as it is now."""
    return decision.item_digest == item_digest(item.data_json)


def source_title(name: str) -> str:
    try:
        return get_source(name).title
    except LookupError:  # a source since retired keeps its items
        return name


def _collected(case: Case, keys: Iterable[str] | None = None) -> list[CollectedItem]:
    query = select(CollectedItem).where(CollectedItem.case_id == case.id)
    if keys is not None:
        query = query.where(CollectedItem.key.in_(sorted(set(keys))))
    order = (CollectedItem.source, CollectedItem.category, CollectedItem.occurred_on, CollectedItem.key)
    return list(db.session.scalars(query.order_by(*order)))


def items_of(case: Case, keys: Iterable[str] | None = None) -> list[CollectedItem]:
    """The items the review decides on: every item collected, except that a
    portability request has only those its right covers."""
    return scope.in_scope(case, _collected(case, keys))


def decisions_of(case: Case) -> dict[str, ItemDecision]:
    rows = db.session.scalars(select(ItemDecision).where(ItemDecision.case_id == case.id))
    return {decision.item_key: decision for decision in rows}


def review(case: Case, *, with_suggestions: bool = True) -> Review:
    """The case's items by source and category, each with its decision and
    (optionally) suggested redactions. Not logged: see ``view_review``."""
    not_portable: list[scope.Excluded] = []
    if scope.applies_to(case):
        split = scope.split(_collected(case), scope.load_register(case))
        items, not_portable = split.included, split.excluded
    else:
        items = _collected(case)
    decisions = decisions_of(case)
    index = name_index(case) if with_suggestions and items else None
    groups: dict[tuple[str, str], ReviewGroup] = {}
    undecided = stale = 0
    for item in items:
        entry = ReviewItem.of(item, decisions.get(item.key), index)
        undecided += entry.state == UNDECIDED
        stale += entry.state == STALE
        pair = (item.source, item.category)
        if pair not in groups:
            groups[pair] = ReviewGroup(item.source, source_title(item.source), item.category, [])
        groups[pair].items.append(entry)
    return Review(
        case.status.value, list(groups.values()), Progress(len(items), undecided, stale), not_portable
    )


def progress(case: Case) -> Progress:
    return review(case, with_suggestions=False).progress


def _subject_records(case: Case) -> list[CaseCandidate]:
    return [c for c in candidates_for(case) if c.decision is Decision.CONFIRMED and c.about == SUBJECT]


def log_review_look(user: User, case: Case, shown: int, area: str = REVIEW_AREA) -> None:
    """An audit event and an access-log line per subject record (the
    collector's helper, under the review's own area)."""
    looks.log_look(user, case, _subject_records(case), area, shown)


def view_review(user: User, case: Case, *, with_suggestions: bool = True) -> Review:
    """``review``, logged as a look at the subject's records by ``user``."""
    result = review(case, with_suggestions=with_suggestions)
    log_review_look(user, case, result.progress.total)
    return result


def view_item(user: User, case: Case, item_key: str) -> ReviewItem:
    """One item with its decision and suggestions, logged as a look.
    ``LookupError`` when the case has no such item."""
    item = item_of(case, item_key)
    entry = ReviewItem.of(item, decisions_of(case).get(item.key), name_index(case))
    log_review_look(user, case, 1)
    return entry


def item_of(case: Case, item_key: str) -> CollectedItem:
    found = items_of(case, [item_key])
    if not found:
        raise LookupError("no such item")
    return found[0]
