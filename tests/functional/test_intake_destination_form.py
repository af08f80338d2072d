"""The request form's "send the data to another organisation" fields over
HTTP, with no JavaScript: shown to everyone with a hint saying whom they
are for, stored sealed on a portability case, and every bad input refused
with a message on its field, linked from the error summary, what was typed
kept."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import LargeBinary, Uuid, column, select, table

from app.cases.models import Case
from app.portability.destination import MESSAGES
from tests.functional.test_intake_form import (
    FORM,
    Page,
    good_form,
    post,
    school,  # noqa: F401 (fixture)
)

BIRCH = "Birch Academy"
BIRCH_EMAIL = "admissions@birch.sch.example"
DESTINATION = ("destination_name", "destination_email")


def portability(school, **changes) -> dict[str, str]:  # noqa: F811
    values = {"request_type": "portability", "destination_name": BIRCH, "destination_email": BIRCH_EMAIL}
    return good_form(school, **{**values, **changes})


def _summary_links(html: str) -> list[str]:
    return [link for link in Page(html).links if link.startswith("#") and link != "#main"]


def test_destination_fields_are_shown_with_labels_and_a_hint_without_javascript(client, school):  # noqa: F811
    html = client.get(FORM).text
    page = Page(html)
    types = {}
    for name in ("destination_name", "destination_email"):
        [field] = [field for field in page.inputs if field.get("name") == name]
        assert field["id"] in page.label_for and "hidden" not in field
        types[name] = field.get("type")
    assert types == {"destination_name": "text", "destination_email": "email"}
    group = re.search(
        r'<fieldset class="fieldset" aria-describedby="destination-hint">.*?</fieldset>', html, re.S
    )
    assert group and "Sending the data to another organisation (optional)" in group.group(0)
    hint = re.search(r'<div id="destination-hint" class="hint">(.*?)</div>', html, re.S).group(1)
    assert "Only if you are asking for a copy in a format a computer can read, to take elsewhere" in hint
    assert "Leave both empty and we will send the data to you, for you to pass on." in hint


def test_portability_request_with_a_destination_stores_it_sealed(client, school, db_session):  # noqa: F811
    response = post(client, portability(school, destination_name=f"  {BIRCH} "))
    assert response.status_code == 302, response.text
    [case] = db_session.scalars(select(Case)).all()
    assert (case.destination_name, case.destination_email) == (BIRCH, BIRCH_EMAIL)
    # The columns as stored, read without the type that opens them.
    stored = table("cases", column("id", Uuid()), *(column(name, LargeBinary()) for name in DESTINATION))
    raw = db_session.execute(
        select(*(stored.c[name] for name in DESTINATION)).where(stored.c.id == case.id)
    ).one()
    assert all(isinstance(value, bytes) for value in raw)
    assert b"Birch" not in raw[0] and b"birch" not in raw[1]  # sealed, not plain text


def test_portability_request_without_a_destination_stores_none(client, school, db_session):  # noqa: F811
    response = post(client, portability(school, destination_name="  ", destination_email=""))
    assert response.status_code == 302, response.text
    [case] = db_session.scalars(select(Case)).all()
    assert case.destination_name is None and case.destination_email is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # Another request type: refused on each field given, not dropped.
        (
            {"request_type": "access"},
            [
                ("destination_name", MESSAGES["destination_name_type"]),
                ("destination_email", MESSAGES["destination_email_type"]),
            ],
        ),
        (
            {"request_type": "erasure", "destination_name": ""},
            [("destination_email", MESSAGES["destination_email_type"])],
        ),
        ({"destination_email": ""}, [("destination_email", MESSAGES["destination_email"])]),
        ({"destination_name": ""}, [("destination_name", MESSAGES["destination_name"])]),
        (
            {"destination_email": "admissions.birch.example"},
            [("destination_email", MESSAGES["destination_email_format"])],
        ),
        (
            {"destination_email": "zoë@birch.example"},
            [("destination_email", "Enter an email address with only English letters")],
        ),
        ({"destination_name": "B" * 201}, [("destination_name", MESSAGES["destination_name_long"])]),
    ],
)
def test_bad_destination_is_refused_on_its_field_with_what_was_typed_kept(
    client,
    school,  # noqa: F811
    db_session,
    changes,
    expected,
):
    form = portability(school, **changes)
    response = post(client, form)
    assert response.status_code == 200
    html = response.text
    assert "There is a problem" in html
    assert _summary_links(html) == [f"#{field}" for field, _message in expected]
    for field, message in expected:
        error = re.search(rf'<p id="{field}-error" class="error-message">(.*?)</p>', html, re.S)
        assert error and message.replace("'", "&#39;") in error.group(1), (field, html)
        assert f'aria-describedby="{field}' in html and f"{field}-error" in html
    for field in ("destination_name", "destination_email"):
        if form[field]:
            assert f'value="{form[field]}"' in html
    assert db_session.scalars(select(Case)).all() == []


def test_destination_errors_follow_the_page_order_among_others(client, school, db_session):  # noqa: F811
    form = portability(school, request_type="access", description="", requester_email="")
    html = post(client, form).text
    assert _summary_links(html) == [
        "#description",
        "#destination_name",
        "#destination_email",
        "#requester_email",
    ]
