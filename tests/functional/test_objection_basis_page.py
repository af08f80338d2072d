"""The restriction page shows a decided objection's basis as its decision
recorded it (what the letter quotes), not what the school set since; a
pending one shows the basis that applies now and whose it is."""

from __future__ import annotations

import html

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.restriction import objections
from tests.signin import make_user, sign_in
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.restriction.factory import basis_at, register_entry
from tests.unit.sources.factories import build_world

CONTRACT = "Contract (UK GDPR Art 6(1)(b)): the school's contract with the parents for the child's place."
CONSENT = "Consent (UK GDPR Art 6(1)(a)): the parents agreed to it on the admission form."


@pytest.fixture
def decided(app, db_session):
    world = build_world(db_session)
    user, secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    identity = register_entry("pupils", "identity")
    attendance = register_entry("pupils", "attendance")
    basis_at(world.elm, identity, "contract", CONTRACT)
    case = confirmed_amelia(world, user, request_type="objection")
    decided = objections.record_objection(case, user, register_entry_id=identity.id)
    objections.decide_no_right(case, decided, user, not_direct_marketing=True)
    objections.record_objection(case, user, register_entry_id=attendance.id)
    db.session.commit()
    # After the decision, the school records consent for the identity data.
    basis_at(world.elm, identity, "consent", CONSENT)
    client = app.test_client()
    sign_in(client, user, secret)
    return client, case


def test_decided_objection_shows_the_basis_its_decision_rested_on_after_the_school_changes_it(decided):
    client, case = decided
    page = html.unescape(client.get(f"/console/cases/{case.id}/restriction").get_data(as_text=True))
    assert "Decided on Contract (Article 6(1)(b)), the basis used at Elm" in page
    assert "Decided on Consent" not in page
    # The pending objection reads the register's basis for attendance, as it applies now.
    assert "on Public task (Article 6(1)(e))." in page
