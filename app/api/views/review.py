"""Review decisions over the API.

``/cases/<reference>/review`` lists the collected items by source and
category with their decisions and suggested redactions; decisions are
POSTed one at a time (the item key in the body: keys hold ':' and '/') or
in bulk; ``/disclosure-schedule`` lists every decision; ``/approve`` moves
the reviewed case on. Looking at the items or the schedule is audited and
written to the access log. Bad input answers 422 with field messages, a
case not in review 409, a case outside the caller's organisations 404.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.api.auth import current_user
from app.api.review_schemas import (
    ApprovalSchema,
    BulkDecisionSchema,
    BulkResultSchema,
    DecisionCreateSchema,
    DecisionResultSchema,
    ReviewSchema,
    ScheduleSchema,
    SuggestionsAcceptSchema,
)
from app.api.routing import operation
from app.api.views import bp
from app.api.views.cases import case_in_scope as _case
from app.api.views.cases import run_action
from app.exports.content import NotPortable
from app.extensions import db
from app.review import listing, schedule, services
from app.review.exemptions import EXEMPTIONS
from app.review.listing import Progress, ReviewItem
from app.review.models import ItemDecision

_CONFLICT = (409,)


def _progress(progress: Progress) -> dict[str, Any]:
    return {
        "total": progress.total,
        "decided": progress.decided,
        "undecided": progress.undecided,
        "stale": progress.stale,
        "complete": progress.complete,
    }


def _decision(decision: ItemDecision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    info = EXEMPTIONS.get(decision.exemption) if decision.exemption else None
    return {
        "action": decision.action,
        "exemption": decision.exemption,
        "exemption_title": info.title if info else None,
        "exemption_citation": info.citation if info else None,
        "redactions": decision.redactions,
        "note": decision.note,
        "decided_by_id": decision.decided_by_id,
        "decided_at": decision.decided_at,
    }


def _item(entry: ReviewItem) -> dict[str, Any]:
    return {
        "key": entry.key,
        "id": entry.item.id,
        "title": entry.item.title,
        "occurred_on": entry.item.occurred_on,
        "data": entry.data,
        "state": entry.state,
        "decision": _decision(entry.decision),
        "suggestions": entry.suggestions,
    }


def _result(reference: str, item_key: str) -> dict[str, Any]:
    """The item's decision as it now stands, without its data (no look)."""
    case = _case(reference)
    found = listing.review(case, with_suggestions=False)
    entry = next(e for e in found.items if e.key == item_key)
    return {
        "item_key": entry.key,
        "state": entry.state,
        "decision": _decision(entry.decision),
        "progress": _progress(found.progress),
    }


@operation(
    bp,
    "/cases/<reference>/review",
    "GET",
    summary="Items to review, with decisions and suggestions",
    tag="review",
    response=ReviewSchema,
)
def review_view(reference: str) -> dict[str, Any]:
    """The collected items by source and category, each with its decision,
    whether that decision is stale (the item changed in a re-gather) and
    suggested redactions: spans that look like other known people's names.
    Looking is audited and written to the access log."""
    case = _case(reference)
    found = listing.view_review(current_user(), case)
    db.session.commit()
    return {
        "case_status": found.case_status,
        "can_decide": found.can_decide,
        "can_approve": found.can_approve,
        "progress": _progress(found.progress),
        "groups": [
            {
                "source": group.source,
                "source_title": group.source_title,
                "category": group.category,
                "items": [_item(entry) for entry in group.items],
            }
            for group in found.groups
        ],
        # The same record the pack's JSON gives (``NotPortable``).
        "not_portable": [asdict(NotPortable.of(e)) for e in found.not_portable],
    }


@operation(
    bp,
    "/cases/<reference>/review/decisions",
    "POST",
    summary="Decide one item",
    tag="review",
    body=DecisionCreateSchema,
    response=DecisionResultSchema,
    errors=_CONFLICT,
)
def decide_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Disclose, withhold or redact one item, replacing any earlier decision.
    Withholding and redacting need an exemption; redacting needs at least one
    span or phrase that fits the item's text. Only while the case is in
    review (409 otherwise); an item the case does not have is 404."""
    case = _case(reference)
    user = current_user()
    run_action(
        lambda: services.decide(
            case,
            body["item_key"],
            body["action"],
            body["exemption"],
            body["redactions"],
            body["note"],
            user,
            phrases=body["phrases"],
        ),
        not_found=(LookupError,),
    )
    return _result(reference, body["item_key"])


@operation(
    bp,
    "/cases/<reference>/review/suggestions",
    "POST",
    summary="Redact an item's suggested names",
    tag="review",
    body=SuggestionsAcceptSchema,
    response=DecisionResultSchema,
    errors=_CONFLICT,
)
def accept_suggestions_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Accept the item's suggestions: redact every suggested name as
    information about another person (DPA 2018 Sch 2 para 16). 422 when
    the item has none."""
    case = _case(reference)
    user = current_user()
    run_action(
        lambda: services.accept_suggestions(case, body["item_key"], user, body["note"]),
        not_found=(LookupError,),
    )
    return _result(reference, body["item_key"])


@operation(
    bp,
    "/cases/<reference>/review/bulk",
    "POST",
    summary="Disclose or withhold many items",
    tag="review",
    body=BulkDecisionSchema,
    response=BulkResultSchema,
    errors=_CONFLICT,
)
def bulk_decide_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """The items named in ``item_keys``, or with ``undecided`` every item
    with no decision yet, all in one transaction: either every decision is
    made or none is."""
    case = _case(reference)
    user = current_user()
    made = run_action(
        lambda: services.decide_many(
            case,
            body["item_keys"],
            body["action"],
            body["exemption"],
            body["note"],
            user,
            undecided=body["undecided"],
        )
    )
    return {
        "decided": len(made),
        "progress": _progress(listing.review(_case(reference), with_suggestions=False).progress),
    }


@operation(
    bp,
    "/cases/<reference>/disclosure-schedule",
    "GET",
    summary="The disclosure schedule (internal view)",
    tag="review",
    response=ScheduleSchema,
)
def disclosure_schedule_view(reference: str) -> dict[str, Any]:
    """One row per item: source, category, title (left out for withheld
    items), decision, exemption with its citation, the internal note, who
    decided and when. The requester's version is in the response pack.
    Looking is audited and written to the access log."""
    case = _case(reference)
    rows = schedule.view_schedule(current_user(), case)
    db.session.commit()
    undecided = sum(row.state == listing.UNDECIDED for row in rows)
    stale = sum(row.state == listing.STALE for row in rows)
    return {"progress": _progress(Progress(len(rows), undecided, stale)), "rows": rows}


@operation(
    bp,
    "/cases/<reference>/approve",
    "POST",
    summary="Approve the review",
    tag="review",
    response=ApprovalSchema,
    errors=_CONFLICT,
)
def approve_view(reference: str) -> dict[str, Any]:
    """Move the case from in review to approved. 409, saying how many items
    are undecided or changed since decided, unless every item has a
    current decision."""
    case = _case(reference)
    user = current_user()
    run_action(lambda: services.approve(case, user))
    case = _case(reference)
    return {
        "reference": case.reference,
        "status": case.status.value,
        "progress": _progress(listing.review(case, with_suggestions=False).progress),
    }
