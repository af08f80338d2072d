"""The internal disclosure schedule: one line per item, a withheld item's
title left out, exemption titles and citations, notes and who decided."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.review import schedule, services
from app.review.models import Action
from app.sources.access_log.models import AccessLogEntry
from tests.unit.review.factory import items_of, key_of, regather


def test_schedule_leaves_out_a_withheld_items_title_and_names_who_decided(case, caseworker):
    withheld, redacted = key_of(case, "send"), key_of(case, "correspondence")
    services.decide(case, withheld, "withhold", "serious_harm", [], "Counsellor's advice", caseworker)
    services.accept_suggestions(case, redacted, caseworker)
    db.session.commit()
    lines = {line.item_key: line for line in schedule.schedule(case)}
    assert len(lines) == len(items_of(case))
    hidden = lines[withheld]
    assert hidden.title is None and hidden.action is Action.WITHHOLD and hidden.note == "Counsellor's advice"
    assert hidden.exemption_title.startswith("Likely to cause serious harm")
    assert hidden.exemption_citation == "DPA 2018 Sch 3 Part 4 (education data)"
    assert (hidden.decided_by, hidden.decided_by_id) == (caseworker.name, caseworker.id)
    shown = lines[redacted]
    assert shown.title == "Science project" and shown.redacted_parts == 1
    assert shown.exemption_citation == "DPA 2018 Sch 2 para 16" and shown.source_title


def test_schedule_lists_undecided_and_stale_items(case, caseworker):
    key = key_of(case, "send")
    services.decide(case, key, "disclose", None, [], None, caseworker)
    db.session.commit()
    regather(case, key, notes="A new plan")
    states = {line.item_key: line.state for line in schedule.schedule(case)}
    assert states[key] == "stale" and set(states.values()) == {"stale", "undecided"}


def test_viewing_the_schedule_is_audited_and_access_logged(case, caseworker, world):
    lines = schedule.view_schedule(caseworker, case)
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "collect.viewed")).one()
    assert event.data == {"area": schedule.SCHEDULE_AREA, "shown": len(lines), "people": 1}
    query = select(AccessLogEntry).where(AccessLogEntry.area == schedule.SCHEDULE_AREA)
    logged = db.session.scalars(query).one()
    assert logged.person_id == world.amelia.id and logged.actor_email == caseworker.email
