"""Withdrawing a case subject's consent in the consent ledger (DESIGN §9).

Two requests end in a consent withdrawn: a consent-withdrawal request
(Art 7(3), ``app.restriction.consent_withdrawal``) and an upheld objection
to a consent-based purpose (Art 21, ``app.restriction.objections``). Both
withdraw here, so the ledger says the same of each: the consent withdrawn
for every one of the subject's confirmed records that still has it given,
dated, by whom, and "at the data subject's request" with the case's
reference. The ledger stays the one record of consent; nothing is edited.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from app.accounts.models import User
from app.cases.models import Case
from app.restriction.services import subject_records
from app.sources.consent import services as consent
from app.sources.consent.models import ConsentMethod, ConsentRecord
from app.sources.correspondence.models import PersonKind as LedgerKind


def _people(case: Case) -> list[consent.Person]:
    return [
        consent.Person(case.organisation_id, LedgerKind(kind.value), record_id)
        for kind, record_id in subject_records(case)
    ]


def given_states(case: Case) -> dict[str, consent.PurposeState]:
    """Each purpose given now (and not withdrawn since) for any of the
    subject's confirmed records, by purpose, with its wording and since when
    (the latest grant, where two records have it)."""
    given: dict[str, consent.PurposeState] = {}
    for person in _people(case):
        for state in consent.current_state(person):
            if state.granted and (state.purpose not in given or state.since > given[state.purpose].since):
                given[state.purpose] = state
    return dict(sorted(given.items()))


def consents_given(case: Case) -> list[str]:
    """The consent ledger purposes given now (and not withdrawn since) for
    any of the subject's confirmed records: the ones that can be withdrawn."""
    return list(given_states(case))


def consents_withdrawn(case: Case) -> dict[str, datetime]:
    """The purposes once given for the subject's records and withdrawn for
    every one of them, with when the latest withdrawal was recorded."""
    latest: dict[str, datetime] = {}
    granted: set[str] = set()
    for person in _people(case):
        for state in consent.current_state(person):
            if state.granted:
                granted.add(state.purpose)
            elif state.purpose not in latest or state.since > latest[state.purpose]:
                latest[state.purpose] = state.since
    return {purpose: since for purpose, since in latest.items() if purpose not in granted}


def is_purpose_code(value: str) -> bool:
    return re.fullmatch(consent.PURPOSE_PATTERN, value) is not None


def label(purpose: str) -> str:
    """A purpose code as a person reads it: ``photos_website`` -> ``photos website``."""
    return purpose.replace("_", " ")


def consent_problem(case: Case, purpose: str) -> str | None:
    """Why ``purpose`` cannot be withdrawn for the case's subject, or None
    when it can: withdrawing one the subject never gave (a mistyped code),
    or one already withdrawn, would change nothing while the case says it did."""
    if not is_purpose_code(purpose):
        return "Use the consent ledger's purpose code, e.g. photographs"
    if not subject_records(case):
        return "Confirm the subject's records first: the consent is withdrawn from them"
    given = consents_given(case)
    if purpose in given:
        return None
    withdrawn = consents_withdrawn(case).get(purpose)
    since = f" (it was withdrawn on {withdrawn:%-d %B %Y})" if withdrawn else ""
    if not given:
        return f"The subject has no consent given for {purpose}{since}, or for anything else, to withdraw"
    return f"The subject has no consent given for {purpose}{since}: choose one of {', '.join(given)}"


def withdraw_for_case(case: Case, purpose: str, actor: User) -> Sequence[ConsentRecord]:
    """Record ``purpose`` withdrawn for each of the subject's confirmed
    records that still has it given, at the data subject's request through
    this case, recorded by ``actor``. Returns the new ledger rows (none when
    no record has it given). In the caller's transaction."""
    rows: list[ConsentRecord] = []
    for person in _people(case):
        state = {s.purpose: s for s in consent.current_state(person)}.get(purpose)
        if state is None or not state.granted:
            continue
        # The request came in writing through the public form, recorded by staff.
        rows.append(
            consent.withdraw(
                person,
                purpose,
                method=ConsentMethod.WEB,
                recorded_by=actor.name,
                evidence=f"Withdrawn at the data subject's request, case {case.reference or case.id}",
                actor_id=actor.id,
            )
        )
    return rows
