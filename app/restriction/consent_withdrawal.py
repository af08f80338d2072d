"""Art 7(3): a consent-withdrawal request, answered by letter.

Once the subject's records are confirmed, the consent ledger says which
consents they have given and not withdrawn since. The DPO records which of
those the request withdraws (at least one). ``withdraw_consents`` then, in
one unit of work:

- writes each withdrawal into the consent ledger, for every confirmed record
  that has it given, dated, by the member of staff and "at the data subject's
  request" with the case's reference (``app.restriction.consents``, which an
  upheld objection withdraws through too);
- puts it on the case's timeline and in the audit trail;
- moves the case to responded through the lifecycle, as a restriction or an
  objection is answered, and sends the requester the confirmation letter:
  what was withdrawn and from when, that what was done on that consent
  before stays lawful, how to give consent again and the right to complain.

The case is then answered, so withdrawing again is refused as a move the
lifecycle does not allow (409 in the API), never recorded twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.accounts.models import User
from app.cases import lifecycle
from app.cases.letters import Letter
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseEvent, CaseStatus, RequestType
from app.cases.services import send_letter
from app.db import utcnow
from app.extensions import db
from app.letters.services import render_letter
from app.restriction.consents import consent_problem, consents_given, label, withdraw_for_case
from app.restriction.letters import requester_context
from app.restriction.services import subject_records
from app.sources.consent.models import ConsentRecord
from app.sources.validation import FieldError

MAIL_CATEGORY = "case.consent_withdrawn"
# The timeline line that holds what was withdrawn (purposes and ledger rows).
EVENT = "consents_withdrawn"
FIELD = "purposes"
MAX_CHOSEN = 50  # more than any subject has given; a longer list is not a choice


@dataclass(frozen=True)
class Withdrawn:
    """One consent withdrawn on the case, as the letter and the pages say it."""

    purpose: str
    wording: str
    withdrawn_at: datetime
    records: int  # the subject's records it was withdrawn for


def refusal(case: Case) -> str | None:
    """Why the case cannot have consents withdrawn now, or None when it can:
    another request type, a status the lifecycle does not answer from, or no
    record confirmed as the subject's (the consents are theirs)."""
    if case.request_type is not RequestType.CONSENT_WITHDRAWAL:
        return f"only a consent withdrawal request withdraws consent, not {case.request_type.value}"
    if CaseStatus.RESPONDED not in lifecycle.allowed_moves(case):
        return f"a {case.status.value.replace('_', ' ')} case cannot be answered"
    if not subject_records(case):
        return "confirm the subject's records first: the consents withdrawn are theirs"
    return None


def chosen_purposes(case: Case, purposes: object) -> list[str]:
    """The purposes asked for, each once, in the order given; or
    ``FieldError`` on ``purposes`` naming the ones that cannot be withdrawn
    and the ones that can."""
    if isinstance(purposes, str):
        purposes = [purposes]
    if not isinstance(purposes, list | tuple) or not all(isinstance(p, str) for p in purposes):
        raise FieldError(FIELD, "Give the consents to withdraw as a list of purpose codes")
    chosen = list(dict.fromkeys(p.strip() for p in purposes if p.strip()))
    if not chosen:
        given = consents_given(case)
        offer = f": the subject has given {', '.join(given)}" if given else ""
        raise FieldError(FIELD, f"Choose at least one consent to withdraw{offer}")
    if len(chosen) > MAX_CHOSEN:
        raise FieldError(FIELD, f"Choose at most {MAX_CHOSEN} consents")
    problems = [problem for problem in (consent_problem(case, p) for p in chosen) if problem]
    if problems:
        raise FieldError(FIELD, problems[0] if len(problems) == 1 else "; ".join(problems))
    return chosen


def withdraw_consents(case: Case, actor: User, purposes: object) -> list[Withdrawn]:
    """Withdraw the chosen consents in the ledger, answer the case and send
    the requester the confirmation. ``IllegalTransition`` when the case does
    not allow it (``refusal``), ``FieldError`` on ``purposes`` for a choice
    that is not one of the subject's given consents. The caller commits."""
    why = refusal(case)
    if why is not None:
        raise IllegalTransition(case, None, why)
    chosen = chosen_purposes(case, purposes)
    rows = [row for purpose in chosen for row in withdraw_for_case(case, purpose, actor)]
    db.session.flush()
    done = {"purposes": chosen, "consent_record_ids": [row.id for row in rows]}
    lifecycle.add_event(case, EVENT, actor, done)
    lifecycle.audit_case("consent_withdrawal.recorded", case, actor, done)
    withdrawn = _summarise(rows)
    lifecycle.move(case, CaseStatus.RESPONDED, actor, data={"letter": MAIL_CATEGORY})
    send_letter(case, confirmation_letter(case, withdrawn), case.requester_email, MAIL_CATEGORY)
    lifecycle.audit_case("case.answered", case, actor, {"letter": MAIL_CATEGORY})
    return withdrawn


def withdrawn_on_case(case: Case) -> list[Withdrawn]:
    """What the case withdrew, read back from the ledger rows its timeline names."""
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == EVENT).order_by(CaseEvent.at)
    ).all()
    ids = [uuid.UUID(value) for event in events for value in (event.data or {}).get("consent_record_ids", [])]
    if not ids:
        return []
    rows = db.session.scalars(select(ConsentRecord).where(ConsentRecord.id.in_(ids))).all()
    return _summarise(sorted(rows, key=lambda row: (row.purpose, row.recorded_at)))


def confirmation_letter(case: Case, withdrawn: Sequence[Withdrawn]) -> Letter:
    when = max((w.withdrawn_at for w in withdrawn), default=None) or utcnow()
    lines = [{"purpose": label(w.purpose).capitalize(), "wording": w.wording} for w in withdrawn]
    rendered = render_letter(
        "consent_withdrawn",
        {
            **requester_context(case),
            "withdrawn": lines,
            "withdrawn_on": when,
        },
    )
    return Letter(rendered.subject, rendered.text, rendered.html)


def _summarise(rows: Sequence[ConsentRecord]) -> list[Withdrawn]:
    """One line a purpose (a consent given for two records is withdrawn once
    for each), in the order first withdrawn."""
    by_purpose: dict[str, list[ConsentRecord]] = {}
    for row in rows:
        by_purpose.setdefault(row.purpose, []).append(row)
    return [
        Withdrawn(purpose, same[0].wording, max(r.recorded_at for r in same), len(same))
        for purpose, same in by_purpose.items()
    ]
