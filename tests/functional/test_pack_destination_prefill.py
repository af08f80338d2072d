"""The destination a portability requester gave on the request form, in the
console: the case page says where they asked the data to go, and the pack
page's "send it to another organisation" form starts filled in with it,
still the DPO's to change."""

from __future__ import annotations

import re

import pytest

from app.accounts.models import Role
from app.exports.models import LinkAudience
from tests.functional.test_pack_transmission_pages import _links, _portability, case_pack_id
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.sources.factories import build_world

BIRCH = "Birch Academy"
BIRCH_EMAIL = "admissions@birch.sch.example"
ASKED = {"destination_name": BIRCH, "destination_email": BIRCH_EMAIL}


@pytest.fixture
def world(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    return build_world(db_session)


@pytest.fixture
def signed_in_dpo(client, world):
    user, secret = make_user("dpo@company.example", Role.ADMIN)
    sign_in(client, user, secret)
    return user


def _value(html: str, field: str) -> str:
    found = re.search(rf'<input[^>]*id="{field}"[^>]*value="([^"]*)"', html, re.S)
    assert found, f"no {field} input"
    return found.group(1)


def test_pack_form_is_filled_in_with_what_the_requester_asked(client, world, signed_in_dpo):
    case = _portability(world, signed_in_dpo, **ASKED)
    html = client.get(f"/console/cases/{case.id}/pack").text
    assert _value(html, "organisation_name") == BIRCH and _value(html, "organisation_email") == BIRCH_EMAIL
    assert "The requester asked for the data to go to: <strong>Birch Academy</strong>" in html


def test_dpo_may_change_the_prefilled_destination_before_sending(client, world, signed_in_dpo):
    case = _portability(world, signed_in_dpo, **ASKED)
    page = f"/console/cases/{case.id}/pack"
    action = f"{page}/{case_pack_id(case)}/transmit"
    refused = client.post(
        action,
        data={"csrf_token": csrf_token(client, page), "organisation_name": "", "organisation_email": "x"},
    )
    assert refused.status_code == 422
    # What the DPO typed is shown again, not the requester's values.
    assert (
        _value(refused.text, "organisation_name") == "" and _value(refused.text, "organisation_email") == "x"
    )

    changed = {
        "organisation_name": "Birch Academy Sixth Form",
        "organisation_email": "sixth@birch.sch.example",
    }
    sent = client.post(action, data={"csrf_token": csrf_token(client, page), **changed})
    assert sent.status_code == 303, sent.text
    [link] = [link for link in _links() if link.audience is LinkAudience.CONTROLLER]
    assert (link.recipient_name, link.recipient_email) == tuple(changed.values())


def test_case_page_shows_where_the_requester_asked_the_data_to_go(client, world, signed_in_dpo):
    case = _portability(world, signed_in_dpo, **ASKED)
    html = client.get(f"/console/cases/{case.id}").text
    line = re.search(r'<div id="requested-destination">(.*?)</div>', html, re.S)
    assert line and f"Requester asked for the data to go to: {BIRCH}, {BIRCH_EMAIL}" in line.group(1)


def test_no_destination_leaves_the_form_empty_and_the_case_page_silent(client, world, signed_in_dpo):
    case = _portability(world, signed_in_dpo)
    pack = client.get(f"/console/cases/{case.id}/pack").text
    assert _value(pack, "organisation_name") == "" and _value(pack, "organisation_email") == ""
    assert "requested-destination" not in pack
    assert "requested-destination" not in client.get(f"/console/cases/{case.id}").text
