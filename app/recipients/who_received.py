"""Art 19: who received the subject's data, from the processing register.

The recipients of a case's data are the third parties the processing
register names for the categories concerned: never the controller whose
case it is (the school, or the trust, whose request the company acts on),
nor the trust a school belongs to, nor a trust's own schools for a case of
that trust. They are one controller's side: the data was not disclosed to
them, they disclosed it, and Art 19 is theirs to carry out.

Which categories a change concerns is taken from the case, not from the
whole register entry: an erasure's executed steps that changed something
(kept categories are not erased), a rectification's applied proposals, a
restriction's restricted records. A recipient that received none of them
is not told.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from app.cases.models import Case
from app.collect.models import CollectedItem
from app.erasure.models import ErasurePlan, StepAction, StepState
from app.extensions import db
from app.orgs.models import Organisation
from app.recipients.models import Change, RecipientKind
from app.rectification.models import ProposalStatus, RectificationProposal
from app.register.models import RegisterEntry
from app.restriction.models import Restriction
from app.sources.protocol import PersonKind

Pair = tuple[str, str]  # (source, category) as the register and collected items name it

# An erasure target (``app.erasure.targets``) and the register entries whose
# data it changes, where their names differ.
_ERASURE_REGISTER: dict[Pair, tuple[Pair, ...]] = {
    ("pupils", "assessments"): (("pupils", "assessment"),),
    ("pupils", "enrolments"): (("pupils", "enrolment"),),
    ("contacts", "contact"): (("contacts", "identity"), ("contacts", "pupil_link")),
    ("employees", "employee"): (("employees", "staff_record"),),
    ("correspondence", "correspondence_shared"): (("correspondence", "correspondence"),),
    ("helpdesk", "support_ticket_about"): (("helpdesk", "support_ticket"),),
}
# What an executed erasure step did, as the notice says it.
_ERASURE_DONE = {
    StepAction.DELETE: "deleted",
    StepAction.ANONYMISE: "anonymised",
    StepAction.KEEP_NAME: "anonymised, name kept for historical reports",
}
# The register entries a corrected or restricted person record belongs to.
_RECORD_ENTRIES: dict[PersonKind, Pair] = {
    PersonKind.PUPIL: ("pupils", "identity"),
    PersonKind.CONTACT: ("contacts", "identity"),
    PersonKind.EMPLOYEE: ("employees", "staff_record"),
}
_RECORD_SOURCES = {kind: pair[0] for kind, pair in _RECORD_ENTRIES.items()}


@dataclass
class Recipient:
    kind: RecipientKind
    name: str
    email: str | None = None
    # Register titles of the categories this recipient received (for a
    # change, only those it changed, with what was done where it says more).
    categories: list[str] = field(default_factory=list)


def recipients_for(case: Case, change: Change | str | None = None) -> list[Recipient]:
    """The third parties the register says received the subject's data, by
    name: for ``change``, only those that received a category it changed,
    each with those categories; without one, every recipient of the data the
    case holds."""
    if change is None:
        changed = {(entry.source, entry.category): "" for entry in _register_entries(case.id)}
    else:
        changed = changed_categories(case, Change(change))
    own = _controller_names(case.organisation)
    by_name: dict[str, Recipient] = {}
    for entry in _entries(changed):
        how = changed[(entry.source, entry.category)]
        title = f"{entry.title} ({how})" if how else entry.title
        for name in entry.recipients:
            target = _classify(name.strip(), own, by_name)
            if target is not None and title not in target.categories:
                target.categories.append(title)
    return sorted(by_name.values(), key=lambda r: r.name.casefold())


def changed_categories(case: Case, change: Change) -> dict[Pair, str]:
    """The register entries (source, category) whose data ``change`` changed
    on this case, each with what was done ("" where the change says it all)."""
    if change is Change.ERASURE:
        return _erased(case)
    if change is Change.RECTIFICATION:
        kinds = db.session.scalars(
            select(RectificationProposal.kind)
            .where(
                RectificationProposal.case_id == case.id,
                RectificationProposal.status == ProposalStatus.APPLIED,
            )
            .distinct()
        )
        return {_RECORD_ENTRIES[PersonKind(kind)]: "" for kind in kinds}
    return _restricted(case)


def _erased(case: Case) -> dict[Pair, str]:
    """Only the executed steps that changed rows: a kept category, or one
    whose step found nothing left to change, was not erased."""
    plan = db.session.scalar(select(ErasurePlan).where(ErasurePlan.case_id == case.id))
    done: dict[Pair, list[str]] = {}
    for step in plan.steps if plan is not None else ():
        if step.action is StepAction.KEEP or step.state is not StepState.DONE or not step.affected_count:
            continue
        key = (step.source, step.category)
        for pair in _ERASURE_REGISTER.get(key, (key,)):
            words = done.setdefault(pair, [])
            if _ERASURE_DONE[step.action] not in words:
                words.append(_ERASURE_DONE[step.action])
    return {pair: " and ".join(words) for pair, words in done.items()}


def _restricted(case: Case) -> dict[Pair, str]:
    """A restriction covers the whole person record in its store: the
    store's register entries, narrowed to those the case collected when it
    collected any from that store."""
    kinds = db.session.scalars(
        select(Restriction.person_kind).where(Restriction.case_id == case.id).distinct()
    )
    sources = {_RECORD_SOURCES[PersonKind(kind)] for kind in kinds}
    if not sources:
        return {}
    held = {(e.source, e.category) for e in _register_entries(case.id)}
    pairs: dict[Pair, str] = {}
    for entry in db.session.scalars(select(RegisterEntry).where(RegisterEntry.source.in_(sorted(sources)))):
        held_here = {pair for pair in held if pair[0] == entry.source}
        if not held_here or (entry.source, entry.category) in held_here:
            pairs[(entry.source, entry.category)] = ""
    return pairs


def _entries(pairs: Iterable[Pair]) -> list[RegisterEntry]:
    wanted = set(pairs)
    if not wanted:
        return []
    sources = sorted({source for source, _ in wanted})
    query = (
        select(RegisterEntry)
        .where(RegisterEntry.source.in_(sources))
        .order_by(RegisterEntry.source, RegisterEntry.category)
    )
    return [e for e in db.session.scalars(query) if (e.source, e.category) in wanted]


def controller_side(organisation: Organisation) -> list[Organisation]:
    """The case's controller side: the school (or trust), its trust, and a
    trust's own schools. None of them is a recipient to tell."""
    return [organisation, *([organisation.trust] if organisation.trust else []), *organisation.members]


