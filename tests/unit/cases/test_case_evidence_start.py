"""Which uploads move the clock's start: only the first of each kind after
the controller asked for proof of identity or authority, on the day it came."""

from __future__ import annotations

import io
from datetime import date

from app.cases import evidence
from app.cases.clock_inputs import clock_for
from tests.evidence_files import pdf_file
from tests.unit.cases.factory import new_case

PDF = pdf_file()
RECEIVED = date(2026, 11, 2)


def _upload(case, kind: str, day: date) -> None:
    evidence.add_evidence(
        case, kind, io.BytesIO(PDF), filename=f"{kind}.pdf", declared_type="application/pdf", today=day
    )


def test_upload_nobody_asked_for_leaves_the_start(school, caseworker, db_session):
    case = new_case(school, received_on=RECEIVED)
    _upload(case, "identity", date(2026, 11, 9))
    _upload(case, "authority", date(2026, 11, 10))
    assert case.identity_received_on is None and case.authority_received_on is None
    assert clock_for(case).start == RECEIVED


def test_first_upload_after_the_request_moves_the_start_and_later_ones_do_not(school, caseworker, db_session):
    case = new_case(school, received_on=RECEIVED)
    evidence.request_identity(case, caseworker)
    _upload(case, "identity", date(2026, 11, 9))
    _upload(case, "identity", date(2026, 11, 16))  # a retake, not asked for
    assert case.identity_received_on == date(2026, 11, 9)
    _upload(case, "authority", date(2026, 11, 12))  # the other half of what was asked
    _upload(case, "authority", date(2026, 11, 18))
    assert case.authority_received_on == date(2026, 11, 12)
    assert clock_for(case).start == date(2026, 11, 12)


def test_upload_after_a_new_request_moves_the_start_again(school, caseworker, db_session):
    case = new_case(school, received_on=RECEIVED, requester_relationship="self")
    evidence.request_identity(case, caseworker)
    _upload(case, "identity", date(2026, 11, 9))
    evidence.request_identity(case, caseworker)  # the first was unreadable: asked again
    _upload(case, "identity", date(2026, 11, 20))
    assert case.identity_received_on == date(2026, 11, 20)
    assert clock_for(case).start == date(2026, 11, 20)
