"""Recording consent and reading its current state (DESIGN §9).

The ledger is append-only: giving and withdrawing are both new rows, and the
current state of a purpose is simply its latest row. A wording version names
one exact text: recording a different text under a version already used is
refused, so "version 2024.1" always means what the parent was shown.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.audit.services import record as audit
from app.extensions import db
from app.sources.consent.models import (
    ConsentDecision,
    ConsentMethod,
    ConsentRecord,
    wording_sha256,
)
from app.sources.contacts.models import Contact
from app.sources.correspondence.models import PersonKind
from app.sources.employees.models import Employee
from app.sources.pupils.models import Pupil
from app.sources.validation import FieldError, has_control_characters

PURPOSE_PATTERN = r"^[a-z][a-z0-9_]{1,59}$"
_PURPOSE = re.compile(PURPOSE_PATTERN)
MAX_WORDING = 5000
MAX_VERSION = 40
MAX_EVIDENCE = 2000
MAX_RECORDED_BY = 200
_STORES = {PersonKind.PUPIL: Pupil, PersonKind.CONTACT: Contact, PersonKind.EMPLOYEE: Employee}


@dataclass(frozen=True, slots=True)
class Person:
    organisation_id: uuid.UUID
    kind: PersonKind
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PurposeState:
    """Where one purpose stands for a person: the latest row decides."""

    purpose: str
    decision: ConsentDecision
    since: datetime
    wording: str
    wording_version: str
    method: ConsentMethod

    @property
    def granted(self) -> bool:
        return self.decision is ConsentDecision.GRANTED


def check_person(person: Person) -> None:
    """The person must be a record of that organisation's own store."""
    store = _STORES[person.kind]
    found = db.session.scalar(
        select(store.organisation_id).where(store.id == person.id)  # type: ignore[attr-defined]
    )
    if found != person.organisation_id:
        raise FieldError("person_id", "No such person in that organisation's records")


def _text(value: str | None, field: str, limit: int, *, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise FieldError(field, "Enter some text")
        return None
    if len(text) > limit:
        raise FieldError(field, f"Use at most {limit} characters")
    if has_control_characters(text):
        raise FieldError(field, "Remove the control characters (they are not text)")
    return text


def record_consent(
    person: Person,
    *,
    purpose: str,
    decision: ConsentDecision,
    wording: str,
    wording_version: str,
    method: ConsentMethod,
    recorded_by: str,
    evidence: str | None = None,
    actor_id: uuid.UUID | None = None,
    actor_type: str = "user",
) -> ConsentRecord:
    """Append one grant or withdrawal, in the caller's transaction."""
    if not _PURPOSE.fullmatch(purpose or ""):
        raise FieldError("purpose", "Use a code of lower-case letters, digits and _, e.g. photos_website")
    wording_text = _text(wording, "wording", MAX_WORDING)
    version = _text(wording_version, "wording_version", MAX_VERSION)
    who = _text(recorded_by, "recorded_by", MAX_RECORDED_BY)
    proof = _text(evidence, "evidence", MAX_EVIDENCE, required=False)
    check_person(person)
    digest = wording_sha256(wording_text or "")
    earlier = db.session.scalar(
        select(ConsentRecord.wording_sha256)
        .where(
            ConsentRecord.organisation_id == person.organisation_id,
            ConsentRecord.purpose == purpose,
            ConsentRecord.wording_version == version,
        )
        .limit(1)
    )
    if earlier is not None and earlier != digest:
        raise FieldError(
            "wording", f"Version {version} of {purpose} was recorded with other wording: use a new version"
        )
    row = ConsentRecord(
        id=uuid.uuid4(),
        organisation_id=person.organisation_id,
        person_kind=person.kind,
        person_id=person.id,
        purpose=purpose,
        decision=decision,
        wording=wording_text,
        wording_version=version,
        wording_sha256=digest,
        method=method,
        evidence=proof,
        recorded_by=who,
    )
    db.session.add(row)
    audit(
        f"consent.{decision.value}",
        actor_type=actor_type,
        actor_id=actor_id,
        object_type="consent_record",
        object_id=row.id,
        data={"person_kind": person.kind.value, "person_id": str(person.id), "purpose": purpose},
    )
    return row


def history(person: Person) -> Sequence[ConsentRecord]:
    return db.session.scalars(
        select(ConsentRecord)
        .where(
            ConsentRecord.organisation_id == person.organisation_id,
            ConsentRecord.person_kind == person.kind,
            ConsentRecord.person_id == person.id,
        )
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
    ).all()


def current_state(person: Person) -> list[PurposeState]:
    """Each purpose ever asked about, with its latest decision, by purpose."""
    latest: dict[str, ConsentRecord] = {}
    for row in history(person):
        latest[row.purpose] = row  # in recorded order, so the last one wins
    return [
        PurposeState(r.purpose, r.decision, r.recorded_at, r.wording, r.wording_version, r.method)
        for r in sorted(latest.values(), key=lambda r: r.purpose)
    ]


def withdraw(
    person: Person,
    purpose: str,
    *,
    method: ConsentMethod,
    recorded_by: str,
    evidence: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> ConsentRecord:
    """Withdraw a purpose currently granted, under the wording that was agreed to.
    ``evidence`` says how it came (e.g. the rights request it answers) and
    ``actor_id`` names the member of staff who recorded it, if one did."""
    state = {s.purpose: s for s in current_state(person)}.get(purpose)
    if state is None or not state.granted:
        raise FieldError("purpose", "There is no consent to withdraw for this purpose")
    return record_consent(
        person,
        purpose=purpose,
        decision=ConsentDecision.WITHDRAWN,
        wording=state.wording,
        wording_version=state.wording_version,
        method=method,
        recorded_by=recorded_by,
        evidence=evidence,
        actor_id=actor_id,
        actor_type="user" if actor_id else "data_subject",
    )
