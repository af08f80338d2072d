"""Finding the subject's records and gathering them, over the API.

``/cases/<reference>/candidates`` lists (and, POSTed, searches for) the
records that may be the subject; each is confirmed or rejected by id.
``/gather`` starts the gather and reports each source's progress;
``/items`` lists what was collected. Every look at candidates or items is
audited and written to the access log (``app.collect.looks``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from app.api.auth import current_user
from app.api.collect_schemas import (
    CandidateDecisionSchema,
    CandidateListSchema,
    CandidateSchema,
    CollectedItemsSchema,
    GatherSchema,
    SourceRetrySchema,
)
from app.api.errors import ApiError
from app.api.routing import operation
from app.api.views import bp
from app.api.views.cases import case_in_scope as _case
from app.api.views.cases import run_action
from app.cases.models import Case
from app.collect import looks, services
from app.collect.models import CaseCandidate
from app.collect.reopen import reopen_search
from app.extensions import db

T = TypeVar("T")
# A lifecycle conflict (409), or a rule about the case's data not met, such
# as gathering before any record is confirmed (422 with field messages).
_CONFLICT = (409, 422)


def _act(action: Callable[[], T]) -> T:
    # Collector services raise LookupError for an unknown candidate or run.
    return run_action(action, not_found=(LookupError,))


def _candidate_list(case: Case) -> dict[str, Any]:
    candidates = looks.view_candidates(current_user(), case)
    db.session.commit()
    return {"items": [_candidate(c) for c in candidates]}


def _candidate(candidate: CaseCandidate) -> dict[str, Any]:
    # ``summary`` is a property that opens the sealed JSON.
    return {name: getattr(candidate, name) for name in CandidateSchema().fields}


def _progress(case: Case) -> dict[str, Any]:
    progress = looks.gather_progress(case)
    return {
        "case_status": progress.case_status,
        "finished": progress.finished,
        "item_count": progress.item_count,
        "sources": progress.sources,
    }


@operation(
    bp,
    "/cases/<reference>/candidates",
    "GET",
    summary="Records that may be the subject",
    tag="collect",
    response=CandidateListSchema,
)
def list_candidates_view(reference: str) -> dict[str, Any]:
    """Subject records first, strongest first, each with its score, reasons
    and decision. Looking is audited and written to the access log."""
    return _candidate_list(_case(reference))


@operation(
    bp,
    "/cases/<reference>/candidates",
    "POST",
    summary="Search the stores for the subject",
    tag="collect",
    response=CandidateListSchema,
    errors=_CONFLICT,
)
def propose_candidates_view(reference: str) -> dict[str, Any]:
    """Search every person store (again) while the case is open. Decisions
    already made are kept."""
    case = _case(reference)
    user = current_user()
    _act(lambda: services.propose_candidates(case, user))
    return _candidate_list(case)


@operation(
    bp,
    "/cases/<reference>/candidates/<candidate_id>",
    "POST",
    summary="Confirm or reject a record",
    tag="collect",
    body=CandidateDecisionSchema,
    response=CandidateSchema,
    errors=_CONFLICT,
)
def decide_candidate_view(reference: str, candidate_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Only confirmed records are gathered; decisions can change until the gather starts."""
    case = _case(reference)
    try:
        parsed = uuid.UUID(candidate_id)
    except ValueError:
        raise ApiError(404) from None
    user = current_user()
    candidate = _act(lambda: services.decide_candidate(case, parsed, user, body["decision"] == "confirm"))
    return _candidate(candidate)


@operation(
    bp,
    "/cases/<reference>/gather",
    "POST",
    summary="Start gathering from every source",
    tag="collect",
    response=GatherSchema,
    status=202,
    errors=_CONFLICT,
)
def start_gather_view(reference: str) -> dict[str, Any]:
    """Moves the case to gathering and queues one job per source. Needs at
    least one record confirmed as the subject's or, for an access,
    portability or erasure request of someone asking about themself, data
    held under their own confirmed address (422 otherwise)."""
    case = _case(reference)
    user = current_user()
    _act(lambda: services.start_gather(case, user))
    return _progress(case)


@operation(
    bp,
    "/cases/<reference>/reopen-search",
    "POST",
    summary="Reopen the search: back to open, discarding the gather",
    tag="collect",
    response=GatherSchema,
    errors=(409,),
)
def reopen_search_view(reference: str) -> dict[str, Any]:
    """For a record confirmed wrongly: moves a case in review back to open
    and discards what was gathered, the review's decisions, the sources'
    runs and any draft erasure plan or proposed corrections, so records can
    be decided again and gathered anew. The due date does not change. 409
    outside review, and for restriction, objection and consent-withdrawal
    requests."""
    case = _case(reference)
    user = current_user()
    _act(lambda: reopen_search(case, user))
    return _progress(case)


@operation(
    bp,
    "/cases/<reference>/gather",
    "GET",
    summary="Gather progress and the systems searched",
    tag="collect",
    response=GatherSchema,
)
def gather_progress_view(reference: str) -> dict[str, Any]:
    """Every source with its status, attempts, item count and times: the
    list of systems searched. Holds no personal data."""
    return _progress(_case(reference))


@operation(
    bp,
    "/cases/<reference>/gather/retry",
    "POST",
    summary="Collect a failed source again",
    tag="collect",
    body=SourceRetrySchema,
    response=GatherSchema,
    status=202,
    errors=_CONFLICT,
)
def retry_source_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Only a failed source, while the case is being gathered."""
    case = _case(reference)
    user = current_user()
    _act(lambda: services.retry_source(case, user, body["source"]))
    return _progress(case)


@operation(
    bp,
    "/cases/<reference>/gather/complete",
    "POST",
    summary="Move a gathered case on to review",
    tag="collect",
    response=GatherSchema,
    errors=_CONFLICT,
)
def complete_gather_view(reference: str) -> dict[str, Any]:
    """The last source moves the case by itself; this is for a case whose
    sources finished while it was paused. 409 unless every source is done."""
    case = _case(reference)
    user = current_user()
    _act(lambda: services.complete_gather(case, user))
    return _progress(case)


@operation(
    bp,
    "/cases/<reference>/items",
    "GET",
    summary="What was collected",
    tag="collect",
    response=CollectedItemsSchema,
)
def list_items_view(reference: str) -> dict[str, Any]:
    """The collected items by category. Looking is audited and written to
    the access log of every record confirmed as the subject's."""
    case = _case(reference)
    groups = looks.view_items(current_user(), case)
    db.session.commit()
    return {
        "count": sum(len(group.items) for group in groups),
        "categories": [{"category": group.category, "items": group.items} for group in groups],
    }
