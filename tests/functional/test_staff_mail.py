"""Emails to staff, delivered by a real SMTP server in-process: an
invitation or password reset the server refused shows on the Staff page
(with what to do) and on an administrator's home page, and stops showing
once a newer email to that person arrives; other staff are not told."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role, User
from app.mail.models import OutboxMessage, OutboxStatus
from tests.signin import csrf_token, make_user, sign_in

NEW_STAFF = "nia@example.org"


def _staff_mail(db_session, user: User) -> list[OutboxMessage]:
    """The emails sent to ``user``'s account, oldest first, as stored now."""
    db_session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.user_id == user.id).order_by(OutboxMessage.created_at)
    return list(db_session.scalars(query))


def _line(page: str, user: User) -> str:
    """The Staff page's delivery line for ``user`` ('' when there is none)."""
    marker = f'id="staff-mail-{user.id}">'
    return page.split(marker, 1)[1].split("</span>", 1)[0] if marker in page else ""


def _admin_client(app):
    admin, secret = make_user("admin@example.org", Role.ADMIN)
    client = app.test_client()
    assert sign_in(client, admin, secret).status_code == 302
    return client


def test_a_refused_invitation_shows_until_a_new_one_arrives(app, db_session, smtp):
    client = _admin_client(app)
    smtp.refuse.add(NEW_STAFF)
    token = csrf_token(client, "/console/staff")
    data = {"name": "Nia Newcomer", "email": NEW_STAFF, "role": "caseworker", "organisation": ""}
    assert client.post("/console/staff/invite", data={**data, "csrf_token": token}).status_code == 303
    nia = db_session.scalars(select(User).where(User.email == NEW_STAFF)).one()
    [refused] = _staff_mail(db_session, nia)
    assert (refused.category, refused.status) == ("accounts.staff_invite", OutboxStatus.FAILED)

    line = _line(client.get("/console/staff").text, nia)
    assert line.startswith('Invitation email: <strong class="error-message">Not delivered</strong>')
    assert "550" in line and "withdraw this invitation and invite the right one" in line
    home = client.get("/console/").text
    warning = home.split('id="undelivered-staff-mail"', 1)[1].split("</div>", 1)[0]
    assert f"Nia Newcomer ({NEW_STAFF})" in warning and 'href="/console/staff"' in warning

    caseworker, secret = make_user("cw@example.org", Role.CASEWORKER)
    other = app.test_client()
    sign_in(other, caseworker, secret)
    assert "undelivered-staff-mail" not in other.get("/console/").text
    assert other.get("/console/staff").status_code == 403

    smtp.refuse.clear()
    token = csrf_token(client, "/console/staff")
    assert client.post(f"/console/staff/{nia.id}/resend", data={"csrf_token": token}).status_code == 303
    first, newest = _staff_mail(db_session, nia)
    assert (first.status, newest.status) == (OutboxStatus.FAILED, OutboxStatus.SENT)
    line = _line(client.get("/console/staff").text, nia)
    assert line.startswith("Invitation email: Delivered ") and "Not delivered" not in line
    assert "undelivered-staff-mail" not in client.get("/console/").text


def test_a_refused_password_reset_shows_for_a_member_of_staff(app, db_session, smtp):
    client = _admin_client(app)
    member, _secret = make_user("member@example.org", Role.CASEWORKER)
    assert _line(client.get("/console/staff").text, member) == ""

    anonymous = app.test_client()
    smtp.refuse.add(member.email)
    token = csrf_token(anonymous, "/console/password-reset")
    anonymous.post("/console/password-reset", data={"csrf_token": token, "email": member.email})
    [refused] = _staff_mail(db_session, member)
    assert (refused.category, refused.status) == ("accounts.password_reset", OutboxStatus.FAILED)

    line = _line(client.get("/console/staff").text, member)
    assert line.startswith("Password reset email: <strong") and "They can ask for a new link" in line
    assert f"({member.email})" in client.get("/console/").text

    smtp.refuse.clear()
    anonymous.post("/console/password-reset", data={"csrf_token": token, "email": member.email})
    assert [m.status for m in _staff_mail(db_session, member)] == [OutboxStatus.FAILED, OutboxStatus.SENT]
    assert _line(client.get("/console/staff").text, member) == ""  # delivered, and not an invitation
    assert "undelivered-staff-mail" not in client.get("/console/").text
