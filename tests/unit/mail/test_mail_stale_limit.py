"""A message whose worker stops during each attempt (killed, out of memory,
a lost machine) is not retried for ever: after ``MAX_AUTOMATIC_ATTEMPTS``
such attempts in a row the periodic retry marks it failed, saying why, on
the case page and in the API, and Send again still sends it.

A worker that stopped leaves what its claim committed and nothing more, so
each stopped attempt is the claim a worker commits (``claim_delivery``),
made here, and the time since it is moved back past the staleness limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.db import utcnow
from app.extensions import db
from app.jobs.schedule import PERIODIC
from app.mail import OutboxMessage, OutboxStatus
from app.mail.delivery import MAX_AUTOMATIC_ATTEMPTS, claim_delivery
from tests.unit.api.estate import build_estate
from tests.unit.cases.factory import new_case
from tests.unit.mail.pages import email_row

REQUESTER = "jo.parent@example.net"
ABANDONED = "delivery abandoned after 5 attempts: the worker stopped each time"


@pytest.fixture
def acknowledgement(app, smtp, db_session):
    """A case of Birch Primary whose acknowledgement the server refused once."""
    estate = build_estate()
    smtp.refuse.add(REQUESTER)
    case = new_case(estate.birch_primary)
    smtp.refuse.clear()
    message = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.case_id == case.id, OutboxMessage.category == "case.acknowledgement"
        )
    ).one()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 1)
    return estate, case, message


def _workers_stopped(message: OutboxMessage, times: int) -> None:
    for _ in range(times):
        assert claim_delivery(message.id, message.attempts + 1) is not None
        db.session.commit()
        db.session.refresh(message)
    an_hour_ago = utcnow() - timedelta(hours=1)
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message.id).values(last_attempt_at=an_hour_ago)
    )
    db.session.commit()


def test_stale_retry_gives_up_when_worker_stopped_max_attempts_in_a_row(app, client, smtp, acknowledgement):
    estate, case, message = acknowledgement
    assert MAX_AUTOMATIC_ATTEMPTS == 5
    _workers_stopped(message, MAX_AUTOMATIC_ATTEMPTS)

    assert PERIODIC["mail.retry"].run() == "0 message(s) queued again"
    db.session.commit()
    db.session.expire_all()
    assert (message.status, message.last_error, message.attempts) == (OutboxStatus.FAILED, ABANDONED, 6)
    assert all(m.rcpt_tos != [REQUESTER] for m in smtp.messages)  # nothing reached the requester
    assert PERIODIC["mail.retry"].run() == "0 message(s) queued again"  # and it stays given up

    base = f"/api/v1/cases/{case.reference}/emails"
    listed = {item["id"]: item for item in client.get(base, headers=estate.auth("trust")).get_json()["items"]}
    assert (listed[str(message.id)]["status"], listed[str(message.id)]["last_error"]) == ("failed", ABANDONED)
    row = email_row(app, case.id, message.id, login="cw.stopped@example.org")
    assert f'<strong class="error-message">Not delivered</strong>: {ABANDONED}' in row
    assert "Send again<span" in row

    resent = client.post(f"{base}/{message.id}/send-again", headers=estate.auth("trust"))
    assert resent.status_code == 202, resent.text
    assert smtp.messages[-1].rcpt_tos == [REQUESTER]
    db.session.expire_all()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.SENT, 7, None)


def test_stale_retry_tries_again_when_worker_stopped_fewer_times(smtp, acknowledgement):
    _estate, _case, message = acknowledgement
    _workers_stopped(message, MAX_AUTOMATIC_ATTEMPTS - 1)

    assert PERIODIC["mail.retry"].run() == "1 message(s) queued again"
    db.session.commit()
    db.session.expire_all()
    assert smtp.messages[-1].rcpt_tos == [REQUESTER]
    assert (message.status, message.attempts) == (OutboxStatus.SENT, MAX_AUTOMATIC_ATTEMPTS + 1)


def test_stopped_attempts_count_again_from_zero_after_an_attempt_finishes(smtp, acknowledgement):
    _estate, _case, message = acknowledgement
    _workers_stopped(message, MAX_AUTOMATIC_ATTEMPTS - 1)
    smtp.refuse.add(REQUESTER)
    assert PERIODIC["mail.retry"].run() == "1 message(s) queued again"  # refused: failed, finished
    db.session.commit()
    db.session.expire_all()
    assert (message.status, message.unfinished_attempts) == (OutboxStatus.FAILED, 0)

    _workers_stopped(message, 1)
    smtp.refuse.clear()
    assert PERIODIC["mail.retry"].run() == "1 message(s) queued again"
    db.session.commit()
    db.session.expire_all()
    assert message.status is OutboxStatus.SENT
