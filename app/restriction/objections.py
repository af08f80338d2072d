"""Art 21: an objection per processing purpose, and its decision.

An objection names the processing (a register entry and/or its purpose, or a
consent ledger purpose). The decision either upholds it, and the processing
stops, or rejects it on compelling legitimate grounds, which must be stated.
Direct marketing is an absolute right (Art 21(3)): such an objection can only
be upheld. Upholding an objection to a consent-based purpose withdraws the
consent through the consent ledger (``app.restriction.consents``, as a
consent-withdrawal request does), so the ledger stays the one record of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record
from app.cases import lifecycle
from app.cases.models import Case
from app.db import new_uuid, utcnow
from app.extensions import db
from app.register.models import RegisterEntry
from app.restriction.consents import consent_problem, withdraw_for_case
from app.restriction.consents import consents_given as consents_given  # offered by the console
from app.restriction.models import Objection, ObjectionDecision
from app.restriction.services import RestrictionError, clean_reason
from app.sources.validation import has_control_characters

MAX_PURPOSE = 300


def objections_for(case: Case) -> Sequence[Objection]:
    return db.session.scalars(
        select(Objection).where(Objection.case_id == case.id).order_by(Objection.created_at)
    ).all()


def record_objection(
    case: Case,
    actor: User,
    *,
    purpose: str | None = None,
    register_entry_id: uuid.UUID | None = None,
    consent_purpose: str | None = None,
    direct_marketing: bool = False,
) -> Objection:
    """What the subject objects to; decided later. The caller commits."""
    errors: dict[str, str] = {}
    entry = None
    if register_entry_id is not None:
        entry = db.session.get(RegisterEntry, register_entry_id)
        if entry is None:
            errors["register_entry_id"] = "No such register entry"
    text = (purpose or "").strip() or (entry.title if entry else "") or (consent_purpose or "")
    if not text:
        errors["purpose"] = "Say which processing the subject objects to"
    elif len(text) > MAX_PURPOSE or has_control_characters(text):
        errors["purpose"] = f"Describe the processing in plain text under {MAX_PURPOSE} characters"
    if consent_purpose is not None:
        problem = consent_problem(case, consent_purpose)
        if problem:
            errors["consent_purpose"] = problem
    if errors:
        raise RestrictionError(errors)
    objection = Objection(
        id=new_uuid(),
        case_id=case.id,
        register_entry_id=entry.id if entry else None,
        purpose=text,
        consent_purpose=consent_purpose,
        direct_marketing=direct_marketing,
        decision=ObjectionDecision.PENDING,
        created_at=utcnow(),
    )
    db.session.add(objection)
    lifecycle.add_event(case, "objection_recorded", actor, {"objection_id": str(objection.id)})
    record(
        "objection.recorded",
        actor_type="user",
        actor_id=actor.id,
        object_type="case",
        object_id=case.id,
        data={"objection_id": str(objection.id), "direct_marketing": direct_marketing},
    )
    db.session.flush()
    return objection


def decide_objection(
    case: Case, objection: Objection, actor: User, *, uphold: bool, grounds: object = None
) -> Objection:
    """Uphold (processing stops; consent withdrawn if consent-based) or
    reject with the compelling legitimate grounds. The caller commits."""
    if objection.case_id != case.id:
        raise RestrictionError({"objection": "No such objection on this case"})
    if objection.decision is not ObjectionDecision.PENDING:
        raise RestrictionError({"objection": "This objection has already been decided"})
    if not uphold and objection.direct_marketing:
        raise RestrictionError(
            {"decision": "An objection to direct marketing is an absolute right: it must be upheld"}
        )
    text = clean_reason(grounds, "grounds") if not uphold else _optional(grounds)
    objection.decision = ObjectionDecision.UPHELD if uphold else ObjectionDecision.REJECTED
    objection.grounds = text
    objection.decided_by_id = actor.id
    objection.decided_at = utcnow()
    withdrawn = (
        len(withdraw_for_case(case, objection.consent_purpose, actor))
        if uphold and objection.consent_purpose
        else 0
    )
    lifecycle.add_event(
        case,
        "objection_decided",
        actor,
        {"objection_id": str(objection.id), "decision": objection.decision.value},
    )
    record(
        "objection.decided",
        actor_type="user",
        actor_id=actor.id,
        object_type="case",
        object_id=case.id,
        data={
            "objection_id": str(objection.id),
            "decision": objection.decision.value,
            "consents_withdrawn": withdrawn,
        },
    )
    db.session.flush()
    return objection


def _optional(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return clean_reason(value, "grounds")
