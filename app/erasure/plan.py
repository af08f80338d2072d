"""Building the erasure plan from the case's confirmed matches.

For every store and category (``targets.TARGETS``) the rows of the subject's
records are counted per organisation, and each organisation's rows get an
action from the policy facts (``decide``): an organisation under a legal
hold keeps them, with the hold named. Organisations with the same decision
share one step. A legal hold on the subject's own record blocks the whole
erasure: ``ErasureBlocked`` says why. Nothing changes in any store here.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import delete, select

from app.accounts.models import User
from app.cases import lifecycle
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseStatus, RequestType
from app.collect.identity import match_from, organisations_of
from app.collect.models import CaseCandidate
from app.db import new_uuid, utcnow
from app.erasure import targets
from app.erasure.models import ErasurePlan, ErasureStep, PlanStatus, StepAction, StepState
from app.extensions import db
from app.orgs.models import Organisation
from app.rights.models import HoldSubject, LegalHold
from app.sources.protocol import Match

# Reason codes and the sentence staff and the certificate show (no personal data).
REASONS: dict[str, str] = {
    "controller_record": (
        "The school is the controller of these records while its contract runs and uses them for its "
        "reports; they stay only with the anonymised record unless the school asks us to delete them."
    ),
    "anonymised": (
        "Anonymised rather than deleted, as the privacy policy provides: nothing left identifies the "
        "person, and the school's anonymised statistics stay whole."
    ),
    "historical_reports": (
        "The name stays on the school's historical reports, as the privacy policy provides; every other "
        "detail is removed."
    ),
    "shared_record": (
        "The message also concerns other people: the subject is taken off it and it is kept for them."
    ),
    "ticket_of_another": (
        "The ticket belongs to the school user who raised it: its link to the subject is removed."
    ),
    "art17_3_e_consent": (
        "Kept as evidence of what was agreed and when, to defend legal claims (Art 17(3)(e)) and to "
        "show consent was obtained (Art 7(1)); it holds a record number only, not a name."
    ),
    "art17_3_b_security": (
        "Kept for security and accountability: we must be able to show who opened a record "
        "(Art 17(3)(b), Art 32); it holds a record number only, not a name."
    ),
    "legal_hold": (
        "Under a legal hold: needed for a legal claim (Art 17(3)(e)), kept until the hold is released."
    ),
}
_PLANNABLE = frozenset({CaseStatus.IN_REVIEW})


class ErasureBlocked(Exception):
    """The erasure cannot go ahead (a legal hold over the person); the
    message is for staff and may quote the hold's reason."""

    def __init__(self, message: str, hold_ids: list[uuid.UUID]) -> None:
        super().__init__(message)
        self.hold_ids = hold_ids


def confirmed_match(case: Case) -> Match:
    """The subject's confirmed records, as every source's gather read them."""
    candidates = db.session.scalars(select(CaseCandidate).where(CaseCandidate.case_id == case.id)).all()
    return match_from(case, organisations_of(case), candidates)


def plan_for(case: Case) -> ErasurePlan | None:
    return db.session.scalars(select(ErasurePlan).where(ErasurePlan.case_id == case.id)).one_or_none()


def _active_holds(kind: HoldSubject, ids: frozenset[uuid.UUID]) -> list[LegalHold]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(LegalHold)
            .where(
                LegalHold.subject_kind == kind,
                LegalHold.subject_id.in_(sorted(ids, key=str)),
                LegalHold.released_at.is_(None),
            )
            .order_by(LegalHold.placed_at)
        )
    )


def check_person_holds(match: Match) -> None:
    """``ErasureBlocked`` when an active hold names one of the subject's records."""
    holds = [
        *_active_holds(HoldSubject.PUPIL, match.pupil_ids),
        *_active_holds(HoldSubject.CONTACT, match.contact_ids),
        *_active_holds(HoldSubject.EMPLOYEE, match.employee_ids),
    ]
    if holds:
        reasons = "; ".join(f"{hold.reason} (placed {hold.placed_at:%-d %B %Y})" for hold in holds)
        raise ErasureBlocked(
            f"The person is under a legal hold, so nothing can be erased until it is released: {reasons}.",
            [hold.id for hold in holds],
        )


