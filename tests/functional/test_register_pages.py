"""The processing register in the console and over the API: everyone reads,
admins correct, bad input answered with field messages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.register.models import LawfulBasis, RegisterEntry
from tests.signin import csrf_token, make_organisation, make_user, sign_in
from tests.unit.api.estate import build_estate


def _attendance() -> RegisterEntry:
    return db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == "pupils", RegisterEntry.category == "attendance")
    ).one()


def _signed_in(app, role, organisation=None):
    user, secret = make_user(f"{role.value}@example.org", role, organisation)
    client = app.test_client()
    sign_in(client, user, secret)
    return client


def _form(entry: RegisterEntry, **changes) -> dict[str, str]:
    values = {
        "title": entry.title,
        "description": entry.description,
        "purposes": "\n".join(entry.purposes),
        "lawful_basis": entry.lawful_basis,
        "special_category_condition": entry.special_category_condition or "",
        "recipients": "\n".join(entry.recipients),
        "retention": entry.retention,
        "origin": entry.origin,
        "automated_decisions": entry.automated_decisions,
        "transfers": entry.transfers,
        "basis": entry.basis.value,
        "provided_by_person": "yes" if entry.provided_by_person else "no",
    }
    values.update(changes)
    return values


def test_register_list_shows_every_entry_to_school_staff_read_only(app, db_session):
    school = make_organisation("Elm Primary")
    client = _signed_in(app, Role.SCHOOL, school)
    page = client.get("/console/register")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Attendance" in text and "Support summary emails" in text
    entry = client.get(f"/console/register/{_attendance().id}")
    assert entry.status_code == 200 and "<form" not in entry.get_data(as_text=True).split("<main", 1)[1]
    refused = client.post(f"/console/register/{_attendance().id}", data=_form(_attendance(), title="X"))
    assert refused.status_code in (400, 403)
    db.session.expire_all()
    assert _attendance().title == "Attendance"


def test_admin_corrects_an_entry_through_the_form(app, db_session):
    client = _signed_in(app, Role.ADMIN)
    entry = _attendance()
    path = f"/console/register/{entry.id}"
    data = _form(entry, retention="Kept for the test period.", csrf_token=csrf_token(client, path))
    response = client.post(path, data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert _attendance().retention == "Kept for the test period."
    assert "Register entry updated" in client.get(path).get_data(as_text=True)


def test_admin_form_shows_an_error_summary_and_keeps_the_typed_text_when_invalid(app, db_session):
    client = _signed_in(app, Role.ADMIN)
    entry = _attendance()
    path = f"/console/register/{entry.id}"
    data = _form(entry, title="", retention="My new <b>retention</b>", csrf_token=csrf_token(client, path))
    response = client.post(path, data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'class="error-summary"' in text and 'href="#title"' in text
    assert "My new &lt;b&gt;retention&lt;/b&gt;" in text
    db.session.expire_all()
    assert _attendance().retention != "My new <b>retention</b>"


@pytest.fixture
def estate(db_session):
    return build_estate()


def test_api_lists_and_reads_register_for_every_role(client, estate):
    for who in ("admin", "caseworker", "alder"):
        listed = client.get("/api/v1/register", headers=estate.auth(who))
        assert listed.status_code == 200
        items = listed.get_json()["items"]
        assert len(items) == 16
    one = client.get(f"/api/v1/register/{items[0]['id']}", headers=estate.auth("alder"))
    assert one.status_code == 200 and one.get_json()["id"] == items[0]["id"]


def test_api_patch_by_admin_changes_only_the_given_fields(client, estate):
    entry = _attendance()
    response = client.patch(
        f"/api/v1/register/{entry.id}",
        json={"purposes": ["Reporting progress"], "special_category_condition": None},
        headers=estate.auth("admin"),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["purposes"] == ["Reporting progress"] and body["special_category_condition"] is None
    assert body["retention"] == entry.retention


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"purposes": []},
        {"purposes": "one line"},
        {"unknown": 1},
        {"retention": 5},
        {"basis": "because"},
        {"provided_by_person": "yes"},
        {"provided_by_person": None},
    ],
)
def test_api_patch_with_bad_input_is_422_with_field_messages(client, estate, body):
    entry = _attendance()
    before = entry.retention
    response = client.patch(f"/api/v1/register/{entry.id}", json=body, headers=estate.auth("admin"))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]
    db.session.expire_all()
    assert _attendance().retention == before


def test_api_patch_sets_the_basis_and_who_gave_the_data(client, estate):
    entry = _attendance()
    listed = client.get(f"/api/v1/register/{entry.id}", headers=estate.auth("alder")).get_json()
    assert listed["basis"] == "public_task" and listed["provided_by_person"] is False
    response = client.patch(
        f"/api/v1/register/{entry.id}",
        json={
            "basis": "legal_obligation",
            "provided_by_person": True,
            "lawful_basis": "Legal obligation (UK GDPR Art 6(1)(c)): the law requires attendance registers.",
        },
        headers=estate.auth("admin"),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["basis"] == "legal_obligation"
    db.session.expire_all()
    assert _attendance().basis is LawfulBasis.LEGAL_OBLIGATION and _attendance().provided_by_person is True


@pytest.mark.parametrize("who", ["caseworker", "alder"])
def test_api_patch_is_403_for_non_admins(client, estate, who):
    entry = _attendance()
    response = client.patch(f"/api/v1/register/{entry.id}", json={"title": "X"}, headers=estate.auth(who))
    assert response.status_code == 403


def test_api_unknown_entry_is_404(client, estate):
    import uuid

    assert client.get(f"/api/v1/register/{uuid.uuid4()}", headers=estate.auth("admin")).status_code == 404


def test_admin_sets_the_basis_and_who_gave_the_data_through_the_form(app, db_session):
    client = _signed_in(app, Role.ADMIN)
    entry = _attendance()
    assert entry.basis is LawfulBasis.PUBLIC_TASK and entry.provided_by_person is False
    path = f"/console/register/{entry.id}"
    page = client.get(path).get_data(as_text=True)
    assert '<option value="public_task" selected>' in page
    assert 'type="radio" value="no" checked' in page and 'type="radio" value="yes" checked' not in page
    wording = "Contract (UK GDPR Art 6(1)(b)): the school's contract with the parents."
    data = _form(
        entry,
        basis="contract",
        provided_by_person="yes",
        lawful_basis=wording,
        csrf_token=csrf_token(client, path),
    )
    assert client.post(path, data=data).status_code == 302
    db.session.expire_all()
    changed = _attendance()
    assert changed.basis is LawfulBasis.CONTRACT and changed.provided_by_person is True
    shown = client.get(path).get_data(as_text=True)
    assert '<option value="contract" selected>' in shown


def test_admin_form_refuses_an_unknown_basis_and_a_missing_answer(app, db_session):
    client = _signed_in(app, Role.ADMIN)
    entry = _attendance()
    path = f"/console/register/{entry.id}"
    data = _form(entry, basis="because", provided_by_person="", csrf_token=csrf_token(client, path))
    response = client.post(path, data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Choose the Article 6(1) basis" in text and "Say whether the person gave this data" in text
    assert 'href="#basis"' in text and 'href="#provided_by_person"' in text
    db.session.expire_all()
    assert _attendance().basis is LawfulBasis.PUBLIC_TASK


def test_api_patch_refuses_a_basis_the_wording_does_not_cite(client, estate):
    entry = _attendance()  # worded as public task, citing 6(1)(e) and 6(1)(c)
    response = client.patch(
        f"/api/v1/register/{entry.id}", json={"basis": "contract"}, headers=estate.auth("admin")
    )
    assert response.status_code == 422
    message = response.get_json()["error"]["fields"]["basis"]
    assert "gives Article 6(1)(e) as the basis" in str(message)
    assert "Contract (Article 6(1)(b))" in str(message)
    db.session.expire_all()
    assert _attendance().basis is LawfulBasis.PUBLIC_TASK


def test_admin_form_refuses_wording_that_cites_another_basis(app, db_session):
    client = _signed_in(app, Role.ADMIN)
    entry = _attendance()
    path = f"/console/register/{entry.id}"
    data = _form(entry, basis="consent", provided_by_person="no", csrf_token=csrf_token(client, path))
    response = client.post(path, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#lawful_basis"' in page and "but the basis chosen is Consent (Article 6(1)(a))" in page
    db.session.expire_all()
    assert _attendance().basis is LawfulBasis.PUBLIC_TASK
