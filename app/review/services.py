"""Reviewing a case's collected items: one decision per item, then approval.

Each collected item is disclosed, withheld or partly redacted; withholding
and redacting need an exemption code (DESIGN §7). A decision remembers the
digest of the item it was made on: a re-gather that changes the item makes
the decision *stale*, and the pack (``app.exports.content``) refuses to be
built until it is decided again. Approval moves the case on only when every
item has a current decision.

Like the other services, every function works in the caller's transaction
(the caller commits), locks the case row before changing anything under it,
and records audit events and timeline entries holding ids and codes only:
the note and the redacted text never leave the sealed decision row.
What the reviewer reads, and the logging of each look, is in
``app.review.listing``; the disclosure schedule in ``app.review.schedule``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.cases import lifecycle
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseStatus, RequestType
from app.collect.models import CollectedItem
from app.db import new_uuid, utcnow
from app.exports.content import item_digest
from app.extensions import db
from app.portability import scope
from app.review.exemptions import Exemption
from app.review.listing import decisions_of, is_current, item_of, items_of, review
from app.review.models import Action, ItemDecision
from app.review.redaction import RedactionError, normalise_spans, text_fields
from app.review.suggestions import name_index, suggest
from app.sources.validation import FieldError, has_control_characters

__all__ = [
    "BULK_ACTIONS",
    "FieldError",
    "IllegalTransition",
    "ReviewIncomplete",
    "accept_suggestions",
    "approve",
    "decide",
    "decide_many",
    "spans_for_phrases",
]

NOTE_MAX_LENGTH = 2000
PHRASE_MAX_LENGTH = 500
# One bulk decision names at most this many items (a bounded IN list).
MAX_BULK_ITEMS = 5000
# Redaction spans are per item, so only whole-item actions work in bulk.
BULK_ACTIONS = frozenset({Action.DISCLOSE, Action.WITHHOLD})
# Control characters other than tab and line breaks: never meant, and NUL
# cannot be stored in PostgreSQL text.


def _items_text(count: int) -> str:
    return f"{count} item{'' if count == 1 else 's'}"


class ReviewIncomplete(IllegalTransition):
    """Approval refused: some items have no decision, or a stale one."""

    def __init__(self, case: Case, undecided: int, stale: int) -> None:
        parts = []
        if undecided:
            parts.append(f"{_items_text(undecided)} not yet decided")
        if stale:
            whose = "its" if stale == 1 else "their"
            parts.append(f"{_items_text(stale)} changed by a re-gather since {whose} decision")
        super().__init__(case, CaseStatus.APPROVED, "; ".join(parts))
        self.undecided = undecided
        self.stale = stale


def _locked(case: Case) -> Case:
    """The case row locked for this transaction (PostgreSQL; SQLite has one
    writer anyway) and re-read, so two reviewers deciding at once queue up
    instead of both inserting a decision for the same item."""
    query = (
        select(Case)
        .where(Case.id == case.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(query).one()


def _in_review(case: Case) -> Case:
    case = _locked(case)
    if case.status is not CaseStatus.IN_REVIEW:
        raise IllegalTransition(case, None, "items are decided while the case is in review")
    return case


def _action(value: Action | str | None, allowed: Iterable[Action] = tuple(Action)) -> Action:
    choices = [action.value for action in allowed]
    if value not in choices:
        raise FieldError("action", f"choose {', '.join(choices[:-1])} or {choices[-1]}")
    return Action(value)


def _exemption(action: Action, value: Exemption | str | None) -> Exemption | None:
    if action is Action.DISCLOSE:
        return None  # a disclosed item relies on no exemption
    if not value:
        done = "redacted" if action is Action.REDACT else "withheld"
        raise FieldError("exemption", f"choose the exemption the item is {done} under")
    if value not in {code.value for code in Exemption}:
        raise FieldError("exemption", "choose one of the listed exemptions")
    return Exemption(value)


def _note(value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > NOTE_MAX_LENGTH:
        raise FieldError("note", f"the note must be {NOTE_MAX_LENGTH:,} characters or fewer")
    if has_control_characters(text):
        raise FieldError("note", "the note contains characters that are not text")
    return text or None


def spans_for_phrases(data: Mapping[str, Any], phrases: Iterable[str]) -> list[dict[str, Any]]:
    """Spans for every whole-word occurrence, in any text of the item at any
    depth, of each phrase the reviewer typed or pasted (case-insensitive)."""
    spans: list[dict[str, Any]] = []
    for raw in phrases:
        phrase = raw.strip()
        if not phrase:
            continue
        if len(phrase) > PHRASE_MAX_LENGTH:
            raise FieldError("phrases", f"each phrase must be {PHRASE_MAX_LENGTH} characters or fewer")
        pattern = re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", re.IGNORECASE)
        hits = [
            {"field": field, "start": match.start(), "end": match.end()}
            for field, text in text_fields(data)
            for match in pattern.finditer(text)
        ]
        if not hits:
            shown = phrase if len(phrase) <= 60 else phrase[:57] + "..."
            raise FieldError("phrases", f"\u201c{shown}\u201d does not appear in the item's text")
        spans.extend(hits)
    return spans


def _spans(
    item: CollectedItem, redactions: Iterable[Mapping[str, Any]], phrases: Iterable[str]
) -> list[dict[str, Any]]:
    data = item.data
    try:
        spans = normalise_spans(data, [*redactions, *spans_for_phrases(data, phrases)])
    except RedactionError as exc:
        raise FieldError("redactions", str(exc)) from None
    if not spans:
        raise FieldError("redactions", "choose at least one part of the item to redact")
    return spans


def _record(
    case: Case,
    item: CollectedItem,
    existing: ItemDecision | None,
    action: Action,
    exemption: Exemption | None,
    spans: list[dict[str, Any]],
    note: str | None,
    actor: User | None,
    *,
    bulk: bool = False,
) -> ItemDecision:
    decision = existing
    if decision is None:
        decision = ItemDecision(id=new_uuid(), case_id=case.id, item_key=item.key)
        db.session.add(decision)
    decision.item_digest = item_digest(item.data_json)
    decision.action = action
    decision.exemption = exemption
    decision.redactions = spans
    decision.note = note
    decision.decided_by_id = actor.id if actor else None
    decision.decided_at = utcnow()
    data = {
        "decision": decision.id,
        "item": item.id,
        "action": action.value,
        "exemption": exemption.value if exemption else None,
        "spans": len(spans),
        "bulk": bulk,
        "changed": existing is not None,
    }
    lifecycle.audit_case("review.item_decided", case, actor, data)
    return decision


def decide(
    case: Case,
    item_key: str,
    action: Action | str | None,
    exemption: Exemption | str | None,
    redactions: Iterable[Mapping[str, Any]],
    note: str | None,
    actor: User | None,
    *,
    phrases: Iterable[str] = (),
) -> ItemDecision:
    """Disclose, withhold or redact one item (replacing any earlier decision).

    ``redactions`` are spans ({field, start, end}); ``phrases`` are exact
    words to find and redact wherever they appear. Raises
    ``IllegalTransition`` unless the case is in review, ``LookupError`` for
    an item the case does not have, ``FieldError`` for bad input.
    """
    case = _in_review(case)
    item = item_of(case, item_key)
    chosen = _action(action)
    code = _exemption(chosen, exemption)
    spans = _spans(item, redactions, phrases) if chosen is Action.REDACT else []
    existing = db.session.scalars(
        select(ItemDecision).where(ItemDecision.case_id == case.id, ItemDecision.item_key == item.key)
    ).one_or_none()
    decision = _record(case, item, existing, chosen, code, spans, _note(note), actor)
    db.session.flush()
    lifecycle.add_event(
        case,
        "item_decided",
        actor,
        {"decision": decision.id, "action": chosen.value, "exemption": code.value if code else None},
    )
    return decision


def decide_many(
    case: Case,
    item_keys: Sequence[str],
    action: Action | str | None,
    exemption: Exemption | str | None,
    note: str | None,
    actor: User | None,
    *,
    undecided: bool = False,
) -> list[ItemDecision]:
    """Disclose or withhold many items at once, in the caller's transaction:
    the items named, or with ``undecided`` every item with no decision yet
    (a stale decision is not overridden in bulk: it was a considered choice
    about an item that has since changed, so it is looked at again alone).
    Audited per item; one timeline entry for the lot."""
    case = _in_review(case)
    chosen = _action(action, sorted(BULK_ACTIONS))
    code = _exemption(chosen, exemption)
    text = _note(note)
    decisions = decisions_of(case)
    if undecided:
        items = [item for item in items_of(case) if item.key not in decisions]
    else:
        wanted = set(item_keys)
        if not wanted:
            raise FieldError("item_keys", "choose at least one item")
        if len(wanted) > MAX_BULK_ITEMS:
            raise FieldError("item_keys", f"choose at most {MAX_BULK_ITEMS:,} items at once")
        items = items_of(case, wanted)
        missing = len(wanted) - len(items)
        if missing:
            raise FieldError("item_keys", f"{missing} of the items chosen are not this case's")
    if not items:
        raise FieldError("item_keys", "every item already has a decision")
    made = [
        _record(case, item, decisions.get(item.key), chosen, code, [], text, actor, bulk=True)
        for item in items
    ]
    db.session.flush()
    lifecycle.add_event(
        case,
        "items_decided",
        actor,
        {"action": chosen.value, "exemption": code.value if code else None, "count": len(made)},
    )
    return made


def accept_suggestions(
    case: Case, item_key: str, actor: User | None, note: str | None = None
) -> ItemDecision:
    """Redact the item's suggested names as third-party data (DPA 2018 Sch 2
    para 16), keeping any parts already redacted on that ground."""
    locked = _in_review(case)
    item = item_of(locked, item_key)
    found = suggest(name_index(locked), item.data)
    if not found:
        raise FieldError("suggestions", "there are no suggested redactions for this item")
    spans = [suggestion.as_span() for suggestion in found]
    existing = decisions_of(locked).get(item.key)
    if existing is not None and is_current(item, existing) and existing.action is Action.REDACT:
        if existing.exemption is not Exemption.THIRD_PARTY:
            # One decision has one exemption: folding the names in would
            # relabel parts redacted on another ground.
            raise FieldError(
                "suggestions",
                "this item is already redacted under another exemption: add the names with the form instead",
            )
        spans += existing.redactions
        note = note if note is not None else existing.note
    return decide(locked, item.key, Action.REDACT, Exemption.THIRD_PARTY, spans, note, actor)


# Requests whose approval happens on their own page, and where.
APPROVED_ELSEWHERE: dict[RequestType, str] = {
    RequestType.ERASURE: "an erasure case is approved through its erasure plan",
    RequestType.RECTIFICATION: "a rectification case is approved once its corrections are decided",
}


def approve(case: Case, actor: User | None) -> Case:
    """Move the reviewed case to approved. ``ReviewIncomplete`` (an
    ``IllegalTransition``) names how many items still need a decision."""
    case = _locked(case)
    if case.request_type in APPROVED_ELSEWHERE:
        # Their approval is of what will change (the erasure plan, the
        # corrections), which the item review does not show.
        raise IllegalTransition(case, CaseStatus.APPROVED, APPROVED_ELSEWHERE[case.request_type])
    if case.status is not CaseStatus.IN_REVIEW:
        raise IllegalTransition(case, CaseStatus.APPROVED, "a case is approved once its items are reviewed")
    result = review(case, with_suggestions=False)
    if not result.progress.complete:
        raise ReviewIncomplete(case, result.progress.undecided, result.progress.stale)
    actions = [entry.decision.action for entry in result.items if entry.decision is not None]
    lifecycle.move(
        case,
        CaseStatus.APPROVED,
        actor,
        data={
            "items": result.progress.total,
            "withheld": actions.count(Action.WITHHOLD),
            "redacted": actions.count(Action.REDACT),
        },
    )
    scope.freeze(case)  # a portability pack sends what was reviewed, whatever the bases become
    return case
