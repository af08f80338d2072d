"""An administrator says on the console's organisation page whether the
organisation is a public authority: a form with a legend, hint, error
summary and CSRF token; refused, with the categories named, while
legitimate interests is in effect there; audited with the old and new
value. The basis pages refuse what would put legitimate interests in effect
at a public authority through a trust's basis (UK GDPR Art 6(1), last
sentence)."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.orgs.models import Organisation
from tests.functional.test_organisation_bases_pages import (
    Estate,
    _admin,
    _entry,
    _own,
    _path,
    _school_user,
)
from tests.functional.test_public_authority_flag_api import _events, _flag
from tests.signin import csrf_token, make_organisation, make_user, sign_in

INTERESTS = "Legitimate interests (UK GDPR Art 6(1)(f)): to care for the child safely."
PUBLIC_TASK = "Public task (UK GDPR Art 6(1)(e)): the school's functions as a school."


@pytest.fixture
def estate(db_session) -> Estate:
    return Estate()


def _page(organisation: Organisation) -> str:
    return f"/console/organisations/{organisation.id}"


def _post_flag(client, organisation: Organisation, value: str):
    token = csrf_token(client, _page(organisation))
    return client.post(
        f"{_page(organisation)}/public-authority", data={"public_authority": value, "csrf_token": token}
    )


def test_organisation_page_offers_the_flag_form_to_an_administrator_only(app, estate):
    page = _admin(app, estate).get(_page(estate.alder)).get_data(as_text=True)
    assert f'action="/console/organisations/{estate.alder.id}/public-authority"' in page
    assert 'name="csrf_token"' in page
    assert "<legend" in page and "Is Alder Academy a public authority?" in page
    assert (
        'id="public_authority-hint"' in page and "private nurseries and independent schools are not" in page
    )
    assert 'id="public_authority" name="public_authority" type="radio" value="yes"' in page
    assert 'value="yes" checked' in page and 'value="no" checked' not in page
    school_page = _school_user(app, estate.alder).get(_page(estate.alder)).get_data(as_text=True)
    assert '/public-authority"' not in school_page and "<legend" not in school_page
    assert "<dt>Public authority</dt><dd>Yes" in school_page


def test_flag_form_saves_audits_and_says_so_when_nothing_stands_in_the_way(app, estate):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    db.session.commit()
    client = _admin(app, estate)
    response = _post_flag(client, nursery, "yes")
    assert response.status_code == 303 and response.headers["Location"].endswith(_page(nursery))
    assert _flag(nursery) is True
    shown = client.get(_page(nursery)).get_data(as_text=True)
    assert "Little Acorns Nursery is now a public authority." in shown
    assert "<dt>Public authority</dt><dd>Yes" in shown
    [event] = _events()
    assert event.object_id == nursery.id and event.actor_id == estate.admin.id
    assert event.data == {"field": "public_authority", "old": False, "new": True}
    again = _post_flag(client, nursery, "yes")
    assert again.status_code == 303 and "Nothing was changed." in client.get(_page(nursery)).get_data(
        as_text=True
    )
    assert len(_events()) == 1
    assert _post_flag(client, nursery, "no").status_code == 303 and _flag(nursery) is False
    assert [e.data["new"] for e in _events()] == [True, False]


def test_flag_form_is_422_naming_the_categories_when_legitimate_interests_is_the_own_basis(app, estate):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    estate.basis(nursery, _entry("pupils", "identity"), "legitimate_interests", INTERESTS)
    response = _post_flag(_admin(app, estate), nursery, "yes")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<title>Error: " in page
    assert 'class="error-summary"' in page and 'href="#public_authority"' in page
    assert 'id="public_authority-error"' in page
    assert (
        "Little Acorns Nursery cannot be made a public authority while legitimate interests (Article "
        "6(1)(f)) is its own basis for Pupil identity and contact details." in page
    )
    assert "change those bases first" in page
    # What was chosen stays chosen; nothing is stored.
    assert 'value="yes" checked' in page
    assert _flag(nursery) is False and _events() == []


def test_flag_form_is_422_when_neither_yes_nor_no_is_chosen(app, estate):
    response = _post_flag(_admin(app, estate), estate.alder, "")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#public_authority"' in page and "Say whether Alder Academy is a public authority" in page
    assert _flag(estate.alder) is True


def test_flag_form_is_refused_without_a_csrf_token(app, estate):
    client = _admin(app, estate)
    response = client.post(f"{_page(estate.alder)}/public-authority", data={"public_authority": "no"})
    assert response.status_code == 400 and _flag(estate.alder) is True


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.SCHOOL])
def test_flag_form_is_403_for_those_who_cannot_set_bases(app, estate, role):
    user, secret = make_user(
        f"{role.value}@company.example", role, estate.alder if role is Role.SCHOOL else None
    )
    client = app.test_client()
    sign_in(client, user, secret)
    token = csrf_token(client, _page(estate.alder))
    response = client.post(
        f"{_page(estate.alder)}/public-authority", data={"public_authority": "no", "csrf_token": token}
    )
    assert response.status_code == 403 and _flag(estate.alder) is True


def test_basis_form_is_422_naming_the_schools_when_a_private_trust_chooses_legitimate_interests(app, estate):
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    make_organisation("Hazel Primary", "school", trust)
    db.session.commit()
    client = _admin(app, estate)
    entry = _entry("pupils", "identity")
    path = _path(trust, entry)
    data = {
        "basis": "legitimate_interests",
        "lawful_basis": INTERESTS,
        "csrf_token": csrf_token(client, path),
    }
    response = client.post(path, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#basis"' in page
    assert "These schools of Hazel Schools are public authorities and take the trust&#39;s basis" in page
    assert "Hazel Primary" in page and _own(trust, entry) is None


def test_going_back_to_the_trusts_legitimate_interests_is_422_linking_to_the_button(app, estate):
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    primary = make_organisation("Hazel Primary", "school", trust)
    entry = _entry("pupils", "identity")
    estate.basis(primary, entry, "public_task", PUBLIC_TASK)
    estate.basis(trust, entry, "legitimate_interests", INTERESTS)
    client = _admin(app, estate)
    path = _path(primary, entry)
    response = client.post(f"{path}/clear", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#clear-basis"' in page and 'id="clear-basis"' in page
    assert "Hazel Primary is a public authority, and its trust&#39;s basis for this category is" in page
    assert _own(primary, entry) is not None
