"""What the console shows, always through organisation scoping."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Role, User
from app.accounts.scoping import get_in_scope, scope_query, sees_every_organisation
from app.cases.auto_close import closes_on
from app.cases.children import ChildsView, childs_view
from app.cases.clock_inputs import clock_summary
from app.cases.lifecycle import ANSWERED_BY_LETTER
from app.cases.models import Case, CaseStatus
from app.cases.next_action import CaseState, NextAction, next_action
from app.cases.queries import count_cases, get_case, list_cases
from app.collect.authority import ParentalLink, parental_link
from app.collect.identity import SUBJECT
from app.collect.looks import GatherProgress, gather_progress
from app.collect.models import CaseCandidate, Decision
from app.collect.searched import gathers_by_address, last_searched_on
from app.db import utcnow
from app.exports import links, packs
from app.exports.models import LinkAudience, PackStatus
from app.extensions import db
from app.mail.models import OutboxMessage, OutboxStatus
from app.mail.services import latest_staff_mail
from app.orgs.models import Organisation
from app.restriction.models import ObjectionDecision
from app.restriction.objections import objections_for, outside_article_21
from app.restriction.services import restrictions_for
from app.review.listing import progress as review_progress


@dataclass(frozen=True)
class CaseRow:
    """One line of the case list."""

    id: uuid.UUID
    reference: str
    request_type: str
    organisation_name: str
    status: str
    due_date: date | None
    days_left: int | None
    received_on: date
    closed_on: date | None


CASES_PER_PAGE = 100


@dataclass(frozen=True)
class CaseList:
    """One page of the case list: the requests still to be answered (most
    urgent first) or those answered or ended (newest first), with how many
    there are of each."""

    rows: list[CaseRow]
    answered: bool
    page: int
    pages: int
    to_answer: int
    answered_count: int


def case_list(
    user: User,
    *,
    answered: bool = False,
    page: int = 1,
    today: date | None = None,
    per_page: int = CASES_PER_PAGE,
) -> CaseList:
    """A page of the cases ``user`` may see. Due dates and days left are
    computed by the clock from each case's inputs. A page past the last
    shows the last."""
    today = today or utcnow().date()
    to_answer, answered_count = count_cases(user)
    pages = max(1, -(-(answered_count if answered else to_answer) // per_page))
    page = min(max(page, 1), pages)
    query = (
        list_cases(user, answered=answered)
        .options(joinedload(Case.organisation), selectinload(Case.pauses))
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = []
    for case in db.session.scalars(query).unique():
        summary = clock_summary(case, today)
        rows.append(
            CaseRow(
                id=case.id,
                reference=case.reference or "",
                request_type=case.request_type.value.replace("_", " "),
                organisation_name=case.organisation.name,
                status=case.status.value.replace("_", " "),
                due_date=summary.due,
                days_left=summary.working_days_left,
                received_on=case.received_on,
                closed_on=case.closed_at.date() if case.closed_at else None,
            )
        )
    return CaseList(rows, answered, page, pages, to_answer, answered_count)


def find_case(user: User, reference: str) -> Case:
    """The case with ``reference`` (typed as people type it: any case,
    spaces around) among those ``user`` may see, or ``NotInScope``."""
    return get_case(user, reference.strip().upper())


@dataclass(frozen=True)
class Undelivered:
    case_id: uuid.UUID
    reference: str
    emails: int


def undelivered_mail(user: User) -> list[Undelivered]:
    """Cases ``user`` may see with an email that could not be delivered, so
    someone can fix the address or the mail server and send it again."""
    query = (
        select(Case.id, Case.reference, func.count(OutboxMessage.id))
        .join(OutboxMessage, OutboxMessage.case_id == Case.id)
        .where(OutboxMessage.status == OutboxStatus.FAILED, Case.reference.is_not(None))
        .group_by(Case.id, Case.reference)
        .order_by(Case.reference)
    )
    rows = db.session.execute(scope_query(query, user, Case.organisation_id)).all()
    return [Undelivered(case_id, reference, count) for case_id, reference, count in rows]


def undelivered_staff_mail(user: User) -> list[User]:
    """For an administrator, who looks after staff accounts: the staff whose
    newest invitation or password-reset email the mail server would not
    take (sending a newer one that arrives clears it). Others get none."""
    if user.role is not Role.ADMIN:
        return []
    failed = select(OutboxMessage.user_id).where(
        OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.user_id.is_not(None)
    )
    staff = db.session.scalars(select(User).where(User.id.in_(failed)).order_by(User.email)).all()
    newest = latest_staff_mail(member.id for member in staff)
    return [member for member in staff if newest[member.id].status is OutboxStatus.FAILED]


def organisations_for(user: User) -> Sequence[Organisation]:
    query = select(Organisation).order_by(Organisation.name)
    return db.session.scalars(scope_query(query, user, Organisation.id)).all()


def organisation_for(user: User, organisation_id: uuid.UUID) -> Organisation:
    """One organisation, or ``NotInScope`` (shown as 404) outside the user's."""
    return get_in_scope(Organisation, organisation_id, user, "id")


