"""A consent-withdrawal request worked through the console (real sign-in and
CSRF) and the API: the case page sends the DPO to the consents, not to an
Art 15 review; a bad choice is refused by field with an error summary (422),
a case that cannot be answered so with 409; a good one withdraws the
consents in the ledger, sends the confirmation and answers the case."""

from __future__ import annotations

import html

import pytest

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.cases.models import CaseStatus
from app.extensions import db
from app.mail.models import OutboxMessage
from app.restriction import consent_withdrawal as withdrawal
from app.sources.consent import services as consent
from app.sources.consent.models import ConsentDecision
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.api import estate
from tests.unit.collect.factory import amelia_case, confirmed_amelia
from tests.unit.restriction.factory import letters_sent, photo_consent
from tests.unit.sources.factories import build_world

KIND = "consent_withdrawal"


def _letters(case) -> list[OutboxMessage]:
    return letters_sent(case, withdrawal.MAIL_CATEGORY)


def _decisions(person) -> dict[str, ConsentDecision]:
    return {s.purpose: s.decision for s in consent.current_state(person)}


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None
    world = build_world(db_session)
    user, secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    person = photo_consent(world)
    case = confirmed_amelia(world, user, request_type=KIND)
    return world, case, user, secret, person


def test_case_page_sends_a_consent_withdrawal_to_its_page_not_the_review(client, setting):
    _world, case, user, secret, _person = setting
    sign_in(client, user, secret)
    page = client.get(f"/console/cases/{case.id}").text
    assert "Record the consents withdrawn" in page and "Start the gather" not in page
    assert f'href="/console/cases/{case.id}/consent-withdrawal#withdraw-heading"' in page
    case.status = CaseStatus.IN_REVIEW
    db.session.commit()
    in_review = client.get(f"/console/cases/{case.id}").text
    assert "Record the consents withdrawn" in in_review and "Disclose, redact or withhold" not in in_review


def test_console_offers_the_given_consents_with_accessible_labels(client, setting):
    _world, case, user, secret, _person = setting
    sign_in(client, user, secret)
    response = client.get(f"/console/cases/{case.id}/consent-withdrawal")
    assert response.status_code == 200
    text = response.text
    assert "<legend" in text and "Which consents are withdrawn?" in text
    assert 'id="purposes" name="purposes" type="checkbox" value="photos_public_website"' in text
    assert 'id="purposes-2" name="purposes" type="checkbox" value="photos_website"' in text
    assert '<label for="purposes">' in text and '<label for="purposes-2">' in text
    assert 'aria-current="page">Consent withdrawal</a>' in text


def test_console_refuses_no_choice_with_an_error_summary(client, setting):
    _world, case, user, secret, person = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/consent-withdrawal"
    refused = client.post(page, data={"csrf_token": csrf_token(client, page)})
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert 'class="error-summary"' in text and '<a href="#purposes">Choose at least one consent' in text
    assert 'id="purposes-error"' in text and "<title>Error: " in text
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN and not _letters(case)
    assert set(_decisions(person).values()) == {ConsentDecision.GRANTED}


def test_console_refuses_a_consent_not_given_keeping_the_choice(client, setting):
    _world, case, user, secret, _person = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/consent-withdrawal"
    refused = client.post(
        page, data={"csrf_token": csrf_token(client, page), "purposes": ["photos_website", "photos_site"]}
    )
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert '<a href="#purposes">The subject has no consent given for photos_site' in text
    assert 'value="photos_website" aria-describedby="purposes-2-item-hint" checked' in text
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN


def test_console_withdraws_sends_the_confirmation_and_answers(client, setting):
    _world, case, user, secret, person = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/consent-withdrawal"
    sent = client.post(page, data={"csrf_token": csrf_token(client, page), "purposes": ["photos_website"]})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/console/cases/{case.id}")
    followed = client.get(sent.headers["Location"]).text
    assert "the requester has been sent the confirmation" in followed and "Close the case" in followed
    db.session.expire_all()
    assert case.status is CaseStatus.RESPONDED and len(_letters(case)) == 1
    assert _decisions(person)["photos_website"] is ConsentDecision.WITHDRAWN
    after = client.get(page).text
    assert "Withdrawn on this case" in after and "Photographs of my child may appear" in after
    assert "responded case cannot be answered" in after and 'name="purposes"' not in after
    again = client.post(
        page, data={"csrf_token": csrf_token(client, f"/console/cases/{case.id}/restriction")}
    )
    assert again.status_code == 409 and '<a href="#withdraw-heading">' in again.text


