"""Inviting a member of staff over HTTP: the admin's Staff page, the mail
(delivered to a real SMTP server), choosing a password through the link,
and the first sign-in that asks for an authenticator app."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import Role, StaffInvite, User
from app.audit.models import AuditEvent
from app.db import utcnow
from tests.signin import csrf_token, make_organisation, make_user, sign_in, submit_password

NEW_PASSWORD = "a brand new passphrase 42"
_LINK = re.compile(r"http://localhost(/console/invite/[A-Za-z0-9_-]+)")


@pytest.fixture
def admin(client, db_session):
    user, secret = make_user("admin@example.org", Role.ADMIN)
    assert sign_in(client, user, secret).status_code == 302
    return user


def _invite(client, **fields):
    data = {"name": "Nia Newcomer", "email": "nia@example.org", "role": "caseworker", "organisation": ""}
    data.update(fields)
    data["csrf_token"] = csrf_token(client, "/console/staff")
    return client.post("/console/staff/invite", data=data)


def _link_in(received) -> str:
    """The invitation link's path in a message the SMTP server received."""
    text = received.message.get_body(("plain",)).get_content()
    match = _LINK.search(text)
    assert match, text
    return match.group(1)


def _choose(client, path, password=NEW_PASSWORD, confirm=None):
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, "password": password, "confirm": confirm or password})


def _post_action(client, user_id, action):
    token = csrf_token(client, "/console/staff")
    return client.post(f"/console/staff/{user_id}/{action}", data={"csrf_token": token})


def _invited(db_session, email="nia@example.org") -> User:
    return db_session.scalars(select(User).where(User.email == email)).one()


def test_invited_person_chooses_a_password_signs_in_and_is_asked_to_enrol(
    app, client, db_session, admin, smtp
):
    response = _invite(client)
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/staff")
    [received] = smtp.messages
    assert received.rcpt_tos == ["nia@example.org"]
    path = _link_in(received)
    assert path.rsplit("/", 1)[1] not in db_session.scalars(select(StaffInvite.token_hash)).one()

    listing = client.get("/console/staff")
    assert "Nia Newcomer" in listing.text and "Invited" in listing.text

    newcomer = app.test_client()
    page = newcomer.get(path)
    assert page.status_code == 200 and "Choose your password" in page.text
    assert '<label class="label" for="password">Password</label>' in page.text
    done = _choose(newcomer, path)
    assert done.status_code == 302 and done.headers["Location"].endswith("/console/sign-in")
    first = submit_password(newcomer, "nia@example.org", NEW_PASSWORD)
    assert first.status_code == 302 and first.headers["Location"].endswith("/console/sign-in/set-up")
    enrol = newcomer.get("/console/sign-in/set-up")
    assert enrol.status_code == 200 and "authenticator" in enrol.text.lower()

    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert "accounts.user_invited" in actions and "accounts.invite_accepted" in actions


def test_invitee_cannot_sign_in_or_reset_before_accepting(app, client, db_session, admin, smtp):
    _invite(client)
    other = app.test_client()
    refused = submit_password(other, "nia@example.org", "any password at all")
    assert refused.status_code == 200 and "Enter a correct email address and password" in refused.text
    token = csrf_token(other, "/console/password-reset")
    other.post("/console/password-reset", data={"csrf_token": token, "email": "nia@example.org"})
    assert len(smtp.messages) == 1  # the invitation only: no reset link for an unaccepted account


def test_weak_password_shows_the_error_summary(app, client, db_session, admin, smtp):
    _invite(client)
    path = _link_in(smtp.messages[0])
    newcomer = app.test_client()
    weak = _choose(newcomer, path, password="short")
    assert weak.status_code == 200
    assert "There is a problem" in weak.text and 'href="#password"' in weak.text
    assert "at least 12 characters" in weak.text
    mismatch = _choose(newcomer, path, confirm="something else entirely")
    assert "Enter the same password twice" in mismatch.text and 'href="#confirm"' in mismatch.text
    assert _choose(newcomer, path).status_code == 302


def test_used_expired_and_unknown_links_show_one_neutral_page(app, client, db_session, admin, smtp):
    _invite(client)
    path = _link_in(smtp.messages[0])
    unknown = app.test_client().get("/console/invite/not-a-real-token")
    assert _choose(app.test_client(), path).status_code == 302
    used = app.test_client().get(path)
    assert unknown.status_code == used.status_code == 404
    assert unknown.text == used.text and "This link does not work" in used.text

    _invite(client, email="late@example.org")
    late = _link_in(smtp.messages[1])
    db_session.execute(update(StaffInvite).values(expires_at=utcnow() - timedelta(seconds=1)))
    db_session.commit()
    expired = app.test_client().get(late)
    assert expired.status_code == 404 and expired.text == used.text


def test_invite_form_errors_are_summarised(client, db_session, admin, smtp):
    taken = _invite(client, email="admin@example.org")
    assert taken.status_code == 422
    assert "There is a problem" in taken.text and 'href="#email"' in taken.text
    assert "already uses this email address" in taken.text
    no_role = _invite(client, role="")
    assert no_role.status_code == 422 and 'href="#role"' in no_role.text
    no_school = _invite(client, role="school")
    assert no_school.status_code == 422 and 'href="#organisation"' in no_school.text
    bad_name = _invite(client, name="Nia\x00Newcomer")
    assert bad_name.status_code == 422 and 'href="#name"' in bad_name.text
    assert smtp.messages == []