def decide(target: targets.Target, organisation: Organisation, as_of: date) -> tuple[StepAction, str | None]:
    """The action for one store and category in one organisation, and the
    reason code for anything not simply deleted."""
    key = (target.source, target.category)
    contract_runs = organisation.contract_end is None or organisation.contract_end > as_of
    if key in {("pupils", "attendance"), ("pupils", "assessments"), ("pupils", "enrolments")}:
        return (StepAction.KEEP, "controller_record") if contract_runs else (StepAction.DELETE, None)
    if key in {("pupils", "identity"), ("pupils", "characteristics")}:
        return StepAction.ANONYMISE, "anonymised"
    if key == ("employees", "employee"):
        return StepAction.KEEP_NAME, "historical_reports"
    if key == ("correspondence", "correspondence_shared"):
        return StepAction.ANONYMISE, "shared_record"
    if key == ("helpdesk", "support_ticket_about"):
        return StepAction.ANONYMISE, "ticket_of_another"
    if target.source == "consent":
        return StepAction.KEEP, "art17_3_e_consent"
    if target.source == "access_log":
        return StepAction.KEEP, "art17_3_b_security"
    return StepAction.DELETE, None


def build_plan(case: Case, actor: User | None, *, as_of: date | None = None) -> ErasurePlan:
    """Build (or rebuild) the case's plan from its confirmed matches. The
    caller commits. ``IllegalTransition`` unless it is an erasure case in
    review whose plan is not approved yet; ``ErasureBlocked`` under a hold."""
    if case.request_type is not RequestType.ERASURE:
        raise IllegalTransition(case, None, "only an erasure request has an erasure plan")
    if case.status not in _PLANNABLE:
        raise IllegalTransition(case, None, "the erasure plan is built once the data is gathered (in review)")
    plan = plan_for(case)
    if plan is not None and plan.status is not PlanStatus.DRAFT:
        raise IllegalTransition(case, None, "the erasure plan is approved and can no longer change")
    match = confirmed_match(case)
    check_person_holds(match)
    as_of = as_of or utcnow().date()
    now = utcnow()
    built_by = actor.id if actor else None
    if plan is None:
        plan = ErasurePlan(
            id=new_uuid(), case_id=case.id, status=PlanStatus.DRAFT, created_at=now,
            as_of=as_of, built_at=now, built_by_id=built_by,
        )  # fmt: skip
        db.session.add(plan)
    else:
        db.session.execute(delete(ErasureStep).where(ErasureStep.plan_id == plan.id))
        db.session.expire(plan, ["steps"])
        plan.as_of, plan.built_at, plan.built_by_id = as_of, now, built_by
    db.session.flush()
    steps = _steps(plan, match, as_of)
    db.session.add_all(steps)
    db.session.flush()
    db.session.expire(plan, ["steps"])
    data = {"plan": plan.id, "steps": len(steps), "held": sum(s.reason_code == "legal_hold" for s in steps)}
    lifecycle.audit_case("erasure.plan_built", case, actor, data)
    lifecycle.add_event(case, "erasure_plan_built", actor, {"steps": len(steps)})
    return plan


def _steps(plan: ErasurePlan, match: Match, as_of: date) -> list[ErasureStep]:
    org_ids = sorted(match.organisation_ids, key=str)
    organisations = {
        org.id: org for org in db.session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))
    }
    held = {hold.subject_id: hold for hold in _active_holds(HoldSubject.ORGANISATION, match.organisation_ids)}
    steps: list[ErasureStep] = []
    for target in targets.TARGETS:
        groups: dict[tuple[StepAction, str | None, uuid.UUID | None], dict[uuid.UUID, int]] = {}
        for org_id, count in targets.count_by_organisation(target, match).items():
            hold = held.get(org_id)
            if hold is not None:
                key = (StepAction.KEEP, "legal_hold", hold.id)
            else:
                action, code = decide(target, organisations[org_id], as_of)
                key = (action, code, None)
            groups.setdefault(key, {})[org_id] = count
        for (action, code, hold_id), counts in sorted(
            groups.items(), key=lambda g: (g[0][0].value, g[0][1] or "")
        ):
            orgs = sorted(counts, key=str)
            steps.append(
                ErasureStep(
                    id=new_uuid(),
                    plan_id=plan.id,
                    position=len(steps) + 1,
                    source=target.source,
                    category=target.category,
                    action=action,
                    organisation_ids=[str(org) for org in orgs],
                    record_count=sum(counts.values()),
                    record_ids=targets.row_ids(target, match, orgs) if target.keyed else None,
                    reason_code=code,
                    reason=REASONS[code] if code else None,
                    hold_id=hold_id,
                    state=StepState.PLANNED,
                )
            )
    return steps
