"""The erasure certificate, read back from the stored, encrypted PDF."""

from __future__ import annotations

import io
import re

import pdfplumber

from app.blobs.services import open_blob
from app.rights.models import HoldSubject
from tests.unit.erasure.factory import HOLD_REASON, executed_plan, hold


def _text(plan) -> str:
    data = b"".join(open_blob(plan.certificate_blob_id))
    assert data.startswith(b"%PDF-")
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in pdf.pages))


def test_certificate_lists_erased_kept_and_backup_date(erasure):
    _, actor, case = erasure
    plan = executed_plan(case, actor)
    text = _text(plan)
    assert case.reference in text and "Certificate of erasure" in text
    assert "Special educational needs records (1 record), deleted" in text
    assert "Pupil record (name, UPN, date of birth, address) (1 record), anonymised" in text
    assert "Messages about the subject only (3 records), deleted" in text
    # Kept, with why.
    assert "Attendance marks (register weeks) (38" in text
    assert "controller of these records" in text
    assert "Consent ledger entries (1 record)" in text and "Art 17(3)(e)" in text
    assert "Access log and support-access permissions: Access log" in text and "Art 17(3)(b)" in text
    assert f"leaves the backups by {plan.backups_expire_on:%-d %B %Y}, 90 days after" in text
    assert "Pupil records (MIS)" in text  # a system it was erased from
    # The subject is named by the reference only.
    assert "Amelia" not in text and "O'Brien-Núñez" not in text


def test_certificate_explains_an_organisation_hold(erasure):
    world, actor, case = erasure
    hold(HoldSubject.ORGANISATION, world.elm.id)
    plan = executed_plan(case, actor)
    text = _text(plan)
    assert "Nothing: no personal data was held." in text
    assert "legal hold" in text and HOLD_REASON not in text
