"""Reviewing in the console, through real sign-in and CSRF, on a case
gathered from the real stores: the review page, an item's page with its
suggested names, deciding (ticked suggestions, pasted words), bulk actions,
the disclosure schedule and approval; bad input shown in an error summary;
another school's user gets not found."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.accounts.models import Role
from app.cases.models import CaseStatus
from app.extensions import db
from app.review.models import Action, ItemDecision
from app.sources.access_log.models import AccessLogEntry
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.review.factory import gathered_amelia, items_of, key_of, regather
from tests.unit.sources.factories import build_world


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    world = build_world(db_session)
    elm_user, elm_secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak_user, oak_secret = make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    case = gathered_amelia(world, elm_user)
    return world, case, (elm_user, elm_secret), (oak_user, oak_secret)


@pytest.fixture
def elm(client, setting):
    _world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    return client, case, user


def _page(case) -> str:
    return f"/console/cases/{case.id}/review"


def _item_page(case, key: str) -> str:
    return f"{_page(case)}/item?key={quote(key, safe='')}"


def _post(client, page: str, action: str, data: dict):
    return client.post(action, data={"csrf_token": csrf_token(client, page), **data})


def _decision(case, key: str) -> ItemDecision | None:
    db.session.expire_all()
    return db.session.scalars(
        select(ItemDecision).where(ItemDecision.case_id == case.id, ItemDecision.item_key == key)
    ).one_or_none()


def test_review_page_lists_items_by_system_with_links_and_is_access_logged(elm, db_session):
    client, case, user = elm
    page = client.get(_page(case))
    assert page.status_code == 200
    html = page.text
    assert '<a href="/console/cases/' in html and 'aria-current="page">Review</a>' in html
    assert "Correspondence" in html and "<caption" in html and "Not decided" in html
    assert f"item?key={key_of(case, 'send')}" in html
    assert "Disclose every item not yet decided" in html and "Approve the review" in html
    assert re.findall(r"<script[^>]*>.*?</script>", html, re.S) == [
        '<script src="/static/js/forms.js" defer></script>'
    ]  # a file, not inline
    assert "<style" not in html and " style=" not in html
    looks = db_session.scalars(select(AccessLogEntry).where(AccessLogEntry.actor_email == user.email)).all()
    assert {entry.area for entry in looks} == {"rights_desk.review"}


def test_item_page_highlights_suggested_names_and_a_ticked_one_is_redacted(elm):
    client, case, _ = elm
    key = key_of(case, "correspondence")
    page = client.get(_item_page(case, key))
    assert page.status_code == 200
    assert '<mark><span class="visually-hidden">(suggested name) </span>Isla</mark>' in page.text
    assert 'value="body:29:33"' in page.text and "Redact the suggested names" in page.text
    saved = _post(
        client,
        _item_page(case, key),
        f"{_page(case)}/decide",
        {"item_key": key, "action": "redact", "exemption": "third_party", "spans": "body:29:33", "note": ""},
    )
    assert saved.status_code == 303 and saved.headers["Location"].endswith(_page(case))
    decision = _decision(case, key)
    assert decision.action is Action.REDACT and decision.redactions == [
        {"field": "body", "start": 29, "end": 33}
    ]
    again = client.get(_item_page(case, key))
    assert "<del>" in again.text and "already redacted" in again.text


def test_pasted_words_are_found_and_redacted(elm):
    client, case, _ = elm
    key = key_of(case, "correspondence")
    saved = _post(
        client,
        _item_page(case, key),
        f"{_page(case)}/decide",
        {
            "item_key": key,
            "action": "redact",
            "exemption": "third_party",
            "phrases": "mrs o'brien\r\n\r\nwell",
        },
    )
    assert saved.status_code == 303
    assert _decision(case, key).redactions == [
        {"field": "body", "start": 5, "end": 16},
        {"field": "body", "start": 38, "end": 42},
    ]


def test_accepting_suggestions_redacts_them_as_third_party(elm):
    client, case, _ = elm
    key = key_of(case, "correspondence")
    accepted = _post(client, _item_page(case, key), f"{_page(case)}/accept", {"item_key": key})
    assert accepted.status_code == 303
    decision = _decision(case, key)
    assert decision.exemption.value == "third_party" and decision.redactions[0]["start"] == 29


@pytest.mark.parametrize(
    ("data", "target", "message"),
    [
        ({"action": "withhold"}, "#exemption", "Choose the exemption the item is withheld under"),
        ({"action": ""}, "#action", "Choose disclose, withhold or redact"),
        ({"action": "redact", "exemption": "third_party"}, "#phrases", "Choose at least one part"),
        ({"action": "redact", "exemption": "third_party", "spans": "body:0:9999"}, "#phrases", "outside"),
        (
            {"action": "redact", "exemption": "third_party", "spans": "nonsense"},
            "#phrases",
            "could not be read",
        ),
        (
            {"action": "redact", "exemption": "third_party", "phrases": "Zebedee"},
            "#phrases",
            "does not appear",
        ),
        ({"action": "redact", "exemption": "third_party", "phrases": "x\n" * 60}, "#phrases", "at most 50"),
        ({"action": "disclose", "note": "x" * 2001}, "#note", "2,000 characters"),
        ({"action": "withhold", "exemption": "<script>"}, "#exemption", "listed exemptions"),
    ],
)
def test_bad_decisions_show_the_problem_in_an_error_summary(elm, data, target, message):
    client, case, _ = elm
    key = key_of(case, "correspondence")
    refused = _post(client, _item_page(case, key), f"{_page(case)}/decide", {"item_key": key, **data})
    assert refused.status_code == 422
    assert (
        "There is a problem" in refused.text
        and f'href="{target}"' in refused.text
        and message in refused.text
    )
    assert refused.text.count('id="' + target[1:] + '"') == 1  # the summary's link lands on the field
    assert _decision(case, key) is None


def test_forms_with_bad_keys_or_no_token_never_fail_with_a_server_error(elm):
    client, case, _ = elm
    page = _page(case)
    assert client.post(f"{page}/decide", data={"item_key": "x", "action": "disclose"}).status_code in (
        400,
        422,
    )
    assert (
        _post(client, page, f"{page}/decide", {"item_key": "bad key!", "action": "disclose"}).status_code
        == 422
    )
    assert (
        _post(
            client, page, f"{page}/decide", {"item_key": "pupils/send:no", "action": "disclose"}
        ).status_code
        == 404
    )
    assert _post(client, page, f"{page}/bulk", {"scope": "everything"}).status_code == 422
    assert _post(client, page, f"{page}/bulk", {"scope": "selected", "item_keys": "\x00"}).status_code == 422
    assert client.get(f"{page}/item?key=nope").status_code == 404
    assert client.get(f"{page}/item?key=%00").status_code == 404
    assert client.get(f"{page}/item").status_code == 404


def test_bulk_withhold_of_ticked_items_needs_an_exemption(elm):
    client, case, _ = elm
    keys = [key for key, item in items_of(case).items() if item.source == "correspondence"]
    data = {"scope": "selected", "item_keys": keys, "action": "withhold"}
    refused = _post(client, _page(case), f"{_page(case)}/bulk", data)
    assert refused.status_code == 422 and 'href="#bulk-exemption"' in refused.text
    assert refused.text.count(" checked>") == len(keys) + 1  # the ticks (and the radio) survive
    saved = _post(client, _page(case), f"{_page(case)}/bulk", {**data, "exemption": "third_party"})
    assert saved.status_code == 303
    assert {_decision(case, key).action for key in keys} == {Action.WITHHOLD}
    nothing = _post(client, _page(case), f"{_page(case)}/bulk", {"scope": "selected", "action": "disclose"})
    assert nothing.status_code == 422 and "Choose at least one item" in nothing.text


def test_approve_is_refused_until_every_item_is_decided_then_moves_the_case(elm):
    client, case, _ = elm
    total = len(items_of(case))
    refused = _post(client, _page(case), f"{_page(case)}/approve", {})
    assert refused.status_code == 409 and f"{total} items not yet decided" in refused.text
    assert 'href="#approve-heading"' in refused.text
    decided = _post(client, _page(case), f"{_page(case)}/bulk", {"scope": "undecided", "action": "disclose"})
    assert decided.status_code == 303
    approved = _post(client, _page(case), f"{_page(case)}/approve", {})
    assert approved.status_code == 303 and approved.headers["Location"].endswith(f"/console/cases/{case.id}")
    db.session.expire_all()
    assert case.status is CaseStatus.APPROVED
    after = client.get(_page(case))
    assert (
        "Decisions are made while a case is in review" in after.text
        and "Approve the review" not in after.text
    )
    late = _post(
        client, _page(case), f"{_page(case)}/decide", {"item_key": key_of(case, "send"), "action": "disclose"}
    )
    assert late.status_code == 409


def test_schedule_page_lists_decisions_and_hides_a_withheld_title(elm):
    client, case, user = elm
    key = key_of(case, "correspondence")
    _post(
        client,
        _item_page(case, key),
        f"{_page(case)}/decide",
        {"item_key": key, "action": "withhold", "exemption": "third_party", "note": "Sibling's news"},
    )
    page = client.get(f"/console/cases/{case.id}/disclosure-schedule")
    assert page.status_code == 200
    assert "Withheld item" in page.text and "DPA 2018 Sch 2 para 16" in page.text
    assert "Sibling&#39;s news" in page.text and user.name in page.text
    assert page.text.count("Science project") == 2  # the other two letters, not the withheld one


def test_another_schools_user_gets_not_found(client, db_session, setting):
    _world, case, _, (oak_user, oak_secret) = setting
    sign_in(client, oak_user, oak_secret)
    token = csrf_token(client, "/console/account")
    key = key_of(case, "send")
    for path in ("review", f"review/item?key={quote(key, safe='')}", "disclosure-schedule"):
        response = client.get(f"/console/cases/{case.id}/{path}")
        assert response.status_code == 404 and "Amelia" not in response.text, path
    for path in ("review/decide", "review/accept", "review/bulk", "review/approve"):
        data = {"csrf_token": token, "item_key": key, "action": "disclose", "scope": "undecided"}
        assert client.post(f"/console/cases/{case.id}/{path}", data=data).status_code == 404, path
    assert db_session.scalars(select(ItemDecision)).all() == []
    assert (
        db_session.scalars(select(AccessLogEntry).where(AccessLogEntry.actor_email == oak_user.email)).all()
        == []
    )


class _DecisionForm(HTMLParser):
    """What a browser would send from the item page's decision form, as the
    page left it: checked radios and boxes, the selected option, textareas."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._in_form = (attributes.get("action") or "").endswith("/review/decide")
        if not self._in_form:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind not in ("checkbox", "radio") or "checked" in attributes:
                self.fields.append((name, attributes.get("value") or ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.fields.append((self._select, attributes.get("value") or ""))
        elif tag == "textarea":
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # A browser drops the one newline straight after <textarea>.
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def _save_again_with_a_note(client, case, key: str, note: str):
    """Open the item, keep what its form shows, write a note and save."""
    page = client.get(_item_page(case, key))
    fields = [(name, value) for name, value in _DecisionForm(page.text).fields if name != "note"]
    assert ("action", "redact") in fields and ("exemption", "third_party") in fields
    return page, client.post(f"{_page(case)}/decide", data=MultiDict([*fields, ("note", note)]))


def test_a_redaction_reopens_with_its_parts_and_saves_again_unchanged(elm):
    """An item redacted for typed words opens with those parts chosen, so
    saving it again (to add a note) keeps the same redactions; after a
    re-gather changed the item, the words at the places redacted before are
    in the words box, to check, and saving again keeps them too."""
    client, case, _ = elm
    key = key_of(case, "correspondence")
    first = _post(
        client,
        _item_page(case, key),
        f"{_page(case)}/decide",
        {"item_key": key, "action": "redact", "exemption": "third_party", "phrases": "mrs o'brien\nwell"},
    )
    assert first.status_code == 303
    redacted = [{"field": "body", "start": 5, "end": 16}, {"field": "body", "start": 38, "end": 42}]
    assert _decision(case, key).redactions == redacted

    page, again = _save_again_with_a_note(client, case, key, "Her sister's teacher")
    assert ("spans", "body:5:16") in _DecisionForm(page.text).fields
    assert again.status_code == 303, again.text
    decision = _decision(case, key)
    assert decision.redactions == redacted and decision.note == "Her sister's teacher"

    regather(case, key, sent_at="2024-11-03T11:00:00+00:00")
    page, again = _save_again_with_a_note(client, case, key, "Checked after the re-gather")
    assert "Changed since it was decided" in page.text and "filled in: check each" in page.text
    assert ("phrases", "Mrs O'Brien\nwell") in _DecisionForm(page.text).fields
    assert again.status_code == 303, again.text
    decision = _decision(case, key)
    assert decision.redactions == redacted and decision.note == "Checked after the re-gather"


def test_a_redaction_changed_by_a_re_gather_offers_the_words_now_in_its_place(elm):
    """Offsets are all a decision stores: when the text moved, the words now
    at those places are offered (visibly, to check), never ticked offsets."""
    client, case, _ = elm
    key = key_of(case, "correspondence")
    _post(
        client,
        _item_page(case, key),
        f"{_page(case)}/decide",
        {"item_key": key, "action": "redact", "exemption": "third_party", "spans": "body:29:33"},
    )
    regather(case, key, body="Dear Mrs O'Brien, Amelia and Isla did very well.")
    page = client.get(_item_page(case, key))
    fields = _DecisionForm(page.text).fields
    assert ("phrases", "Isla") in fields and not [value for name, value in fields if name == "spans"]
    regather(case, key, body="Short.")
    page = client.get(_item_page(case, key))
    assert ("phrases", "") in _DecisionForm(page.text).fields and "filled in" not in page.text