def test_school_staff_are_invited_into_the_chosen_school(client, db_session, admin, smtp):
    school = make_organisation("Hill School")
    db_session.commit()
    assert _invite(client, role="school", organisation=str(school.id)).status_code == 303
    assert _invited(db_session).organisation_id == school.id


def test_send_again_replaces_the_link(app, client, db_session, admin, smtp):
    _invite(client)
    user = _invited(db_session)
    assert _post_action(client, user.id, "resend").status_code == 303
    first, second = (_link_in(m) for m in smtp.messages)
    newcomer = app.test_client()
    assert newcomer.get(first).status_code == 404
    assert newcomer.get(second).status_code == 200


def test_withdraw_stops_the_link(app, client, db_session, admin, smtp):
    _invite(client)
    user = _invited(db_session)
    path = _link_in(smtp.messages[0])
    assert _post_action(client, user.id, "withdraw").status_code == 303
    assert app.test_client().get(path).status_code == 404
    assert "Invitation withdrawn" in client.get("/console/staff").text


def test_actions_need_the_csrf_token(client, db_session, admin, smtp):
    _invite(client)
    user = _invited(db_session)
    refused = client.post(f"/console/staff/{user.id}/withdraw", data={})
    assert refused.status_code == 400  # the application-wide CSRF check
    assert db_session.scalars(select(StaffInvite.used_at)).one() is None


def test_actions_on_an_accepted_account_are_not_found(client, db_session, admin, smtp):
    assert _post_action(client, admin.id, "withdraw").status_code == 404


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.SCHOOL])
def test_staff_pages_are_403_for_non_admins(app, client, db_session, role):
    organisation = make_organisation("Hill School") if role is Role.SCHOOL else None
    user, secret = make_user("someone@example.org", role, organisation)
    assert sign_in(client, user, secret).status_code == 302
    assert client.get("/console/staff").status_code == 403
    assert 'href="/console/staff"' not in client.get("/console/account").text  # no menu link either
    token = csrf_token(client, "/console/account")
    data = {"csrf_token": token, "name": "X", "email": "x@example.org", "role": "admin"}
    assert client.post("/console/staff/invite", data=data).status_code == 403
    assert client.post(f"/console/staff/{user.id}/resend", data={"csrf_token": token}).status_code == 403
    assert db_session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_admins_find_the_staff_page_in_the_menu(client, db_session, admin):
    page = client.get("/console/staff").text
    assert '<a href="/console/staff" aria-current="page">Staff</a>' in page
    assert 'href="/console/staff"' in client.get("/console/account").text


def test_a_disabled_former_member_of_staff_is_invited_back_with_nothing_of_before(
    app, client, db_session, admin, smtp
):
    from app.accounts.models import RecoveryCode
    from app.accounts.resets import find_live_link, request_password_reset
    from app.accounts.services import disable_user, new_recovery_codes
    from app.api.tokens import issue_token
    from tests.signin import PASSWORD

    former, _secret = make_user("rhys@example.org", Role.CASEWORKER)
    old_token = issue_token(former, name="laptop").secret
    assert new_recovery_codes(former, PASSWORD)
    reset_tokens: list[str] = []
    request_password_reset("rhys@example.org", lambda token: reset_tokens.append(token) or token)
    db_session.commit()
    smtp.messages.clear()  # the reset email; the test follows the invitation's
    [old_reset] = reset_tokens
    assert find_live_link(old_reset) is not None
    bearer = {"Authorization": f"Bearer {old_token}"}
    assert app.test_client().get("/api/v1/cases", headers=bearer).status_code == 200
    disable_user(former, actor_id=admin.id)
    db_session.commit()
    listing = client.get("/console/staff")
    assert "Disabled" in listing.text and f"/console/staff/{former.id}/invite-back" in listing.text

    back = _post_action(client, former.id, "invite-back")
    assert back.status_code == 303
    assert "has been invited back" in client.get("/console/staff").text
    [received] = smtp.messages
    assert received.rcpt_tos == ["rhys@example.org"]
    db_session.expire_all()
    assert db_session.get(User, former.id).totp_secret is None
    assert db_session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == former.id)).all() == []
    # Nothing of before opens the account, now or once it is switched back on.
    other = app.test_client()
    refused = submit_password(other, "rhys@example.org", PASSWORD)
    assert "Enter a correct email address and password" in refused.text
    assert other.get("/api/v1/cases", headers=bearer).status_code == 401
    assert _choose(other, _link_in(received)).status_code == 302
    db_session.expire_all()
    assert find_live_link(old_reset) is None  # a reset link from before, now the account is on again
    first = submit_password(other, "rhys@example.org", NEW_PASSWORD)
    assert first.headers["Location"].endswith("/console/sign-in/set-up")  # a new authenticator
    assert app.test_client().get("/api/v1/cases", headers=bearer).status_code == 401  # revoked
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert "accounts.credentials_cleared" in actions
    # An active account cannot be "invited back".
    assert _post_action(client, former.id, "invite-back").status_code == 404
