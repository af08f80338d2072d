"""Building the erasure plan from the case's confirmed matches.

For every store and category (``targets.TARGETS``) the rows of the subject's
records are counted per organisation, and each organisation's rows get an
action from the policy facts (``decide``): an organisation under a legal
hold keeps them, with the hold named, and so do records that name another
person under a hold (a message tagging them, a ticket they raised or that
is about them, a contact record linked to them: ``app.erasure.holds``, the
same lookups execution makes), so execution finds nothing held to change.
Records with the same decision share one step. A legal hold on the
subject's own record blocks the whole erasure: ``ErasureBlocked`` says why.
Nothing changes in any store here.
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
from app.erasure.holds import (
    OTHER_PERSON,
    check_person_holds,
    linked_holds_by_organisation,
    named_holds_by_record,
    organisation_holds,
)
from app.erasure.holds import ErasureBlocked as ErasureBlocked  # callers catch it as this module's
from app.erasure.models import ErasurePlan, ErasureStep, PlanStatus, StepAction, StepState
from app.extensions import db
from app.orgs.models import Organisation
from app.rights.models import LegalHold
from app.sources.protocol import Match
from app.sources.validation import FieldError

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
    # A parent's contact record deleted takes their full name out of the
    # text kept for others at their school (``rights.contact_text``).
    "shared_record": (
        "Kept for the other people it concerns or was written to: the subject is taken off it (their "
        "tag, their name and address as sender or recipient, and their name where the text gives it in "
        "full)."
    ),
    "shared_record_staff": (
        "Kept for the other people it concerns or was written to: the member of staff is taken off it "
        "(their name and address as sender or recipient, and their name where the text gives it in full)."
    ),
    # A pupil's record anonymised takes their name out of the text kept for
    # others too (``rights.pupil_text``): in full anywhere at their school,
    # and their first name alone in the messages and tickets about them.
    "shared_record_pupil": (
        "Kept for the other people it concerns or was written to: the pupil is taken off it (the tag "
        "naming them, and their name where the text gives it, in full or by first name alone)."
    ),
    "ticket_of_another": (
        "The ticket belongs to the school user who raised it: its link to the pupil is removed, and so is "
        "the pupil's name where its text gives it (in full or by first name alone)."
    ),
    "art17_3_e_consent": (
        "Kept as evidence of what was agreed and when, to defend legal claims (Art 17(3)(e)) and to "
        "show consent was obtained (Art 7(1)); it holds a record number only, not a name."
    ),
    "art17_3_b_security": (
        "Kept for security and accountability: we must be able to show who opened a record "
        "(Art 17(3)(b), Art 32); it holds a record number only, not a name."
    ),
    # The entries of records the subject opened: they name the subject.
    "art17_3_b_actor": (
        "Kept for security and accountability: the school must be able to show who opened or changed the "
        "records it holds, other people's included (Art 17(3)(b), Art 32); these entries name the person "
        "as the one who did."
    ),
    # Support-access permissions carry the name and address of who gave them.
    "art17_3_b_permission": (
        "Kept for security and accountability: it shows the support team looked at a record only with "
        "permission, and who gave it (Art 17(3)(b), Art 32); it names the person who gave the permission."
    ),
    "legal_hold": (
        "Under a legal hold: needed for a legal claim (Art 17(3)(e)), kept until the hold is released."
    ),
}
# The grounds on which the DPO keeps a whole category out of the erasure
# (``set_category_kept``), each with the sentence the plan, the certificate
# and the requester's letter show. An erasure request may ask for less than
# everything, and Art 17(3) lists when the controller may keep data.
SCOPE_REASONS: dict[str, str] = {
    "not_requested": "The request did not ask for these records to be erased.",
    "art17_3_b_legal_obligation": (
        "Kept because a legal obligation requires us or the school to keep them (Art 17(3)(b))."
    ),
    "art17_3_d_archiving": (
        "Kept for archiving in the public interest or for statistics, which erasing them would seriously "
        "impair (Art 17(3)(d))."
    ),
    "art17_3_e_legal_claims": "Kept because they are needed for a legal claim (Art 17(3)(e)).",
}
REASONS.update(SCOPE_REASONS)
# Anonymising the pupil record also clears the characteristics, deletes the
# SEND records and takes the pupil off the messages and tickets kept for
# others (``rights.retention.anonymise_pupils``): those categories can be kept
# only with the record they hang on, or the plan would promise what the
# erasure then undoes.
_PUPIL_RECORD = ("pupils", "identity")
KEPT_ONLY_WITH: dict[tuple[str, str], tuple[str, str]] = {
    ("pupils", "send"): _PUPIL_RECORD,
    ("pupils", "characteristics"): _PUPIL_RECORD,
    ("correspondence", "correspondence_shared"): _PUPIL_RECORD,
    ("helpdesk", "support_ticket_about"): _PUPIL_RECORD,
}
# Records naming another person under a legal hold: the sentence names the
# holds (``_kept_for_others``), so it is built per step.
OTHERS_HELD = "legal_hold_other"
# The holds such a sentence lists one by one (the step's column holds 400 characters).
_NAMED_HOLDS = 3
_PLANNABLE = frozenset({CaseStatus.IN_REVIEW})


def confirmed_match(case: Case) -> Match:
    """The subject's confirmed records, as every source's gather read them."""
    candidates = db.session.scalars(select(CaseCandidate).where(CaseCandidate.case_id == case.id)).all()
    return match_from(case, organisations_of(case), candidates)


def plan_for(case: Case) -> ErasurePlan | None:
    return db.session.scalars(select(ErasurePlan).where(ErasurePlan.case_id == case.id)).one_or_none()


def decide(
    target: targets.Target,
    organisation: Organisation,
    as_of: date,
    *,
    staff: bool = False,
    pupil: bool = False,
) -> tuple[StepAction, str | None]:
    """The action for one store and category in one organisation, and the
    reason code for anything not simply deleted. ``staff``: the subject's
    records include a staff record (their messages kept for others are
    letters they wrote or received at work, see ``targets._unlink_messages``);
    ``pupil``: a pupil record, whose anonymisation takes the child's name
    out of those messages' text (``rights.pupil_text``)."""
    key = (target.source, target.category)
    ends = organisation.service_ends_on
    contract_runs = ends is None or ends > as_of
    if key in {("pupils", "attendance"), ("pupils", "assessments"), ("pupils", "enrolments")}:
        return (StepAction.KEEP, "controller_record") if contract_runs else (StepAction.DELETE, None)
    if key in {("pupils", "identity"), ("pupils", "characteristics")}:
        return StepAction.ANONYMISE, "anonymised"
    if key == ("employees", "employee"):
        return StepAction.KEEP_NAME, "historical_reports"
    if key == ("correspondence", "correspondence_shared"):
        if staff:
            return StepAction.ANONYMISE, "shared_record_staff"
        return StepAction.ANONYMISE, "shared_record_pupil" if pupil else "shared_record"
    if key == ("helpdesk", "support_ticket_about"):
        return StepAction.ANONYMISE, "ticket_of_another"
    if target.source == "consent":
        return StepAction.KEEP, "art17_3_e_consent"
    if key == ("access_log", "access_log_actor"):
        return StepAction.KEEP, "art17_3_b_actor"
    if key == ("access_log", "support_access"):
        return StepAction.KEEP, "art17_3_b_permission"
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
    steps = _steps(plan, match, as_of, plan.kept_categories or {})
    db.session.add_all(steps)
    db.session.flush()
    db.session.expire(plan, ["steps"])
    data = {"plan": plan.id, "steps": len(steps), "held": sum(s.hold_id is not None for s in steps)}
    lifecycle.audit_case("erasure.plan_built", case, actor, data)
    lifecycle.add_event(case, "erasure_plan_built", actor, {"steps": len(steps)})
    return plan


