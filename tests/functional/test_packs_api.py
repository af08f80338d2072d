"""Response packs and download links over the API: build (jobs inline),
list, download both files, send links, list and revoke them; 409 for the
lifecycle, 422 for bad fields, 404 outside the caller's organisations."""

from __future__ import annotations

import io
import uuid
import zipfile

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.audit.models import AuditEvent
from app.cases.models import CaseStatus
from app.exports.access import PACK_AREA
from app.exports.models import DownloadLink
from app.extensions import db
from app.sources.access_log.models import AccessLogEntry
from tests.unit.api.estate import make_user
from tests.unit.cases.factory import opened_case
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
    users = {
        "caseworker": make_user("cas.worker@rightsdesk.example", Role.CASEWORKER),
        "elm": make_user("office@elm.sch.example", Role.SCHOOL, world.elm),
        "oak": make_user("office@oak.sch.example", Role.SCHOOL, world.oak),
    }
    secrets = {
        key: issue_token(user, name=f"{key} token", days=30, actor=user).secret for key, user in users.items()
    }
    db_session.commit()
    auth = {key: {"Authorization": f"Bearer {secret}"} for key, secret in secrets.items()}
    return world, users, auth


def test_build_list_download_send_list_and_revoke(client, setting):
    world, users, auth = setting
    case = approved_case(world, users["caseworker"])
    base = f"/api/v1/cases/{case.reference}"

    built = client.post(f"{base}/packs", headers=auth["elm"])
    assert built.status_code == 202, built.text
    pack = built.get_json()
    assert pack["version"] == 1 and pack["status"] == "ready", pack  # the inline job has finished
    assert pack["pdf_pages"] > 1 and pack["item_count"] > 0 and pack["pdf_size"] > 0 and pack["zip_size"] > 0
    assert pack["built_by_id"] == str(users["elm"].id) and pack["error_code"] is None

    listed = client.get(f"{base}/packs", headers=auth["caseworker"]).get_json()["items"]
    assert [p["id"] for p in listed] == [pack["id"]]

    pdf = client.get(f"{base}/packs/{pack['id']}/pdf", headers=auth["elm"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert (
        pdf.headers["Content-Disposition"].startswith("attachment;")
        and pdf.headers["Cache-Control"] == "no-store"
    )
    zipped = client.get(f"{base}/packs/{pack['id']}/zip", headers=auth["elm"])
    assert zipped.mimetype == "application/zip"
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(zipped.data)).namelist()
    assert (
        len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pack.downloaded")).all()) == 2
    )

    to_school = client.post(
        f"{base}/packs/{pack['id']}/links", headers=auth["elm"], json={"audience": "school"}
    )
    assert to_school.status_code == 201, to_school.text
    school_link = to_school.get_json()
    assert school_link["audience"] == "school" and school_link["state"] == "usable"
    assert school_link["recipient_email"] == case.organisation.dp_contact_email
    assert (school_link["max_downloads"], school_link["download_count"]) == (3, 0)
    assert "token" not in str(school_link) and "code" not in school_link
    assert client.get(base, headers=auth["elm"]).get_json()["status"] == CaseStatus.APPROVED.value

    to_requester = client.post(
        f"{base}/packs/{pack['id']}/links",
        headers=auth["caseworker"],
        json={"audience": "requester", "days": 3, "max_downloads": 1},
    )
    assert to_requester.status_code == 201 and to_requester.get_json()["max_downloads"] == 1
    assert client.get(base, headers=auth["elm"]).get_json()["status"] == CaseStatus.RESPONDED.value

    sent = client.get(f"{base}/links", headers=auth["elm"]).get_json()["items"]
    assert [item["audience"] for item in sent] == ["requester", "school"]

    revoked = client.post(f"/api/v1/links/{school_link['id']}/revoke", headers=auth["elm"])
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    again = client.delete(f"/api/v1/links/{school_link['id']}", headers=auth["caseworker"])
    assert again.status_code == 200 and again.get_json()["revoked_at"] == revoked.get_json()["revoked_at"]
    requester_link = to_requester.get_json()["id"]
    assert (
        client.delete(f"/api/v1/links/{requester_link}", headers=auth["elm"]).get_json()["state"] == "revoked"
    )


def test_lifecycle_conflicts_and_field_errors(client, setting):
    world, users, auth = setting
    not_ready = opened_case(world.elm, users["caseworker"])
    refused = client.post(f"/api/v1/cases/{not_ready.reference}/packs", headers=auth["elm"])
    assert refused.status_code == 409 and "approved" in refused.get_json()["error"]["message"]

    case = approved_without_items(world, users["caseworker"], received_on=not_ready.received_on)
    old = stored_pack(case, users["caseworker"])
    new = stored_pack(case, users["caseworker"])
    base = f"/api/v1/cases/{case.reference}"
    stale = client.post(f"{base}/packs/{old.id}/links", headers=auth["elm"], json={"audience": "school"})
    assert stale.status_code == 409 and "newest ready" in stale.get_json()["error"]["message"]
    for body, field in (
        ({"audience": "everyone"}, "audience"),
        ({}, "audience"),
        ({"audience": "school", "days": 0}, "days"),
        ({"audience": "school", "days": "7"}, "days"),
        ({"audience": "school", "max_downloads": 11}, "max_downloads"),
        ({"audience": "school", "extra": 1}, "extra"),
    ):
        answer = client.post(f"{base}/packs/{new.id}/links", headers=auth["elm"], json=body)
        assert answer.status_code == 422 and field in answer.get_json()["error"]["fields"], body
    assert db.session.scalars(select(DownloadLink)).all() == []
    missing = client.get(f"{base}/packs/{old.id}/exe", headers=auth["elm"])
    assert missing.status_code == 404


def test_other_organisations_get_not_found(client, setting):
    world, users, auth = setting
    case = approved_without_items(world, users["caseworker"])
    pack = stored_pack(case, users["caseworker"])
    link = client.post(
        f"/api/v1/cases/{case.reference}/packs/{pack.id}/links",
        headers=auth["elm"],
        json={"audience": "school"},
    ).get_json()
    base = f"/api/v1/cases/{case.reference}"
    oak = auth["oak"]
    for method, path in (
        ("post", f"{base}/packs"),
        ("get", f"{base}/packs"),
        ("get", f"{base}/packs/{pack.id}/pdf"),
        ("get", f"{base}/packs/{pack.id}/zip"),
        ("get", f"{base}/links"),
        ("post", f"/api/v1/links/{link['id']}/revoke"),
        ("delete", f"/api/v1/links/{link['id']}"),
    ):
        answer = getattr(client, method)(path, headers=oak)
        assert answer.status_code == 404, (method, path)
    sent = client.post(f"{base}/packs/{pack.id}/links", headers=oak, json={"audience": "school"})
    assert sent.status_code == 404
    # A pack of another case of the same school is not found under this one.
    other = approved_without_items(world, users["caseworker"])
    assert (
        client.get(f"/api/v1/cases/{other.reference}/packs/{pack.id}/pdf", headers=auth["elm"]).status_code
        == 404
    )
    assert client.post(f"/api/v1/links/{pack.id}/revoke", headers=auth["elm"]).status_code == 404
    assert db.session.get(DownloadLink, uuid.UUID(link["id"])).revoked_at is None


def test_an_api_download_is_access_logged_for_each_subject_record(client, setting):
    world, users, auth = setting
    case = approved_with_records(world, users["caseworker"])
    pack = stored_pack(case, users["caseworker"])
    got = client.get(f"/api/v1/cases/{case.reference}/packs/{pack.id}/zip", headers=auth["caseworker"])
    assert got.status_code == 200 and got.data.startswith(b"PK")
    (entry,) = db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.area == PACK_AREA)).all()
    caseworker = users["caseworker"]
    assert (entry.actor_kind, entry.actor_email, entry.action) == ("rights_desk", caseworker.email, "export")
    assert entry.person_id == world.amelia.id
