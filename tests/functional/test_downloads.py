"""The secure download link, through the public pages, from the emails in
the outbox: the link and the code arrive apart; a wrong code is refused;
the right one opens the files, streamed decrypted as attachments; expired,
used-up, withdrawn and locked links each get a clear page; the code is
rate-limited per IP (in Redis when REDIS_URL is set)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pdfplumber
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.blobs.services import open_blob
from app.cases.models import CaseStatus
from app.db import utcnow
from app.exports import links, packs
from app.exports.access import PACK_AREA
from app.exports.models import DownloadLink, PackStatus
from app.extensions import db
from app.mail.models import OutboxMessage
from app.sources.access_log.models import AccessLogEntry
from tests.signin import csrf_token
from tests.unit.exports.factory import (
    approved_case,
    approved_with_records,
    approved_without_items,
    stored_pack,
)

_LINK = re.compile(r"http://localhost(/download/[A-Za-z0-9_-]+)")
_CODE = re.compile(r"The code to open it is: ([0-9]{6})")


def _emails() -> tuple[OutboxMessage, OutboxMessage]:
    link_mail = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.category == "pack.link")
        .order_by(OutboxMessage.created_at.desc())
    ).first()
    code_mail = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.category == "pack.code")
        .order_by(OutboxMessage.created_at.desc())
    ).first()
    return link_mail, code_mail


def _from_outbox() -> tuple[str, str]:
    """The page path from the link email and the code from the code email."""
    link_mail, code_mail = _emails()
    return _LINK.search(link_mail.text_body).group(1), _CODE.search(code_mail.text_body).group(1)


def _sent(pack, audience: str = "requester", **options) -> tuple[str, str]:
    links.send_pack(pack, audience, None, **options)
    db.session.commit()
    return _from_outbox()


def _token(client, path: str) -> str:
    """The session's CSRF token, as the link page's form carries it (the
    same for every form of the session, so it is read once, while the page
    still has a form)."""
    if not hasattr(client, "csrf"):
        client.csrf = csrf_token(client, path)
    return client.csrf


def _type(client, path: str, code: str):
    return client.post(path, data={"csrf_token": _token(client, path), "code": code})


def _download(client, path: str, kind: str):
    return client.post(f"{path}/{kind}", data={"csrf_token": _token(client, path)})


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_whole_journey_from_the_two_emails_to_the_files(client, world, caseworker):
    case = approved_case(world, caseworker)
    pack = packs.build_pack(case, caseworker)
    db.session.commit()  # the build runs inline
    db.session.refresh(pack)
    assert pack.status is PackStatus.READY, pack.error_code
    path, code = _sent(pack, "requester", max_downloads=3)
    link_mail, code_mail = _emails()
    assert link_mail.id != code_mail.id
    assert code not in link_mail.text_body + link_mail.html_body and path not in code_mail.text_body
    assert db.session.get(type(case), case.id).status is CaseStatus.RESPONDED

    page = client.get(path)
    assert page.status_code == 200 and "Download code" in page.text
    assert 'autocomplete="one-time-code"' in page.text and '<label class="label" for="code">' in page.text
    assert case.reference not in page.text and "Amelia" not in page.text  # says nothing about whose
    assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert page.headers["Referrer-Policy"] == "same-origin"

    wrong = _type(client, path, _wrong(code))
    assert wrong.status_code == 200 and "The code is not correct" in wrong.text
    assert "error-summary" in wrong.text and 'href="#code"' in wrong.text and "4 more times" in wrong.text
    assert wrong.text.count("<title>Error: ") == 1

    # Nothing downloads before the code.
    early = _download(client, path, "pdf")
    assert early.status_code == 303 and early.headers["Location"].endswith(path)

    accepted = _type(client, path, f"{code[:3]} {code[3:]}")
    assert accepted.status_code == 303 and accepted.headers["Location"].endswith(path)
    files = client.get(path)
    assert "Download the PDF" in files.text and "Download the zip file" in files.text
    assert "3 downloads" in files.text

    pdf = _download(client, path, "pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    assert f"{case.reference}-response-v1.pdf" in pdf.headers["Content-Disposition"]
    assert pdf.headers["X-Content-Type-Options"] == "nosniff" and pdf.headers["Cache-Control"] == "no-store"
    assert pdf.headers["Referrer-Policy"] == "no-referrer"
    assert int(pdf.headers["Content-Length"]) == len(pdf.data) == pack.pdf_blob.size
    with pdfplumber.open(io.BytesIO(pdf.data)) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    assert case.reference in text and "Amelia" in text

    archive = _download(client, path, "zip")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert "response.json" in names and "manifest.json" in names

    assert _download(client, path, "pdf").status_code == 200  # the third and last
    used_up = client.get(path)
    assert used_up.status_code == 410 and "This link has been used up" in used_up.text
    assert _download(client, path, "zip").status_code == 303  # verification forgotten; page says used up

    link = db.session.scalars(select(DownloadLink)).one()
    db.session.refresh(link)
    assert link.download_count == 3 and link.failed_code_attempts == 1
    actions = [
        e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == link.id))
    ]
    assert actions.count("download.file_downloaded") == 3
    assert actions.count("download.code_rejected") == 1 and actions.count("download.code_accepted") == 1
    assert actions.count("download.link_viewed") >= 3


@pytest.fixture
def quick_pack(world, caseworker):
    case = approved_without_items(world, caseworker)
    return stored_pack(case, caseworker)


def test_expired_link_page(client, quick_pack):
    path, _code = _sent(quick_pack, "school")
    link = db.session.scalars(select(DownloadLink)).one()
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = client.get(path)
    assert page.status_code == 410 and "This link has expired" in page.text
    assert "Download code" not in page.text and quick_pack.case_id.hex not in page.text


def test_revoked_link_page_and_unknown_link_page(client, quick_pack):
    path, code = _sent(quick_pack, "school")
    _token(client, path)
    links.revoke(db.session.scalars(select(DownloadLink)).one(), None)
    db.session.commit()
    page = client.get(path)
    assert page.status_code == 410 and "This link has been withdrawn" in page.text
    assert _type(client, path, code).status_code == 410

    unknown = client.get("/download/" + "x" * 43)
    assert unknown.status_code == 404 and "This link does not work" in unknown.text
    assert client.post("/download/" + "x" * 43, data={"code": "123456"}).status_code in (400, 404)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "download.link_unknown")).first()


def test_five_wrong_codes_lock_the_link(client, quick_pack):
    path, code = _sent(quick_pack, "school")
    for _ in range(4):
        assert _type(client, path, _wrong(code)).status_code == 200
    locked = _type(client, path, _wrong(code))
    assert locked.status_code == 403 and "This link has been locked" in locked.text
    assert client.get(path).status_code == 403
    assert _type(client, path, code).status_code == 403  # even the right code


def test_an_empty_code_is_asked_for_again_without_spending_an_attempt(client, quick_pack):
    path, _code = _sent(quick_pack, "school")
    empty = _type(client, path, "  ")
    assert empty.status_code == 200 and "Enter the 6-digit code" in empty.text
    assert db.session.scalars(select(DownloadLink)).one().failed_code_attempts == 0


def test_an_unknown_file_kind_is_not_found(client, quick_pack):
    path, code = _sent(quick_pack, "school")
    _type(client, path, code)
    assert _download(client, path, "exe").status_code == 404


def test_code_entry_is_rate_limited_per_ip(app, client, quick_pack):
    app.config["LIMIT_DOWNLOAD_CODE_IP"] = "2 per hour"
    path, code = _sent(quick_pack, "school")
    assert _type(client, path, _wrong(code)).status_code == 200
    assert _type(client, path, _wrong(code)).status_code == 200
    limited = _type(client, path, code)
    assert limited.status_code == 429 and "Too many attempts" in limited.text
    assert db.session.scalars(select(DownloadLink)).one().failed_code_attempts == 2


def test_code_rate_limit_is_kept_in_redis(app, client, quick_pack, redis_url):
    from redis import Redis

    # The limiter's storage was chosen when the app was built from REDIS_URL.
    assert app.config["RATELIMIT_STORAGE_URI"] == redis_url
    app.config["LIMIT_DOWNLOAD_CODE_IP"] = "1 per hour"
    path, code = _sent(quick_pack, "school")
    assert _type(client, path, _wrong(code)).status_code == 200
    assert _type(client, path, code).status_code == 429
    namespace = app.config["RIGHTSDESK_RATELIMIT_NAMESPACE"]
    assert any(namespace.encode() in key for key in Redis.from_url(redis_url).keys("*"))


def test_a_link_to_a_rebuilt_pack_answers_gone_and_the_new_link_works(client, world, caseworker):
    case = approved_with_records(world, caseworker)
    first = stored_pack(case, caseworker)
    old_path, old_code = _sent(first, "school")
    assert _type(client, old_path, old_code).status_code == 303
    old = _download(client, old_path, "pdf")
    assert (
        old.status_code == 200 and f"{case.reference}-response-v1.pdf" in old.headers["Content-Disposition"]
    )
    assert old.data == b"".join(open_blob(first.pdf_blob_id))
    # The link's download is an export of Amelia's record, by whom it was sent to.
    (entry,) = db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.area == PACK_AREA)).all()
    assert (entry.actor_kind, entry.actor_email, entry.action, entry.person_id) == (
        "link_school_contact",
        case.organisation.dp_contact_email,
        "export",
        world.amelia.id,
    )

    rebuilt = packs.build_pack(case, caseworker)
    db.session.commit()  # the build runs inline
    db.session.refresh(rebuilt)
    assert rebuilt.status is PackStatus.READY, rebuilt.error_code

    gone = client.get(old_path)
    assert gone.status_code == 410 and "A newer version of the response has replaced this one" in gone.text
    assert "ask whoever sent you the link for the link to the new version" in gone.text
    assert _download(client, old_path, "zip").status_code in (303, 410)  # verification forgotten
    old_link = db.session.scalars(select(DownloadLink).where(DownloadLink.pack_id == first.id)).one()
    revoked = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "pack.link_revoked", AuditEvent.object_id == old_link.id
        )
    ).one()
    assert revoked.data["reason"] == "superseded" and revoked.data["by_version"] == 2

    new_path, new_code = _sent(rebuilt, "school")
    assert _type(client, new_path, new_code).status_code == 303
    new = _download(client, new_path, "pdf")
    assert (
        new.status_code == 200 and f"{case.reference}-response-v2.pdf" in new.headers["Content-Disposition"]
    )
    assert new.data.startswith(b"%PDF-")


def test_a_download_already_verified_is_refused_once_a_newer_version_is_ready(client, world, caseworker):
    case = approved_without_items(world, caseworker)
    path, code = _sent(stored_pack(case, caseworker), "school")
    assert _type(client, path, code).status_code == 303
    stored_pack(case, caseworker)  # version 2 ready, the old link left unrevoked
    refused = _download(client, path, "pdf")
    assert (
        refused.status_code == 410 and "A newer version of the response has replaced this one" in refused.text
    )
    assert db.session.scalars(select(DownloadLink)).one().download_count == 0
