"""Reducing a long-finished case's record to what accountability needs.

Some weeks after a case finishes, its copies of people's data go
(``app.exports.retention``). The record of how the request was handled is
the controller's evidence should the requester complain or claim, and a
claim can be brought for six years (Limitation Act 1980), so that is how
long it is kept in full by default (``RIGHTSDESK_CASE_RECORD_RETENTION_YEARS``,
counted from the day it was closed or withdrawn, as the retention schedule
counts its periods: kept through the day before, reduced from the day of).
A submission whose email address was never confirmed never became a
request: it is reduced as soon as its copies go.

Reducing removes everything that identifies the people in the record and
keeps its shape:

- the case: who asked and about whom (names, email, phone, date of birth,
  UPN, staff number), their words, and every free-text reason staff wrote
  (identity, authority, extension, refusal); the duplicate key, the
  confirmation code's digest and link hash go too;
- clarification questions and answers; restriction and objection reasons;
  rectification values (before, proposed) and reasons; review notes;
- letters kept as files (rectification letters, the erasure certificate):
  crypto-shredded; the status page links and the emails about the case
  still in the outbox: deleted; the addresses the response download links
  went to;
- links into the stores: candidates deleted, erasure steps' record lists
  emptied, review decisions' item keys and the record ids of rectification
  proposals and restrictions replaced, so nothing leads back to a person;
- links between requests: a reduced case is no longer offered as the
  possible duplicate of another, nor another of it (the flags are cleared,
  each with a line on the flagged case's timeline: ``app.cases.duplicates``).

What stays: the reference, the organisation, the kind of request and of
requester, the subject's role, every date and status, the clock, the
timeline (codes and dates only), the systems searched with their counts,
the review actions and exemptions, the erasure steps' counts, the
recipients told, and the audit chain (ids and codes, never personal data).

A case still under a restriction in force, or under a legal hold (on its
school, the school's trust, or a record confirmed as the person's), is left
whole until that ends. A run reduces the cases in one transaction (the
caller commits; the daily task takes them in batches, each committed on its
own), and ``record_reduced_at`` marks each case, so a run interrupted at
any point leaves nothing half-reduced and a re-run finds only what is left.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, delete, exists, or_, select, update

from app.audit.services import record
from app.blobs.models import Blob
from app.blobs.services import FileDestroyed, shred_blob
from app.cases.duplicates import unflag_reduced
from app.cases.lifecycle import FINISHED, add_event
from app.cases.models import Case, CasePause, CaseStatusLink
from app.collect.models import CaseCandidate, Decision
from app.db import utcnow
from app.erasure.models import ErasurePlan, ErasureStep
from app.exports.models import DownloadLink
from app.exports.retention import destroy_case_copies, retention_days
from app.extensions import db
from app.mail.models import OutboxMessage
from app.orgs.models import Organisation
from app.rectification.models import RectificationLetter, RectificationProposal
from app.restriction.models import Objection, Restriction
from app.review.models import ItemDecision
from app.rights.models import HoldSubject, LegalHold, PeriodUnit
from app.rights.periods import cutoff, start_of_day_after

# Read from the environment by app/config.py; the fallback serves an app
# configured without it.
RETENTION_YEARS = 6
CONFIG_KEY = "RIGHTSDESK_CASE_RECORD_RETENTION_YEARS"
# Stands in for the record ids that linked the record to the stores.
UNLINKED = uuid.UUID(int=0)
# Every column of ``cases`` that names or describes a person, or lets a new
# request be linked to this one.
REMOVED_FROM_CASE = (
    "requester_name", "requester_email", "requester_phone", "subject_name", "subject_dob",
    "subject_upn", "subject_staff_number", "description", "extension_reason", "identity_reason",
    "authority_evidence", "refusal_detail", "duplicate_key", "code_digest", "confirm_token_hash",
    "destination_name", "destination_email",
)  # fmt: skip
HOLD_REASON = "Restricted under UK GDPR Article 18 for"
REMOVED = "details removed with the case record"


@dataclass
class ReduceReport:
    as_of: date
    dry_run: bool
    cases: list[uuid.UUID] = field(default_factory=list)
    unconfirmed: int = 0
    files_shredded: int = 0
    held: list[uuid.UUID] = field(default_factory=list)
    # Cases no longer flagged as a possible duplicate (of a reduced case, or
    # reduced themselves).
    unflagged: list[uuid.UUID] = field(default_factory=list)

    def __str__(self) -> str:
        verb = "would be reduced" if self.dry_run else "reduced"
        held = f"; {len(self.held)} left whole under a restriction or legal hold" if self.held else ""
        unflagged = (
            f"; {len(self.unflagged)} duplicate flag(s) to a reduced record cleared" if self.unflagged else ""
        )
        return (
            f"{len(self.cases)} case record(s) {verb} as of {self.as_of:%Y-%m-%d} "
            f"({self.unconfirmed} never confirmed), {self.files_shredded} letter file(s) shredded{held}"
            f"{unflagged}"
        )


def retention_years() -> int:
    return int(current_app.config.get(CONFIG_KEY) or RETENTION_YEARS)


def check_letter_file(blob: Blob, what: str) -> None:
    """Raise ``FileDestroyed`` if a letter kept as a file (``what``, e.g.
    "erasure certificate") was shredded with its case's record."""
    destroyed = blob.destroyed_at
    if destroyed is not None:
        raise FileDestroyed(
            f"This {what} was destroyed on {destroyed:%-d %B %Y}, when the case record was reduced "
            f"{retention_years()} years after the case closed, as the retention rules require. "
            "It can no longer be opened."
        )


