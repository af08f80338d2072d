"""Who looked, as the access log says it: every look at a subject's data
(the records found, the items gathered, the review, the disclosure schedule)
and every download of the pack, through the real console and API, is logged
with the kind of actor the user is: a school's own staff as the school's
user ("school_user"), the company's staff as its data protection staff
("rights_desk"). The log is what the person's later request discloses, so a
later pack says it in plain words ("School staff")."""

from __future__ import annotations

import io
import re

import pdfplumber
import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.collect.looks import ACTOR_KIND, CANDIDATES_AREA, ITEMS_AREA, SCHOOL_USER, actor_kind_for
from app.exports.access import PACK_AREA
from app.exports.codes import ACTOR_KINDS, readable_data
from app.extensions import db
from app.review.listing import REVIEW_AREA
from app.review.schedule import SCHEDULE_AREA
from app.sources.access_log.models import AccessLogEntry
from tests.signin import make_user, sign_in
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.exports.factory import approved_case, approved_with_records, gathered_case, stored_pack
from tests.unit.sources.factories import build_world

LOOKS = (CANDIDATES_AREA, ITEMS_AREA, REVIEW_AREA, SCHEDULE_AREA)
# Each signed-in role, and the kind of actor its looks are logged as.
ROLES = [(Role.SCHOOL, SCHOOL_USER), (Role.CASEWORKER, ACTOR_KIND), (Role.ADMIN, ACTOR_KIND)]


@pytest.fixture
def world(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    return build_world(db_session)


def _user(world, role: Role):
    email = {Role.SCHOOL: "office@elm.sch.example"}.get(role, f"{role.value}@rightsdesk.example")
    return make_user(email, role, world.elm if role is Role.SCHOOL else None)


def _logged(user) -> list[AccessLogEntry]:
    db.session.expire_all()
    return db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.actor_email == user.email)).all()


@pytest.mark.parametrize(("role", "kind"), ROLES)
def test_console_looks_are_logged_as_the_users_kind_of_actor(client, world, role, kind):
    user, secret = _user(world, role)
    case = gathered_case(world, user)
    sign_in(client, user, secret)
    base = f"/console/cases/{case.id}"
    for page in ("candidates", "items", "review", "disclosure-schedule"):
        assert client.get(f"{base}/{page}").status_code == 200, page
    logged = _logged(user)
    assert {entry.area for entry in logged} == set(LOOKS)
    assert {(entry.actor_kind, entry.actor_name) for entry in logged} == {(kind, user.name)}
    assert world.amelia.id in {entry.person_id for entry in logged}


@pytest.mark.parametrize(("role", "kind"), ROLES)
def test_api_looks_and_downloads_are_logged_as_the_users_kind_of_actor(client, world, role, kind):
    user, _secret = _user(world, role)
    auth = {"Authorization": f"Bearer {issue_token(user, name='laptop', days=30, actor=user).secret}"}
    db.session.commit()
    case = gathered_case(world, user)
    base = f"/api/v1/cases/{case.reference}"
    for path in ("candidates", "items", "review", "disclosure-schedule"):
        assert client.get(f"{base}/{path}", headers=auth).status_code == 200, path
    approved = approved_with_records(world, user)
    pack = stored_pack(approved, user)
    got = client.get(f"/api/v1/cases/{approved.reference}/packs/{pack.id}/pdf", headers=auth)
    assert got.status_code == 200
    logged = _logged(user)
    assert {entry.area for entry in logged} == {*LOOKS, PACK_AREA}
    assert {entry.actor_kind for entry in logged} == {kind}
    (export,) = [entry for entry in logged if entry.action == "export"]
    assert export.area == PACK_AREA and export.person_id == world.amelia.id


def test_every_kind_a_signed_in_user_is_logged_as_has_plain_words_in_the_pack(world):
    for role, kind in ROLES:
        user, _ = _user(world, role)
        assert actor_kind_for(user) == kind
        assert ACTOR_KINDS[kind] and "_" not in ACTOR_KINDS[kind]
    assert ACTOR_KINDS[SCHOOL_USER] == "School staff"
    assert ACTOR_KINDS[ACTOR_KIND] == "Staff handling data protection requests"


def test_a_later_request_shows_a_school_users_look_as_school_staff(client, world):
    """The school's user and a caseworker look at Amelia's records on one
    request; on her next, the pack's access log names each as what they are."""
    school, school_secret = _user(world, Role.SCHOOL)
    caseworker, _ = _user(world, Role.CASEWORKER)
    first = confirmed_amelia(world, caseworker)
    sign_in(client, school, school_secret)
    assert client.get(f"/console/cases/{first.id}/candidates").status_code == 200
    token = issue_token(caseworker, name="laptop", days=30, actor=caseworker).secret
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/cases/{first.reference}/candidates", headers=auth).status_code == 200

    later = approved_case(world, caseworker, received_on=first.received_on)
    built = client.post(f"/api/v1/cases/{later.reference}/packs", headers=auth)
    assert built.status_code == 202 and built.get_json()["status"] == "ready", built.text
    pack_id = built.get_json()["id"]

    items = client.get(f"/api/v1/cases/{later.reference}/items", headers=auth).get_json()
    entries = [
        entry
        for group in items["categories"]
        if group["category"] == "access_log"
        for item in group["items"]
        for entry in item["data"].get("entries", [])
        if entry.get("area") == CANDIDATES_AREA
    ]
    by_email = {entry["actor_email"]: entry for entry in entries}
    assert by_email[school.email]["actor_kind"] == SCHOOL_USER
    assert by_email[caseworker.email]["actor_kind"] == ACTOR_KIND
    readable = [readable_data({"entries": [entry]})["entries"][0] for entry in entries]
    assert {row["actor_kind"] for row in readable} >= {
        "School staff",
        "Staff handling data protection requests",
    }

    pdf = client.get(f"/api/v1/cases/{later.reference}/packs/{pack_id}/pdf", headers=auth)
    assert pdf.status_code == 200
    with pdfplumber.open(io.BytesIO(pdf.data)) as document:
        text = " ".join(" ".join((page.extract_text() or "").split()) for page in document.pages)
    # The access log is a table: a cell's words may wrap onto the next line,
    # between the words of the cells beside it.
    row = re.search(rf"Looked at {re.escape(school.email[:10])}.{{0,40}}?School staff", text)
    assert row, text
    assert re.search(r"Staff handling data\b.{0,80}?\bprotection requests", text)
    assert SCHOOL_USER not in text and ACTOR_KIND not in text
