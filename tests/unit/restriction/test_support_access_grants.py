from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.db import utcnow
from app.extensions import db
from app.restriction import support_access
from app.restriction.services import RestrictionError
from app.sources.access_log.models import AccessLogEntry
from tests.unit.api.estate import make_user


@pytest.fixture
def teacher(world):
    user = make_user("mhughes@elm.sch.uk", Role.SCHOOL, world.elm, name="Margaret Hughes")
    db.session.commit()
    return user


@pytest.fixture
def agent(world):
    user = make_user("priya.desai@rightsdesk.example", Role.CASEWORKER, name="Priya Desai")
    db.session.commit()
    return user


def _grant(teacher, **changes):
    values = {"agent_name": "Priya Desai", "purpose": "The register stops on one mark."}
    given = support_access.grant(teacher, **{**values, **changes})
    db.session.commit()
    return given


def test_grant_defaults_to_seven_days_and_links_the_staff_record(app, world, teacher):
    given = _grant(teacher)
    assert given.expires_at - given.granted_at == timedelta(days=7)
    assert given.granted_by_employee_id == world.teacher.id
    assert given.organisation_id == world.elm.id
    assert support_access.state(given) == "active"


def test_grant_expiry_boundary(app, world, teacher):
    given = _grant(teacher, days=1)
    assert support_access.state(given, given.expires_at - timedelta(microseconds=1)) == "active"
    assert support_access.state(given, given.expires_at) == "expired"


def test_use_of_an_active_grant_writes_the_access_log_and_audit(app, world, teacher, agent):
    given = _grant(teacher)
    entry = support_access.use(
        given, agent, person_kind="pupil", person_id=world.amelia.id, area="Pupil record"
    )
    db.session.commit()
    logged = db.session.get(AccessLogEntry, entry.id)
    assert logged.grant_id == given.id and logged.actor_kind == "support_agent"
    assert logged.person_id == world.amelia.id and logged.action == "view"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "support_access.used")).one()
    assert event.data["access_log_id"] == str(entry.id)


def test_use_of_an_expired_grant_is_refused_and_logs_nothing(app, world, teacher, agent):
    given = _grant(teacher, days=1)
    with pytest.raises(support_access.GrantRefused, match="expired"):
        support_access.use(
            given,
            agent,
            person_kind="pupil",
            person_id=world.amelia.id,
            area="Pupil record",
            now=given.expires_at,
        )
    assert db.session.scalar(select(AccessLogEntry.id).where(AccessLogEntry.grant_id == given.id)) is None


def test_use_of_a_revoked_grant_is_refused(app, world, teacher, agent):
    given = _grant(teacher)
    support_access.revoke(given, teacher)
    db.session.commit()
    with pytest.raises(support_access.GrantRefused, match="withdrew"):
        support_access.use(given, agent, person_kind="pupil", person_id=world.amelia.id, area="Pupil record")


def test_use_by_another_agent_or_on_another_schools_record_is_refused(app, world, teacher, agent):
    given = _grant(teacher, agent_name="Someone Else")
    with pytest.raises(support_access.GrantRefused, match="another member"):
        support_access.use(given, agent, person_kind="pupil", person_id=world.amelia.id, area="Pupil record")
    mine = _grant(teacher)
    with pytest.raises(support_access.GrantRefused, match="not one of the organisation"):
        support_access.use(
            mine, agent, person_kind="pupil", person_id=world.oak_amelia.id, area="Pupil record"
        )


def test_only_a_school_user_can_grant(app, world, agent):
    with pytest.raises(PermissionError):
        support_access.grant(agent, agent_name="Priya Desai", purpose="Help")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"purpose": ""}, "purpose"),
        ({"days": 0}, "days"),
        ({"days": 31}, "days"),
        ({"agent_name": None}, "agent_name"),
    ],
)
def test_grant_refuses_bad_input(app, world, teacher, changes, field):
    with pytest.raises(RestrictionError) as refused:
        support_access.grant(teacher, **{"agent_name": "Priya Desai", "purpose": "Help", **changes})
    assert field in refused.value.errors


def test_revoke_twice_is_refused(app, world, teacher):
    given = _grant(teacher)
    support_access.revoke(given, teacher, now=utcnow())
    with pytest.raises(RestrictionError):
        support_access.revoke(given, teacher)
