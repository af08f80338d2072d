"""The identity decision on a case awaiting identity: accepted (with how
identity was confirmed, a reason and, for someone acting for another, the
authority seen), the case opens and its clock may start later; refused for
identity not proven, the refusal is sent (``app.cases.services``).

The console's form and the API send the staff member's answers here as
they are; every problem with them comes back at once, in one
``FieldErrors`` naming each field, so both show them together.
"""

from __future__ import annotations

from datetime import date

from app.accounts.models import User
from app.cases import letters, lifecycle
from app.cases.clock_inputs import refresh_clock
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseStatus, IdentityMethod, RefusalReason, Relationship
from app.cases.services import (
    checked_choice,
    checked_text,
    identity_refusal_problem,
    send_letter,
    send_refusal,
    today_or,
)
from app.sources.validation import FieldProblems

# What an identity decision's reason should say, by whether it accepts.
REASON_NEEDED: dict[bool, str] = {
    True: "say what was seen, or why the school knows the person",
    False: "say why identity is not proven",
}
# What staff write down as the authority to act for someone else: a parent's
# is parental responsibility (the school's contact record, a birth
# certificate), someone else's a signed letter of authority.
AUTHORITY_EXAMPLES: dict[Relationship, str] = {
    Relationship.PARENT_CARER: (
        "enter how parental responsibility was confirmed (for example, the contact record the school "
        "holds or a birth certificate)"
    ),
    Relationship.AUTHORISED_THIRD_PARTY: (
        "enter the authority you saw (for example, a signed letter of authority or a power of attorney)"
    ),
}
# Identity confirmed from what the school already holds: nothing was asked
# for or awaited, so no day of evidence moves the clock's start.
RECORDS_METHODS = frozenset({IdentityMethod.KNOWN_TO_SCHOOL, IdentityMethod.MATCHED_SCHOOL_RECORDS})
NO_EVIDENCE_AWAITED = (
    "leave this empty: identity confirmed from the school's records was not asked for, so the "
    "clock runs from the day the request arrived"
)


def decide_identity(
    case: Case,
    actor: User,
    *,
    accepted: bool,
    reason: str | None,
    method: IdentityMethod | str | None = None,
    identity_received_on: date | None = None,
    authority_evidence: str | None = None,
    authority_received_on: date | None = None,
    today: date | None = None,
) -> Case:
    """Accept (with the method and a reason; for someone acting for another,
    the authority seen) or refuse, which needs the requester to have been
    asked for proof (on ``decision``). Every problem with the decision comes
    at once, in one ``FieldErrors``, before the lifecycle is asked. Dates of
    evidence the requester was asked for start the clock on the day it
    arrived; without them it runs from the day the request arrived."""
    today = today_or(today)
    problems = FieldProblems()
    if not (reason or "").strip():
        problems.add("reason", REASON_NEEDED[accepted])
    reason_text = problems.check(lambda: checked_text(reason, "reason", required=False))
    awaiting = case.status is CaseStatus.AWAITING_IDENTITY
    chosen: IdentityMethod | None = None
    if accepted:
        chosen = _check_acceptance(
            case, problems, method, identity_received_on, authority_evidence, authority_received_on, today
        )
    elif awaiting and (refusal := identity_refusal_problem(case, today)) is not None:
        # The decision on whatever they sent since they were asked, so
        # evidence waiting is no bar; but a requester never asked, or asked
        # and still within the time to answer, has had no chance to send any.
        problems.add("decision", refusal)
    problems.raise_any()
    if not awaiting:
        target = CaseStatus.OPEN if accepted else CaseStatus.REFUSED
        raise IllegalTransition(case, target, "identity is decided while awaiting identity")
    if not accepted:
        return send_refusal(case, actor, RefusalReason.IDENTITY_NOT_PROVEN, reason_text)
    assert chosen is not None  # a problem otherwise
    # The month runs from the day the request arrived (Art 12(3)); only
    # evidence the controller asked for, and waited on, starts it later: on
    # the day staff say it came (by post, in person), else the day of the
    # first upload after asking (app.cases.evidence), else never. The day
    # of the decision is not the day anything arrived.
    if case.requester_relationship is not Relationship.SELF:
        case.authority_evidence = (authority_evidence or "").strip()
        case.authority_received_on = authority_received_on or case.authority_received_on
    if chosen is IdentityMethod.DOCUMENTS_SEEN:
        case.identity_received_on = identity_received_on or case.identity_received_on
    else:
        # Known to the school, or matched to its records: no evidence was
        # awaited, so the clock keeps the day the request arrived.
        case.identity_received_on = None
    case.identity_method = chosen
    case.identity_reason = reason_text
    case.identity_decided_by_id = actor.id
    lifecycle.move(case, CaseStatus.OPEN, actor, data={"method": chosen.value})
    refresh_clock(case)
    lifecycle.audit_case("case.identity_accepted", case, actor, {"method": chosen.value})
    # The clock runs now: tell the requester the date (the identity request
    # and the acknowledgement promised it).
    send_letter(case, letters.identity_accepted(case), case.requester_email, "case.identity_accepted")
    return case


def _check_acceptance(
    case: Case,
    problems: FieldProblems,
    method: IdentityMethod | str | None,
    identity_received_on: date | None,
    authority_evidence: str | None,
    authority_received_on: date | None,
    today: date,
) -> IdentityMethod | None:
    """The method an accepted identity was confirmed by, noting in
    ``problems`` what is wrong with it and with the evidence it rests on:
    the evidence's dates, and the authority seen for someone acting for
    another."""
    chosen = None
    if method is None:
        problems.add("method", "choose how identity was confirmed")
    else:
        chosen = problems.check(lambda: checked_choice(IdentityMethod, method, "method"))
    for field, value in (
        ("identity_received_on", identity_received_on),
        ("authority_received_on", authority_received_on),
    ):
        if value is not None and not case.received_on <= value <= today:
            problems.add(field, "must be between the day the request arrived and today")
    if identity_received_on is not None and chosen in RECORDS_METHODS:
        problems.add("identity_received_on", NO_EVIDENCE_AWAITED)
    if authority_received_on is not None and case.requester_relationship is Relationship.SELF:
        problems.add("authority_received_on", "leave this empty: the requester asks for themself")
    if case.requester_relationship is not Relationship.SELF:
        if not (authority_evidence or "").strip():
            problems.add("authority_evidence", AUTHORITY_EXAMPLES[case.requester_relationship])
        else:
            problems.check(lambda: checked_text(authority_evidence, "authority_evidence"))
    return chosen
