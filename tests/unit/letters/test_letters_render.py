"""Every letter renders as subject, text and HTML, with its key content."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.letters.services import (
    ICO_COMPLAINT_URL,
    ICO_PHONE,
    LETTERS,
    LetterError,
    format_date,
    render_letter,
)
from app.recipients.told import RecipientsTold, ToldRecipient

REF = "SAR-2026-000123"
SCRIPT = "<script>alert('x')</script>"

CONTEXTS: dict[str, dict[str, object]] = {
    "acknowledgement": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "request_type": "access",
        "organisation_name": "Oak Hill Primary School",
        "received_on": date(2024, 9, 3),
        "due_on": date(2024, 10, 3),
        "needs_identity": True,
        "status_url": "https://rights.example/status/abc",
    },
    "school_notification": {
        "contact_name": "Pat Lead",
        "organisation_name": "Oak Hill Primary School",
        "reference": REF,
        "request_type": "erasure",
        "subject_role": "pupil",
        "received_on": date(2024, 9, 3),
        "due_on": date(2024, 10, 3),
        "case_url": "https://rights.example/console/cases/1",
    },
    "identity_request": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "needs_authority": True,
        "status_url": "https://rights.example/status/abc",
    },
    "clarification_request": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "question": "Which school years do you mean?",
        "asked_on": date(2024, 9, 10),
        "status_url": "https://rights.example/status/abc",
    },
    "extension_notice": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "reasons": "The request covers eleven years of records held in three systems.",
        "original_due_on": date(2025, 1, 31),
        "new_due_on": date(2025, 4, 30),
    },
    "refusal": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "reason": "we could not confirm your identity",
        "organisation_name": "Oak Hill Primary School",
    },
    "reminder": {
        "recipient_name": "Casey Worker",
        "reference": REF,
        "organisation_name": "Oak Hill Primary School",
        "due_on": date(2024, 12, 27),
        "working_days_left": 3,
        "case_url": "https://rights.example/console/cases/1",
    },
    "identity_accepted": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "for_someone_else": True,
        "received_on": date(2024, 9, 3),
        "start_on": date(2024, 9, 20),
        "due_on": date(2024, 10, 21),
    },
    "email_confirmation": {
        "requester_name": "Sam Parent",
        "code": "042917",
        "confirm_url": "https://rights.example/request/confirm/tok",
    },
    "status_link": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "status_url": "https://rights.example/request/status/abc",
    },
    "unconfirmed_withdrawal": {
        "requester_name": "Sam Parent",
        "days": 7,
        "form_url": "https://rights.example/",
    },
    "pack_link": {
        "recipient_name": "Sam Parent",
        "reference": REF,
        "link_url": "https://rights.example/download/tok",
        "expires_at": datetime(2026, 3, 8, 16, 37, tzinfo=UTC),
        "max_downloads": 3,
        "for_school": False,
    },
    "pack_transmitted": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": "Elm Primary",
        "sent_to_name": "Birch Academy",
        "sent_to_email": "admissions@birch.sch.example",
        "expires_at": datetime(2026, 3, 8, 16, 37, tzinfo=UTC),
        "code": "042917",
    },
    "pack_code": {
        "recipient_name": "Sam Parent",
        "reference": REF,
        "code": "042917",
        "expires_at": datetime(2026, 3, 8, 16, 37, tzinfo=UTC),
    },
    "clock_restarted": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "answered_on": date(2026, 3, 2),
        "restarts_on": date(2026, 3, 3),
        "due_on": date(2026, 4, 9),
    },
    "withdrawal_confirmed": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "form_url": "https://rights.example/",
    },
    "erasure_done": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": "Oak Primary",
        "erased_on": date(2026, 3, 2),
        "erased": ["Helpdesk: tickets (2 records), deleted"],
        "kept": [{"what": "Pupils: attendance (190 records)", "why": "The school must keep registers."}],
        "backups_clear_on": date(2026, 5, 31),
        "recipients": RecipientsTold(told=(ToldRecipient("Oak County Council", date(2026, 3, 2)),)),
    },
    "rectification_done": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": "Oak Primary",
        "corrected_on": date(2026, 3, 2),
        "corrections": ["Surname (pupil record)"],
        "not_corrected": [{"what": "Date of birth (pupil record)", "why": "The birth certificate shows it."}],
        "recipients": RecipientsTold(),
    },
    "restriction_started": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": "Oak Primary",
        "whose": "your child Amelia's",
        "restricted": ["the pupil record, and what the school's systems hold under it"],
        "lifted": False,
    },
    "nothing_held": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": "Oak Primary",
        "request_type": "erasure",
        "whom": "your child Zebedee",
        "dob_given": True,
        "searched": ["Pupil records (MIS)", "Pupil contacts", "Staff records"],
        "by_record": ["Correspondence", "Helpdesk"],
        "own_address": False,
        "searched_on": date(2026, 3, 2),
        "outcome": "So there is nothing to delete.",
        "due_on": date(2026, 3, 30),
        "backup_days": 90,
        "form_url": "https://rights.example/request",
    },
    "nothing_held_school": {
        "contact_name": "Pat Lead",
        "organisation_name": "Oak Primary",
        "reference": REF,
        "request_type": "erasure",
        "subject_role": "pupil",
        "searched": ["Pupil records (MIS)", "Pupil contacts", "Staff records"],
        "searched_on": date(2026, 3, 2),
        "due_on": date(2026, 3, 30),
        "case_url": "https://rights.example/console/cases/1",
    },
    "objection_decided": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": "Oak Primary",
        "whose": "your",
        "objections": [
            {
                "purpose": "Photographs on the website",
                "upheld": True,
                "no_right": False,
                "basis": "",
                "grounds": "",
                "consent": "photos website",
            },
            {
                "purpose": "Attendance reports to the council",
                "upheld": False,
                "no_right": False,
                "basis": "",
                "grounds": "The council needs them to safeguard pupils.",
                "consent": "",
            },
        ],
        "any_rejected": True,
    },
    "consent_withdrawn": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": "Oak Primary",
        "whose": "your child Amelia's",
        "withdrawn": [
            {
                "purpose": "Photos website",
                "wording": "Photographs of my child may appear on the school website.",
            }
        ],
        "withdrawn_on": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    },
}
# Letters sent before a request has a reference.
NO_REFERENCE = {"email_confirmation", "unconfirmed_withdrawal"}


def test_every_registered_letter_has_a_test_context():
    assert set(CONTEXTS) == set(LETTERS)


@pytest.mark.parametrize("name", sorted(LETTERS))
def test_render_letter_gives_subject_text_and_html(name):
    letter = render_letter(name, CONTEXTS[name])
    assert letter.subject and "\n" not in letter.subject
    assert letter.html.startswith("<!doctype html>") and '<html lang="en-GB">' in letter.html
    assert f"<title>{letter.subject}</title>" in letter.html
    assert "\n\n\n" not in letter.text
    for part in (letter.text, letter.html):
        assert "None" not in part and "{{" not in part


@pytest.mark.parametrize("name", sorted(set(LETTERS) - NO_REFERENCE))
def test_render_letter_names_the_reference(name):
    letter = render_letter(name, CONTEXTS[name])
    assert REF in letter.subject and REF in letter.text and REF in letter.html


def test_acknowledgement_gives_due_date_and_that_it_may_move():
    letter = render_letter("acknowledgement", CONTEXTS["acknowledgement"])
    assert "3 October 2024" in letter.text and "3 October 2024" in letter.html
    assert "3 September 2024" in letter.text
    assert "may move" in letter.text and "may move" in letter.html
    assert "https://rights.example/status/abc" in letter.text


def test_acknowledgement_without_identity_check_or_status_link():
    context = {**CONTEXTS["acknowledgement"], "needs_identity": False}
    del context["status_url"]
    letter = render_letter("acknowledgement", context)
    assert "may move" not in letter.text and "status" not in letter.text


def test_school_notification_carries_no_requester_details():
    letter = render_letter("school_notification", CONTEXTS["school_notification"])
    assert "Sam" not in letter.text and "Dear Pat Lead" in letter.text
    assert "a pupil or former pupil" in letter.text and "3 October 2024" in letter.text


def test_identity_request_asks_for_authority_only_when_acting_for_someone():
    with_authority = render_letter("identity_request", CONTEXTS["identity_request"])
    own = render_letter("identity_request", {**CONTEXTS["identity_request"], "needs_authority": False})
    assert "act for them" in with_authority.text and "act for them" not in own.text


def test_clarification_request_says_the_clock_is_paused():
    letter = render_letter("clarification_request", CONTEXTS["clarification_request"])
    assert "Which school years do you mean?" in letter.text
    assert "paused since 10 September 2024" in letter.text and "paused" in letter.html


def test_clarification_letters_restart_the_clock_the_day_after_the_answer():
    asked = render_letter("clarification_request", CONTEXTS["clarification_request"])
    restarted = render_letter("clock_restarted", CONTEXTS["clock_restarted"])
    for part in (asked.text, asked.html):
        assert "starts again the day after" in part and "starts again on the day" not in part
    for part in (restarted.text, restarted.html):
        assert "started again on 3 March 2026" in part and "started again that day" not in part
        assert "answer on 2 March 2026" in part and "9 April 2026" in part


def test_extension_notice_gives_reasons_and_both_dates():
    letter = render_letter("extension_notice", CONTEXTS["extension_notice"])
    for text in ("31 January 2025", "30 April 2025", "eleven years"):
        assert text in letter.text and text in letter.html


def test_refusal_gives_reason_ico_and_judicial_remedy():
    letter = render_letter("refusal", {**CONTEXTS["refusal"], "detail": "We asked twice."})
    for part in (letter.text, letter.html):
        assert "we could not confirm your identity" in part and "We asked twice." in part
        assert ICO_COMPLAINT_URL in part and ICO_PHONE in part and "ico.org.uk/make-a-complaint" in part
        assert "judicial remedy" in part


@pytest.mark.parametrize(
    "name", ["erasure_done", "rectification_done", "refusal", "restriction_started", "objection_decided"]
)
def test_a_letter_the_requester_may_dispute_says_how_to_complain(name):
    # One partial (letters/_complain.*) says it for every such letter, alike.
    letter = render_letter(name, CONTEXTS[name])
    assert "IF YOU DISAGREE\n\nYou can reply to this email and ask us to look at" in letter.text
    assert f"- online: {ICO_COMPLAINT_URL}\n- by phone: {ICO_PHONE}\n" in letter.text
    assert ">If you disagree</h2>" in letter.html and f'<a href="{ICO_COMPLAINT_URL}"' in letter.html
    assert f"<li>by phone: {ICO_PHONE}</li>" in letter.html


def test_restriction_started_says_what_is_restricted_and_what_that_means():
    letter = render_letter("restriction_started", CONTEXTS["restriction_started"])
    for part in (letter.text, letter.html):
        assert "restrict the use of your child Amelia" in part
        assert "the pupil record" in part and "kept in storage only" in part
        assert "to make, exercise or defend legal claims" in part and "important public interest" in part
        assert "We will tell you before the restriction is lifted." in part


def test_objection_decided_gives_each_decision_and_for_a_rejection_the_grounds_and_remedies():
    letter = render_letter("objection_decided", CONTEXTS["objection_decided"])
    for part in (letter.text, letter.html):
        assert "Decision: upheld. We have stopped using the data for this." in part
        assert "The consent given for photos website is withdrawn." in part
        assert "Decision: not upheld" in part and "The council needs them to safeguard pupils." in part
        assert "compelling legitimate grounds" in part
        assert ICO_COMPLAINT_URL in part and "judicial remedy" in part


def test_objection_decided_all_upheld_does_not_speak_of_a_court():
    upheld = [line for line in CONTEXTS["objection_decided"]["objections"] if line["upheld"]]
    context = {**CONTEXTS["objection_decided"], "objections": upheld, "any_rejected": False}
    letter = render_letter("objection_decided", context)
    assert "not upheld" not in letter.text and "judicial remedy" not in letter.text
    assert ICO_COMPLAINT_URL in letter.text


@pytest.mark.parametrize(
    ("days", "subject_start", "phrase"),
    [
        (7, "Due in 7 working days", "due in 7 working days"),
        (1, "Due in 1 working day:", "due in 1 working day."),
        (0, "Due today", "due today, 27 December 2024"),
        (-2, "Overdue", "overdue by 2 working days"),
    ],
)
def test_reminder_wording_by_days_left(days, subject_start, phrase):
    letter = render_letter("reminder", {**CONTEXTS["reminder"], "working_days_left": days})
    assert letter.subject.startswith(subject_start)
    assert phrase in letter.text


@pytest.mark.parametrize(
    ("internal", "subject_start", "phrases"),
    [
        ({"internal_days_left": 3}, "Internal target in 3 working days:", ["is 20 December 2024, in 3"]),
        ({"internal_days_left": 0, "internal_today": True}, "Internal target today:", ["is today, 20"]),
        ({"internal_days_left": 0}, "Internal target on 20 December 2024:", ["no working day left"]),
        ({"internal_days_left": -1, "internal_missed": True}, "Internal target missed:", ["not overdue"]),
    ],
)
def test_reminder_of_the_internal_target_alone_is_labelled_internal(internal, subject_start, phrases):
    context = {
        **CONTEXTS["reminder"],
        "about_statutory": False,
        "internal_target_on": date(2024, 12, 20),
        "internal_today": False,
        "internal_missed": False,
        **internal,
    }
    letter = render_letter("reminder", context)
    assert letter.subject.startswith(subject_start)
    for part in (letter.text, letter.html):
        assert "company's internal target" in part and "not the legal deadline" in part
        assert "statutory due date is 27 December 2024, in 3 working days" in part
        assert "Overdue" not in part and "\n\n\n" not in part
    for phrase in phrases:
        assert phrase in letter.text


def test_identity_accepted_gives_the_due_date_and_the_day_the_month_started():
    letter = render_letter("identity_accepted", CONTEXTS["identity_accepted"])
    assert letter.subject == f"Your request {REF}: the date we must respond by"
    for part in (letter.text, letter.html):
        assert "21 October 2024" in part and "20 September 2024, the day we received what we needed" in part
        assert "act for the person you asked about" in part and "internal" not in part
    same_day = {**CONTEXTS["identity_accepted"], "start_on": date(2024, 9, 3), "for_someone_else": False}
    text = render_letter("identity_accepted", same_day).text
    assert "runs from 3 September 2024, the day we received your request" in text
    assert "act for" not in text


def test_email_confirmation_gives_code_link_and_expiry():
    letter = render_letter("email_confirmation", CONTEXTS["email_confirmation"])
    assert "042917" in letter.subject and "042917" in letter.text and "042917" in letter.html
    assert "https://rights.example/request/confirm/tok" in letter.html
    assert "30 minutes" in letter.text and "30 minutes" in letter.html


def test_unconfirmed_withdrawal_says_closed_and_links_to_a_new_request():
    letter = render_letter("unconfirmed_withdrawal", CONTEXTS["unconfirmed_withdrawal"])
    assert "SAR-" not in letter.subject + letter.text + letter.html
    for part in (letter.text, letter.html):
        assert "within 7 days" in part and "Nothing more will happen" in part
    assert "https://rights.example/\n" in letter.text and 'href="https://rights.example/"' in letter.html


def test_render_letter_escapes_typed_text_in_html_only():
    context = {**CONTEXTS["clarification_request"], "question": SCRIPT, "requester_name": SCRIPT}
    letter = render_letter("clarification_request", context)
    assert SCRIPT not in letter.html and "&lt;script&gt;" in letter.html
    assert SCRIPT in letter.text  # plain text is not HTML: shown as typed


def test_render_letter_refuses_missing_context():
    context = dict(CONTEXTS["acknowledgement"])
    del context["due_on"]
    with pytest.raises(LetterError, match="needs due_on"):
        render_letter("acknowledgement", context)


def test_render_letter_refuses_unknown_keys_and_letters():
    with pytest.raises(LetterError, match="does not use due_date"):
        render_letter("refusal", {**CONTEXTS["refusal"], "due_date": date(2024, 1, 1)})
    with pytest.raises(LetterError, match="no letter called 'thank_you'"):
        render_letter("thank_you", {})


def test_render_letter_refuses_a_none_date():
    with pytest.raises(LetterError, match="date"):
        render_letter("acknowledgement", {**CONTEXTS["acknowledgement"], "due_on": None})


def test_format_date_is_day_month_year_without_leading_zero():
    assert format_date(date(2024, 10, 3)) == "3 October 2024"
    assert format_date(datetime(2025, 2, 28, 23, 0)) == "28 February 2025"


def test_status_link_letter_carries_the_link_and_says_older_links_still_work():
    letter = render_letter("status_link", CONTEXTS["status_link"])
    assert "https://rights.example/request/status/abc" in letter.text
    assert 'href="https://rights.example/request/status/abc"' in letter.html
    assert REF in letter.subject and "still work" in letter.text


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2026, 3, 8, 16, 37, tzinfo=UTC), "4:37pm on 8 March 2026 (UK time)"),  # GMT
        (datetime(2026, 7, 1, 23, 5, tzinfo=UTC), "12:05am on 2 July 2026 (UK time)"),  # BST: the next day
        (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), "12:00am on 1 December 2026 (UK time)"),
    ],
)
def test_a_link_says_the_moment_it_expires_in_uk_time(moment, shown):
    text = render_letter("pack_link", {**CONTEXTS["pack_link"], "expires_at": moment}).text
    assert f"The link works until {shown} and" in text


def test_consent_withdrawn_says_what_from_when_and_that_earlier_use_stays_lawful():
    letter = render_letter("consent_withdrawn", CONTEXTS["consent_withdrawn"])
    for part in (letter.text, letter.html):
        assert "withdraw consent given for the use of your child Amelia" in part
        assert (
            "Photos website" in part and "Photographs of my child may appear on the school website." in part
        )
        assert "from 2 March 2026" in part
        assert "stays lawful" in part and "Article 7(3)" in part
        assert "give consent again" in part
        assert ICO_COMPLAINT_URL in part and ICO_PHONE in part


def test_a_link_to_another_organisation_says_who_asked_and_under_which_right():
    context = {**CONTEXTS["pack_link"], "on_behalf_of": "Sam Parent", "organisation_name": "Elm Primary"}
    letter = render_letter("pack_link", context)
    assert "Sam Parent" in letter.subject
    for part in (letter.text, letter.html):
        assert "Sam Parent asked Elm Primary to send you personal data directly" in part
        assert "We have sent it to Sam Parent, not to you" in part
        assert "Article 20(2)" in part
        assert "Use the data only for the purpose Sam Parent gave it to you for" in part
    plain = render_letter("pack_link", CONTEXTS["pack_link"])
    assert "Article 20(2)" not in plain.text + plain.html


def test_the_requester_is_told_where_their_data_went():
    letter = render_letter("pack_transmitted", CONTEXTS["pack_transmitted"])
    assert letter.subject.startswith(f"Your request {REF}: the data is ready for Birch Academy")
    for part in (letter.text, letter.html):
        assert "Birch Academy" in part and "admissions@birch.sch.example" in part and "042917" in part
        assert "4:37pm on 8 March 2026 (UK time)" in part and "we will stop the link" in part
        assert "give them this code" in part


def test_objection_decided_outside_the_right_says_which_basis_and_keeps_the_remedies():
    outside = {
        "purpose": "Child's record",
        "upheld": False,
        "no_right": True,
        "basis": "Contract (UK GDPR Art 6(1)(b)): the nursery's contract with the parents.",
        "grounds": "",
        "consent": "",
    }
    context = {**CONTEXTS["objection_decided"], "objections": [outside], "any_rejected": True}
    letter = render_letter("objection_decided", context)
    for part in (letter.text, letter.html):
        assert "the right to object does not apply" in part and "(UK GDPR Article 21(1))" in part
        assert "contract with the parents" in part
        assert "Decision: not upheld" not in part and "Our grounds" not in part
        assert "a judicial remedy" in part


def test_nothing_held_says_what_was_searched_when_and_what_it_means():
    letter = render_letter("nothing_held", CONTEXTS["nothing_held"])
    assert letter.subject == f"Your request {REF}: we found no personal data about your child Zebedee"
    for part in (letter.text, letter.html):
        assert "personal information to be deleted" in part and "2 March 2026" in part
        assert "Pupil records (MIS)" in part and "Staff records" in part and "date of birth" in part
        assert "Our other systems (Correspondence, Helpdesk) are organised by person record and email" in part
        assert "we found no record of your child Zebedee" in part
        assert "mentions your child Zebedee only in its text is not found this way" in part
        assert "for your email address" not in part and "nothing in them to search for" not in part
        assert "So there is nothing to delete." in part
        assert "Our backups are kept for 90 days" in part
        assert "We have told it that our systems hold nothing" in part and "by 30 March 2026" in part
        assert "ask it about those directly" not in part and "search again" not in part
        assert "https://rights.example/request" in part and "make a new request" in part
        assert "Information Commissioner" in part
    own = render_letter("nothing_held", {**CONTEXTS["nothing_held"], "whom": "you", "own_address": True})
    assert "We searched them for your email address." in own.text and "found no record" not in own.text


def test_nothing_held_school_gives_the_due_date_and_no_requester_details():
    letter = render_letter("nothing_held_school", CONTEXTS["nothing_held_school"])
    assert letter.subject == f"Request {REF}: our systems hold no personal data about the subject"
    for part in (letter.text, letter.html):
        assert "Dear Pat Lead" in part and "a pupil or former pupil" in part
        assert "Please check your other records" in part and "30 March 2026" in part
        assert "Staff records" in part and "https://rights.example/console/cases/1" in part
        assert "Sam" not in part and "Zebedee" not in part
