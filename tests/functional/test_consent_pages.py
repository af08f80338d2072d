"""The consent ledger over the API, and the public withdrawal page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.extensions import db
from app.sources.consent.links import withdrawal_url
from app.sources.consent.models import ConsentDecision, ConsentRecord
from app.sources.consent.services import Person
from app.sources.correspondence.models import PersonKind
from tests.signin import make_user
from tests.unit.sources.factories import build_world, new_id

WORDING = "I agree to text-message reminders about trips and payments."


@pytest.fixture
def world(db_session):
    built = build_world(db_session)
    db_session.commit()
    return built


def _auth(role, organisation=None, email=None):
    user, _ = make_user(email or f"{role.value}@example.org", role, organisation, with_totp=False)
    issued = issue_token(user, name="consent tests", actor=user)
    db.session.commit()
    return {"Authorization": f"Bearer {issued.secret}"}


def _body(world, **overrides):
    body = {
        "organisation_id": str(world.elm.id),
        "person_kind": "contact",
        "person_id": str(world.mother.id),
        "purpose": "contact_text_reminders",
        "decision": "granted",
        "wording": WORDING,
        "wording_version": "2025.1",
        "method": "web",
    }
    body.update(overrides)
    return body


def test_school_records_and_reads_consent_over_the_api(client, world):
    headers = _auth(Role.SCHOOL, world.elm)
    created = client.post("/api/v1/consents", json=_body(world), headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["recorded_by"] == "Test school"
    withdrawn = client.post("/api/v1/consents", json=_body(world, decision="withdrawn"), headers=headers)
    assert withdrawn.status_code == 201
    query = {k: v for k, v in _body(world).items() if k in ("organisation_id", "person_kind", "person_id")}
    ledger = client.get("/api/v1/consents", query_string=query, headers=headers)
    assert ledger.status_code == 200
    body = ledger.get_json()
    mine = "contact_text_reminders"
    assert [c["decision"] for c in body["current"] if c["purpose"] == mine] == ["withdrawn"]
    assert [h["decision"] for h in body["history"] if h["purpose"] == mine] == ["granted", "withdrawn"]
    assert any(c["purpose"] == "photos_public_website" for c in body["current"])


def test_other_schools_people_are_404(client, world):
    headers = _auth(Role.SCHOOL, world.oak)
    response = client.post("/api/v1/consents", json=_body(world), headers=headers)
    assert response.status_code == 404
    missing = _body(world, person_id=str(new_id()))
    unknown = client.post("/api/v1/consents", json=missing, headers=_auth(Role.ADMIN))
    assert unknown.status_code == 404
    texts = select(ConsentRecord).where(ConsentRecord.purpose == "contact_text_reminders")
    assert db.session.scalars(texts).first() is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"purpose": "Bad Purpose"},
        {"wording": ""},
        {"method": "telepathy"},
        {"decision": "maybe"},
        {"extra": 1},
    ],
)
def test_bad_input_is_422_with_field_messages(client, world, overrides):
    response = client.post("/api/v1/consents", json=_body(world, **overrides), headers=_auth(Role.ADMIN))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]


def test_reused_version_with_other_wording_is_422_on_wording(client, world):
    headers = _auth(Role.CASEWORKER)
    assert client.post("/api/v1/consents", json=_body(world), headers=headers).status_code == 201
    again = client.post("/api/v1/consents", json=_body(world, wording=WORDING + "!"), headers=headers)
    assert again.status_code == 422 and "wording" in again.get_json()["error"]["fields"]


def _csrf(page: str) -> str:
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match
    return match.group(1)


def test_person_withdraws_through_the_public_link(client, world):
    headers = _auth(Role.ADMIN)
    client.post("/api/v1/consents", json=_body(world), headers=headers)
    link = client.post(
        "/api/v1/consents/withdrawal-link",
        json={
            "organisation_id": str(world.elm.id),
            "person_kind": "contact",
            "person_id": str(world.mother.id),
        },
        headers=headers,
    )
    assert link.status_code == 200
    path = link.get_json()["url"].removeprefix("http://localhost")
    public = client.application.test_client()
    page = public.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert WORDING in text and "Withdraw this consent" in text
    assert world.mother.surname not in text
    assert page.headers["Referrer-Policy"] == "same-origin"
    done = public.post(path, data={"csrf_token": _csrf(text), "purpose": "contact_text_reminders"})
    assert done.status_code == 302
    rows = db.session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.purpose == "contact_text_reminders")
        .order_by(ConsentRecord.recorded_at)
    ).all()
    assert [r.decision for r in rows] == [ConsentDecision.GRANTED, ConsentDecision.WITHDRAWN]
    assert rows[1].method.value == "web" and rows[1].wording == WORDING
    after = public.get(done.headers["Location"]).get_data(as_text=True)
    assert "Your consent has been withdrawn" in after
    granted_part = after.split("Consents you have withdrawn")[0]
    assert WORDING not in granted_part and "Contact text reminders: withdrawn" in after


def test_withdrawing_nothing_shows_an_error_summary(client, world):
    person = Person(world.elm.id, PersonKind.CONTACT, world.mother.id)
    path = withdrawal_url(person).removeprefix("http://localhost")
    page = client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": _csrf(page), "purpose": "contact_text_reminders"})
    assert response.status_code == 422 and 'class="error-summary"' in response.get_data(as_text=True)


def test_a_bad_link_is_404_with_a_clear_page(client):
    response = client.get("/consent/not-a-real-token")
    assert response.status_code == 404 and "This link does not work" in response.get_data(as_text=True)


def test_withdrawal_works_over_https_where_the_referer_is_checked(app, client, world):
    """Flask-WTF checks the Referer on HTTPS form posts; the page's policy
    must let the browser send it to the same site."""
    headers = _auth(Role.ADMIN)
    client.post("/api/v1/consents", json=_body(world), headers=headers)
    person = Person(world.elm.id, PersonKind.CONTACT, world.mother.id)
    path = withdrawal_url(person).removeprefix("http://localhost")
    secure = app.test_client()
    page = secure.get(path, base_url="https://localhost")
    assert page.headers["Referrer-Policy"] == "same-origin"
    done = secure.post(
        path,
        base_url="https://localhost",
        data={"csrf_token": _csrf(page.get_data(as_text=True)), "purpose": "contact_text_reminders"},
        headers={"Referer": f"https://localhost{path}"},
    )
    assert done.status_code == 302
