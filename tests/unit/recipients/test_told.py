"""What the answers to a rectification and an erasure say of the recipients
of the data (Art 19), from the notices the change recorded: those told,
those the school was asked to tell, a kind of recipient no disclosure to is
recorded, or nobody; in the emails (text and HTML) and the printed letters."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from app.exports.pdf import render_document_pdf
from app.letters.services import render_letter
from app.recipients.models import Change, NoticeChannel, NoticeStatus, RecipientKind, RecipientNotice
from app.recipients.told import RecipientsTold, ToldRecipient, names_an_organisation, recipients_told

OTHERS = "Others only where the law requires it"
LA = "Northshire County Council"
HEALTH = "Leeds Community Healthcare NHS Trust"
SCHOOL = "Elm Primary"
REF = "SAR-2026-000005"
# Sent late on 1 June (UTC): 2 June on a UK calendar.
SENT_AT = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)

EMAILS = {
    "rectification_done": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": SCHOOL,
        "corrected_on": date(2026, 6, 1),
        "corrections": ["Postcode (pupil record)"],
        "not_corrected": [],
    },
    "erasure_done": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": SCHOOL,
        "erased_on": date(2026, 6, 1),
        "erased": ["Pupils: special educational needs (2 records), deleted"],
        "kept": [],
        "backups_clear_on": date(2026, 8, 30),
    },
}
PRINTED = {
    "rectification_confirmation": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": SCHOOL,
        "corrected_on": date(2026, 6, 1),
        "corrections": [{"what": "Postcode (pupil record)", "before": "LS1 4AP", "after": "LS2 7EW"}],
    },
    "erasure_certificate": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": SCHOOL,
        "erased_on": date(2026, 6, 1),
        "backups_clear_on": date(2026, 8, 30),
        "erased": ["Pupils: special educational needs (2 records), deleted"],
    },
}


def _notice(name: str, sent_at: datetime | None = None) -> RecipientNotice:
    return RecipientNotice(
        change=Change.RECTIFICATION,
        recipient_kind=RecipientKind.REGISTER,
        recipient_name=name,
        channel=NoticeChannel.EMAIL if sent_at else NoticeChannel.SCHOOL,
        status=NoticeStatus.SENT if sent_at else NoticeStatus.PENDING,
        sent_at=sent_at,
    )


def _closed(name: str) -> RecipientNotice:
    """A kind of recipient's notice as it is recorded now: closed, nobody to tell."""
    return RecipientNotice(
        change=Change.RECTIFICATION,
        recipient_kind=RecipientKind.REGISTER,
        recipient_name=name,
        channel=NoticeChannel.NONE,
        status=NoticeStatus.NONE_RECORDED,
    )


def _parts(name: str, recipients: RecipientsTold | None) -> tuple[str, str]:
    """The email's text and HTML, each on one line."""
    letter = render_letter(name, {**EMAILS[name], "recipients": recipients})
    return " ".join(letter.text.split()), " ".join(letter.html.split())


def test_recipients_told_groups_sent_pending_and_kinds_of_recipient_apart():
    groups = recipients_told([_notice(OTHERS), _notice(LA), _notice(HEALTH, SENT_AT)])
    assert groups.told == (ToldRecipient(HEALTH, date(2026, 6, 2)),)
    assert groups.school_to_tell == (LA,)
    assert groups.none_recorded and not groups.nobody


def test_a_closed_notice_of_a_kind_of_recipient_is_none_recorded_and_nobody_to_tell():
    groups = recipients_told([_closed(OTHERS), _notice(LA)])
    assert groups.none_recorded and groups.school_to_tell == (LA,) and groups.told == ()
    alone = recipients_told([_closed(OTHERS)])
    assert alone.none_recorded and not alone.school_to_tell and not alone.nobody


@pytest.mark.parametrize("letter", sorted(EMAILS))
def test_answer_with_a_closed_kind_of_recipient_says_what_a_pending_one_did(letter):
    # Closing the notice changes nothing the requester reads.
    assert _parts(letter, recipients_told([_closed(OTHERS)])) == _parts(
        letter, recipients_told([_notice(OTHERS)])
    )
    for part in _parts(letter, recipients_told([_closed(OTHERS)])):
        assert OTHERS not in part and "asked" not in part
        assert "no record of this data being disclosed to any other organisation" in part


