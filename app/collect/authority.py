"""Whether a parent asking for a child is, on the school's own records, one
of the child's contacts with parental responsibility.

A parent-carer request is answered with a child's data, so staff should
know before anything is disclosed whether the school has ever recorded the
requester as someone with parental responsibility for that child. The
match shows it once the DPO has confirmed the pupil and the requester's
own contact record (app.collect.identity searches for both); the answer is
a state, never a record's content.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict

from sqlalchemy import select

from app.cases.models import Case, Relationship
from app.collect.identity import REQUESTER, SUBJECT
from app.collect.models import CaseCandidate, Decision
from app.extensions import db
from app.sources.contacts.source import parental_responsibility
from app.sources.protocol import PersonKind


class ParentalLink(enum.StrEnum):
    # A confirmed contact of the pupil whom the school records with parental responsibility.
    RESPONSIBLE = "responsible"
    # A confirmed contact of the pupil, but without parental responsibility on record.
    NO_RESPONSIBILITY = "no_responsibility"
    # No confirmed contact record of the requester is linked to the pupil.
    NOT_A_CONTACT = "not_a_contact"


def parental_link(case: Case) -> ParentalLink | None:
    """For a parent-carer request whose pupil is confirmed, what the
    school's records say of the requester; None when it does not apply
    (another kind of requester) or cannot be told yet (no pupil confirmed)."""
    if case.requester_relationship is not Relationship.PARENT_CARER:
        return None
    confirmed = db.session.execute(
        select(CaseCandidate.about, CaseCandidate.kind, CaseCandidate.record_id).where(
            CaseCandidate.case_id == case.id, CaseCandidate.decision == Decision.CONFIRMED
        )
    ).all()
    records: defaultdict[tuple[str, PersonKind], set[uuid.UUID]] = defaultdict(set)
    for about, kind, record in confirmed:
        records[(about, kind)].add(record)
    pupils = records.get((SUBJECT, PersonKind.PUPIL))
    if not pupils:
        return None
    contacts = records.get((REQUESTER, PersonKind.CONTACT))
    flags = parental_responsibility(db.session, pupils, contacts) if contacts else []
    if any(flags):
        return ParentalLink.RESPONSIBLE
    return ParentalLink.NO_RESPONSIBILITY if flags else ParentalLink.NOT_A_CONTACT
