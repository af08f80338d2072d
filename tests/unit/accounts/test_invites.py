"""Staff invitations as a service: hashed single-use links, expiry,
replacement, withdrawal, and accepting once even under a race."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, update

from app.accounts import invites, signin
from app.accounts.models import Role, StaffInvite, User
from app.accounts.services import (
    AccountError,
    create_user,
    disable_user,
    user_can_authenticate,
    verify_password,
)
from app.audit.models import AuditEvent
from app.crypto import token_digest
from app.db import utcnow
from app.extensions import db
from app.mail import OutboxMessage
from tests.signin import make_organisation

PASSWORD = "a long enough passphrase"


@pytest.fixture
def admin(app, db_session):
    app.config["SMTP_URL"] = None  # mail stays in the outbox table
    user = create_user(email="admin@example.org", name="Admin", password=PASSWORD, role=Role.ADMIN)
    db_session.commit()
    return user


def _invite_outcome(admin, email="new@example.org", role=Role.CASEWORKER, now=None, **extra):
    tokens: list[str] = []
    invited = invites.invite_user(
        email,
        "New Person",
        role,
        admin,
        lambda token: tokens.append(token) or f"https://desk.example/invite/{token}",
        now=now,
        **extra,
    )
    db.session.commit()
    return invited, tokens[0]


def _invite(admin, email="new@example.org", role=Role.CASEWORKER, now=None, **extra):
    invited, token = _invite_outcome(admin, email, role, now, **extra)
    return invited.user, token


def test_invite_creates_a_user_who_cannot_sign_in_and_mails_a_hashed_link(db_session, admin):
    user, token = _invite(admin, email="New@Example.org")
    assert user.email == "new@example.org" and not user.is_active
    assert not user_can_authenticate(user) and not verify_password(user, "")
    [message] = db_session.scalars(select(OutboxMessage)).all()
    assert message.recipient_list == ["new@example.org"] and message.category == invites.MAIL_CATEGORY
    assert f"https://desk.example/invite/{token}" in message.text_body
    stored = db_session.scalars(select(StaffInvite)).one()
    assert stored.token_hash == token_digest(token) and token not in stored.token_hash
    assert stored.expires_at - stored.created_at == timedelta(hours=72)
    assert stored.invited_by_id == admin.id
    assert not signin.sign_in_with_password("new@example.org", PASSWORD).ok


def test_invite_is_audited_with_ids_only(db_session, admin):
    user, token = _invite(admin)
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "accounts.user_invited")).one()
    assert event.actor_id == admin.id and event.object_id == user.id
    assert "new@example.org" not in str(event.data) and token not in str(event.data)


def test_invite_link_works_within_72_hours_only(db_session, admin):
    start = utcnow()
    _, token = _invite(admin, now=start)
    assert invites.find_live_invite(token, now=start + timedelta(hours=71, minutes=59)) is not None
    with pytest.raises(invites.InvalidInvite):
        invites.accept_invite(token, PASSWORD, now=start + timedelta(hours=72))


def test_reinviting_a_pending_address_replaces_the_link(db_session, admin):
    first_user, first = _invite(admin)
    second_user, second = _invite(admin, role=Role.ADMIN)
    assert first_user.id == second_user.id and second_user.role is Role.ADMIN
    assert invites.find_live_invite(first) is None
    with pytest.raises(invites.InvalidInvite):
        invites.accept_invite(first, PASSWORD)
    assert invites.accept_invite(second, PASSWORD).id == first_user.id
    assert len(db_session.scalars(select(OutboxMessage)).all()) == 2


def test_invite_is_refused_for_an_address_of_an_active_user(db_session, admin):
    with pytest.raises(AccountError) as refused:
        _invite(admin, email="ADMIN@example.org")
    assert refused.value.field == "email" and "already uses" in refused.value.message


def test_invite_is_refused_once_accepted(db_session, admin):
    user, token = _invite(admin)
    invites.accept_invite(token, PASSWORD)
    db_session.commit()
    with pytest.raises(AccountError):
        _invite(admin)
    with pytest.raises(invites.NotInvited):
        invites.resend_invite(user, admin, str)


def test_invite_checks_the_fields_like_create_user(db_session, admin):
    for email, role, field in (
        ("not-an-address", Role.CASEWORKER, "email"),
        ("x@example.org", "owner", "role"),
        ("x@example.org", Role.SCHOOL, "organisation"),
        ("x\x00@example.org", Role.CASEWORKER, "email"),
    ):
        with pytest.raises(AccountError) as refused:
            _invite(admin, email=email, role=role)
        assert refused.value.field == field
        db_session.rollback()
    with pytest.raises(AccountError) as refused:
        invites.invite_user("x@example.org", "New\x00Person", Role.CASEWORKER, admin, str)
    assert refused.value.field == "name"


def test_invite_refuses_an_address_the_mail_cannot_go_to(db_session, admin):
    # Accented letters before the @ need SMTPUTF8: refused by field, not a
    # 500 when the invitation is mailed.
    with pytest.raises(AccountError) as refused:
        _invite(admin, email="zoë@example.org", role=Role.CASEWORKER)
    assert refused.value.field == "email"
    assert "before the @" in str(refused.value)
    db_session.rollback()
    assert db_session.scalars(select(User).where(User.email == "zoë@example.org")).first() is None


def test_invite_to_an_accented_domain_is_mailed_to_its_ascii_form(db_session, admin):
    _invite(admin, email="zoe@exämple.org", role=Role.CASEWORKER)
    [mail] = db_session.scalars(select(OutboxMessage)).all()
    assert "zoe@xn--exmple-cua.org" in mail.recipients


def test_school_staff_are_invited_into_their_organisation(db_session, admin):
    school = make_organisation("Hill School")
    user, _ = _invite(admin, role=Role.SCHOOL, organisation_id=school.id)
    assert user.organisation_id == school.id


def test_only_administrators_invite(db_session, admin):
    caseworker = create_user(
        email="cw@example.org", name="Caseworker", password=PASSWORD, role=Role.CASEWORKER
    )
    with pytest.raises(PermissionError):
        _invite(caseworker)


def test_accepting_sets_the_password_and_switches_the_account_on_once(db_session, admin):
    user, token = _invite(admin)
    invites.accept_invite(token, PASSWORD)
    db_session.commit()
    db_session.refresh(user)
    assert user.is_active and verify_password(user, PASSWORD) and user.password_changed_at is not None
    stored = db_session.scalars(select(StaffInvite)).one()
    assert stored.end_reason == invites.ACCEPTED and stored.used_at is not None
    with pytest.raises(invites.InvalidInvite):
        invites.accept_invite(token, "yet another passphrase")
    result = signin.sign_in_with_password(user.email, PASSWORD)
    assert result.ok and result.needs_enrolment  # the second factor is set up next
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert "accounts.invite_accepted" in actions


def test_weak_password_leaves_the_invite_usable(db_session, admin):
    user, token = _invite(admin)
    with pytest.raises(AccountError) as refused:
        invites.accept_invite(token, "short")
    assert refused.value.field == "password"
    with pytest.raises(AccountError):
        invites.accept_invite(token, user.email)
    db_session.rollback()
    invites.accept_invite(token, PASSWORD)


def test_a_link_spent_by_another_transaction_is_refused(app, db_session, admin):
    _, token = _invite(admin)
    # Loaded (and held, so the session keeps it) as a racing request would have.
    loaded = invites.find_live_invite(token)
    assert loaded is not None
    other = create_engine(db.engine.url)
    with other.begin() as connection:
        connection.execute(update(StaffInvite).values(used_at=utcnow(), end_reason=invites.ACCEPTED))
    other.dispose()
    with pytest.raises(invites.InvalidInvite):
        invites.accept_invite(token, PASSWORD)


def test_two_racing_accepts_of_one_link_let_one_through(app, db_session, admin):
    _, token = _invite(admin)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def worker(password: str) -> None:
        try:
            with app.app_context():
                barrier.wait()
                try:
                    invites.accept_invite(token, password)
                    db.session.commit()
                    outcomes.append("accepted")
                except invites.InvalidInvite:
                    db.session.rollback()
                    outcomes.append("refused")
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(p,)) for p in (PASSWORD, "the other passphrase")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(outcomes) == ["accepted", "refused"]
    accepted = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "accounts.invite_accepted"))
    assert len(accepted.all()) == 1


def test_withdrawing_stops_the_link_and_reinviting_sends_a_new_one(db_session, admin):
    user, token = _invite(admin)
    invites.withdraw_invite(user, admin)
    db_session.commit()
    assert invites.find_live_invite(token) is None
    assert invites.waiting_invites()[user.id].live is False
    assert invites.account_state(user, invites.waiting_invites()) == "invited"
    _, again = _invite(admin)
    assert invites.accept_invite(again, PASSWORD).is_active


def test_disabling_an_invited_user_ends_their_link(db_session, admin):
    user, token = _invite(admin)
    disable_user(user, actor_id=admin.id)
    db_session.commit()
    assert invites.find_live_invite(token) is None


def test_account_states_of_a_staff_list(db_session, admin):
    invited, _ = _invite(admin)
    disabled = create_user(email="gone@example.org", name="Gone", password=PASSWORD, role=Role.CASEWORKER)
    locked = create_user(email="locked@example.org", name="Locked", password=PASSWORD, role=Role.CASEWORKER)
    disabled.is_active = False
    locked.locked_until = utcnow() + timedelta(minutes=5)
    db_session.commit()
    waiting = invites.waiting_invites()
    assert set(waiting) == {invited.id} and waiting[invited.id].live
    states = {u.email: invites.account_state(u, waiting) for u in db_session.scalars(select(User))}
    assert states == {
        "admin@example.org": "active",
        "new@example.org": "invited",
        "gone@example.org": "disabled",
        "locked@example.org": "locked",
    }


def test_invite_says_what_it_did_without_a_second_look(db_session, admin):
    now = utcnow()
    first, _ = _invite_outcome(admin, email="Back@Example.org", now=now)
    stored = db_session.scalars(select(StaffInvite).where(StaffInvite.user_id == first.user.id)).one()
    assert first.user.email == "back@example.org" and first.rejoining is False
    assert first.expires_at == stored.expires_at == now + timedelta(hours=72)

    # Invited again while waiting: a new link, not a return.
    again, _ = _invite_outcome(admin, email="back@example.org", now=now + timedelta(hours=1))
    assert again.user.id == first.user.id and again.rejoining is False
    assert again.expires_at == now + timedelta(hours=73)

    # Accepted, then disabled: inviting the address again brings its owner back.
    _, token = _invite_outcome(admin, email="back@example.org", now=now + timedelta(hours=2))
    invites.accept_invite(token, PASSWORD, now=now + timedelta(hours=3))
    db_session.commit()
    disable_user(first.user, actor_id=admin.id)
    db_session.commit()
    back, _ = _invite_outcome(admin, email="BACK@example.org", now=now + timedelta(hours=4))
    assert back.user.id == first.user.id and back.rejoining is True
    assert back.expires_at == now + timedelta(hours=76)
