"""Restriction and recipients in the console, through real sign-in and
CSRF: the case page's panel, restricting with a reason, scheduling a lift
(reason and date) and cancelling it, error summaries and recipients'
notices. Objections, on an objection request: test_objection_console."""

from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.collect import services as collect
from app.collect.models import CollectedItem
from app.extensions import db
from app.recipients.models import NoticeChannel, NoticeStatus, RecipientNotice
from app.restriction import lifting, services
from app.restriction.lookup import is_restricted
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.collect.factory import amelia_case, candidate_for
from tests.unit.recipients.factory import disclose
from tests.unit.sources.factories import build_world


def console_setting(app, db_session, request_type: str):
    """Amelia's request of ``request_type`` at Elm, her record confirmed (not
    committed), and a school user (with their sign-in secret) at Elm and at Oak."""
    app.config["REDIS_URL"] = None
    world = build_world(db_session)
    elm_user, elm_secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak_user, oak_secret = make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    case = amelia_case(world, elm_user, request_type=request_type)
    collect.propose_candidates(case, elm_user)
    collect.decide_candidate(case, candidate_for(case, world.amelia.id).id, elm_user, True)
    return world, case, (elm_user, elm_secret), (oak_user, oak_secret)


@pytest.fixture
def setting(app, db_session):
    world, case, elm, oak = console_setting(app, db_session, "restriction")
    # Some of her data was collected: its register entry names recipients.
    db.session.add(
        CollectedItem(
            case_id=case.id,
            source="pupils",
            category="identity",
            key="pupils:identity",
            title="Identity",
            data_json=json.dumps({"upn": "held"}),
        )
    )
    db.session.commit()
    return world, case, elm, oak


def _post(client, page: str, action: str, **data):
    return client.post(action, data={"csrf_token": csrf_token(client, page), **data})


OTHERS = "Others only where the law requires it"
LA = "Northshire County Council"


def _panel(page: str, label: str) -> str:
    """The value the case page's restriction panel gives after ``label``."""
    found = re.search(rf"<dt>{label}</dt><dd>[^<]*</dd>", page)
    return found[0] if found else ""


def test_restrict_and_schedule_the_lift_in_the_console(client, setting, smtp):
    world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    before = client.get(page)
    assert (
        before.status_code == 200
        and "Not restricted" in before.text
        and "Restrict the records" in before.text
    )

    done = _post(client, page, f"{page}/restrict", reason="The parent disputes the attendance marks.")
    assert done.status_code == 303
    after = client.get(page).text
    assert "Restricted</strong> since" in after and "The parent disputes the attendance marks." in after
    # Art 19 recipients are the register's outside parties; the school, the
    # controller itself, is never listed as a recipient of its own data.
    assert "Others only where the law requires it (register)" in after and "(controller)" not in after
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}
    case_page = client.get(f"/console/cases/{case.id}").text
    assert 'id="restriction-panel"' in case_page and "1 record kept in storage only" in case_page

    form = client.get(page).text
    default = lifting.default_lift_on()
    offered = {
        part: re.search(rf'id="lift_on-{part}"[^>]*value="(\d*)"', form)[1] for part in ("day", "year")
    }
    assert offered == {"day": str(default.day), "year": str(default.year)}  # two weeks ahead
    day = lifting.today() + timedelta(days=3)
    scheduled = _post(
        client,
        page,
        f"{page}/lift",
        lifted_reason="Checked against the paper register.",
        **_date_parts(day),
    )
    assert scheduled.status_code == 303
    # The requester is told now; the record stays restricted until the day.
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}
    assert any(case.requester_email in m.rcpt_tos and "lifted" in m.message["Subject"] for m in smtp.messages)
    shown = client.get(page).text
    told = lifting.today()
    assert f"Lifting on {day:%-d %B %Y}; requester told on {told:%-d %B %Y}" in shown
    assert "Cancel the lift" in shown and "Tell the requester and schedule the lift" not in shown

    assert lifting.lift_due(on=day) == 1
    db.session.commit()
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == set()
    changes = {n.change.value for n in db.session.scalars(select(RecipientNotice))}
    assert changes == {"restriction", "restriction_lifted"}
    assert "Lifting on" not in client.get(page).text


def _date_parts(day: date) -> dict[str, str]:
    return {"lift_on-day": str(day.day), "lift_on-month": str(day.month), "lift_on-year": str(day.year)}


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"lift_on-day": "31", "lift_on-month": "2", "lift_on-year": "2027"}, "Give a real date"),
        ({"lift_on-day": "", "lift_on-month": "", "lift_on-year": ""}, "Give the date"),
        (None, "or later, so they are told first"),
    ],
)
def test_lift_with_a_bad_date_shows_an_error_summary(client, setting, smtp, parts, message):
    world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    _post(client, page, f"{page}/restrict", reason="Accuracy disputed.")
    typed = parts if parts is not None else _date_parts(lifting.today())
    refused = _post(client, page, f"{page}/lift", lifted_reason="Checked.", **typed)
    assert refused.status_code == 422
    assert 'class="error-summary"' in refused.text and 'href="#lift_on-day"' in refused.text
    assert message in refused.text and 'id="lift_on-error"' in refused.text
    # What was typed is put back, and nothing was sent or scheduled.
    assert f'value="{typed["lift_on-day"]}"' in refused.text and "Lifting on" not in refused.text
    assert not any(case.requester_email in m.rcpt_tos for m in smtp.messages)
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}


