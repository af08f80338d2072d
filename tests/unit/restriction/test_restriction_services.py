from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.recipients.models import RecipientNotice
from app.restriction import services
from app.restriction.lifting import lift_due
from app.restriction.lookup import is_restricted
from app.restriction.models import Restriction
from app.rights import predicates
from app.rights.models import HoldSubject, LegalHold
from app.sources.protocol import PersonKind
from tests.unit.collect.factory import amelia_case, confirmed_amelia
from tests.unit.restriction.factory import schedule_and_lift


def test_restrict_marks_each_confirmed_record_restricted(app, world, caseworker):
    case = confirmed_amelia(world, caseworker)
    started = services.restrict(case, caseworker, "The parent disputes the attendance marks.")
    db.session.commit()
    assert [(r.person_kind, r.person_id) for r in started] == [(PersonKind.PUPIL, world.amelia.id)]
    restricted = is_restricted(db.session, "pupil", [world.amelia.id, world.isla.id])
    assert restricted == {world.amelia.id}
    assert is_restricted(db.session, PersonKind.CONTACT, [world.amelia.id]) == set()
    assert is_restricted(db.session, "pupil", []) == set()


def test_restrict_notifies_the_recipients(app, world, caseworker):
    case = confirmed_amelia(world, caseworker)
    services.restrict(case, caseworker, "Accuracy disputed.")
    db.session.commit()
    changes = db.session.scalars(
        select(RecipientNotice.change).where(RecipientNotice.case_id == case.id)
    ).all()
    assert changes and {c.value for c in changes} == {"restriction"}


def test_restrict_is_a_conflict_when_no_record_is_confirmed(app, world, caseworker):
    case = amelia_case(world, caseworker)
    with pytest.raises(services.RestrictionConflict) as refused:
        services.restrict(case, caseworker, "Accuracy disputed.")
    assert refused.value.errors == {"case": services.NOTHING_CONFIRMED}
    assert services.restrictions_for(case) == []


@pytest.mark.parametrize("reason", [None, "   ", "x" * 2001, "bad\x00text"])
def test_restrict_refuses_a_missing_or_unusable_reason(app, world, caseworker, reason):
    case = confirmed_amelia(world, caseworker)
    with pytest.raises(services.RestrictionError) as refused:
        services.restrict(case, caseworker, reason)
    assert set(refused.value.errors) == {"reason"}


def test_restrict_twice_is_refused(app, world, caseworker):
    case = confirmed_amelia(world, caseworker)
    services.restrict(case, caseworker, "Accuracy disputed.")
    with pytest.raises(services.RestrictionError):
        services.restrict(case, caseworker, "Again.")


def test_restrict_is_a_conflict_when_everything_is_restricted_already(app, world, caseworker):
    case = confirmed_amelia(world, caseworker)
    services.restrict(case, caseworker, "Accuracy disputed.")
    with pytest.raises(services.RestrictionConflict) as refused:
        services.restrict(case, caseworker, "Again.")
    assert refused.value.errors == {"case": services.ALREADY_RESTRICTED}


def test_restriction_audit_events_hold_ids_only(app, world, caseworker):
    case = confirmed_amelia(world, caseworker)
    services.restrict(case, caseworker, "Accuracy disputed by the parent.")
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "restriction.started")).one()
    assert "Accuracy" not in str(event.data)
    assert event.object_id == case.id


def test_retention_sweep_skips_a_restricted_pupil_until_lifted(app, world, caseworker):
    case = confirmed_amelia(world, caseworker)
    world.elm.contract_end = world.elm.contract_start  # the contract has ended: its pupils are due
    db.session.commit()
    cut = date.today()
    pupils = predicates.PUPILS

    def swept() -> set:
        # The sweeper's own clause: a restriction keeps the record through its legal hold.
        return set(db.session.scalars(select(pupils.c.id).where(predicates.pupils_after_contract(cut))))

    assert {world.amelia.id, world.isla.id} <= swept()
    services.restrict(case, caseworker, "Accuracy disputed.")
    db.session.flush()
    assert world.amelia.id not in swept() and world.isla.id in swept()
    day = schedule_and_lift(case, caseworker, "Resolved.", carry_out=False)
    assert world.amelia.id not in swept()  # scheduled, not yet lifted: still held
    lift_due(on=day)
    db.session.flush()
    assert world.amelia.id in swept()


def test_restriction_places_a_legal_hold_and_lifting_releases_it(app, world, caseworker):
    case = confirmed_amelia(world, caseworker)
    [restriction] = services.restrict(case, caseworker, "Accuracy disputed.")
    db.session.flush()
    hold = db.session.get(LegalHold, restriction.hold_id)
    assert (hold.subject_kind, hold.subject_id, hold.released_at) == (
        HoldSubject.PUPIL,
        world.amelia.id,
        None,
    )
    assert "Article 18" in hold.reason and "Accuracy disputed." in hold.reason
    schedule_and_lift(case, caseworker, "Resolved.")
    db.session.flush()
    assert hold.released_at == restriction.lifted_at is not None


def test_is_restricted_ignores_lifted_rows(app, world, caseworker):
    case = confirmed_amelia(world, caseworker)
    services.restrict(case, caseworker, "Accuracy disputed.")
    schedule_and_lift(case, caseworker, "Resolved.")
    services.restrict(case, caseworker, "Disputed again.")
    db.session.commit()
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}
    assert db.session.scalar(select(Restriction.id).where(Restriction.lifted_at.is_(None))) is not None


def test_a_restricted_record_is_marked_in_what_its_store_collects(app, world, caseworker):
    from app.sources.protocol import Match
    from app.sources.pupils.source import PupilSource

    case = confirmed_amelia(world, caseworker)
    match = Match(frozenset({world.elm.id}), pupil_ids=frozenset({world.amelia.id, world.isla.id}))

    def marks() -> dict[str, object]:
        return {
            item.data["pupil_id"]: item.data.get("restricted")
            for item in PupilSource().collect(db.session, match)
            if item.category == "identity"
        }

    assert marks() == {str(world.amelia.id): None, str(world.isla.id): None}
    services.restrict(case, caseworker, "Accuracy disputed.")
    db.session.flush()
    assert marks() == {str(world.amelia.id): True, str(world.isla.id): None}