def member_schools(user: User, trust: Organisation) -> Sequence[Organisation]:
    """A trust's schools that ``user`` may see (all of them, for a trust's user)."""
    query = select(Organisation).where(Organisation.trust_id == trust.id).order_by(Organisation.name)
    return db.session.scalars(scope_query(query, user, Organisation.id)).all()


def scope_description(user: User) -> str:
    if sees_every_organisation(user):
        return "all organisations"
    return user.organisation.name if user.organisation else "no organisation"


# -- the case page's summary ---------------------------------------------------


@dataclass(frozen=True)
class PackSummary:
    """The response pack's state, without any personal data."""

    version: int | None  # the newest version, None before any build
    status: str | None  # building, ready, failed or destroyed
    building: bool  # a build whose job is alive
    ready_version: int | None  # the newest ready version
    built_at: datetime | None
    links_to_school: int
    links_to_requester: int
    downloads: int
    # Links to another organisation a portability requester named (Art 20(2)).
    links_to_organisation: int = 0


@dataclass(frozen=True)
class CaseOverview:
    """Everything the top of the case page shows beyond the case row itself."""

    state: CaseState
    action: NextAction
    sources: GatherProgress
    pack: PackSummary
    # A parent asking for a child: what the school's records say of them.
    parental: ParentalLink | None = None
    # A parent asking about a pupil of 12 or over: the child's own rights.
    child: ChildsView | None = None

    @property
    def gathered(self) -> bool:
        return self.state.sources_started > 0

    @property
    def live(self) -> bool:
        """Work is under way that the page should follow (a job queued or running)."""
        return bool(self.state.sources_active) or self.pack.building


def _candidate_counts(case: Case) -> tuple[int, int]:
    rows = db.session.execute(
        select(CaseCandidate.decision, func.count())
        .where(CaseCandidate.case_id == case.id, CaseCandidate.about == SUBJECT)
        .group_by(CaseCandidate.decision)
    ).all()
    counts = {decision: count for decision, count in rows}
    return sum(counts.values()), counts.get(Decision.CONFIRMED, 0)


def _letter_work(case: Case) -> dict[str, int]:
    """A restriction or objection request's work, in counts: it is answered
    by letter once done (``app.restriction.answers``)."""
    if case.request_type not in ANSWERED_BY_LETTER:
        return {}
    found = objections_for(case)
    pending = [o for o in found if o.decision is ObjectionDecision.PENDING]
    return {
        "restrictions": len(restrictions_for(case)),
        "objections": len(found),
        "objections_pending": len(pending),
        "objections_outside": sum(outside_article_21(case, o) is not None for o in pending),
    }