def test_console_withdrawal_needs_the_form_token(client, setting):
    _world, case, user, secret, _person = setting
    sign_in(client, user, secret)
    refused = client.post(
        f"/console/cases/{case.id}/consent-withdrawal", data={"purposes": ["photos_website"]}
    )
    assert refused.status_code == 400
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN


@pytest.fixture
def api_setting(app, db_session):
    app.config["REDIS_URL"] = None
    world = build_world(db_session)
    elm = estate.make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak = estate.make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    auth = {
        who: {"Authorization": f"Bearer {issue_token(user, name='laptop', days=30, actor=user).secret}"}
        for who, user in (("elm", elm), ("oak", oak))
    }
    db.session.commit()
    person = photo_consent(world)
    return world, elm, auth, person


def test_api_lists_the_choices_then_withdraws_and_answers(client, api_setting):
    world, elm, auth, person = api_setting
    case = confirmed_amelia(world, elm, request_type=KIND)
    path = f"/api/v1/cases/{case.reference}/consent-withdrawal"
    shown = client.get(path, headers=auth["elm"])
    assert shown.status_code == 200, shown.text
    body = shown.get_json()
    assert body["can_withdraw"] and body["why_not"] is None and body["withdrawn"] == []
    assert [g["purpose"] for g in body["given"]] == ["photos_public_website", "photos_website"]
    done = client.post(path, headers=auth["elm"], json={"purposes": ["photos_website"]})
    assert done.status_code == 201, done.text
    result = done.get_json()
    assert result["status"] == "responded" and not result["can_withdraw"]
    assert [(w["purpose"], w["records"]) for w in result["withdrawn"]] == [("photos_website", 1)]
    assert [g["purpose"] for g in result["given"]] == ["photos_public_website"]
    assert _decisions(person)["photos_website"] is ConsentDecision.WITHDRAWN and len(_letters(case)) == 1
    again = client.post(path, headers=auth["elm"], json={"purposes": ["photos_public_website"]})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "illegal_transition"
    assert "responded case cannot be answered" in again.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"purposes": []}, "Choose at least one consent to withdraw"),
        ({"purposes": ["photos_site"]}, "The subject has no consent given for photos_site"),
        ({"purposes": ["Not A Code"]}, "Use the consent ledger's purpose code"),
    ],
)
def test_api_refuses_a_bad_choice_by_field(client, api_setting, body, message):
    world, elm, auth, person = api_setting
    case = confirmed_amelia(world, elm, request_type=KIND)
    refused = client.post(
        f"/api/v1/cases/{case.reference}/consent-withdrawal", headers=auth["elm"], json=body
    )
    assert refused.status_code == 422, refused.text
    fields = refused.get_json()["error"]["fields"]
    # A list item's own problem is keyed by its place (purposes.0).
    texts = [text for name, found in fields.items() if name.split(".")[0] == "purposes" for text in found]
    assert any(message in text for text in texts), fields
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN and not _letters(case)
    assert set(_decisions(person).values()) == {ConsentDecision.GRANTED}


@pytest.mark.parametrize(
    ("request_type", "confirm", "why"),
    [
        ("access", True, "only a consent withdrawal request withdraws consent, not access"),
        (KIND, False, "confirm the subject's records first"),
    ],
)
def test_api_refuses_a_case_that_cannot_be_answered_so(client, api_setting, request_type, confirm, why):
    world, elm, auth, _person = api_setting
    if confirm:
        case = confirmed_amelia(world, elm, request_type=request_type)
    else:
        case = amelia_case(world, elm, request_type=request_type)
        db.session.commit()
    path = f"/api/v1/cases/{case.reference}/consent-withdrawal"
    refused = client.post(path, headers=auth["elm"], json={"purposes": ["photos_website"]})
    assert refused.status_code == 409 and why in refused.get_json()["error"]["message"]
    assert client.get(path, headers=auth["elm"]).get_json()["why_not"].startswith(why)
    # An access request is not answered by letter through the answer operation either.
    answer = client.post(f"/api/v1/cases/{case.reference}/answer", headers=auth["elm"])
    assert answer.status_code == 409
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN and not _letters(case)


def test_api_does_not_find_another_schools_case(client, api_setting):
    world, elm, auth, _person = api_setting
    case = confirmed_amelia(world, elm, request_type=KIND)
    path = f"/api/v1/cases/{case.reference}/consent-withdrawal"
    assert client.get(path, headers=auth["oak"]).status_code == 404
    assert client.post(path, headers=auth["oak"], json={"purposes": ["photos_website"]}).status_code == 404
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN
