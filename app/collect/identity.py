"""From a case to what the sources search for: the subject's (and, for
someone acting for another, the requester's) ``Identity``, and, once the
DPO has confirmed records, the ``Match`` every source collects from."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from app.cases.models import Case, Relationship
from app.collect.models import CaseCandidate, Decision
from app.orgs.services import covered_organisation_ids
from app.sources.names import normalise_email
from app.sources.protocol import Identity, Match, PersonKind

SUBJECT = "subject"
REQUESTER = "requester"
# The roles a requester acting for someone else is searched as.
_REQUESTER_ROLES = {Relationship.PARENT_CARER: "parent"}


def split_name(full_name: str) -> tuple[str, str]:
    """Forename(s) and surname of a name typed in one box.

    The last word is taken as the surname and everything before it as the
    forename: middle names are far commoner in school records than
    multi-word surnames, and the matcher scores "one part of a double
    name" for the rest ("Anna de la Cruz" still meets "Cruz").
    """
    words = full_name.split()
    if len(words) < 2:
        return (words[0] if words else ""), ""
    return " ".join(words[:-1]), words[-1]


def organisations_of(case: Case) -> frozenset[uuid.UUID]:
    """The case's organisation and, for a trust, its member schools."""
    return frozenset(covered_organisation_ids(case.organisation_id))


def subject_identity(case: Case, organisation_ids: frozenset[uuid.UUID]) -> Identity:
    forename, surname = split_name(case.subject_name)
    # The requester's email and phone are the subject's own only when they
    # ask for themselves.
    own = case.requester_relationship is Relationship.SELF
    emails = frozenset({normalise_email(case.requester_email)}) if own else frozenset()
    phones = frozenset({case.requester_phone}) if own and case.requester_phone else frozenset()
    return Identity(
        organisation_ids=organisation_ids,
        forename=forename,
        surname=surname,
        date_of_birth=case.subject_date_of_birth,
        upn=case.subject_upn,
        staff_number=case.subject_staff_number,
        emails=emails,
        phones=phones,
        # No role: every person store is searched, whatever the form's tick
        # (a member of staff who ticked "parent" still has a staff record,
        # and Art 15 covers all of it). The console marks a record of another
        # kind than the role given (``CaseCandidate.fits_role``).
        role=None,
    )


def requester_identity(case: Case, organisation_ids: frozenset[uuid.UUID]) -> Identity | None:
    """The requester as a person to find, when they act for someone else
    (a parent's own contact record shows the DPO their parental link)."""
    if case.requester_relationship is Relationship.SELF:
        return None
    forename, surname = split_name(case.requester_name)
    return Identity(
        organisation_ids=organisation_ids,
        forename=forename,
        surname=surname,
        emails=frozenset({normalise_email(case.requester_email)}),
        phones=frozenset({case.requester_phone}) if case.requester_phone else frozenset(),
        role=_REQUESTER_ROLES.get(case.requester_relationship),
    )


def match_from(
    case: Case, organisation_ids: frozenset[uuid.UUID], candidates: Iterable[CaseCandidate]
) -> Match:
    """The confirmed subject records, by kind, with the email addresses they carry.

    Requester records are never part of the match: they were confirmed to
    show authority, and their data is not the subject's.
    """
    return match_for(
        organisation_ids,
        [
            (candidate.kind, candidate.record_id, candidate.summary_json)
            for candidate in candidates
            if candidate.decision is Decision.CONFIRMED and candidate.about == SUBJECT
        ],
        requester_relationship=case.requester_relationship,
        requester_email=case.requester_email,
    )


def match_for(
    organisation_ids: frozenset[uuid.UUID],
    records: Iterable[tuple[PersonKind, uuid.UUID, str]],
    *,
    requester_relationship: Relationship,
    requester_email: str,
) -> Match:
    """``match_from`` for plain values: the confirmed subject records as
    (kind, record id, summary JSON), and the case's requester (whose email
    address is the subject's own when they ask for themselves)."""
    ids: dict[PersonKind, set[uuid.UUID]] = {kind: set() for kind in PersonKind}
    emails: set[str] = set()
    for kind, record_id, summary_json in records:
        ids[PersonKind(kind)].add(record_id)
        emails |= _emails_in(json.loads(summary_json))
    if requester_relationship is Relationship.SELF:
        emails.add(normalise_email(requester_email))
    return Match(
        organisation_ids=organisation_ids,
        pupil_ids=frozenset(ids[PersonKind.PUPIL]),
        contact_ids=frozenset(ids[PersonKind.CONTACT]),
        employee_ids=frozenset(ids[PersonKind.EMPLOYEE]),
        emails=frozenset(emails),
    )


def _emails_in(summary: dict[str, object]) -> set[str]:
    """The addresses a confirmed record's summary carries: a contact's
    ``email``, a member of staff's work and personal ``emails`` (pupil
    records hold none). The stores keyed by address (correspondence, the
    helpdesk, the access log's actors) find the subject by these, whatever
    address the requester wrote from."""
    found: set[str] = set()
    for name in ("email", "emails"):
        value = summary.get(name)
        values = value if isinstance(value, list | tuple) else [value]
        found |= {normalise_email(v) for v in values if isinstance(v, str) and "@" in v}
    return found
