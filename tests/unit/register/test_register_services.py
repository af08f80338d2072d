"""The processing register: seeded for every category a source can produce,
corrected only by admins, validated as a whole, audited without its text."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.register import services
from app.register.models import LawfulBasis, RegisterEntry
from app.sources.registry import all_sources
from tests.signin import make_user


def _entry(source: str, category: str) -> RegisterEntry:
    return db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == source, RegisterEntry.category == category)
    ).one()


def test_register_covers_every_category_a_source_produces_when_migrated(app):
    assert services.missing_categories() == []
    declared = {(s.name, c) for s in all_sources() for c in s.categories}
    assert {(e.source, e.category) for e in services.entries()} >= declared


def test_register_holds_the_policy_facts_when_seeded(app):
    contacts = _entry("contacts", "identity")
    assert "six months" in contacts.retention
    staff = _entry("employees", "staff_record")
    assert "one month" in staff.retention
    correspondence = _entry("correspondence", "correspondence")
    assert "three years" in correspondence.retention
    attendance = _entry("pupils", "attendance")
    assert "two academic years" in attendance.retention and "90 days" in attendance.retention
    citations = {
        LawfulBasis.PUBLIC_TASK: "Art 6(1)(e)",
        LawfulBasis.CONTRACT: "Art 6(1)(b)",
        LawfulBasis.LEGAL_OBLIGATION: "Art 6(1)(c)",
    }
    for entry in services.entries():
        assert entry.purposes and entry.recipients
        # The school's basis for the person, worded to match its code.
        assert citations[entry.basis] in entry.lawful_basis
        assert entry.transfers and entry.automated_decisions and entry.origin
    assert staff.basis is LawfulBasis.CONTRACT and attendance.basis is LawfulBasis.PUBLIC_TASK
    assert _entry("consent", "consent").basis is LawfulBasis.LEGAL_OBLIGATION


def test_missing_categories_named_when_an_entry_is_deleted(app):
    db.session.delete(_entry("pupils", "send"))
    db.session.flush()
    assert services.missing_categories() == [("pupils", "send")]


def test_update_changes_fields_and_audits_names_only_when_admin(app):
    admin, _ = make_user("admin@example.org", Role.ADMIN, with_totp=False)
    entry = _entry("pupils", "attendance")
    changed = services.update_entry(
        entry,
        {"retention": "A secret retention sentence", "purposes": "One\n\n Two \n", "title": entry.title},
        admin,
    )
    db.session.commit()
    assert sorted(changed) == ["purposes", "retention"]
    assert entry.purposes == ["One", "Two"] and entry.updated_by_id == admin.id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "register.updated")).one()
    assert event.object_id == entry.id and event.data == {"fields": ["purposes", "retention"]}
    assert "secret" not in str(event.data)


def test_update_with_no_change_writes_no_audit_event(app):
    admin, _ = make_user("admin@example.org", Role.ADMIN, with_totp=False)
    entry = _entry("pupils", "send")
    assert services.update_entry(entry, {"title": entry.title}, admin) == []
    db.session.commit()
    updates = select(AuditEvent).where(AuditEvent.action == "register.updated")
    assert db.session.scalars(updates).first() is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"retention": "x" * (services.MAX_TEXT + 1)}, "retention"),
        ({"purposes": []}, "purposes"),
        ({"recipients": ["ok", 5]}, "recipients"),
        ({"recipients": ["y" * (services.MAX_LIST_ITEM + 1)]}, "recipients"),
        ({"purposes": [f"p{i}" for i in range(services.MAX_LIST + 1)]}, "purposes"),
        ({"lawful_basis": 12}, "lawful_basis"),
        ({"colour": "blue"}, "colour"),
        ({"origin": "from the school\x00"}, "origin"),
        ({"purposes": ["fine", "bell\x07"]}, "purposes"),
    ],
)
def test_update_refuses_bad_input_and_changes_nothing(app, changes, field):
    admin, _ = make_user("admin@example.org", Role.ADMIN, with_totp=False)
    entry = _entry("pupils", "attendance")
    before = (entry.title, entry.retention, list(entry.purposes), list(entry.recipients))
    with pytest.raises(services.RegisterError) as raised:
        services.update_entry(entry, {"transfers": "changed too", **changes}, admin)
    assert field in raised.value.errors
    assert (entry.title, entry.retention, list(entry.purposes), list(entry.recipients)) == before
    assert entry.transfers != "changed too"


def test_special_category_condition_may_be_cleared(app):
    admin, _ = make_user("admin@example.org", Role.ADMIN, with_totp=False)
    entry = _entry("pupils", "characteristics")
    assert entry.special_category_condition
    services.update_entry(entry, {"special_category_condition": ""}, admin)
    assert entry.special_category_condition is None


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.SCHOOL])
def test_update_refused_when_not_admin(app, role):
    from tests.signin import make_organisation

    organisation = make_organisation("Elm Primary") if role is Role.SCHOOL else None
    user, _ = make_user(f"{role.value}@example.org", role, organisation, with_totp=False)
    with pytest.raises(services.NotAllowed):
        services.update_entry(_entry("pupils", "send"), {"title": "New"}, user)
