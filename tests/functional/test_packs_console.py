"""The console's "Response pack" page, through real sign-in and CSRF: build,
versions, staff downloads (audited), send to the school and the requester,
the links with revoke, "mark as responded", and other schools kept out."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.cases.models import Case, CaseStatus
from app.exports.access import PACK_AREA
from app.exports.models import DownloadLink, PackStatus, ResponsePack
from app.extensions import db
from app.mail.models import OutboxMessage
from app.sources.access_log.models import AccessLogEntry
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.exports.factory import (
    approved_case,
    approved_with_records,
    approved_without_items,
    stored_pack,
)
from tests.unit.sources.factories import build_world


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    world = build_world(db_session)
    elm = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak = make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    return world, elm, oak


def _post(client, page: str, action: str, **data):
    return client.post(action, data={"csrf_token": csrf_token(client, page), **data})


def _status(case: Case) -> CaseStatus:
    db.session.expire_all()
    return db.session.get(Case, case.id).status


def test_build_download_send_and_revoke_in_the_console(client, setting):
    world, (user, secret), _ = setting
    case = approved_case(world, user)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/pack"

    empty = client.get(page)
    assert empty.status_code == 200 and "No pack has been built yet." in empty.text
    assert "Build the pack" in empty.text and 'aria-current="page">Response pack</a>' in empty.text

    built = _post(client, page, f"{page}/build")
    assert built.status_code == 303 and built.headers["Location"].endswith(page)
    pack = db.session.scalars(select(ResponsePack)).one()
    db.session.refresh(pack)
    assert pack.status is PackStatus.READY, pack.error_code
    listing = client.get(page)
    assert "Refresh" not in listing.headers  # nothing building
    assert "Version 1 (current)" in listing.text and "Ready" in listing.text
    assert f">{pack.pdf_pages}<" in listing.text and f">{pack.item_count}<" in listing.text
    assert "Send to the school" in listing.text and "Mark as responded" in listing.text

    pdf = client.get(f"{page}/{pack.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    archive = client.get(f"{page}/{pack.id}/zip")
    assert "response.json" in zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    downloads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pack.downloaded")).all()
    assert [(e.actor_id, e.data["file"]) for e in downloads] == [(user.id, "pdf"), (user.id, "zip")]

    to_school = _post(client, page, f"{page}/{pack.id}/send", audience="school")
    assert to_school.status_code == 303 and _status(case) is CaseStatus.APPROVED
    after = client.get(page)
    assert "emailed to the school" in after.text and case.organisation.dp_contact_email in after.text

    to_requester = _post(client, page, f"{page}/{pack.id}/send", audience="requester")
    assert to_requester.status_code == 303 and _status(case) is CaseStatus.RESPONDED
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.category.like("pack.%"))).all()
    assert len(mail) == 4

    link = db.session.scalars(select(DownloadLink).where(DownloadLink.audience == "school")).one()
    revoked = _post(client, page, f"/console/cases/{case.id}/links/{link.id}/revoke")
    assert revoked.status_code == 303
    db.session.refresh(link)
    assert link.revoked_at is not None and link.revoked_by_id == user.id
    final = client.get(page)
    assert "Revoked" in final.text and final.text.count(">Revoke<") == 1
    requester_link = db.session.scalars(select(DownloadLink).filter_by(audience="requester")).one()
    requester_link.download_count = requester_link.max_downloads
    db.session.commit()
    used_up = client.get(page).text
    assert "Used up" in used_up and ">Revoke<" not in used_up  # it opens nothing already
    assert "Mark as responded" not in final.text  # responded already

    rebuilt = _post(client, page, f"{page}/build")  # a rebuild while responding
    assert rebuilt.status_code == 303 and "Version 2 (current)" in client.get(page).text


def test_mark_responded_when_the_school_delivers_it_itself(client, setting):
    world, (user, secret), _ = setting
    case = approved_without_items(world, user)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/pack"
    early = _post(client, page, f"{page}/responded")
    assert early.status_code == 409 and "build the response pack first" in early.text
    stored_pack(case, user)
    marked = _post(client, page, f"{page}/responded")
    assert marked.status_code == 303 and _status(case) is CaseStatus.RESPONDED
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.status_changed").order_by(AuditEvent.seq.desc())
    ).first()
    assert event.data["to"] == "responded" and event.data["via"] == "marked" and event.actor_id == user.id


def test_building_before_approval_is_refused_with_the_reason(client, setting):
    world, (user, secret), _ = setting
    from tests.unit.cases.factory import opened_case

    case = opened_case(world.elm, user)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/pack"
    assert "once every item has been reviewed" in client.get(page).text
    refused = _post(client, page, f"{page}/build")
    assert refused.status_code == 409 and "once the case is approved" in refused.text
    assert "error-summary" in refused.text


def test_the_page_refreshes_while_a_build_is_queued(app, client, setting):
    world, (user, secret), _ = setting
    case = approved_without_items(world, user)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/pack"
    token = csrf_token(client, page)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/4"  # queued, but nothing runs it
    client.post(f"{page}/build", data={"csrf_token": token})
    app.config["REDIS_URL"] = None
    building = client.get(page)
    assert building.headers["Refresh"] == "5" and "Building" in building.text
    assert "Rebuild the pack" not in building.text


def test_another_school_cannot_see_or_touch_the_pack(client, setting):
    world, (elm_user, _), (oak_user, oak_secret) = setting
    case = approved_without_items(world, elm_user)
    pack = stored_pack(case, elm_user)
    sign_in(client, oak_user, oak_secret)
    page = f"/console/cases/{case.id}/pack"
    assert client.get(page).status_code == 404
    assert client.get(f"{page}/{pack.id}/pdf").status_code == 404
    token = csrf_token(client, "/console/account")
    assert client.post(f"{page}/build", data={"csrf_token": token}).status_code == 404
    assert (
        client.post(f"{page}/{pack.id}/send", data={"csrf_token": token, "audience": "school"}).status_code
        == 404
    )
    assert db.session.scalars(select(DownloadLink)).all() == []


def test_a_console_download_is_access_logged_and_a_rebuild_shows_old_links_superseded(client, setting):
    world, (user, secret), _ = setting
    case = approved_with_records(world, user)
    first = stored_pack(case, user)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/pack"

    pdf = client.get(f"{page}/{first.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    (entry,) = db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.area == PACK_AREA)).all()
    assert (entry.actor_kind, entry.actor_email, entry.action) == ("school_user", user.email, "export")
    assert entry.person_id == world.amelia.id

    assert _post(client, page, f"{page}/{first.id}/send", audience="school").status_code == 303
    assert _post(client, page, f"{page}/build").status_code == 303  # version 2, built inline
    listing = client.get(page).text
    assert "Version 2 (current)" in listing and "Revoked: a newer version replaced it" in listing
    assert ">Revoke<" not in listing
