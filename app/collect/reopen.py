"""Reopening the search once the gather is done: a record was confirmed as
the subject's wrongly (a namesake, a sibling), and the review shows it.

Confirming records is for an open case only, since every source job reads
the confirmed set; so the way back is a move from review to open that
discards everything built on that set: the items gathered (copies of
personal data the case no longer needs), the review's decisions on them, the
sources' runs, and a draft erasure plan or proposed corrections. The DPO
then rejects the wrong record, confirms the right one (or answers that
nothing is held) and gathers again. The statutory clock is not touched.

Not for restriction, objection and consent-withdrawal requests: they are
answered from their own page, where a record may already be restricted.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from app.accounts.models import User
from app.cases import lifecycle
from app.cases.lifecycle import ANSWERED_BY_LETTER, IllegalTransition
from app.cases.models import Case, CaseStatus
from app.collect.models import CollectedItem, SourceRun
from app.collect.services import locked
from app.erasure.models import ErasurePlan, PlanStatus
from app.extensions import db
from app.rectification.models import RectificationProposal
from app.review.models import ItemDecision


def reopen_search(case: Case, actor: User) -> dict[str, int]:
    """Move the case from review back to open, discarding what the gather
    and the review built; returns how many of each were discarded. The case
    is locked first, so a concurrent approval or a second reopening waits
    and then finds the case moved. ``IllegalTransition`` unless the case is
    in review and answered with what is held. The caller commits."""
    case = locked(case)
    if case.request_type in ANSWERED_BY_LETTER:
        raise IllegalTransition(case, CaseStatus.OPEN, "this request is answered from its own page")
    if case.status is not CaseStatus.IN_REVIEW:
        raise IllegalTransition(case, CaseStatus.OPEN, "the search is reopened from review")
    plan = db.session.scalars(select(ErasurePlan).where(ErasurePlan.case_id == case.id)).one_or_none()
    if plan is not None and plan.status is not PlanStatus.DRAFT:  # approval moves the case on: defensive
        raise IllegalTransition(case, CaseStatus.OPEN, "the erasure plan is approved")
    discarded = {
        "items": _delete(CollectedItem, case),
        "decisions": _delete(ItemDecision, case),
        "runs": _delete(SourceRun, case),
        "corrections": _delete(RectificationProposal, case),
        "erasure_plans": 0,
    }
    if plan is not None:
        db.session.delete(plan)  # its steps go with it
        discarded["erasure_plans"] = 1
    lifecycle.move(case, CaseStatus.OPEN, actor, data={"search_reopened": True, **discarded}, reopened=True)
    return discarded


def _delete(model: type, case: Case) -> int:
    return db.session.execute(delete(model).where(model.case_id == case.id)).rowcount  # type: ignore[attr-defined]


def can_reopen(case: Case) -> bool:
    """Whether the page offers to reopen the search (``reopen_search``'s rules)."""
    return case.status is CaseStatus.IN_REVIEW and case.request_type not in ANSWERED_BY_LETTER
