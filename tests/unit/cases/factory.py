"""Making cases for tests (not a test module)."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.cases import identity, services
from app.cases.models import Case, Relationship
from app.extensions import db
from app.orgs.models import Organisation


def new_case(organisation: Organisation, *, confirm: bool = True, **overrides: Any) -> Case:
    values: dict[str, Any] = {
        "organisation": organisation,
        "request_type": "access",
        "requester_name": "Jo Parent",
        "requester_email": "jo.parent@example.net",
        "requester_relationship": "parent_carer",
        "subject_name": "Sam Pupil",
        "subject_dob": date(2015, 5, 4),
        "subject_role": "pupil",
        "description": "Everything you hold about my child, please.",
        "received_on": date(2024, 9, 3),
    }
    values.update(overrides)
    case = services.submit(**values)
    if confirm:
        services.confirm(case)
    db.session.commit()
    return case


def opened_case(organisation: Organisation, actor, **overrides: Any) -> Case:
    """A confirmed case whose identity was accepted (status open)."""
    case = new_case(organisation, **overrides)
    # Authority only for someone asking for another; its proof dated the day
    # the request arrived, so the clock starts then either way.
    authority = (
        {}
        if case.requester_relationship == Relationship.SELF
        else {
            "authority_evidence": "Named as parent on the admission form.",
            "authority_received_on": case.received_on,
        }
    )
    identity.decide_identity(
        case,
        actor,
        accepted=True,
        method="known_to_school",
        reason="The office knows the parent well.",
        today=case.received_on,
        **authority,
    )
    db.session.commit()
    return case