def _held() -> ColumnElement[bool]:
    """A restriction in force on the case, or an active legal hold on its
    organisation, on that organisation's trust (which covers its schools, as
    in retention and erasure), or on a record the DPO confirmed as the
    person's: a claim or complaint the record may be evidence in."""
    restricted = exists().where(Restriction.case_id == Case.id, Restriction.lifted_at.is_(None))
    organisation_held = exists().where(
        Organisation.id == Case.organisation_id,
        LegalHold.subject_kind == HoldSubject.ORGANISATION,
        or_(LegalHold.subject_id == Organisation.id, LegalHold.subject_id == Organisation.trust_id),
        LegalHold.released_at.is_(None),
    )
    # Hold subjects spell the person kinds as candidates do (app.rights.models).
    person_held = exists().where(
        CaseCandidate.case_id == Case.id,
        CaseCandidate.decision == Decision.CONFIRMED,
        LegalHold.subject_kind == CaseCandidate.kind,
        LegalHold.subject_id == CaseCandidate.record_id,
        LegalHold.released_at.is_(None),
    )
    return or_(restricted, organisation_held, person_held)


def due_records(
    now: datetime, years: int | None = None, *, limit: int | None = None
) -> tuple[list[Case], list[Case]]:
    """Finished, unreduced cases whose record is due on ``now``'s day: those
    to reduce (at most ``limit``, oldest first), and every one held back
    (restricted or held)."""
    closed_before = start_of_day_after(cutoff(now.date(), years or retention_years(), PeriodUnit.YEARS))
    unconfirmed_before = now - timedelta(days=retention_days())
    due = (
        select(Case)
        .where(
            Case.status.in_(FINISHED),
            Case.record_reduced_at.is_(None),
            or_(
                Case.closed_at < closed_before,
                Case.reference.is_(None) & (Case.closed_at < unconfirmed_before),
            ),
        )
        .order_by(Case.closed_at, Case.id)
    )
    # Held cases are counted apart, so a batch is never filled with cases
    # that stay whole (the next batch would find the same ones).
    to_reduce = db.session.scalars(due.where(~_held()).limit(limit)).all()
    held = db.session.scalars(due.where(_held())).all()
    return list(to_reduce), list(held)