# One step's decision: its action, reason code and the holds keeping its
# records (the organisation's, or those on other people the records name).
Decision = tuple[StepAction, str | None, tuple[LegalHold, ...]]
# A decision's records: rows per organisation and, for a keyed target, their ids.
Records = tuple[dict[uuid.UUID, int], list[str]]


def _steps(plan: ErasurePlan, match: Match, as_of: date, kept: dict[str, str]) -> list[ErasureStep]:
    org_ids = sorted(match.organisation_ids, key=str)
    organisations = {
        org.id: org for org in db.session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))
    }
    held = organisation_holds(match.organisation_ids)
    linked = linked_holds_by_organisation(match, match.organisation_ids)
    steps: list[ErasureStep] = []
    for target in targets.TARGETS:
        groups: dict[Decision, Records] = {}
        for org_id, count, ids, others in _units(target, match, linked):
            decision = _decision(
                target, organisations[org_id], as_of, held.get(org_id), others, kept.get(_key(target)),
                staff=bool(match.employee_ids), pupil=bool(match.pupil_ids),
            )  # fmt: skip
            counts, listed = groups.setdefault(decision, ({}, []))
            counts[org_id] = counts.get(org_id, 0) + count
            listed.extend(ids)
        for (action, code, holds), (counts, listed) in sorted(groups.items(), key=lambda g: _order(g[0])):
            steps.append(
                ErasureStep(
                    id=new_uuid(),
                    plan_id=plan.id,
                    position=len(steps) + 1,
                    source=target.source,
                    category=target.category,
                    action=action,
                    organisation_ids=[str(org) for org in sorted(counts, key=str)],
                    record_count=sum(counts.values()),
                    record_ids=sorted(listed) if target.keyed else None,
                    reason_code=code,
                    reason=_reason(code, holds),
                    hold_id=holds[0].id if holds else None,
                    state=StepState.PLANNED,
                )
            )
    return steps


