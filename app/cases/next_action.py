"""What a case needs next, from its status and what its work has reached.

The console's case page leads with one "next action": a short instruction
and the page where it is done. The rules live here, as a pure function of a
``CaseState`` (counts and flags the caller reads from the collector, the
review and the packs), so they can be tested without a database and kept
in one place as the lifecycle grows.

Targets are console endpoint names with an optional fragment; the page
turns them into links. A state where only someone else can move the case
on (the requester confirming their email, a worker running a job) gives an
action with ``waiting`` set, and no target or a page to watch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.cases.lifecycle import ANSWERED_BY_LETTER
from app.cases.models import CaseStatus, RequestType

S = CaseStatus

# Request types that are answered with a response pack once approved; the
# ones that change data are carried out first (DESIGN §4, "executing").
_EXECUTED = {RequestType.ERASURE: "Carry out the erasure", RequestType.RECTIFICATION: "Make the corrections"}
# Where each executed request is planned, approved and carried out.
_EXECUTED_PAGE = {
    RequestType.ERASURE: "console.case_erasure",
    RequestType.RECTIFICATION: "console.case_rectification",
}


@dataclass(frozen=True)
class CaseState:
    """The facts the next action depends on; counts carry no personal data."""

    status: CaseStatus
    request_type: RequestType = RequestType.ACCESS
    candidates: int = 0  # candidate records found for the subject
    confirmed: int = 0  # of those, confirmed as the subject's
    searched: bool = False  # the search for the subject ran (open cases with nothing confirmed)
    held_by_address: bool = False  # none confirmed, but the requester's own address finds data to gather
    sources_started: int = 0  # sources with a run (queued, running, done or failed)
    sources_active: int = 0  # queued or running
    sources_failed: int = 0
    items_total: int = 0  # collected items
    items_to_review: int = 0  # not decided, or changed since decided
    pack_building: bool = False
    pack_ready: bool = False
    pack_failed: bool = False  # the newest version failed to build
    links_to_school: int = 0
    links_to_requester: int = 0
    closes_on: date | None = None  # an answered case's day to close by itself
    # Restriction and objection requests, answered by letter once these are done.
    restrictions: int = 0  # recorded on the case, in force or lifted
    objections: int = 0
    objections_pending: int = 0  # not decided yet
    objections_outside: int = 0  # of those, outside the right to object by their basis (Art 21(1))


@dataclass(frozen=True)
class NextAction:
    title: str  # imperative, e.g. "Confirm matches"
    detail: str  # one sentence: why, or what happens then
    endpoint: str | None = None  # console endpoint taking ``case_id``
    anchor: str | None = None  # fragment on that page
    waiting: bool = False  # nothing to do but wait for someone or something else


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def next_action(state: CaseState) -> NextAction:
    """The one thing that moves the case on now."""
    status = state.status
    if status is S.SUBMITTED:
        return NextAction(
            "Wait for the requester to confirm",
            "The request counts once the requester confirms their email address with the code sent to them.",
            waiting=True,
        )
    if status is S.AWAITING_IDENTITY:
        return NextAction(
            "Decide identity",
            "Record how the requester's identity (and authority to act for the subject) was checked.",
            "console.case",
            "identity-heading",
        )
    if status is S.PAUSED:
        return NextAction(
            "Record the requester's answer",
            "The clock is paused until the requester answers the clarifying question.",
            "console.case",
            "resume-heading",
        )
    if state.request_type in ANSWERED_BY_LETTER and status in (S.OPEN, S.GATHERING, S.IN_REVIEW, S.APPROVED):
        # Answered from the restriction page, without a gather or a pack.
        action = _answered_by_letter(state)
        if action is not None:
            return action
    if status is S.OPEN:
        return _open(state)
    if status is S.GATHERING:
        return _gathering(state)
    if status is S.IN_REVIEW:
        return _in_review(state)
    if status is S.APPROVED:
        return _approved(state)
    if status is S.EXECUTING:
        return NextAction(
            "Follow the erasure" if state.request_type is RequestType.ERASURE else "Follow the corrections",
            "The changes are being made store by store; the request is answered when every one is done.",
            _EXECUTED_PAGE.get(state.request_type),
            waiting=True,
        )
    if status in (S.RESPONDED, S.REFUSED):
        answer = "response" if status is S.RESPONDED else "refusal"
        return NextAction(
            "Close the case",
            f"The {answer} was sent. Close the case once nothing more is expected of it: "
            "the retention of its copies and record runs from then."
            + (
                f" Otherwise it closes by itself on {state.closes_on:%-d %B %Y}, unless an email about it "
                "is undelivered."
                if state.closes_on
                else ""
            ),
            "console.case",
            "close-heading",
        )
    return NextAction("Nothing to do", f"The case is {status.value.replace('_', ' ')}.", waiting=True)


def _answered_by_letter(state: CaseState) -> NextAction | None:
    """A restriction or objection case's next step on the restriction page,
    or None while the subject's records are still to be found; a consent
    withdrawal's on its own page, once they are."""
    if state.request_type is RequestType.CONSENT_WITHDRAWAL:
        return _consent_withdrawal(state)
    page = "console.case_restriction"
    restriction = state.request_type is RequestType.RESTRICTION
    done = state.restrictions if restriction else state.objections and not state.objections_pending
    if done:
        return NextAction(
            "Send the answer to the requester",
            (
                "Tell the requester what is restricted and what that means"
                if restriction
                else "Tell the requester each decision, with the grounds of any not upheld"
            )
            + "; the case is then answered.",
            page,
            "answer-heading",
        )
    if state.objections_pending and not restriction:
        return NextAction(
            f"Decide {_plural(state.objections_pending, 'objection')}",
            _deciding(state.objections_pending, state.objections_outside),
            page,
            "objections-heading",
        )
    if state.status is S.OPEN and state.confirmed:
        return NextAction(
            "Restrict the records" if restriction else "Record the objection",
            f"{_plural(state.confirmed, 'record')} confirmed. "
            + ("Restrict them, giving the reason." if restriction else "Record what the subject objects to."),
            page,
            "records-heading" if restriction else "objections-heading",
        )
    return None


