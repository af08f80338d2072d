"""The case page's "next action", derived from the status and the state of
the case's work (app.cases.next_action): one rule per step of the lifecycle."""

from __future__ import annotations

import pytest

from app.cases.models import CaseStatus, RequestType
from app.cases.next_action import CaseState, next_action

S = CaseStatus


def _action(status: CaseStatus, **state):
    return next_action(CaseState(status=status, **state))


def test_submitted_case_waits_for_the_requester_to_confirm():
    action = _action(S.SUBMITTED)
    assert action.title == "Wait for the requester to confirm" and action.waiting and action.endpoint is None


def test_identity_is_decided_on_the_case_page_itself():
    action = _action(S.AWAITING_IDENTITY)
    assert (action.title, action.endpoint, action.anchor) == (
        "Decide identity",
        "console.case",
        "identity-heading",
    )
    assert not action.waiting


@pytest.mark.parametrize(
    ("candidates", "confirmed", "title", "anchor"),
    [
        (0, 0, "Search the records", None),
        (3, 0, "Confirm matches", None),
        (3, 1, "Start the gather", "gather-heading"),
    ],
)
def test_open_case_moves_from_searching_to_confirming_to_gathering(candidates, confirmed, title, anchor):
    action = _action(S.OPEN, candidates=candidates, confirmed=confirmed)
    assert (action.title, action.endpoint, action.anchor) == (title, "console.case_candidates", anchor)


@pytest.mark.parametrize(
    ("state", "title", "anchor"),
    [
        ({"searched": True}, "Answer that nothing is held", "nothing-held-heading"),
        ({"searched": True, "held_by_address": True}, "Start the gather", "gather-heading"),
        ({"candidates": 2, "searched": True, "held_by_address": True}, "Start the gather", "gather-heading"),
        ({"candidates": 2, "searched": True}, "Confirm matches", None),
    ],
)
def test_open_case_with_nothing_confirmed_after_the_search_gathers_by_address_or_answers_nothing_held(
    state, title, anchor
):
    action = _action(S.OPEN, **state)
    assert (action.title, action.endpoint, action.anchor) == (title, "console.case_candidates", anchor)


def test_confirm_matches_says_how_many_records_were_found():
    assert _action(S.OPEN, candidates=1).detail.startswith("1 possible record found")
    assert _action(S.OPEN, candidates=2).detail.startswith("2 possible records found")


def test_running_gather_is_waited_for_on_the_gather_page():
    action = _action(S.GATHERING, sources_started=7, sources_active=2)
    assert action.title == "Wait for the gather" and action.waiting
    assert action.endpoint == "console.case_gather" and action.detail.startswith("2 systems still to finish")


def test_failed_sources_are_retried_once_nothing_else_runs():
    assert _action(S.GATHERING, sources_started=7, sources_active=1, sources_failed=1).waiting
    action = _action(S.GATHERING, sources_started=7, sources_failed=1)
    assert action.title == "Retry the failed sources" and not action.waiting


def test_gather_finished_while_paused_is_moved_to_review():
    action = _action(S.GATHERING, sources_started=7)
    assert (action.title, action.anchor) == ("Move the case to review", "complete-heading")


def test_review_counts_the_items_left_then_asks_for_approval():
    one = _action(S.IN_REVIEW, items_total=9, items_to_review=1)
    many = _action(S.IN_REVIEW, items_total=9, items_to_review=4)
    done = _action(S.IN_REVIEW, items_total=9, items_to_review=0)
    assert (one.title, many.title) == ("Review 1 item", "Review 4 items")
    assert one.endpoint == "console.case_review" and one.anchor is None
    assert (done.title, done.anchor) == ("Approve the review", "approve-heading")
    assert "9 items" in done.detail


def test_review_with_nothing_collected_still_needs_approval():
    action = _action(S.IN_REVIEW)
    assert action.title == "Approve the review" and "Nothing was collected" in action.detail


