"""The letters a restriction or objection request sends its requester: the
answer (what is restricted and what that means; each objection's decision)
and, through ``app.recipients.letters``, a lift's advance notice. Each says
whose data it is about as the request did: the requester's own, their
child's, or the person's they act for."""

from __future__ import annotations

from collections import Counter
from typing import Any

from app.cases.letters import Letter
from app.cases.models import Case, Relationship
from app.letters.services import render_letter
from app.restriction.models import Objection, ObjectionDecision
from app.restriction.objections import basis_decided_on, objections_for
from app.restriction.services import restrictions_for
from app.sources.protocol import PersonKind

# What a restricted record covers, as the requester reads it: the kind of
# record and where it is held, never what it says.
RECORD_KINDS = {
    PersonKind.PUPIL: "the pupil record, and what the school's systems hold under it",
    PersonKind.CONTACT: "the parent and carer contact record, and what the school's systems hold under it",
    PersonKind.EMPLOYEE: "the staff record, and what the school's systems hold under it",
}


def whose(case: Case) -> str:
    """Whose data a letter speaks of: the requester's, their child's or the
    person's they act for (named as the request named them)."""
    if case.requester_relationship is Relationship.SELF or not case.subject_name:
        return "your"
    if case.requester_relationship is Relationship.PARENT_CARER:
        return f"your child {case.subject_name}'s"
    return f"{case.subject_name}'s"


def requester_context(case: Case) -> dict[str, Any]:
    return {
        "requester_name": case.requester_name,
        "reference": case.reference or str(case.id),
        "organisation_name": case.organisation.name,
        "whose": whose(case),
    }


def restriction_started(case: Case) -> Letter:
    kinds = Counter(r.person_kind for r in restrictions_for(case) if r.active)
    in_force = [RECORD_KINDS.get(kind, f"the {kind.value} record") for kind in sorted(kinds)]
    rendered = render_letter(
        "restriction_started", {**requester_context(case), "restricted": in_force, "lifted": not in_force}
    )
    return Letter(rendered.subject, rendered.text, rendered.html)


def objection_decided(case: Case) -> Letter:
    decided = [_decision_line(case, o) for o in objections_for(case)]
    rendered = render_letter(
        "objection_decided",
        {
            **requester_context(case),
            "objections": decided,
            "any_rejected": any(not line["upheld"] for line in decided),
        },
    )
    return Letter(rendered.subject, rendered.text, rendered.html)


def _decision_line(case: Case, objection: Objection) -> dict[str, Any]:
    no_right = objection.decision is ObjectionDecision.NO_RIGHT
    basis = basis_decided_on(case, objection) if no_right else None
    return {
        "purpose": objection.purpose,
        "upheld": objection.decision is ObjectionDecision.UPHELD,
        "no_right": no_right,
        "basis": basis.wording if basis is not None else "",
        "grounds": objection.grounds or "",
        "consent": (objection.consent_purpose or "").replace("_", " "),
    }
