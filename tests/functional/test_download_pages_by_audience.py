"""The download pages say whose files they are and where the code is: an
organisation sent a portability requester's data (Art 20(2)) is told the
code went to whoever asked, not to it, and what to do without it; a
portability pack offers the machine-readable data first and words both
files for that right; an access pack's pages are unchanged. Each reader is
told whose rights the letter explains: a parent their child's, the
school's data-protection contact the person's, by name; a person asking
for themself their own. The receiving organisation is told when it was a
parent who asked, for their child's data."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.exports import links, transmission
from app.extensions import db
from app.mail.models import OutboxMessage
from tests.signin import csrf_token
from tests.unit.exports.factory import approved_without_items, stored_pack

_LINK = re.compile(r"http://localhost(/download/[A-Za-z0-9_-]+)")
_CODE = re.compile(r"The code to open it is: ([0-9]{6})")
BIRCH_EMAIL = "admissions@birch.sch.example"


def _mail_to(address: str, category: str) -> OutboxMessage:
    # Addresses are sealed at rest, so they are compared once opened.
    (found,) = [
        mail
        for mail in db.session.scalars(select(OutboxMessage).where(OutboxMessage.category == category))
        if mail.recipients == address
    ]
    return found


def _open(client, path: str, code: str):
    token = csrf_token(client, path)
    typed = client.post(path, data={"csrf_token": token, "code": code})
    assert typed.status_code == 303, typed.text
    return client.get(path)


def _to_birch(world, caseworker, **overrides) -> tuple[str, str]:
    """A portability pack sent to Birch Academy: its page path and the code
    (which went to the requester)."""
    case = approved_without_items(world, caseworker, request_type="portability", **overrides)
    sent = transmission.send_to_organisation(stored_pack(case), caseworker, "Birch Academy", BIRCH_EMAIL)
    db.session.commit()
    return _LINK.search(_mail_to(BIRCH_EMAIL, "pack.link").text_body).group(1), sent.code


def test_an_organisation_is_told_the_code_is_with_the_parent_when_a_parent_asked(client, world, caseworker):
    # Amelia's case is her mother's request.
    path, code = _to_birch(world, caseworker)
    page = client.get(path).text
    assert "Download personal data sent to you at a person" in page
    assert "A parent or carer asked us to send you their child&#39;s personal data directly" in page
    assert "We sent the 6-digit code to them, not to you" in page and "If you do not have the code" in page
    assert "given by the parent or carer who asked us to send you the data" in page
    assert (
        "<title>Enter the code you were given to download the data" in page and "Enter your code" not in page
    )
    assert "We sent you two emails" not in page and "junk or spam" not in page
    assert "Amelia" not in page  # the code page names nobody
    empty = client.post(path, data={"csrf_token": csrf_token(client, path), "code": " "})
    assert "Enter the 6-digit code the parent or carer gave you" in empty.text
    files = _open(client, path, code).text
    assert (
        "Download the data" in files
        and "Use the data only for the purpose the parent or carer gave it to you for" in files
    )
    assert "the child&#39;s rights" in files and "your rights" not in files
    assert files.index('id="file-zip"') < files.index('id="file-pdf"')


def test_an_organisation_is_told_the_code_is_with_the_person_when_they_asked_for_themself(
    client, world, caseworker
):
    path, code = _to_birch(world, caseworker, requester_relationship="self", requester_name="Amelia")
    page = client.get(path).text
    assert "A person asked us to send you their personal data directly" in page
    assert "given by the person who asked us to send you the data" in page and "parent" not in page
    empty = client.post(path, data={"csrf_token": csrf_token(client, path), "code": " "})
    assert "Enter the 6-digit code the person gave you" in empty.text
    files = _open(client, path, code).text
    assert "the person&#39;s rights" in files and "the purpose the person gave it to you for" in files


def _requester_files(client, case, audience: str = "requester") -> tuple[str, str]:
    """The code page and, after the code, the files page of a link sent to
    ``audience`` (the requester, or the school's data-protection contact)."""
    links.send_pack(stored_pack(case), audience, None)
    db.session.commit()
    to = case.requester_email if audience == "requester" else case.organisation.dp_contact_email
    path = _LINK.search(_mail_to(to, "pack.link").text_body).group(1)
    code = _CODE.search(_mail_to(to, "pack.code").text_body).group(1)
    return client.get(path).text, _open(client, path, code).text


def test_a_parent_is_told_the_rights_are_their_childs_when_they_asked_for_their_child(
    client, world, caseworker
):
    case = approved_without_items(world, caseworker, request_type="portability")
    page, files = _requester_files(client, case)
    assert "We sent you two emails" in page and "<title>Enter your code to download the response" in page
    assert "The data, machine-readable (zip)" in files and "and your child Amelia&#39;s rights" in files
    assert "your rights" not in files and "Use the data only for the purpose" not in files


def test_a_person_is_told_of_their_own_rights_when_they_asked_for_themself(client, world, caseworker):
    case = approved_without_items(world, caseworker, requester_relationship="self", requester_name="Amelia")
    _page, files = _requester_files(client, case)
    assert "what it is used for and your rights" in files and "your child" not in files


def test_the_schools_contact_is_told_whose_response_it_is_when_the_link_went_to_the_school(
    client, world, caseworker
):
    case = approved_without_items(world, caseworker)
    page, files = _requester_files(client, case, "school")
    assert "<title>Enter your code to download the response" in page
    assert "Download the response pack for a data protection request" in page
    assert "as your organisation's data protection contact" in page and "Amelia" not in page
    assert "what it is used for and Amelia O&#39;Brien-Núñez&#39;s rights" in files
    assert "your rights" not in files and "your child" not in files
    assert "The letter is written to the person who made the request" in files
    assert "the data protection contact of Elm Primary" in files


def test_an_access_packs_files_page_is_worded_as_before(client, world, caseworker):
    case = approved_without_items(world, caseworker)
    links.send_pack(stored_pack(case), "requester", caseworker)
    db.session.commit()
    path = _LINK.search(_mail_to(case.requester_email, "pack.link").text_body).group(1)
    code = _CODE.search(_mail_to(case.requester_email, "pack.code").text_body).group(1)
    files = _open(client, path, code).text
    assert "Download the response" in files and "The response (PDF)" in files
    assert files.index('id="file-pdf"') < files.index('id="file-zip"')