def test_recipients_told_without_notices_is_nobody():
    assert recipients_told([]).nobody


@pytest.mark.parametrize(
    ("name", "organisation"),
    [
        (OTHERS, False),
        ("Other organisations, where a court orders it", False),
        ("Anyone the law requires us to tell", False),
        (LA, True),
        ("Department for Education", True),
        ("Otherton Academy", True),
    ],
)
def test_names_an_organisation_only_for_a_named_recipient(name, organisation):
    assert names_an_organisation(name) is organisation


@pytest.mark.parametrize(("letter", "verb"), [("rectification_done", "correct"), ("erasure_done", "erase")])
def test_answer_with_a_pending_notice_says_the_school_was_asked_to_tell(letter, verb):
    for part in _parts(letter, recipients_told([_notice(LA)])):
        assert f"We have asked {SCHOOL} to tell this organisation, which had received" in part
        assert f"so it can {verb} it too (we hold no contact for it):" in part and LA in part
        assert "we have told" not in part.casefold()


@pytest.mark.parametrize(("letter", "verb"), [("rectification_done", "correct"), ("erasure_done", "erase")])
def test_answer_with_a_sent_notice_names_the_recipient_as_told_on_its_day(letter, verb):
    for part in _parts(letter, recipients_told([_notice(HEALTH, SENT_AT)])):
        assert (
            f"We have told this organisation, which had received this data, so it can {verb} it too" in part
        )
        assert f"{HEALTH}, on 2 June 2026" in part
        assert "asked" not in part


@pytest.mark.parametrize("letter", sorted(EMAILS))
def test_answer_with_only_a_kind_of_recipient_names_no_organisation(letter):
    for part in _parts(letter, recipients_told([_notice(OTHERS)])):
        assert OTHERS not in part
        assert "we have told" not in part.casefold() and "asked" not in part
        assert "no record of this data being disclosed to any other organisation" in part


@pytest.mark.parametrize("letter", sorted(EMAILS))
def test_answer_with_a_kind_of_recipient_beside_named_ones_lists_only_those(letter):
    groups = recipients_told([_notice(OTHERS), _notice(LA), _notice(HEALTH, SENT_AT)])
    for part in _parts(letter, groups):
        assert OTHERS not in part and HEALTH in part and LA in part
        assert "no record of this data being disclosed to anyone else" in part


@pytest.mark.parametrize("letter", sorted(EMAILS))
def test_answer_without_recipients_says_the_data_had_not_been_shared(letter):
    for part in _parts(letter, recipients_told([])):
        assert "this data had not been shared with any other organisation" in part
        assert "we have told" not in part.casefold()


@pytest.mark.parametrize("letter", sorted(EMAILS))
def test_answer_says_the_requester_may_ask_who_received_the_data(letter):
    for part in _parts(letter, recipients_told([_notice(LA)])):
        assert "You can ask us who has received this data, and we will tell you." in part


@pytest.mark.parametrize("letter", sorted(EMAILS))
def test_answer_when_nothing_changed_says_nothing_of_recipients(letter):
    for part in _parts(letter, None):
        assert "received this data" not in part and "shared" not in part


@pytest.mark.parametrize(
    ("document", "verb"), [("rectification_confirmation", "correct"), ("erasure_certificate", "delete")]
)
def test_printed_letter_says_who_was_told_and_who_the_school_was_asked_to_tell(app, document, verb):
    groups = recipients_told([_notice(OTHERS), _notice(LA), _notice(HEALTH, SENT_AT)])
    pdf = render_document_pdf(document, {**PRINTED[document], "recipients": groups})
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert f"We have told this organisation, which had received this data, so it can {verb} it too" in text
    assert f"{HEALTH}, on 2 June 2026" in text
    assert f"We have asked {SCHOOL} to tell this organisation, which had received this data" in text
    assert f"so it can {verb} it too (we hold no contact for it): {LA}" in text
    assert OTHERS not in text
    assert "You can ask us who has received this data" in text