def _letter_blobs(case: Case) -> list[uuid.UUID]:
    letters = select(RectificationLetter.blob_id).where(RectificationLetter.case_id == case.id)
    certificate = select(ErasurePlan.certificate_blob_id).where(
        ErasurePlan.case_id == case.id, ErasurePlan.certificate_blob_id.is_not(None)
    )
    return list(db.session.scalars(letters.union_all(certificate)))


def _execute(*statements) -> None:
    for statement in statements:
        db.session.execute(statement.execution_options(synchronize_session=False))


def reduce_case_record(case: Case, *, now: datetime | None = None) -> int:
    """Reduce one finished case's record (see the module docstring); returns
    the letter files shredded. In the caller's transaction."""
    now = now or utcnow()
    if case.copies_destroyed_at is None:
        destroy_case_copies(case, now=now)
    blobs = _letter_blobs(case)
    for blob_id in blobs:
        shred_blob(blob_id)
    for name in REMOVED_FROM_CASE:
        setattr(case, name, None)
    case.record_reduced_at = now
    case_id = case.id
    _execute(
        update(CasePause).where(CasePause.case_id == case_id).values(question=None, answer=None),
        delete(CaseStatusLink).where(CaseStatusLink.case_id == case_id),
        delete(OutboxMessage).where(OutboxMessage.case_id == case_id),
        delete(CaseCandidate).where(CaseCandidate.case_id == case_id),
        # The holds that carried out the case's (lifted) restrictions quote
        # the requester's reason and point at the person's record.
        update(LegalHold)
        .where(
            LegalHold.id.in_(select(Restriction.hold_id).where(Restriction.case_id == case_id)),
            LegalHold.released_at.is_not(None),
        )
        .values(reason=f"{HOLD_REASON} {case.reference or case_id}; {REMOVED}", subject_id=UNLINKED),
        update(Restriction)
        .where(Restriction.case_id == case_id)
        .values(reason=None, lifted_reason=None, lift_reason=None, person_id=UNLINKED),
        update(Objection).where(Objection.case_id == case_id).values(grounds=None),
        update(RectificationProposal)
        .where(RectificationProposal.case_id == case_id)
        # Each its own stand-in: proposals are unique by record and field.
        .values(before_value=None, proposed_value=None, reason=None, record_id=RectificationProposal.id),
        update(DownloadLink)
        .where(DownloadLink.case_id == case_id)
        .values(recipient_email=None, recipient_name=None),
        update(ErasureStep)
        .where(ErasureStep.plan_id.in_(select(ErasurePlan.id).where(ErasurePlan.case_id == case_id)))
        .values(record_ids=None),
    )
    # Item keys name the store record an item came from; the decision's own
    # id is unique within the case, as the key was.
    for decision in db.session.scalars(select(ItemDecision).where(ItemDecision.case_id == case_id)):
        decision.item_key = f"reduced:{decision.id}"
        decision.note = None
    add_event(case, "record_reduced", None, {"letter_files": len(blobs)})
    record(
        "case.record_reduced",
        object_type="case",
        object_id=case_id,
        data={"letter_files": len(blobs), "confirmed": case.reference is not None},
    )
    return len(blobs)


def reduce_due_records(
    now: datetime | None = None, *, dry_run: bool = False, years: int | None = None, limit: int | None = None
) -> ReduceReport:
    """Reduce every case record that is due, or the ``limit`` oldest (or,
    with ``dry_run``, only list them), and clear the duplicate flags that
    link a case to a reduced one (those of this run's and any left by an
    earlier one). The caller commits."""
    now = now or utcnow()
    due, held = due_records(now, years, limit=limit)
    report = ReduceReport(now.date(), dry_run, held=[case.id for case in held])
    for case in due:
        report.files_shredded += len(_letter_blobs(case)) if dry_run else reduce_case_record(case, now=now)
        report.cases.append(case.id)
        report.unconfirmed += case.reference is None
    if not dry_run:
        report.unflagged = unflag_reduced()
        db.session.flush()
    return report
