"""Every standalone printed letter renders to a tagged PDF with its key
sentences, the reference on every page and "Page X of Y"."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.exports.content import ScheduleRow
from app.exports.pdf import DOCUMENTS, check_document_context, render_document_html, render_document_pdf
from app.letters.services import LETTERS, LetterError
from app.review.exemptions import EXEMPTIONS, Exemption
from app.review.models import Action

REF = "SAR-2026-000123"
ORG = "Oak Hill Primary School"
HARM = EXEMPTIONS[Exemption.SERIOUS_HARM]

CONTEXTS: dict[str, dict[str, Any]] = {
    "acknowledgement": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "request_type": "access",
        "organisation_name": ORG,
        "received_on": date(2026, 9, 3),
        "due_on": date(2026, 10, 3),
        "needs_identity": True,
        "status_url": "https://rights.example/status/abc",
        "requester_address": "1 High Street\nOxford\nOX1 1AA",
        "letter_date": date(2026, 9, 4),
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
        "question": "Which school years do you mean? <b>{{ 7*7 }}</b>",
        "asked_on": date(2026, 9, 10),
    },
    "extension_notice": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "reasons": "The request covers eleven years of records held in three systems.",
        "original_due_on": date(2027, 1, 31),
        "new_due_on": date(2027, 3, 31),
        "organisation_name": ORG,
    },
    "refusal": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "reason": "The request is manifestly excessive.",
        "organisation_name": ORG,
        "detail": "You have asked for the same records four times this month.",
    },
    "erasure_certificate": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": ORG,
        "erased_on": date(2026, 11, 2),
        "backups_clear_on": date(2027, 1, 31),
        "erased": ["Contact details of Sam Parent", "Consent records for photographs"],
        "systems": ["Parents and carers", "Consent records"],
        "kept": [{"what": "The record of this request", "why": "To show the request was answered"}],
    },
    "rectification_confirmation": {
        "requester_name": "Sam Parent",
        "reference": REF,
        "organisation_name": ORG,
        "corrected_on": date(2026, 11, 2),
        "corrections": [{"what": "Date of birth", "before": "18 May 2014", "after": "17 May 2014"}],
        "not_corrected": [{"what": "Attendance on 3 March", "why": "The register was taken correctly"}],
    },
    "disclosure_schedule": {
        "reference": REF,
        "organisation_name": ORG,
        "requester_name": "Sam Parent",
        "schedule": [
            ScheduleRow("correspondence", "correspondence", "Trip letter", Action.DISCLOSE, None, None),
            ScheduleRow("pupils", "send", None, Action.WITHHOLD, HARM.title, HARM.citation),
        ],
    },
}

KEY_SENTENCES: dict[str, list[str]] = {
    "acknowledgement": [
        "We have received your request",
        f"Your reference is {REF}",
        "We must respond by 3 October 2026",
        "we need to be sure who you are",
        "1 High Street Oxford OX1 1AA",
    ],
    "identity_request": [
        "we need to check who you are",
        "a passport",
        "proof that you can act for them",
        "https://rights.example/status/abc",
    ],
    "clarification_request": [
        "Which school years do you mean? <b>{{ 7*7 }}</b>",
        "It has been paused since 10 September 2026",
    ],
    "extension_notice": [
        "we need more time to respond",
        "We were due to respond by 31 January 2027",
        "eleven years of records",
        "We will respond by 31 March 2027 at the latest",
        "0303 123 1113",
    ],
    "refusal": [
        f"{ORG} has decided not to go ahead with it",
        "The reason is: The request is manifestly excessive.",
        "four times this month",
        "Information Commissioner's Office",
        "ico.org.uk",
        "judicial remedy",
    ],
    "erasure_certificate": [
        f"This certifies that, in answer to your request {REF}, {ORG} deleted",
        "on 2 November 2026",
        "Contact details of Sam Parent",
        "The record of this request To show the request was answered",
        "leaves the backups by 31 January 2027, 90 days after 2 November 2026",
        "Article 19",
        "0303 123 1113",
    ],
    "rectification_confirmation": [
        f"{ORG} corrected the personal data described below on 2 November 2026",
        "Date of birth 18 May 2014 17 May 2014",
        "The register was taken correctly",
        "Article 19",
        "0303 123 1113",
    ],
    "disclosure_schedule": [
        "Disclosure schedule",
        "2 items, of which 1 withheld and 0 partly redacted",
        "Not shown: the item is withheld",
        "Likely to cause serious harm",
        "Trip letter",
    ],
}


def test_every_document_has_a_context_and_key_sentences() -> None:
    assert set(CONTEXTS) == set(DOCUMENTS) == set(KEY_SENTENCES)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_renders_with_its_key_sentences(kit: Any, name: str) -> None:
    pdf = kit.read_pdf(render_document_pdf(name, CONTEXTS[name]))
    for sentence in KEY_SENTENCES[name]:
        assert kit.flat(sentence) in pdf.text, sentence
    total = len(pdf.pages)
    for number, page in enumerate(pdf.pages, start=1):
        assert f"Page {number} of {total}" in page
        assert f"Reference: {REF}" in page
    root = pdf.reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-GB"
    assert pdf.reader.metadata.title == f"{DOCUMENTS[name].title} ({REF})"
    assert pdf.reader.metadata.subject == DOCUMENTS[name].subject  # not the developers' notes
    assert [title for depth, title in pdf.outline_titles() if depth == 1] == [DOCUMENTS[name].title]


def test_printed_twins_need_what_the_emails_need() -> None:
    for name, document in DOCUMENTS.items():
        if name in LETTERS:
            assert document.spec.required == LETTERS[name].required


def test_letter_date_defaults_to_today_in_london(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.exports.pdf._uk_today", lambda: date(2026, 12, 25))
    html = render_document_html("identity_request", CONTEXTS["identity_request"])
    assert "Date: 25 December 2026" in html


@pytest.mark.parametrize(
    ("name", "context", "message"),
    [
        ("no_such_letter", {}, "no printed document called"),
        ("refusal", {"reference": REF}, "needs"),
        ("identity_request", {**CONTEXTS["identity_request"], "colour": "red"}, "does not use colour"),
    ],
)
def test_context_is_checked_before_rendering(name: str, context: dict[str, Any], message: str) -> None:
    with pytest.raises(LetterError, match=message):
        check_document_context(name, context)
