"""Two staff answering "we hold no personal data" on the same case at the
same moment answer it once: one letter, one move to responded, one audit
event and one timeline entry; the other is told the case is no longer open
(PostgreSQL: real concurrent transactions in two threads)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseEvent, CaseStatus
from app.collect import nothing_held, services
from app.extensions import db
from tests.threads import run_together
from tests.unit.collect.factory import amelia_case
from tests.unit.restriction.factory import letters_sent

NOBODY = {"subject_name": "Zebedee Quartermaine", "subject_dob": date(2009, 2, 3)}


def test_nothing_held_answered_once_when_two_answer_together(app, db_session, world, caseworker):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: nothing answers concurrently there")
    case = amelia_case(world, caseworker, **NOBODY)
    services.propose_candidates(case, caseworker)
    db_session.commit()
    case_id, actor_id = case.id, caseworker.id  # the threads must not touch this session's objects
    both_ready = threading.Barrier(2, timeout=30)

    def answer(_: int) -> str:
        # Each thread is one request: its own app context, so its own session.
        with app.app_context():
            try:
                mine = db.session.get(Case, case_id)
                actor = db.session.get(User, actor_id)
                both_ready.wait()
                try:
                    nothing_held.answer(mine, actor)
                except IllegalTransition as exc:
                    db.session.rollback()
                    return f"conflict: {exc}"
                db.session.commit()
                return "answered"
            finally:
                db.session.remove()

    outcomes = run_together(answer, [1, 2])

    assert sorted(outcome.split(":")[0] for outcome in outcomes) == ["answered", "conflict"]
    assert "only an open case is answered so" in next(o for o in outcomes if o != "answered")
    db_session.expire_all()
    assert db_session.get(Case, case_id).status is CaseStatus.RESPONDED
    assert len(letters_sent(case, nothing_held.MAIL_CATEGORY)) == 1
    answered = db_session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case_id, AuditEvent.action == "case.answered")
    ).all()
    assert len(answered) == 1
    moves = db_session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "status_changed")
    ).all()
    assert [event.data["to"] for event in moves].count("responded") == 1