def _controller_names(organisation: Organisation) -> set[str]:
    return {org.name.strip().casefold() for org in controller_side(organisation)}


# The register words its recipients for the response letter, so the school,
# its trust and the subject appear there as sentences ("The school (the
# controller) and its authorised staff", "The academy trust the school
# belongs to ..."). A third party that merely starts alike ("the school
# nursing service") is still a recipient.
_SUBJECT_PHRASES = ("the person the data is about", "the data subject")
_CONTROLLER_SENTENCE = re.compile(
    r"\(the controller\)"
    r"|^the school(?:['\u2019]s\b|\s*\(|\s+and\b|\s+itself\b|\s*,|$)"
    r"|^(?:the|its) (?:academy )?trust\b"
    r"|\btrust the school belongs to\b"
)


def _classify(name: str, own: set[str], by_name: dict[str, Recipient]) -> Recipient | None:
    """A register recipient, or None for the controller's own side (the
    school, its trust, by sentence or by name) and for the subject: none of
    them is a recipient to tell."""
    folded = name.casefold()
    if not folded or any(phrase in folded for phrase in _SUBJECT_PHRASES):
        return None
    if _CONTROLLER_SENTENCE.search(folded):
        return None
    if any(folded == mine or folded.startswith((f"{mine} ", f"{mine},")) for mine in own):
        return None
    return by_name.setdefault(folded, Recipient(RecipientKind.REGISTER, name))


def _register_entries(case_id: uuid.UUID) -> Sequence[RegisterEntry]:
    held = (
        select(CollectedItem.source, CollectedItem.category)
        .where(CollectedItem.case_id == case_id)
        .distinct()
        .subquery()
    )
    query = (
        select(RegisterEntry)
        .join(held, (RegisterEntry.source == held.c.source) & (RegisterEntry.category == held.c.category))
        .order_by(RegisterEntry.source, RegisterEntry.category)
    )
    return db.session.scalars(query).all()
