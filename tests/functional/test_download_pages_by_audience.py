"""The download pages say whose files they are and where the code is: an
organisation sent a portability requester's data (Art 20(2)) is told the
code went to the person, not to it, and what to do without it; a
portability pack offers the machine-readable data first and words both
files for that right; an access pack's pages are unchanged."""

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


def test_an_organisation_is_told_the_code_is_with_the_person(client, world, caseworker):
    case = approved_without_items(world, caseworker, request_type="portability")
    sent = transmission.send_to_organisation(stored_pack(case), caseworker, "Birch Academy", BIRCH_EMAIL)
    db.session.commit()
    path = _LINK.search(_mail_to(BIRCH_EMAIL, "pack.link").text_body).group(1)
    page = client.get(path).text
    assert "Download personal data sent to you at a person" in page
    assert "We sent the 6-digit code to them, not to you" in page and "If you do not have the code" in page
    assert "We sent you two emails" not in page and "junk or spam" not in page
    empty = client.post(path, data={"csrf_token": csrf_token(client, path), "code": " "})
    assert "Enter the 6-digit code the person gave you" in empty.text
    files = _open(client, path, sent.code).text
    assert (
        "Download the data" in files
        and "Use the data only for the purpose the person gave it to you for" in files
    )
    assert "the person&#39;s rights" in files and files.index('id="file-zip"') < files.index('id="file-pdf"')


def test_the_requester_of_a_portability_pack_sees_their_own_wording(client, world, caseworker):
    case = approved_without_items(world, caseworker, request_type="portability")
    links.send_pack(stored_pack(case), "requester", caseworker)
    db.session.commit()
    path = _LINK.search(_mail_to(case.requester_email, "pack.link").text_body).group(1)
    code = _CODE.search(_mail_to(case.requester_email, "pack.code").text_body).group(1)
    assert "We sent you two emails" in client.get(path).text
    files = _open(client, path, code).text
    assert "The data, machine-readable (zip)" in files and "and your rights" in files
    assert "Use the data only for the purpose" not in files


def test_an_access_packs_files_page_is_worded_as_before(client, world, caseworker):
    case = approved_without_items(world, caseworker)
    links.send_pack(stored_pack(case), "requester", caseworker)
    db.session.commit()
    path = _LINK.search(_mail_to(case.requester_email, "pack.link").text_body).group(1)
    code = _CODE.search(_mail_to(case.requester_email, "pack.code").text_body).group(1)
    files = _open(client, path, code).text
    assert "Download the response" in files and "The response (PDF)" in files
    assert files.index('id="file-pdf"') < files.index('id="file-zip"')
