"""Approving and executing an erasure plan, and its certificate.

``approve`` records who approved the plan and moves the case in_review ->
approved; ``execute`` moves it approved -> executing and queues one job per
store (ids only, after the commit). The job (``run_source``) applies all of
its store's planned steps and marks each done in ONE transaction (the
runner commits it with the job's "succeeded" mark), so a killed worker
leaves its store untouched and a re-run skips the steps already done.
Legal holds are asked again at both points (``app.erasure.holds``): one
placed since approval refuses ``execute`` with ``ErasureBlocked``; one placed
after the jobs were queued stops each store it covers before anything
changes (steps left planned, the holds recorded on the case), and
``execute`` queues those stores again once the holds are released.
The job that finds no step left (under the plan row's lock, so exactly one
does) renders the certificate, stores it encrypted, tells the recipients
(Art 19) and moves the case executing -> responded, in that same transaction.

Like the other services, functions here work in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.services import record
from app.blobs.models import Blob
from app.blobs.services import store_blob
from app.cases import letters, lifecycle
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseStatus, RequestType
from app.cases.record_retention import check_letter_file
from app.cases.services import send_letter
from app.db import utcnow
from app.erasure import targets
from app.erasure.certificate import certificate_context
from app.erasure.holds import check_plan_holds, under_way
from app.erasure.models import ErasurePlan, ErasureStep, PlanStatus, StepState
from app.erasure.plan import ErasureBlocked, build_plan, confirmed_match, plan_for
from app.extensions import db
from app.jobs import Job, JobError, enqueue_many, repair, task

__all__ = ["ErasureBlocked", "approve", "build_plan", "execute", "plan_for", "run_source"]

EXECUTE_TASK = "erasure.run_source"
# The privacy policy keeps database backups for 90 days.
BACKUP_DAYS = 90


class ErasureError(JobError):
    """An erasure job that cannot run; the message holds ids and codes only."""


def _locked_plan(case: Case) -> ErasurePlan:
    plan = db.session.scalars(
        select(ErasurePlan)
        .where(ErasurePlan.case_id == case.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if plan is None:
        raise IllegalTransition(case, None, "build the erasure plan first")
    return plan


def approve(case: Case, actor: User) -> ErasurePlan:
    """The DPO (or the school) approves the plan as shown: in_review -> approved."""
    if case.request_type is not RequestType.ERASURE:
        raise IllegalTransition(case, CaseStatus.APPROVED, "only an erasure request has an erasure plan")
    plan = _locked_plan(case)
    if case.status is not CaseStatus.IN_REVIEW or plan.status is not PlanStatus.DRAFT:
        raise IllegalTransition(case, CaseStatus.APPROVED, "a draft erasure plan is approved while in review")
    plan.status = PlanStatus.APPROVED
    plan.approved_at = utcnow()
    plan.approved_by_id = actor.id
    lifecycle.move(case, CaseStatus.APPROVED, actor, data={"plan": plan.id, "steps": len(plan.steps)})
    lifecycle.audit_case("erasure.plan_approved", case, actor, {"plan": plan.id})
    return plan


def execute(case: Case, actor: User) -> ErasurePlan:
    """approved -> executing; one job per store with steps, dispatched after
    the commit. A plan with no step at all completes at once. Called again
    on an executing plan whose stores' jobs stopped under a legal hold (and
    have all ended), it queues the stores with steps left once more."""
    plan = _locked_plan(case)
    resuming = case.status is CaseStatus.EXECUTING and plan.status is PlanStatus.EXECUTING
    if not resuming and (case.status is not CaseStatus.APPROVED or plan.status is not PlanStatus.APPROVED):
        raise IllegalTransition(case, CaseStatus.EXECUTING, "an approved erasure plan is executed")
    if resuming and under_way([step for step in plan.steps if step.state is StepState.PLANNED]):
        raise IllegalTransition(case, None, "the erasure is already running")
    # A hold placed since the approval (on the person, on an organisation a
    # step acts in, or on someone a changed record names) stops it here.
    check_plan_holds(plan, confirmed_match(case))
    if resuming:
        return _dispatch_again(plan, case, actor)
    plan.status = PlanStatus.EXECUTING
    plan.started_at = utcnow()
    sources = sorted({step.source for step in plan.steps}, key=_source_order)
    lifecycle.move(case, CaseStatus.EXECUTING, actor, data={"plan": plan.id, "sources": len(sources)})
    jobs = enqueue_many(EXECUTE_TASK, [(plan.id, source) for source in sources])
    by_source = {source: job for source, job in zip(sources, jobs, strict=True)}
    for step in plan.steps:
        step.job_id = by_source[step.source].id
    if not sources:
        _complete(plan, case)
    return plan


def _dispatch_again(plan: ErasurePlan, case: Case, actor: User) -> ErasurePlan:
    """Queue again the stores whose steps are still planned (their jobs
    stopped under a hold since released), after the commit."""
    sources = sorted(
        {step.source for step in plan.steps if step.state is StepState.PLANNED}, key=_source_order
    )
    if not sources:
        raise IllegalTransition(case, None, "no step of the erasure plan is left to do")
    jobs = enqueue_many(EXECUTE_TASK, [(plan.id, source) for source in sources])
    by_source = {source: job for source, job in zip(sources, jobs, strict=True)}
    for step in plan.steps:
        if step.state is StepState.PLANNED:
            step.job_id = by_source[step.source].id
    data = {"plan": plan.id, "sources": sources}
    lifecycle.audit_case("erasure.resumed", case, actor, data)
    lifecycle.add_event(case, "erasure_resumed", actor, {"sources": sources})
    return plan


def _blocked(plan: ErasurePlan, case: Case, source: str, blocked: ErasureBlocked) -> None:
    """A store's job found a hold over records it would change: it changes
    nothing and leaves its steps planned; the audit log and the case's
    timeline say which holds (ids only; the reason is sealed with the hold)."""
    data = {"plan": plan.id, "source": source, "holds": blocked.hold_ids}
    lifecycle.audit_case("erasure.blocked", case, None, data)
    lifecycle.add_event(case, "erasure_blocked", None, {"source": source, "holds": blocked.hold_ids})


def _source_order(source: str) -> int:
    return min(n for (name, _), n in targets.ORDER.items() if name == source)


def run_source(plan_id: uuid.UUID, source: str) -> int:
    """The job body: apply the store's planned steps and mark them done, in
    the runner's transaction; the steps done now (0 on a re-run, and for a
    case no longer executing, whose records it leaves alone)."""
    session = db.session
    plan = session.get(ErasurePlan, plan_id, with_for_update=True, populate_existing=True)
    if plan is None:
        raise ErasureError(f"erasure plan {plan_id} does not exist")
    if plan.status is PlanStatus.DONE:
        return 0
    if plan.status is not PlanStatus.EXECUTING:
        raise ErasureError(f"erasure plan {plan_id} is {plan.status.value}, not executing")
    # Locked after the plan (as ``execute`` does), read afresh.
    case = session.get(Case, plan.case_id, with_for_update=True, populate_existing=True)
    assert case is not None  # the plan cascades with its case
    if case.status is not CaseStatus.EXECUTING:
        # The lifecycle lets nothing end an executing erasure but its own
        # completion; should a case leave executing any other way, its
        # stores' jobs change nothing (every time they run).
        return 0
    steps = [s for s in plan.steps if s.source == source and s.state is StepState.PLANNED]
    if steps:
        match, today = confirmed_match(case), utcnow().date()
        try:
            # A hold placed since ``execute`` queued this job, before anything changes.
            check_plan_holds(plan, match, source)
        except ErasureBlocked as blocked:
            _blocked(plan, case, source, blocked)
            return 0
        for step in sorted(steps, key=lambda s: (targets.ORDER[(s.source, s.category)], s.position)):
            target = targets.BY_KEY[(step.source, step.category)]
            orgs = [uuid.UUID(value) for value in step.organisation_ids]
            step.affected_count = targets.apply(target, step.action, match, orgs, today, step.record_ids)
            step.state = StepState.DONE
            step.executed_at = utcnow()
            data = {
                "plan": plan.id, "step": step.id, "source": step.source, "category": step.category,
                "action": step.action.value, "count": step.affected_count,
            }  # fmt: skip
            lifecycle.audit_case("erasure.step_done", case, None, data)
        session.flush()
    remaining = session.scalar(
        select(func.count())
        .select_from(ErasureStep)
        .where(ErasureStep.plan_id == plan.id, ErasureStep.state == StepState.PLANNED)
    )
    if not remaining:
        _complete(plan, case)
    return len(steps)


@task(EXECUTE_TASK, timeout=1800)
def run_source_task(plan_id: uuid.UUID, source: str) -> None:
    run_source(plan_id, source)


def _complete(plan: ErasurePlan, case: Case) -> None:
    """Every step done: the certificate, Art 19 notices, executing -> responded."""
    from app.exports.pdf import render_document_pdf  # WeasyPrint is heavy to load
    from app.recipients.services import notify_recipients
    from app.recipients.told import letter_recipients

    today = utcnow().date()
    plan.erased_on = today
    plan.backups_expire_on = today + timedelta(days=BACKUP_DAYS)
    notices = notify_recipients(case, "erasure", None)
    # Who else was told, as both the certificate and the email say it (Art 19).
    recipients = letter_recipients(case, "erasure", notices)
    certificate = {**certificate_context(case, plan), "recipients": recipients}
    pdf = render_document_pdf("erasure_certificate", certificate)
    blob = store_blob(pdf.data, "application/pdf")
    plan.certificate_blob_id = blob.id
    plan.certificate_pages = pdf.pages
    plan.status = PlanStatus.DONE
    plan.completed_at = utcnow()
    # The requester's answer: what the certificate says, by email.
    answer = letters.erasure_done(
        case,
        erased_on=today,
        erased=certificate["erased"],
        kept=certificate["kept"],
        backups_clear_on=plan.backups_expire_on,
        recipients=recipients,
    )
    send_letter(case, answer, case.requester_email, "case.erasure_done")
    lifecycle.move(case, CaseStatus.RESPONDED, None, data={"plan": plan.id, "certificate": blob.id})
    lifecycle.audit_case(
        "erasure.completed", case, None, {"plan": plan.id, "certificate": blob.id, "notices": len(notices)}
    )


def certificate_of(case: Case) -> Blob:
    plan = plan_for(case)
    if plan is None or plan.certificate_blob is None:
        raise LookupError("no certificate")
    return plan.certificate_blob


def staff_download(case: Case, actor: User) -> Blob:
    """The stored certificate for staff; audited in the caller's transaction,
    which must commit before the bytes go out."""
    blob = certificate_of(case)
    check_letter_file(blob, "erasure certificate")
    lifecycle.audit_case("erasure.certificate_downloaded", case, actor, {"blob": blob.id})
    return blob


def certificate_file_name(case: Case) -> str:
    return f"{case.reference}-erasure-certificate.pdf"


def resume_abandoned() -> Sequence[Job]:
    """Queue again the erasure jobs whose worker died (``flask jobs repair``
    marked them failed as abandoned). A store's steps are applied in one
    transaction that died with the worker, so running it again is safe."""
    # A store's job covers several steps, which keep no copy of its state:
    # the job is its own owner, and nothing needs relinking.
    stuck = (
        select(Job.id, Job)
        .where(
            Job.id.in_(
                select(ErasureStep.job_id)
                .join(ErasurePlan, ErasurePlan.id == ErasureStep.plan_id)
                .where(ErasureStep.state == StepState.PLANNED, ErasurePlan.status == PlanStatus.EXECUTING)
            )
        )
        .order_by(Job.created_at)
    )

    def audit(_job_id: uuid.UUID, job: Job) -> None:
        record("erasure.source_resumed", object_type="job", object_id=job.id, data={"job": job.id})

    return [job for _job_id, job in repair.resume_abandoned(stuck, audit)]