@pytest.mark.parametrize(
    ("state", "title", "anchor", "waiting"),
    [
        ({}, "Build the pack", None, False),
        ({"pack_building": True}, "Wait for the pack", None, True),
        ({"pack_failed": True}, "Rebuild the pack", None, False),
        ({"pack_ready": True}, "Send the link", "send-heading", False),
        (
            {"pack_ready": True, "links_to_school": 1},
            "Send the response to the requester",
            "send-heading",
            False,
        ),
    ],
)
def test_approved_access_request_goes_build_then_send(state, title, anchor, waiting):
    action = _action(S.APPROVED, **state)
    assert (action.title, action.endpoint, action.anchor, action.waiting) == (
        title,
        "console.case_pack",
        anchor,
        waiting,
    )


@pytest.mark.parametrize(
    ("request_type", "title", "following", "page"),
    [
        (RequestType.ERASURE, "Carry out the erasure", "Follow the erasure", "console.case_erasure"),
        (
            RequestType.RECTIFICATION,
            "Make the corrections",
            "Follow the corrections",
            "console.case_rectification",
        ),
    ],
)
def test_approved_requests_that_change_data_are_carried_out_not_packed(request_type, title, following, page):
    approved = _action(S.APPROVED, request_type=request_type, pack_ready=True)
    executing = _action(S.EXECUTING, request_type=request_type)
    assert (approved.title, approved.endpoint, approved.waiting) == (title, page, False)
    assert (executing.title, executing.endpoint, executing.waiting) == (following, page, True)


@pytest.mark.parametrize(
    ("request_type", "title", "page"),
    [
        (RequestType.ERASURE, "Approve the erasure plan", "console.case_erasure"),
        (RequestType.RECTIFICATION, "Decide the corrections", "console.case_rectification"),
    ],
)
def test_requests_that_change_data_are_approved_on_their_own_page(request_type, title, page):
    action = _action(S.IN_REVIEW, request_type=request_type, items_to_review=3)
    assert (action.title, action.endpoint) == (title, page)


def test_paused_case_needs_the_requesters_answer():
    action = _action(S.PAUSED)
    assert (action.title, action.endpoint, action.anchor) == (
        "Record the requester's answer",
        "console.case",
        "resume-heading",
    )


@pytest.mark.parametrize(("status", "answer"), [(S.RESPONDED, "response"), (S.REFUSED, "refusal")])
def test_an_answered_case_is_to_be_closed(status, answer):
    action = _action(status, pack_ready=True)
    assert (action.title, action.endpoint, action.anchor, action.waiting) == (
        "Close the case",
        "console.case",
        "close-heading",
        False,
    )
    assert action.detail.startswith(f"The {answer} was sent.")


@pytest.mark.parametrize("status", [S.WITHDRAWN, S.CLOSED])
def test_finished_cases_have_nothing_to_do(status):
    action = _action(status, pack_ready=True)
    assert action.title == "Nothing to do" and action.waiting and action.endpoint is None


@pytest.mark.parametrize("status", [S.OPEN, S.GATHERING, S.IN_REVIEW, S.APPROVED])
def test_consent_withdrawal_points_to_recording_the_consents_not_the_review(status):
    action = _action(
        status, request_type=RequestType.CONSENT_WITHDRAWAL, candidates=2, confirmed=1, items_to_review=15
    )
    assert (action.title, action.endpoint, action.anchor) == (
        "Record the consents withdrawn",
        "console.case_consent_withdrawal",
        "withdraw-heading",
    )
    assert "1 record confirmed" in action.detail and not action.waiting


@pytest.mark.parametrize(("candidates", "title"), [(0, "Search the records"), (2, "Confirm matches")])
def test_consent_withdrawal_finds_the_subject_first(candidates, title):
    action = _action(S.OPEN, request_type=RequestType.CONSENT_WITHDRAWAL, candidates=candidates)
    assert (action.title, action.endpoint) == (title, "console.case_candidates")
