"""Password hashing, password rules and creating users."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from app.accounts.models import Role
from app.accounts.services import (
    AccountError,
    check_new_password,
    create_user,
    verify_password,
)
from app.audit.models import AuditEvent
from tests.signin import make_organisation

GOOD = "a long enough passphrase"


def test_password_hash_is_argon2id_and_verifies(db_session):
    user = create_user(email="A.Person@Example.org ", name="A Person", password=GOOD, role=Role.ADMIN)
    assert user.email == "a.person@example.org"
    assert user.password_hash.startswith("$argon2id$") and GOOD not in user.password_hash
    assert verify_password(user, GOOD)
    assert not verify_password(user, GOOD + "!")


def test_password_is_rehashed_when_argon2_parameters_change(db_session):
    user = create_user(email="old@example.org", name="Old Hash", password=GOOD, role=Role.CASEWORKER)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(GOOD)
    old = user.password_hash
    assert verify_password(user, GOOD)
    assert user.password_hash != old and "m=8192" not in user.password_hash
    assert not PasswordHasher().check_needs_rehash(user.password_hash)  # today's parameters
    assert verify_password(user, GOOD)


def test_wrong_password_does_not_rehash(db_session):
    user = create_user(email="keep@example.org", name="Keep", password=GOOD, role=Role.CASEWORKER)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(GOOD)
    old = user.password_hash
    assert not verify_password(user, "wrong password")
    assert user.password_hash == old


def test_corrupt_hash_is_a_wrong_password_not_an_error(db_session):
    user = create_user(email="corrupt@example.org", name="Corrupt", password=GOOD, role=Role.CASEWORKER)
    user.password_hash = "not a hash"
    assert not verify_password(user, GOOD)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 12"),
        ("x" * 257, "256 characters or fewer"),
        (" " * 14, "only spaces"),
        ("me@example.org", "not be your email"),
    ],
)
def test_weak_password_is_refused(app, password, message):
    with pytest.raises(AccountError, match=message) as caught:
        check_new_password(password, email="me@example.org")
    assert caught.value.field == "password"


def test_school_user_needs_an_existing_organisation(db_session):
    with pytest.raises(AccountError) as caught:
        create_user(email="s@example.org", name="School", password=GOOD, role=Role.SCHOOL)
    assert caught.value.field == "organisation"
    import uuid

    with pytest.raises(AccountError, match="No organisation"):
        create_user(
            email="s@example.org", name="School", password=GOOD, role="school", organisation_id=uuid.uuid4()
        )


def test_company_staff_belong_to_no_organisation(db_session):
    school = make_organisation("Elm School")
    with pytest.raises(AccountError, match="Only school users"):
        create_user(
            email="c@example.org", name="Case", password=GOOD, role=Role.CASEWORKER, organisation_id=school.id
        )


def test_duplicate_email_and_bad_role_are_refused(db_session):
    create_user(email="dup@example.org", name="First", password=GOOD, role=Role.ADMIN)
    with pytest.raises(AccountError, match="already exists") as caught:
        create_user(email="DUP@example.org", name="Second", password=GOOD, role=Role.ADMIN)
    assert caught.value.field == "email"
    with pytest.raises(AccountError) as bad_role:
        create_user(email="r@example.org", name="Role", password=GOOD, role="superuser")
    assert bad_role.value.field == "role"


def test_creating_a_user_is_audited_without_personal_data(db_session):
    user = create_user(email="audit@example.org", name="Audit Me", password=GOOD, role=Role.ADMIN)
    db_session.commit()  # audit events are chained and written as the transaction commits
    event = db_session.query(AuditEvent).filter_by(action="user.created").one()
    assert event.object_id == user.id and event.data == {"role": "admin"}
