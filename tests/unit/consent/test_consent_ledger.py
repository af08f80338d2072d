"""The consent ledger: append-only, current state from the latest row,
wording versions fixed to one text, people checked against their store."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.sources.consent import services
from app.sources.consent.links import person_for_token, withdrawal_token
from app.sources.consent.models import ConsentDecision, ConsentMethod
from app.sources.correspondence.models import PersonKind
from app.sources.validation import FieldError
from tests.unit.sources.factories import build_world, new_id

WORDING = "I agree that photographs of my child may be used on the school website."


@pytest.fixture
def world(db_session):
    built = build_world(db_session)
    db_session.commit()
    return built


def _amelia(world) -> services.Person:
    return services.Person(world.elm.id, PersonKind.PUPIL, world.amelia.id)


def _mine(states):
    # The test world already holds a photos_public_website consent for everyone.
    return [s for s in states if s.purpose == "photos_website"]


def _record(person, decision=ConsentDecision.GRANTED, **overrides):
    values = {
        "purpose": "photos_website",
        "decision": decision,
        "wording": WORDING,
        "wording_version": "2024.1",
        "method": ConsentMethod.PAPER_SIGNATURE,
        "recorded_by": "School office",
        "evidence": "Form filed 12 Sept",
    }
    values.update(overrides)
    return services.record_consent(person, **values)


def test_current_state_follows_the_latest_row_when_granted_then_withdrawn(app, world):
    person = _amelia(world)
    _record(person)
    db.session.commit()
    assert [s.granted for s in _mine(services.current_state(person))] == [True]
    services.withdraw(person, "photos_website", method=ConsentMethod.WEB, recorded_by="Parent")
    db.session.commit()
    (state,) = _mine(services.current_state(person))
    assert state.decision is ConsentDecision.WITHDRAWN and state.wording == WORDING
    decisions = [r.decision for r in _mine(services.history(person))]
    assert decisions == [ConsentDecision.GRANTED, ConsentDecision.WITHDRAWN]


def test_ledger_rows_cannot_be_edited(app, world):
    row = _record(_amelia(world))
    db.session.commit()
    row.purpose = "something_else"
    with pytest.raises(ValueError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_wording_version_reused_with_other_words_is_refused(app, world):
    person = _amelia(world)
    _record(person)
    db.session.commit()
    with pytest.raises(FieldError) as raised:
        _record(person, wording=WORDING + " And on posters.")
    assert raised.value.field == "wording"
    _record(person, wording=WORDING + " And on posters.", wording_version="2025.1")


def test_person_from_another_organisation_is_refused(app, world):
    elsewhere = services.Person(world.oak.id, PersonKind.PUPIL, world.amelia.id)
    with pytest.raises(FieldError) as raised:
        _record(elsewhere)
    assert raised.value.field == "person_id"
    with pytest.raises(FieldError):
        _record(services.Person(world.elm.id, PersonKind.CONTACT, new_id()))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"purpose": "Photos Website"}, "purpose"),
        ({"purpose": ""}, "purpose"),
        ({"wording": "   "}, "wording"),
        ({"wording_version": "v" * 41}, "wording_version"),
        ({"recorded_by": ""}, "recorded_by"),
        ({"evidence": "e" * 2001}, "evidence"),
        ({"wording": "I agree\x00"}, "wording"),
    ],
)
def test_bad_values_are_refused_with_their_field(app, world, overrides, field):
    before = len(services.history(_amelia(world)))
    with pytest.raises(FieldError) as raised:
        _record(_amelia(world), **overrides)
    assert raised.value.field == field
    assert len(services.history(_amelia(world))) == before


def test_withdrawing_what_was_never_given_is_refused(app, world):
    with pytest.raises(FieldError):
        services.withdraw(_amelia(world), "photos_website", method=ConsentMethod.WEB, recorded_by="Parent")


def test_each_decision_is_audited_without_the_wording(app, world):
    person = _amelia(world)
    row = _record(person)
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "consent.granted")).one()
    assert event.object_id == row.id and event.data["purpose"] == "photos_website"
    assert "photographs" not in str(event.data)


def test_withdrawal_token_round_trips_and_refuses_tampering(app, world):
    person = _amelia(world)
    token = withdrawal_token(person)
    assert person_for_token(token) == person
    assert person_for_token(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]) is None
    assert person_for_token("not-a-token") is None
