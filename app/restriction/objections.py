"""Art 21: an objection per processing purpose, and its decision.

An objection names the processing (a register entry and/or its purpose, or a
consent ledger purpose). The decision either upholds it, and the processing
stops, or rejects it on compelling legitimate grounds, which must be stated.
Direct marketing is an absolute right (Art 21(3)): such an objection can only
be upheld. Upholding an objection to a consent-based purpose withdraws the
consent through the consent ledger (``app.restriction.consents``, as a
consent-withdrawal request does), so the ledger stays the one record of it.

Art 21(1) reaches only processing for a public task or in legitimate
interests (6(1)(e) or (f)). Where the register entry objected to is used on
another basis at the case's organisation (a private nursery's contract with
the parents, a legal obligation), the objection is decided as outside the
right (``no_right``) and the requester is told which basis and why; an
objection to direct marketing (Art 21(2)) and one to processing on consent
(stopped by withdrawing the consent) are never decided so. Processing on
consent is never "rejected on compelling grounds" either: consent can be
withdrawn at any time (Art 7(3)), so such an objection is upheld.

Each decision keeps the basis it rested on (code and wording), so the
letter and the record say what applied then, whatever the register or the
organisation sets later.

Objections are recorded and decided only on an objection request that can
still be answered (``refusal``): once the answer has gone, a new decision
would reach the requester in no letter, and Art 12(4) requires they be told
the reasons and their right to complain. An ``IllegalTransition`` otherwise,
as for any action the case's status does not allow.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record
from app.cases import lifecycle
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseStatus, RequestType
from app.db import new_uuid, utcnow
from app.extensions import db
from app.register.bases import Effective, register_for
from app.register.models import LawfulBasis, RegisterEntry
from app.restriction.consents import consent_problem, withdraw_for_case
from app.restriction.consents import consents_given as consents_given  # offered by the console
from app.restriction.models import Objection, ObjectionDecision
from app.restriction.services import RestrictionConflict, RestrictionError, clean_reason
from app.sources.validation import has_control_characters

MAX_PURPOSE = 300


def objections_for(case: Case) -> Sequence[Objection]:
    return db.session.scalars(
        select(Objection).where(Objection.case_id == case.id).order_by(Objection.created_at)
    ).all()


def refusal(case: Case) -> str | None:
    """Why objections cannot be recorded or decided on the case now, or None
    when they can: another request type, or a status the answer flow does
    not answer from (answered, closed, paused, refused, withdrawn)."""
    if case.request_type is not RequestType.OBJECTION:
        return f"objections are recorded on an objection request, not {case.request_type.value}"
    if CaseStatus.RESPONDED not in lifecycle.allowed_moves(case):
        return (
            "objections are recorded and decided only while the request is still to be answered, "
            "so that the requester is sent each decision"
        )
    return None


def _check_case(case: Case) -> None:
    why = refusal(case)
    if why is not None:
        raise IllegalTransition(case, None, why)


def record_objection(
    case: Case,
    actor: User,
    *,
    purpose: str | None = None,
    register_entry_id: uuid.UUID | None = None,
    consent_purpose: str | None = None,
    direct_marketing: bool = False,
) -> Objection:
    """What the subject objects to; decided later. ``IllegalTransition``
    when the case does not take objections now (``refusal``). The caller
    commits."""
    _check_case(case)
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
    reject with the compelling legitimate grounds. ``IllegalTransition``
    when the case does not take decisions now, ``RestrictionConflict`` when
    the objection is decided already. The caller commits."""
    _check_pending(case, objection)
    if not uphold and objection.direct_marketing:
        raise RestrictionError({"decision": DIRECT_MARKETING})
    if not uphold:
        # Said before the grounds are checked: no grounds would make it right.
        if on_consent(basis_of(case, objection)):
            raise RestrictionError({"decision": _consent_message(objection)})
        if (outside := outside_article_21(case, objection)) is not None:
            raise RestrictionError({"decision": _outside_message(outside)})
    text = clean_reason(grounds, "grounds") if not uphold else _optional(grounds)
    decision = ObjectionDecision.UPHELD if uphold else ObjectionDecision.REJECTED
    withdrawn = (
        len(withdraw_for_case(case, objection.consent_purpose, actor))
        if uphold and objection.consent_purpose
        else 0
    )
    return _decided(case, objection, actor, decision, text, withdrawn)


# Art 21(1) covers 6(1)(e) and (f); processing on consent stops when the
# consent is withdrawn, which upholding the objection does.
OBJECTABLE_BASES = frozenset({LawfulBasis.PUBLIC_TASK, LawfulBasis.LEGITIMATE_INTERESTS, LawfulBasis.CONSENT})


def basis_of(case: Case, objection: Objection) -> Effective | None:
    """The basis the register entry objected to is used on for the case's
    data (at the organisation ``controller_of`` names: for a trust's case,
    the school holding the records); None when it names no register entry."""
    if objection.register_entry_id is None:
        return None
    entry = db.session.get(RegisterEntry, objection.register_entry_id)
    return register_for(case).basis(entry) if entry is not None else None