def _units(
    target: targets.Target, match: Match, linked: dict[uuid.UUID, list[LegalHold]]
) -> list[tuple[uuid.UUID, int, list[str], list[LegalHold]]]:
    """The target's records in the smallest pieces a hold on another person
    can cover: (organisation, rows, row ids, those holds). A keyed target's
    rows one by one, as each names its own people; the contacts store's per
    organisation, held when a pupil they are linked to is; others whole."""
    if target.keyed:
        rows = targets.rows_by_organisation(target, match)
        named = named_holds_by_record(target.source, (row for ids in rows.values() for row in ids))
        return [(org, 1, [row], named.get(row, [])) for org, ids in rows.items() for row in ids]
    others = linked if target.source == "contacts" else {}
    return [
        (org, count, [], others.get(org, []))
        for org, count in targets.count_by_organisation(target, match).items()
    ]


def _decision(
    target: targets.Target,
    organisation: Organisation,
    as_of: date,
    organisation_hold: LegalHold | None,
    others: list[LegalHold],
    kept_by_dpo: str | None = None,
    *,
    staff: bool = False,
    pupil: bool = False,
) -> Decision:
    if organisation_hold is not None:
        return StepAction.KEEP, "legal_hold", (organisation_hold,)
    if kept_by_dpo is not None:
        return StepAction.KEEP, kept_by_dpo, ()
    action, code = decide(target, organisation, as_of, staff=staff, pupil=pupil)
    # Changing a record that names someone under a hold would breach it (and
    # block execution): kept, and the DPO sees which hold before approving.
    if others and action is not StepAction.KEEP:
        return StepAction.KEEP, OTHERS_HELD, tuple(others)
    return action, code, ()


def _order(decision: Decision) -> tuple[str, str, list[str]]:
    action, code, holds = decision
    return action.value, code or "", [str(hold.id) for hold in holds]