def _pack_summary(case: Case) -> PackSummary:
    versions = packs.packs_for(case)
    newest = versions[0] if versions else None
    ready = next((pack for pack in versions if pack.status is PackStatus.READY), None)
    sent = links.links_for(case)
    return PackSummary(
        version=newest.version if newest else None,
        status=newest.status.value if newest else None,
        building=packs.build_in_progress(case) is not None,
        ready_version=ready.version if ready else None,
        built_at=ready.built_at if ready else None,
        links_to_school=sum(link.audience is LinkAudience.SCHOOL for link in sent),
        links_to_requester=sum(link.audience is LinkAudience.REQUESTER for link in sent),
        downloads=sum(link.download_count for link in sent),
        links_to_organisation=sum(link.audience is LinkAudience.CONTROLLER for link in sent),
    )


def case_overview(case: Case) -> CaseOverview:
    """The clock aside, what the case page leads with: the next action and
    the state behind it, each source's progress and the pack's. Counts and
    statuses only, so nothing here is a look at personal data."""
    candidates, confirmed = _candidate_counts(case)
    sources = gather_progress(case)
    pack = _pack_summary(case)
    to_review = items = 0
    if case.status is CaseStatus.IN_REVIEW:
        progress = review_progress(case)
        to_review, items = progress.undecided + progress.stale, progress.total
    searched = held_by_address = False
    if case.status is CaseStatus.OPEN and not confirmed:
        searched = last_searched_on(case) is not None
        held_by_address = searched and gathers_by_address(case)
    state = CaseState(
        status=case.status,
        request_type=case.request_type,
        candidates=candidates,
        confirmed=confirmed,
        searched=searched,
        held_by_address=held_by_address,
        sources_started=sum(line.status != "not_started" for line in sources.sources),
        sources_active=sum(line.status in ("queued", "running") for line in sources.sources),
        sources_failed=sum(line.failed for line in sources.sources),
        items_total=items or sources.item_count,
        items_to_review=to_review,
        pack_building=pack.building,
        pack_ready=pack.ready_version is not None,
        pack_failed=pack.status == PackStatus.FAILED.value,
        links_to_school=pack.links_to_school,
        links_to_requester=pack.links_to_requester,
        closes_on=closes_on(case),
        **_letter_work(case),
    )
    return CaseOverview(state, next_action(state), sources, pack, parental_link(case), childs_view(case))


# What an empty cell shows, as on the other console pages (an en dash).
EMPTY = "\N{EN DASH}"


def _when(value: datetime | None) -> str:
    return value.strftime("%-d %B %Y %H:%M") if value else EMPTY


def source_lines(progress: GatherProgress) -> list[dict[str, Any]]:
    """Each source's line of the "systems searched" table, as shown: the page
    renders these and its script puts the same strings in place."""
    return [
        {
            "source": line.source,
            "title": line.title,
            "status": line.status,
            "status_label": line.status.replace("_", " ").capitalize()
            + (f" (attempt {line.attempt})" if line.attempt > 1 else ""),
            "count": EMPTY if line.item_count is None else str(line.item_count),
            "finished": _when(line.finished_at),
        }
        for line in progress.sources
    ]


def _items(count: int) -> str:
    return f"{count} item{'' if count == 1 else 's'}"


def progress_message(overview: CaseOverview) -> str:
    """One sentence on the work under way (or just finished), for the page's
    polite live region."""
    lines = overview.sources.sources
    done = sum(line.status == "done" for line in lines)
    state = overview.state
    if state.sources_active:
        return (
            f"Gathering: {done} of {state.sources_started} systems searched, "
            f"{_items(overview.sources.item_count)} so far."
        )
    if overview.pack.building:
        return "The response pack is being built."
    if state.sources_failed:
        return f"{state.sources_failed} of {state.sources_started} systems could not be searched."
    if state.sources_started:
        return f"Every system has been searched: {_items(overview.sources.item_count)} collected."
    return "No system has been searched yet."


def live_progress(case: Case) -> dict[str, Any]:
    """The case page's live part as JSON for its script: statuses, counts and
    times only (the gather's progress is not a look at personal data)."""
    overview = case_overview(case)
    return {
        "case_status": case.status.value,
        "live": overview.live,
        "message": progress_message(overview),
        "next_action": overview.action.title,
        "sources": source_lines(overview.sources),
        "pack": {"status": overview.pack.status, "building": overview.pack.building},
    }
