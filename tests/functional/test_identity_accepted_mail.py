"""Once identity is accepted the clock runs, and the requester is emailed the
date the response is due (the identity request and the acknowledgement
promised it), delivered by the in-process SMTP server."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.mail.models import OutboxMessage, OutboxStatus
from tests.unit.api.estate import build_estate
from tests.unit.cases.factory import new_case

REQUESTER = "parent@birch.example.net"


def _body(received) -> str:
    message = received.message
    part = message.get_body(preferencelist=("plain",))
    return part.get_content()


def test_accepting_identity_emails_the_requester_the_date_due(client, db_session, smtp):
    estate = build_estate()
    case = new_case(estate.birch_primary, requester_email=REQUESTER, received_on=date(2024, 9, 10))
    response = client.post(
        f"/api/v1/cases/{case.reference}/identity",
        headers=estate.auth("birch"),
        json={
            "decision": "accept",
            "method": "documents_seen",
            "reason": "Passport seen at the office.",
            "identity_received_on": "2024-09-20",
            "authority_evidence": "Birth certificate seen.",
            "authority_received_on": "2024-09-20",
        },
    )
    assert response.status_code == 200, response.text
    db.session.expire_all()
    [row] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.category == "case.identity_accepted")
    ).all()
    assert row.status is OutboxStatus.SENT and row.case_id == case.id and row.recipients == REQUESTER
    [received] = [m for m in smtp.messages if m.message["Subject"].endswith("the date we must respond by")]
    assert received.rcpt_tos == [REQUESTER]
    assert received.message["Subject"] == f"Your request {case.reference}: the date we must respond by"
    body = _body(received)
    # 20 Oct 2024 is a Sunday: the month from 20 Sep ends on Monday 21 Oct.
    assert "We must respond by 21 October 2024" in body
    assert "runs from 20 September 2024, the day we received what we needed" in body
    assert "act for the person you asked about" in body

