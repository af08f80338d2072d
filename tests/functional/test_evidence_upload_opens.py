"""The requester's status page takes a file only if it opens as what it
claims: a real PDF, PNG or JPG is stored; a PDF signature over a web page,
a PNG signature over junk, a picture cut short or a PDF behind a password
is refused with a reason the requester understands (never a 500), and
nothing is stored."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.cases.models import Case, CaseEvidence
from app.cases.status_links import mint_status_link
from app.db import utcnow
from app.extensions import db
from app.intake.uploads import DAMAGED_IMAGE, DAMAGED_PDF, LOCKED_PDF
from tests.evidence_files import image_file, locked_pdf_file, pdf_file
from tests.signin import csrf_token, make_organisation
from tests.unit.cases.factory import new_case

STATUS_LINK = re.compile(r"https?://[^/\s]+(/request/status/[A-Za-z0-9_-]+)")


@pytest.fixture
def status_page(db_session) -> tuple[Case, str]:
    school = make_organisation("Oak Primary")
    db_session.commit()
    case = new_case(school, received_on=utcnow().date(), requester_relationship="self")
    path = STATUS_LINK.search(mint_status_link(case)).group(1)
    db.session.commit()
    return case, path


def _upload(client, path: str, content: bytes, filename: str):
    data = {
        "csrf_token": csrf_token(client, path),
        "evidence_file": (io.BytesIO(content), filename),
        "evidence_kind": "identity",
    }
    return client.post(f"{path}/evidence", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize(
    ("content", "filename"),
    [(pdf_file(), "passport.pdf"), (image_file("PNG"), "passport.png"), (image_file("JPEG"), "passport.jpg")],
)
def test_status_page_upload_stores_a_file_that_opens(client, status_page, content, filename):
    case, path = status_page
    response = _upload(client, path, content, filename)
    assert response.status_code == 302, response.text
    [stored] = db.session.scalars(select(CaseEvidence).where(CaseEvidence.case_id == case.id)).all()
    assert stored.blob.size == len(content)


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"%PDF-<html><script>alert(1)</script></html>", "x.pdf", DAMAGED_PDF),
        (b"\x89PNG\r\n\x1a\n" + b"junk" * 200, "x.png", DAMAGED_IMAGE),
        (image_file("JPEG")[:-40], "cut-short.jpg", DAMAGED_IMAGE),
        (locked_pdf_file(), "locked.pdf", LOCKED_PDF),
    ],
)
def test_status_page_upload_refuses_a_file_that_does_not_open(
    client, status_page, content, filename, message
):
    case, path = status_page
    response = _upload(client, path, content, filename)
    assert response.status_code == 200
    assert "There is a problem" in response.text and 'href="#evidence_file"' in response.text
    assert message.split(".")[0] in response.text
    assert db.session.scalars(select(CaseEvidence).where(CaseEvidence.case_id == case.id)).all() == []