def test_cancel_a_scheduled_lift_in_the_console(client, setting, smtp):
    world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    _post(client, page, f"{page}/restrict", reason="Accuracy disputed.")
    day = lifting.today() + timedelta(days=5)
    _post(client, page, f"{page}/lift", lifted_reason="Checked.", **_date_parts(day))
    assert "Lifting on" in client.get(page).text
    cancelled = _post(client, page, f"{page}/lift/cancel")
    assert cancelled.status_code == 303
    shown = client.get(page).text
    assert "Lifting on" not in shown and "Tell the requester and schedule the lift" in shown
    assert any("stays" in m.message["Subject"] for m in smtp.messages if case.requester_email in m.rcpt_tos)
    assert lifting.lift_due(on=day) == 0
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}
    again = _post(client, page, f"{page}/lift/cancel")
    assert again.status_code == 409 and "No lift is scheduled" in again.text


def test_restrict_again_shows_the_conflict_in_the_error_summary(client, setting):
    _world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    assert _post(client, page, f"{page}/restrict", reason="Accuracy disputed.").status_code == 303
    # A second tab, still showing the form from before the first restriction.
    again = _post(client, page, f"{page}/restrict", reason="Accuracy still disputed.")
    assert again.status_code == 409
    summary = again.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert services.ALREADY_RESTRICTED in html.unescape(summary)
    assert [r.reason for r in services.restrictions_for(case)] == ["Accuracy disputed."]


def test_restrict_without_confirmed_records_shows_the_conflict_in_the_error_summary(client, setting):
    world, _case, (user, secret), _ = setting
    unmatched = amelia_case(world, user, request_type="restriction")
    db.session.commit()
    sign_in(client, user, secret)
    page = f"/console/cases/{unmatched.id}/restriction"
    assert "No record has been confirmed as the subject's yet." in client.get(page).text
    # A form from another tab, or a record rejected since it was shown.
    refused = _post(client, page, f"{page}/restrict", reason="Accuracy disputed.")
    assert refused.status_code == 409
    summary = refused.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert f'<a href="#case">{services.NOTHING_CONFIRMED}</a>' in html.unescape(summary)
    assert services.restrictions_for(unmatched) == []


def test_restrict_without_a_reason_shows_an_error_summary(client, setting):
    _world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    refused = _post(client, page, f"{page}/restrict", reason="  ")
    assert refused.status_code == 422
    assert 'class="error-summary"' in refused.text and 'href="#reason"' in refused.text


def test_restriction_page_of_another_school_is_not_found(client, setting):
    _world, case, _, (other, secret) = setting
    sign_in(client, other, secret)
    page = f"/console/cases/{case.id}/restriction"
    assert client.get(page).status_code == 404


def test_pending_notice_is_recorded_as_told(client, setting):
    _world, case, (user, secret), _ = setting
    disclose("pupils", "identity", LA)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    _post(client, page, f"{page}/restrict", reason="Accuracy disputed.")
    (pending,) = db.session.scalars(
        select(RecipientNotice).where(RecipientNotice.status == NoticeStatus.PENDING)
    ).all()
    assert pending.recipient_name == LA and "To be told by the school" in client.get(page).text
    assert "1</dd>" in _panel(client.get(f"/console/cases/{case.id}").text, "Notices the school must give")
    told = _post(client, page, f"/console/cases/{case.id}/recipients/told", notice_id=str(pending.id))
    assert told.status_code == 303
    db.session.expire_all()
    assert pending.status is NoticeStatus.SENT
    assert "Notices the school must give" not in client.get(f"/console/cases/{case.id}").text
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "restriction.viewed")).first()


def test_a_kind_of_recipient_is_no_notice_for_the_school_to_give(client, setting, smtp):
    """The register's only recipient of her identity is "Others only where
    the law requires it": a kind of recipient, no disclosure to one recorded.
    Its notice is closed from the start: nothing pending on the case page or
    the restriction page, no "Record as told", no email asking the school."""
    world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    sent = len(smtp.messages)
    assert _post(client, page, f"{page}/restrict", reason="Accuracy disputed.").status_code == 303
    (notice,) = db.session.scalars(select(RecipientNotice)).all()
    assert notice.recipient_name == OTHERS
    assert (notice.status, notice.channel) == (NoticeStatus.NONE_RECORDED, NoticeChannel.NONE)
    shown = client.get(page).text
    row = re.search(rf"<td>{OTHERS}</td>.*?</tr>", shown, re.S)[0]
    assert "Nobody to tell" in row and "no disclosure to this kind of recipient is recorded" in row
    assert "Pending" not in row and "Record as told" not in shown
    assert f"{OTHERS} (register)</li>" in shown  # listed for the requester, told of nothing
    assert "Notices the school must give" not in client.get(f"/console/cases/{case.id}").text
    asked = [m for m in smtp.messages[sent:] if world.elm.dp_contact_email in m.rcpt_tos]
    assert not [m for m in asked if "recipients to tell" in m.message["Subject"]]
    # Recording it as told changes nothing: there is nobody to tell.
    _post(client, page, f"/console/cases/{case.id}/recipients/told", notice_id=str(notice.id))
    db.session.expire_all()
    assert notice.status is NoticeStatus.NONE_RECORDED and notice.sent_at is None