def outside_article_21(case: Case, objection: Objection) -> Effective | None:
    """The basis, when it puts the processing objected to outside the right
    to object; None when the right applies (or the basis is not known), and
    when the objection names a consent: that is stopped by withdrawing it.
    A decided objection is judged on the basis its decision rested on."""
    if objection.direct_marketing or objection.consent_purpose:
        return None
    basis = basis_decided_on(case, objection)
    return basis if basis is not None and basis.basis not in OBJECTABLE_BASES else None


def on_consent(basis: Effective | None) -> bool:
    """Processing on consent: an objection to it is upheld (withdrawing the
    consent), never rejected on compelling grounds."""
    return basis is not None and basis.basis is LawfulBasis.CONSENT


def basis_decided_on(case: Case, objection: Objection) -> Effective | None:
    """The basis a decided objection rested on, as recorded when it was
    decided; the current one while it is pending, and for an objection
    decided before the basis was kept. ``set_by`` is not recorded (None)."""
    if objection.basis is not None:
        return Effective(objection.basis, objection.basis_wording or "")
    return basis_of(case, objection)


DIRECT_MARKETING = "An objection to direct marketing is an absolute right: it must be upheld"


def _consent_message(objection: Objection) -> str:
    withdraws = " and the consent named is withdrawn" if objection.consent_purpose else ""
    return (
        "This processing is based on consent, which can be withdrawn at any time (Article 7(3)): "
        f"it cannot be rejected on compelling grounds. Uphold the objection{withdraws}"
    )


def _outside_message(basis: Effective) -> str:
    return (
        f"The right to object does not reach this processing: it is used on {basis.basis.label}, and "
        "Article 21(1) covers only processing for a public task or in legitimate interests. "
        "Decide it as outside the right"
    )


# Direct marketing can always be objected to (Art 21(2), (3)), whatever its
# basis; the flag recorded with the objection is false unless someone said
# yes, so "outside the right" needs the decider to say it is not.
NOT_DIRECT_MARKETING = (
    "Confirm that this is not direct marketing: direct marketing can always be objected to, "
    "so only then is it outside the right to object"
)


def decide_no_right(
    case: Case, objection: Objection, actor: User, *, not_direct_marketing: bool, grounds: object = None
) -> Objection:
    """Decide that the right to object does not reach the processing (its
    basis at the case's organisation is not 6(1)(e) or (f), nor consent),
    the decider confirming it is not direct marketing
    (``not_direct_marketing``). No grounds are given: the letter gives the
    basis. The caller commits."""
    _check_pending(case, objection)
    if objection.direct_marketing:
        raise RestrictionError({"decision": DIRECT_MARKETING})
    if objection.consent_purpose:
        raise RestrictionError({"decision": _consent_message(objection)})
    basis = basis_of(case, objection)
    if basis is None:
        raise RestrictionError(
            {
                "decision": "The objection names no register entry, so its basis cannot be shown: "
                "uphold or reject it"
            }
        )
    if basis.basis in OBJECTABLE_BASES:
        raise RestrictionError(
            {
                "decision": f"The right to object applies: this processing is used on {basis.basis.label}. "
                "Uphold or reject it"
            }
        )
    # Both said at once: each is a field the decider fixes on the same form.
    errors: dict[str, str] = {}
    if _optional(grounds) is not None:
        errors["grounds"] = "No grounds are given when the right does not apply"
    if not_direct_marketing is not True:
        errors["not_direct_marketing"] = NOT_DIRECT_MARKETING
    if errors:
        raise RestrictionError(errors)
    return _decided(
        case, objection, actor, ObjectionDecision.NO_RIGHT, None, 0, said={"not_direct_marketing": True}
    )


ALREADY_DECIDED = "This objection has already been decided"


def _check_pending(case: Case, objection: Objection) -> None:
    _check_case(case)
    if objection.case_id != case.id:
        raise RestrictionError({"objection": "No such objection on this case"})
    if objection.decision is not ObjectionDecision.PENDING:
        # A form from before the decision: the request is sound, the objection is past that step.
        raise RestrictionConflict({"objection": ALREADY_DECIDED})


def _decided(
    case: Case,
    objection: Objection,
    actor: User,
    decision: ObjectionDecision,
    grounds: str | None,
    withdrawn: int,
    said: dict[str, object] | None = None,
) -> Objection:
    # Kept as it was when decided: the register or the organisation's own
    # basis may change after, and the letter and the record must not.
    basis = basis_of(case, objection)
    objection.basis = basis.basis if basis is not None else None
    objection.basis_wording = basis.wording if basis is not None else None
    objection.decision = decision
    objection.grounds = grounds
    objection.decided_by_id = actor.id
    objection.decided_at = utcnow()
    code = objection.basis.value if objection.basis is not None else None
    lifecycle.add_event(
        case,
        "objection_decided",
        actor,
        {"objection_id": str(objection.id), "decision": objection.decision.value, "basis": code},
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
            "basis": code,
            "consents_withdrawn": withdrawn,
            # What the decider confirmed (not direct marketing, for no_right).
            **(said or {}),
        },
    )
    db.session.flush()
    return objection


def _optional(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return clean_reason(value, "grounds")
