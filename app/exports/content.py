"""What a response pack says, assembled once and rendered twice.

``build_pack_content(case)`` reads the reviewed items, applies the review
decisions (withheld items left out, redactions applied) and joins each
category to its processing-register entry. The PDF (``app.exports.pdf``)
and the machine-readable copy (``app.exports.package``) both render the
same ``PackContent``, so they cannot disagree about what was disclosed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.cases.models import Case
from app.collect.models import CollectedItem, SourceRun
from app.db import utcnow
from app.extensions import db
from app.portability import scope
from app.register.bases import RegisterView
from app.review.exemptions import EXEMPTIONS, citation
from app.review.models import Action, ItemDecision
from app.review.redaction import MARKER, apply_redactions, text_at
from app.sources.registry import get_source

SCHEMA_VERSION = 1


class NotReviewed(ValueError):
    """An item has no decision, or was changed by a re-gather after its decision."""

    def __init__(self, keys: Sequence[str]) -> None:
        super().__init__(f"{len(keys)} item(s) need a review decision")
        self.keys = list(keys)


@dataclass(frozen=True, slots=True)
class RegisterFacts:
    """The Art 15(1)(a)-(h) and 15(2) facts for one category."""

    title: str
    description: str
    purposes: list[str]
    lawful_basis: str
    special_category_condition: str | None
    recipients: list[str]
    retention: str
    origin: str
    automated_decisions: str
    transfers: str


@dataclass(frozen=True, slots=True)
class PackItem:
    key: str
    source: str
    category: str
    title: str
    occurred_on: date | None
    data: dict[str, Any]  # redactions applied
    redacted: bool


@dataclass(frozen=True, slots=True)
class CategorySection:
    source: str
    category: str
    facts: RegisterFacts
    items: list[PackItem]


@dataclass(frozen=True, slots=True)
class WithheldCategory:
    """A category held about the subject whose every item was withheld.

    The exemptions (``app.review.exemptions``) cover the copy of the data
    (Art 15(4); DPA 2018 Schs 2-4), not the Art 15(1) information about it, so
    the letter still gives this category's register facts. None of those
    exemptions covers confirming that the data exists; one that did (such
    as crime and taxation's tipping-off, Sch 2 para 2) would have to leave
    its categories out of the letter altogether."""

    source: str
    category: str
    facts: RegisterFacts
    withheld: int


@dataclass(frozen=True, slots=True)
class NotPortable:
    """Items of one category a portability request found but does not
    cover (``app.portability.scope``): counted and explained, never sent."""

    source: str
    category: str
    title: str
    reason: str
    explanation: str
    basis: str | None
    count: int

    @classmethod
    def of(cls, excluded: scope.Excluded) -> NotPortable:
        return cls(
            excluded.source,
            excluded.category,
            excluded.title,
            excluded.reason.value,
            excluded.explanation,
            excluded.basis,
            excluded.count,
        )


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """One line of the disclosure schedule. ``title`` is left out for withheld
    items: a withheld item's title may itself say what is being withheld."""

    source: str
    category: str
    title: str | None
    action: Action
    exemption_title: str | None
    exemption_citation: str | None


@dataclass(frozen=True, slots=True)
class SearchedSource:
    name: str
    title: str
    status: str
    item_count: int | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class PackContent:
    schema_version: int
    reference: str
    request_type: str
    received_on: date
    generated_at: datetime
    organisation_name: str
    organisation_contact_name: str
    organisation_contact_email: str
    requester_name: str
    requester_relationship: str
    subject_name: str
    subject_dob: str
    sections: list[CategorySection]
    schedule: list[ScheduleRow]
    sources_searched: list[SearchedSource]
    withheld_count: int = 0
    redacted_count: int = 0
    # Categories with nothing in ``sections`` because every item was withheld.
    withheld_categories: list[WithheldCategory] = field(default_factory=list)
    # Who holds the data for the controller (RIGHTSDESK_PROCESSOR); the letter
    # names it when set.
    processor: str = ""
    # A portability request's data outside the right, by category and reason.
    not_portable: list[NotPortable] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def item_count(self) -> int:
        return sum(len(section.items) for section in self.sections)


def item_digest(data_json: str) -> str:
    """What a review decision remembers of the item it was made on."""
    return hashlib.sha256(data_json.encode("utf-8")).hexdigest()


def redact_title(title: str, data: dict[str, Any], spans: Sequence[dict[str, Any]]) -> str:
    """The item's title with every redacted phrase of its data removed too:
    a title is often the data's own words (a message's subject), so what is
    redacted there must not reappear in the heading."""
    phrases = {
        text[span["start"] : span["end"]]
        for span in spans
        if (text := text_at(data, span["field"])) is not None
    }
    for phrase in sorted((p for p in phrases if p.strip()), key=len, reverse=True):
        title = re.sub(re.escape(phrase), MARKER, title, flags=re.IGNORECASE)
    return title


def _facts(register: RegisterView, pair: tuple[str, str]) -> RegisterFacts:
    """The register's facts for a category, with the lawful basis as it
    stands at the case's organisation (each school decides its own)."""
    entry = register.get(pair)
    if entry is None:
        # A category missing from the register is a configuration error the
        # letter must not paper over; the pack build refuses instead.
        raise LookupError(f"the processing register has no entry for {pair[0]}/{pair[1]}")
    return RegisterFacts(
        title=entry.title,
        description=entry.description,
        purposes=list(entry.purposes),
        lawful_basis=register.basis(entry).wording,
        special_category_condition=entry.special_category_condition,
        recipients=list(entry.recipients),
        retention=entry.retention,
        origin=entry.origin,
        automated_decisions=entry.automated_decisions,
        transfers=entry.transfers,
    )


def _source_title(name: str) -> str:
    try:
        return get_source(name).title
    except LookupError:
        return name


def build_pack_content(case: Case, *, now: datetime | None = None) -> PackContent:
    """The pack for an approved (or in-review, for a preview) case.

    Raises ``NotReviewed`` if any item lacks a current decision, and
    ``LookupError`` if a category found (disclosed or withheld) has no
    register entry. A portability request's pack holds only the items its
    right covers, and lists the rest in ``not_portable``.
    """
    items = db.session.scalars(
        select(CollectedItem)
        .where(CollectedItem.case_id == case.id)
        .order_by(CollectedItem.source, CollectedItem.category, CollectedItem.occurred_on, CollectedItem.key)
    ).all()
    register = scope.load_register(case)
    not_portable: list[NotPortable] = []
    portability = scope.applies_to(case)
    if portability:
        split = scope.split(items, register)
        for gap in (e for e in split.excluded if e.reason is scope.Reason.NOT_IN_REGISTER):
            # As for an access pack: a gap in the register is fixed, never papered over.
            raise LookupError(f"the processing register has no entry for {gap.source}/{gap.category}")
        items = split.included
        not_portable = [NotPortable.of(e) for e in split.excluded]
    decisions = {
        d.item_key: d for d in db.session.scalars(select(ItemDecision).where(ItemDecision.case_id == case.id))
    }
    stale = [
        item.key
        for item in items
        if (d := decisions.get(item.key)) is None or d.item_digest != item_digest(item.data_json)
    ]
    if stale:
        raise NotReviewed(stale)

    sections: dict[tuple[str, str], CategorySection] = {}
    schedule: list[ScheduleRow] = []
    withheld = redacted = 0
    withheld_in: dict[tuple[str, str], int] = {}
    for item in items:
        decision = decisions[item.key]
        info = EXEMPTIONS.get(decision.exemption) if decision.exemption else None
        title = item.title
        if decision.action is Action.REDACT:
            title = redact_title(title, item.data, decision.redactions)
        schedule.append(
            ScheduleRow(
                source=item.source,
                category=item.category,
                title=None if decision.action is Action.WITHHOLD else title,
                action=decision.action,
                exemption_title=info.title if info else None,
                exemption_citation=citation(info, portability=portability) if info else None,
            )
        )
        if decision.action is Action.WITHHOLD:
            withheld += 1
            pair = (item.source, item.category)
            withheld_in[pair] = withheld_in.get(pair, 0) + 1
            continue
        data = item.data
        if decision.action is Action.REDACT:
            redacted += 1
            data = apply_redactions(data, decision.redactions)
        pair = (item.source, item.category)
        if pair not in sections:
            sections[pair] = CategorySection(item.source, item.category, _facts(register, pair), [])
        sections[pair].items.append(
            PackItem(
                key=item.key,
                source=item.source,
                category=item.category,
                title=title,
                occurred_on=item.occurred_on,
                data=data,
                redacted=decision.action is Action.REDACT,
            )
        )

    # Items come ordered by source and category, so these are too.
    withheld_categories = [
        WithheldCategory(*pair, _facts(register, pair), count)
        for pair, count in withheld_in.items()
        if pair not in sections
    ]

    runs = db.session.scalars(
        select(SourceRun).where(SourceRun.case_id == case.id).order_by(SourceRun.source)
    )
    organisation = case.organisation
    return PackContent(
        schema_version=SCHEMA_VERSION,
        reference=case.reference or "",
        request_type=case.request_type.value,
        received_on=case.received_on,
        generated_at=now or utcnow(),
        organisation_name=organisation.name,
        organisation_contact_name=organisation.dp_contact_name,
        organisation_contact_email=organisation.dp_contact_email,
        requester_name=case.requester_name,
        requester_relationship=case.requester_relationship.value,
        subject_name=case.subject_name,
        subject_dob=case.subject_dob,
        sections=list(sections.values()),
        schedule=schedule,
        sources_searched=[
            SearchedSource(
                name=run.source,
                title=_source_title(run.source),
                status=run.status.value,
                item_count=run.item_count,
                finished_at=run.finished_at,
            )
            for run in runs
        ],
        withheld_count=withheld,
        redacted_count=redacted,
        withheld_categories=withheld_categories,
        processor=current_app.config.get("RIGHTSDESK_PROCESSOR") or "",
        not_portable=not_portable,
    )


def content_as_json(content: PackContent) -> dict[str, Any]:
    """The pack as one JSON-ready document (the machine-readable copy's core)."""

    def plain(value: Any) -> Any:
        if isinstance(value, date | datetime):
            return value.isoformat()
        return value

    document = asdict(content)
    document.pop("extra", None)
    return json.loads(json.dumps(document, default=plain))
