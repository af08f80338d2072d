"""Support-access grants as time-limited consents: giving (the agent named
by their staff email, the policy's default and cap), the states at their
boundaries, uses written to the access log and refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.db import utcnow
from app.extensions import db
from app.sources.access_log import grants
from app.sources.access_log.models import AccessLogEntry
from app.sources.helpdesk.models import Ticket
from tests.unit.api.estate import make_user


def _grant(teacher, **changes):
    values = {"agent_email": "priya.desai@rightsdesk.example", "purpose": "The register stops on one mark."}
    given = grants.grant(teacher, **{**values, **changes})
    db.session.commit()
    return given


def _use(given, agent, person_id, **changes):
    values = {"person_kind": "pupil", "person_id": person_id, "area": "Pupil record"}
    return grants.use(given, agent, **{**values, **changes})


def test_grant_defaults_to_seven_days_and_links_the_staff_record(app, world, teacher, agent):
    given = _grant(teacher)
    assert given.expires_at - given.granted_at == timedelta(days=grants.DEFAULT_DAYS) == timedelta(days=7)
    assert given.granted_by_employee_id == world.teacher.id
    assert given.organisation_id == world.elm.id
    assert given.agent_name == "Priya Desai"  # from the staff account the email names
    assert grants.state(given) == "active"


def test_grant_by_agent_name_still_works_for_the_api(app, world, teacher):
    given = _grant(teacher, agent_email=None, agent_name="Someone Else")
    assert given.agent_name == "Someone Else"


def test_grant_finds_the_ticket_by_its_reference(app, world, teacher, agent):
    ticket = db.session.scalars(select(Ticket).where(Ticket.organisation_id == world.elm.id)).first()
    given = _grant(teacher, ticket_reference=ticket.reference.lower())
    assert given.ticket_id == ticket.id


def test_grant_state_boundaries(app, world, teacher, agent):
    given = _grant(teacher, days=1)
    assert grants.state(given, given.granted_at - timedelta(microseconds=1)) == "not_yet_valid"
    assert grants.state(given, given.granted_at) == "active"
    assert grants.state(given, given.expires_at - timedelta(microseconds=1)) == "active"
    assert grants.state(given, given.expires_at) == "expired"


def test_use_of_an_active_grant_writes_the_access_log_and_audit(app, world, teacher, agent):
    given = _grant(teacher)
    entry = _use(given, agent, world.amelia.id, action="print")
    db.session.commit()
    logged = db.session.get(AccessLogEntry, entry.id)
    assert logged.grant_id == given.id and logged.actor_kind == "support_agent"
    assert logged.person_id == world.amelia.id and logged.action == "print"
    assert logged.actor_email == agent.email and logged.area == "Pupil record"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "support_access.used")).one()
    assert event.data["access_log_id"] == str(entry.id)
    assert [u.id for u in grants.uses_by_grant([given.id])[given.id]] == [entry.id]


@pytest.mark.parametrize(
    ("moment", "message"),
    [("expires_at", "expired"), ("before", "does not start yet")],
)
def test_use_outside_the_grants_period_is_refused_and_logs_nothing(
    app, world, teacher, agent, moment, message
):
    given = _grant(teacher, days=1)
    now = given.expires_at if moment == "expires_at" else given.granted_at - timedelta(seconds=1)
    with pytest.raises(grants.GrantRefused, match=message):
        _use(given, agent, world.amelia.id, now=now)
    assert db.session.scalar(select(AccessLogEntry.id).where(AccessLogEntry.grant_id == given.id)) is None


def test_use_of_a_revoked_grant_is_refused(app, world, teacher, agent):
    given = _grant(teacher)
    grants.revoke(given, teacher)
    db.session.commit()
    with pytest.raises(grants.GrantRefused, match="withdrew"):
        _use(given, agent, world.amelia.id)


def test_use_by_another_agent_or_on_another_schools_record_is_refused(app, world, teacher, agent):
    given = _grant(teacher, agent_email=None, agent_name="Someone Else")
    with pytest.raises(grants.GrantRefused, match="another member"):
        _use(given, agent, world.amelia.id)
    mine = _grant(teacher)
    with pytest.raises(grants.GrantRefused, match="another member"):
        _use(mine, teacher, world.amelia.id)  # a school user is not the support team
    with pytest.raises(grants.GrantRefused, match="not one of the organisation"):
        _use(mine, agent, world.oak_amelia.id)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"action": "update"}, "action"), ({"area": ""}, "area"), ({"person_kind": "parent"}, "person_kind")],
)
def test_use_refuses_bad_input(app, world, teacher, agent, changes, field):
    given = _grant(teacher)
    with pytest.raises(grants.GrantError) as refused:
        _use(given, agent, world.amelia.id, **changes)
    assert field in refused.value.errors


def test_only_a_school_user_can_grant(app, world, agent):
    with pytest.raises(PermissionError):
        grants.grant(agent, agent_name="Priya Desai", purpose="Help")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"purpose": ""}, "purpose"),
        ({"days": 0}, "days"),
        ({"days": grants.MAX_DAYS + 1}, "days"),
        ({"days": True}, "days"),
        ({"agent_email": None}, "agent_email"),
        ({"agent_email": "nobody@rightsdesk.example"}, "agent_email"),
        ({"agent_email": "mhughes@elm.sch.uk"}, "agent_email"),  # a school user is not support
        ({"agent_name": "Not Priya"}, "agent_name"),
        ({"ticket_reference": "TT-999-1999"}, "ticket_reference"),
    ],
)
def test_grant_refuses_bad_input(app, world, teacher, agent, changes, field):
    values = {"agent_email": "priya.desai@rightsdesk.example", "purpose": "Help"}
    with pytest.raises(grants.GrantError) as refused:
        grants.grant(teacher, **{**values, **changes})
    assert field in refused.value.errors


def test_grant_refuses_another_schools_ticket(app, world, teacher, agent):
    ticket = db.session.scalars(select(Ticket).where(Ticket.organisation_id == world.oak.id)).first()
    with pytest.raises(grants.GrantError) as refused:
        grants.grant(teacher, agent_email=agent.email, purpose="Help", ticket_reference=ticket.reference)
    assert "ticket_reference" in refused.value.errors


def test_an_inactive_staff_account_cannot_be_granted(app, world, teacher):
    gone = make_user("left@rightsdesk.example", Role.CASEWORKER, name="Left Already")
    gone.is_active = False
    db.session.commit()
    with pytest.raises(grants.GrantError):
        grants.grant(teacher, agent_email=gone.email, purpose="Help")


def test_revoke_twice_is_refused(app, world, teacher, agent):
    given = _grant(teacher)
    grants.revoke(given, teacher, now=utcnow())
    with pytest.raises(grants.GrantError):
        grants.revoke(given, teacher)


def test_a_namesake_in_the_support_team_cannot_use_anothers_grant(app, world, teacher, agent):
    namesake = make_user("priya.desai2@rightsdesk.example", Role.CASEWORKER, name="Priya Desai")
    db.session.commit()
    given = _grant(teacher)  # by email: names Priya's account, not only her name
    assert given.agent_user_id == agent.id
    with pytest.raises(grants.GrantRefused, match="another member"):
        _use(given, namesake, world.amelia.id)
    assert _use(given, agent, world.amelia.id).grant_id == given.id


def test_a_grant_by_name_alone_is_refused_while_two_agents_share_the_name(app, world, teacher, agent):
    by_name = _grant(teacher, agent_email=None, agent_name="Priya Desai")
    assert by_name.agent_user_id == agent.id  # the one account of that name
    make_user("priya.desai2@rightsdesk.example", Role.CASEWORKER, name="Priya Desai")
    db.session.commit()
    ambiguous = _grant(teacher, agent_email=None, agent_name="Priya Desai")
    assert ambiguous.agent_user_id is None
    with pytest.raises(grants.GrantRefused, match="another member"):
        _use(ambiguous, agent, world.amelia.id)
    assert _use(by_name, agent, world.amelia.id).grant_id == by_name.id
