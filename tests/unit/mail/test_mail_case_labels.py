"""Every kind of email about a case has a label on the case's email list,
rather than the fallback made from its code."""

from __future__ import annotations

import pytest

from app.cases import unconfirmed
from app.collect import nothing_held
from app.mail.services import CATEGORY_LABELS
from app.recipients import services as recipients
from app.restriction import answers, consent_withdrawal, lifting


@pytest.mark.parametrize(
    "category",
    [
        unconfirmed.MAIL_CATEGORY,
        lifting.LIFT_NOTICE_MAIL_CATEGORY,
        lifting.LIFT_CANCELLED_MAIL_CATEGORY,
        answers.RESTRICTION_MAIL_CATEGORY,
        answers.OBJECTION_MAIL_CATEGORY,
        consent_withdrawal.MAIL_CATEGORY,
        recipients.MAIL_CATEGORY,
        recipients.SCHOOL_CATEGORY,
        nothing_held.MAIL_CATEGORY,
        nothing_held.SCHOOL_MAIL_CATEGORY,
    ],
)
def test_case_mail_category_has_a_label(category):
    assert CATEGORY_LABELS.get(category)
