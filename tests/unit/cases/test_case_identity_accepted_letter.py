"""Accepting identity sends the requester the date the response is due, as
the clock says once it runs: one letter, linked to the case."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.cases import identity
from app.mail import OutboxMessage
from app.mail.services import CATEGORY_LABELS
from tests.unit.cases.factory import new_case


def test_identity_accepted_letter_gives_the_due_date_when_known_to_the_school(school, caseworker, db_session):
    case = new_case(school, received_on=date(2024, 11, 25), requester_relationship="self")
    identity.decide_identity(
        case,
        caseworker,
        accepted=True,
        method="known_to_school",
        reason="The office knows her.",
        today=date(2024, 11, 28),
    )
    db_session.commit()
    [mail] = db_session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.case_id == case.id, OutboxMessage.category == "case.identity_accepted"
        )
    ).all()
    assert mail.recipients == case.requester_email
    assert "We must respond by 27 December 2024" in mail.text_body  # 25 and 26 Dec are holidays
    assert "25 November 2024, the day we received your request" in mail.text_body
    assert "act for" not in mail.text_body
    assert CATEGORY_LABELS["case.identity_accepted"]
