"""Objections in the console, through real sign-in and CSRF, on an
objection request: recording and deciding them (upheld, rejected with
grounds, or outside the right to object once the decider says it is not
direct marketing), refused once the case is answered or on another request
type, and every error in the summary linked to a control that exists."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.restriction import answers
from app.restriction.models import Objection, ObjectionDecision
from app.sources.consent import services as consent
from tests.functional.test_restriction_console import console_setting
from tests.signin import csrf_token, sign_in
from tests.unit.collect.factory import amelia_case
from tests.unit.restriction.factory import basis_at, letters_sent, photo_consent, register_entry


@pytest.fixture
def setting(app, db_session):
    built = console_setting(app, db_session, "objection")
    db.session.commit()
    return built


def _with_objection(client, setting, **fields) -> tuple[str, Objection]:
    """Signed in at Elm with one objection recorded: the page and the objection."""
    _world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    assert _post(client, page, f"/console/cases/{case.id}/objections", **fields).status_code == 303
    return page, db.session.scalars(select(Objection)).one()


def _post(client, page: str, action: str, **data):
    return client.post(action, data={"csrf_token": csrf_token(client, page), **data})


def _summary(response) -> str:
    return html.unescape(response.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0])


def _targets(page: str) -> list[str]:
    """The ids the error summary links to; each must be on the page."""
    summary = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'href="#([^"]+)"', summary)


def test_objection_recorded_or_decided_after_the_answer_is_a_conflict_in_the_console(client, setting):
    _world, case, _elm, _oak = setting
    page, first = _with_objection(client, setting, purpose="Class photographs")
    decide = f"/console/cases/{case.id}/objections/decide"
    assert _post(client, page, decide, objection_id=str(first.id), decision="upheld").status_code == 303
    assert _post(client, page, f"/console/cases/{case.id}/restriction/answer").status_code == 303
    shown = client.get(page).text
    assert "Record the objection</button>" not in shown and "Record the decision</button>" not in shown
    assert "only while the request is still to be answered" in shown

    late = _post(client, page, f"/console/cases/{case.id}/objections", purpose="Attendance reports")
    assert late.status_code == 409 and "while the case is responded" in _summary(late)
    assert _targets(late.text) == ["case"] and 'id="case"' in late.text
    # The decision form, still open in another tab.
    again = _post(client, page, decide, objection_id=str(first.id), decision="rejected", grounds="No.")
    assert again.status_code == 409 and "while the case is responded" in _summary(again)
    db.session.expire_all()
    assert [o.decision for o in db.session.scalars(select(Objection))] == [ObjectionDecision.UPHELD]
    assert len(letters_sent(case, answers.OBJECTION_MAIL_CATEGORY)) == 1


def test_objection_on_an_access_request_is_refused_in_the_console(client, setting):
    world, _case, (user, secret), _ = setting
    access = amelia_case(world, user, request_type="access")
    db.session.commit()
    sign_in(client, user, secret)
    page = f"/console/cases/{access.id}/restriction"
    assert "Record the objection</button>" not in client.get(page).text
    refused = _post(client, page, f"/console/cases/{access.id}/objections", purpose="Class photographs")
    assert refused.status_code == 409 and "objection request, not access" in _summary(refused)
    assert db.session.scalars(select(Objection)).first() is None


def test_decided_already_links_to_the_objections_own_heading(client, setting):
    page, objection = _with_objection(client, setting, purpose="Class photographs")
    decide = f"{page.removesuffix('/restriction')}/objections/decide"
    assert _post(client, page, decide, objection_id=str(objection.id), decision="upheld").status_code == 303
    twice = _post(client, page, decide, objection_id=str(objection.id), decision="upheld")
    assert twice.status_code == 409 and "This objection has already been decided" in _summary(twice)
    (target,) = _targets(twice.text)
    assert target == f"objection-{objection.id}" and f'<h3 id="{target}" tabindex="-1">' in twice.text


def test_missing_decision_names_all_three_decisions(client, setting):
    page, objection = _with_objection(client, setting, purpose="Class photographs")
    decide = f"{page.removesuffix('/restriction')}/objections/decide"
    missing = _post(client, page, decide, objection_id=str(objection.id))
    assert missing.status_code == 422
    assert "uphold or reject the objection, or that it is outside the right to object" in _summary(missing)
    assert _targets(missing.text) == [f"decision-{objection.id}"]


def test_grounds_hint_says_they_are_for_rejecting_only(client, setting):
    entry = register_entry("access_log", "access_log")
    page, _objection = _with_objection(client, setting, register_entry_id=str(entry.id))
    shown = client.get(page).text
    assert "Only to reject: state the compelling legitimate grounds" in shown
    assert "for outside the right to object" in shown and "Required to reject" not in shown


def test_unknown_register_entry_is_shown_beside_the_select(client, setting):
    _world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    unknown = "0b6b1f5e-3b0e-4d0e-9a43-3f1d2c9e8a11"
    refused = _post(client, page, f"/console/cases/{case.id}/objections", register_entry_id=unknown)
    assert refused.status_code == 422 and _targets(refused.text)[0] == "register_entry_id"
    select_tag = re.search(r'<select [^>]*id="register_entry_id"[^>]*>', refused.text)[0]
    assert 'aria-describedby="register_entry_id-error"' in select_tag and "input--error" in select_tag
    assert '<p id="register_entry_id-error" class="error-message">' in refused.text
    assert "No such register entry" in refused.text.split('id="register_entry_id-error"', 1)[1][:200]


def test_no_right_needs_the_not_direct_marketing_tick_in_the_console(client, setting):
    entry = register_entry("access_log", "access_log")
    # Recorded as the form first offers it: "Is it direct marketing?" left at its default.
    page, objection = _with_objection(client, setting, register_entry_id=str(entry.id))
    tick = f"not-direct-marketing-{objection.id}"
    assert f'id="{tick}" name="not_direct_marketing" type="checkbox"' in client.get(page).text
    decide = f"{page.removesuffix('/restriction')}/objections/decide"
    unticked = _post(client, page, decide, objection_id=str(objection.id), decision="no_right")
    assert unticked.status_code == 422 and "Confirm that this is not direct marketing" in _summary(unticked)
    assert _targets(unticked.text) == [tick]
    assert f'aria-describedby="{tick}-hint {tick}-error"' in unticked.text
    db.session.expire_all()
    assert objection.decision is ObjectionDecision.PENDING
    ticked = _post(
        client, page, decide, objection_id=str(objection.id), decision="no_right", not_direct_marketing="yes"
    )
    assert ticked.status_code == 303
    db.session.expire_all()
    assert objection.decision is ObjectionDecision.NO_RIGHT


def test_objection_decision_in_the_console(client, setting):
    _world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    recorded = _post(
        client, page, f"/console/cases/{case.id}/objections", purpose="Newsletters", direct_marketing="yes"
    )
    assert recorded.status_code == 303
    objection = db.session.scalars(select(Objection)).one()
    html = client.get(page).text
    assert "Newsletters (direct marketing)" in html and 'value="rejected"' not in html
    decide = f"/console/cases/{case.id}/objections/decide"
    missing = _post(client, page, decide, objection_id=str(objection.id))
    assert missing.status_code == 422 and f'href="#decision-{objection.id}"' in missing.text
    assert _post(client, page, decide, objection_id=str(objection.id), decision="upheld").status_code == 303
    db.session.expire_all()
    assert objection.decision is ObjectionDecision.UPHELD


def test_objection_form_offers_only_the_consents_the_subject_gave(client, setting):
    world, case, (user, secret), _ = setting
    person = photo_consent(world)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    form = client.get(page).text
    assert '<option value="photos_website">photos website</option>' in form
    action = f"/console/cases/{case.id}/objections"
    refused = _post(client, page, action, purpose="Photographs", consent_purpose="photos_site")
    assert refused.status_code == 422 and 'href="#consent_purpose"' in refused.text
    assert "no consent given for photos_site" in refused.text
    assert db.session.scalars(select(Objection)).first() is None
    recorded = _post(client, page, action, purpose="Photographs", consent_purpose="photos_website")
    assert recorded.status_code == 303
    objection = db.session.scalars(select(Objection)).one()
    decide = f"/console/cases/{case.id}/objections/decide"
    assert _post(client, page, decide, objection_id=str(objection.id), decision="upheld").status_code == 303
    states = consent.current_state(person)
    # Only the consent chosen is withdrawn.
    assert {s.purpose: s.granted for s in states} == {"photos_public_website": True, "photos_website": False}


def test_objection_outside_article_21_is_offered_and_decided_in_the_console(client, setting):
    from app.register.models import RegisterEntry

    _world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    is_access_log = (RegisterEntry.source == "access_log", RegisterEntry.category == "access_log")
    access_log = db.session.scalars(select(RegisterEntry).where(*is_access_log)).one()
    pupils = db.session.scalars(select(RegisterEntry).where(RegisterEntry.source == "pupils")).first()
    for entry in (access_log, pupils):
        action = f"/console/cases/{case.id}/objections"
        recorded = _post(client, page, action, register_entry_id=str(entry.id))
        assert recorded.status_code == 303
    outside, within = (
        db.session.scalars(select(Objection).where(Objection.register_entry_id == e.id)).one()
        for e in (access_log, pupils)
    )
    shown = client.get(page).text
    assert f'id="decision-{outside.id}-2" name="decision" type="radio" value="no_right"' in shown
    assert f'id="decision-{within.id}-2" name="decision" type="radio" value="rejected"' in shown
    assert "Legal obligation (Article 6(1)(c))" in shown and "Public task (Article 6(1)(e))" in shown
    decide = f"/console/cases/{case.id}/objections/decide"
    wrong = _post(client, page, decide, objection_id=str(within.id), decision="no_right")
    assert wrong.status_code == 422 and "The right to object applies" in wrong.text
    decided = _post(
        client, page, decide, objection_id=str(outside.id), decision="no_right", not_direct_marketing="yes"
    )
    assert decided.status_code == 303
    db.session.expire_all()
    assert outside.decision is ObjectionDecision.NO_RIGHT and within.decision is ObjectionDecision.PENDING
    assert "outside the right to object" in client.get(page).text


CONSENT = "Consent (UK GDPR Art 6(1)(a)): the family agreed to it on joining."


def test_objection_to_consent_processing_offers_no_reject_in_the_console(client, setting):
    world, case, (user, secret), _ = setting
    entry = register_entry("pupils", "characteristics")
    basis_at(world.elm, entry, "consent", CONSENT)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    recorded = _post(client, page, f"/console/cases/{case.id}/objections", register_entry_id=str(entry.id))
    assert recorded.status_code == 303
    objection = db.session.scalars(select(Objection)).one()
    shown = client.get(page).text
    assert f'id="decision-{objection.id}" name="decision" type="radio" value="upheld"' in shown
    assert f'id="decision-{objection.id}-2"' not in shown
    assert "Consent can be withdrawn at any time (Article 7(3)), so the objection is upheld." in shown
    decide = f"/console/cases/{case.id}/objections/decide"
    refused = _post(
        client, page, decide, objection_id=str(objection.id), decision="rejected", grounds="We need it."
    )
    assert refused.status_code == 422 and f'href="#decision-{objection.id}"' in refused.text
    assert "Uphold the objection" in refused.text
    db.session.expire_all()
    assert objection.decision is ObjectionDecision.PENDING


def test_restriction_page_says_whether_the_basis_is_the_schools_own_or_its_trusts(client, setting):
    from tests.signin import make_organisation

    world, case, (user, secret), _ = setting
    world.elm.trust = make_organisation("Rowan Trust", kind="trust")
    entry = register_entry("pupils", "characteristics")
    basis_at(world.elm.trust, entry, "consent", CONSENT)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    _post(client, page, f"/console/cases/{case.id}/objections", register_entry_id=str(entry.id))
    shown = client.get(page).text
    assert "on Consent (Article 6(1)(a)) (its trust's basis)." in shown
    assert "the organisation's own basis" not in shown
    # Its own wording: one equal to the trust's is inherited, not the school's own.
    basis_at(world.elm, entry, "consent", "Consent (UK GDPR Art 6(1)(a)): the parents agreed to it at Elm.")
    shown = client.get(page).text
    assert "on Consent (Article 6(1)(a)) (the organisation's own basis)." in shown
    assert "its trust's basis" not in shown


def test_no_right_with_grounds_is_refused_on_the_grounds_in_the_console(client, setting):
    _world, case, (user, secret), _ = setting
    entry = register_entry("access_log", "access_log")
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    _post(client, page, f"/console/cases/{case.id}/objections", register_entry_id=str(entry.id))
    objection = db.session.scalars(select(Objection)).one()
    decide = f"/console/cases/{case.id}/objections/decide"
    refused = _post(
        client,
        page,
        decide,
        objection_id=str(objection.id),
        decision="no_right",
        grounds="The law says so.",
        not_direct_marketing="yes",
    )
    assert refused.status_code == 422 and f'href="#grounds-{objection.id}"' in refused.text
    assert "No grounds are given when the right does not apply" in refused.text
    ticked = _post(
        client, page, decide, objection_id=str(objection.id), decision="no_right", not_direct_marketing="yes"
    )
    assert ticked.status_code == 303
    db.session.expire_all()
    assert objection.decision is ObjectionDecision.NO_RIGHT and objection.basis.value == "legal_obligation"