def _deciding(pending: int, outside: int) -> str:
    """How the pending objections are decided: one the right to object does
    not reach cannot be rejected on grounds, but is decided as outside it."""
    within = "Uphold each objection, and the processing stops, or reject it on compelling legitimate grounds."
    if not outside:
        return within
    one = outside == 1
    them = "it" if one else "them"
    how = f"on a basis the right to object does not reach: uphold {them}, or decide {them} as outside it."
    if outside == pending:
        return f"{'Its' if one else 'Their'} processing is {how}"
    return f"{within} {outside} of them {'is' if one else 'are'} {how}"


def _consent_withdrawal(state: CaseState) -> NextAction:
    """Never the Art 15 review: find and confirm the subject's records (the
    consents are theirs), then record which consents are withdrawn."""
    if not state.confirmed:
        return _open(state)
    return NextAction(
        "Record the consents withdrawn",
        f"{_plural(state.confirmed, 'record')} confirmed. Choose which of the subject's consents are "
        "withdrawn; the requester is sent the confirmation and the case is answered.",
        "console.case_consent_withdrawal",
        "withdraw-heading",
    )


def _open(state: CaseState) -> NextAction:
    if state.confirmed == 0 and state.held_by_address:
        return NextAction(
            "Start the gather",
            "No record of the subject was found, but data is held under the requester's own email address: "
            "gathering collects it.",
            "console.case_candidates",
            "gather-heading",
        )
    if state.candidates == 0 and state.searched:
        return NextAction(
            "Answer that nothing is held",
            "The search found no record of the subject. Search again if the request gives other details; "
            "otherwise tell the requester we hold no personal data about them.",
            "console.case_candidates",
            "nothing-held-heading",
        )
    if state.candidates == 0:
        return NextAction(
            "Search the records",
            "Find the subject's records in every system; you then confirm which are theirs.",
            "console.case_candidates",
        )
    if state.confirmed == 0:
        return NextAction(
            "Confirm matches",
            f"{_plural(state.candidates, 'possible record')} found. Confirm the subject's before gathering.",
            "console.case_candidates",
        )
    return NextAction(
        "Start the gather",
        f"{_plural(state.confirmed, 'record')} confirmed. Gathering collects what each system holds on them.",
        "console.case_candidates",
        "gather-heading",
    )


def _gathering(state: CaseState) -> NextAction:
    if state.sources_active:
        return NextAction(
            "Wait for the gather",
            f"{_plural(state.sources_active, 'system')} still to finish. This page updates as they do.",
            "console.case_gather",
            waiting=True,
        )
    if state.sources_failed:
        return NextAction(
            "Retry the failed sources",
            f"{_plural(state.sources_failed, 'system')} could not be searched.",
            "console.case_gather",
        )
    return NextAction(
        "Move the case to review",
        "Every system has been searched.",
        "console.case_gather",
        "complete-heading",
    )


def _in_review(state: CaseState) -> NextAction:
    if state.request_type is RequestType.ERASURE:
        return NextAction(
            "Approve the erasure plan",
            "Check what each system will delete, anonymise or keep, and why, then approve it.",
            "console.case_erasure",
        )
    if state.request_type is RequestType.RECTIFICATION:
        return NextAction(
            "Decide the corrections",
            "Propose each correction the requester asked for, approve or refuse it, then approve the case.",
            "console.case_rectification",
        )
    if state.items_to_review:
        return NextAction(
            f"Review {_plural(state.items_to_review, 'item')}",
            "Disclose, redact or withhold each collected item.",
            "console.case_review",
        )
    return NextAction(
        "Approve the review",
        f"Every one of the {_plural(state.items_total, 'item')} has a decision."
        if state.items_total
        else "Nothing was collected: approving records that there is nothing to disclose.",
        "console.case_review",
        "approve-heading",
    )


def _approved(state: CaseState) -> NextAction:
    if state.request_type in _EXECUTED:
        return NextAction(
            _EXECUTED[state.request_type],
            "Approved: start the changes. Each system is changed in its own step; a letter confirms them.",
            _EXECUTED_PAGE[state.request_type],
        )
    if state.pack_building:
        return NextAction(
            "Wait for the pack",
            "The response pack is being built. This page updates when it is ready.",
            "console.case_pack",
            waiting=True,
        )
    if not state.pack_ready:
        return NextAction(
            "Rebuild the pack" if state.pack_failed else "Build the pack",
            "The last build failed; see why on the pack page."
            if state.pack_failed
            else "The response letter and the copy of the data, as a PDF and a zip.",
            "console.case_pack",
        )
    if not state.links_to_school and not state.links_to_requester:
        return NextAction(
            "Send the link",
            "Email the school's contact (or the requester) a download link and, separately, its code.",
            "console.case_pack",
            "send-heading",
        )
    return NextAction(
        "Send the response to the requester",
        "The school has the pack. Send it to the requester, or mark the case responded if the school did.",
        "console.case_pack",
        "send-heading",
    )