def _reason(code: str | None, holds: tuple[LegalHold, ...]) -> str | None:
    if code == OTHERS_HELD:
        return _kept_for_others(holds)
    return REASONS[code] if code else None


def _kept_for_others(holds: tuple[LegalHold, ...]) -> str:
    """The reason for records kept under holds on other people they name:
    whom (a member of staff, another pupil...) and when each hold was placed,
    never who nor the hold's own reason, which stays sealed with the hold for
    staff (the sentence goes on the certificate)."""
    named = [
        f"{OTHER_PERSON[h.subject_kind]} under a legal hold placed {h.placed_at:%-d %B %Y}" for h in holds
    ]
    if len(named) > _NAMED_HOLDS:
        named[_NAMED_HOLDS - 1 :] = [f"{len(named) - _NAMED_HOLDS + 1} other people under legal holds"]
    people = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    released = "the hold is" if len(holds) == 1 else "the holds are"
    return (
        f"The records also concern {people}: needed for a legal claim (Art 17(3)(e)), kept until "
        f"{released} released."
    )


def _key(target: targets.Target) -> str:
    """How ``ErasurePlan.kept_categories`` names a category."""
    return f"{target.source}:{target.category}"


def kept_categories(plan: ErasurePlan) -> list[tuple[str, str, str]]:
    """(source, category, ground) of each category the DPO kept out."""
    kept = plan.kept_categories or {}
    return [(key.partition(":")[0], key.partition(":")[2], ground) for key, ground in kept.items()]


def set_category_kept(
    case: Case, actor: User | None, source: str, category: str, keep: str | None
) -> ErasurePlan:
    """Keep a whole category out of the draft plan on one of ``SCOPE_REASONS``
    (or, with ``keep`` None, erase it as the policy decides again), and
    rebuild the plan with it. The caller commits. ``FieldError`` for an
    unknown category or ground; ``IllegalTransition`` once approved."""
    plan = plan_for(case)
    if plan is None:
        raise IllegalTransition(case, None, "build the erasure plan first")
    if plan.status is not PlanStatus.DRAFT or case.status not in _PLANNABLE:
        raise IllegalTransition(case, None, "the erasure plan is approved and can no longer change")
    target = targets.BY_KEY.get((source, category))
    if target is None or not any((s.source, s.category) == (source, category) for s in plan.steps):
        raise FieldError("category", "Choose a category from the plan.")
    if keep is not None and keep not in SCOPE_REASONS:
        raise FieldError("keep", "Choose why the category is kept, or to erase it as planned.")
    kept = dict(plan.kept_categories or {})
    if keep is None:
        kept.pop(_key(target), None)
    else:
        kept[_key(target)] = keep
    _check_kept_together(plan, kept, keep is not None)
    # A new dict: the JSON column is not tracked for changes in place.
    plan.kept_categories = kept or None
    data = {"source": source, "category": category, "keep": keep}
    lifecycle.audit_case("erasure.category_kept" if keep else "erasure.category_erased", case, actor, data)
    return build_plan(case, actor)


def _check_kept_together(plan: ErasurePlan, kept: dict[str, str], keeping: bool) -> None:
    """Refuse a scope where a kept category hangs on a record the plan would
    otherwise change (``KEPT_ONLY_WITH``)."""
    changed = {
        (step.source, step.category)
        for step in plan.steps
        if step.action is not StepAction.KEEP or step.reason_code in SCOPE_REASONS
    }
    for dependent, record in KEPT_ONLY_WITH.items():
        if _key(targets.BY_KEY[dependent]) not in kept or record not in changed:
            continue
        if _key(targets.BY_KEY[record]) in kept:
            continue
        what, on = targets.BY_KEY[dependent].label, targets.BY_KEY[record].label
        if keeping:
            raise FieldError("category", f"{what} can be kept only with “{on}”: keep that too or erase both.")
        raise FieldError("keep", f"{what} are kept, and go with this record: erase them as planned first.")
