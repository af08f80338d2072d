"""The two emails of a download link go to the same address, so neither may
claim that someone who sees one of them cannot open the response: the link
alone cannot, but anyone who can read the mailbox can, and both emails say
so and ask that neither be forwarded."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from app.letters.services import render_letter

EXPIRES = datetime(2026, 3, 8, 16, 37, tzinfo=UTC)
LINK = {
    "recipient_name": "Sam Parent",
    "reference": "SAR-2026-000123",
    "link_url": "https://rights.example/download/tok",
    "expires_at": EXPIRES,
    "max_downloads": 3,
}
CODE = {
    "recipient_name": "Sam Parent",
    "reference": "SAR-2026-000123",
    "code": "042917",
    "expires_at": EXPIRES,
}


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("for_school", [True, False])
def test_the_link_email_says_the_code_protects_against_the_link_alone_not_the_mailbox(for_school):
    letter = render_letter("pack_link", {**LINK, "for_school": for_school})
    for body in (letter.text, _plain(letter.html)):
        assert "someone who sees one email cannot open" not in body
        assert "We have sent it in a separate email, so the link on its own cannot open the response." in body
        assert "Both emails come to this email address, so anyone who can read this mailbox" in body
        assert "do not forward either of them" in body


def test_the_code_email_says_anyone_reading_the_mailbox_can_open_the_response():
    letter = render_letter("pack_code", CODE)
    for body in (letter.text, _plain(letter.html)):
        assert "anyone who can read this mailbox can open the response" in body
        assert "Do not forward this email or the one with the link." in body
