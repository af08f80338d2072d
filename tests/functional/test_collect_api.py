"""Finding and gathering a subject's data over the API, from the real
stores: search, confirm, gather (inline jobs), progress, items; every look
audited and access-logged; other organisations' cases not found."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.audit.models import AuditEvent
from app.cases.models import CaseStatus
from app.collect.models import CollectedItem
from app.sources import registry
from app.sources.access_log.models import AccessLogEntry
from tests.unit.api.estate import make_user
from tests.unit.collect.factory import amelia_case
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
    case = amelia_case(world, users["caseworker"])
    return world, users, {key: {"Authorization": f"Bearer {secret}"} for key, secret in secrets.items()}, case


def _looks(db_session, area: str) -> list[AccessLogEntry]:
    return db_session.scalars(select(AccessLogEntry).where(AccessLogEntry.area == area)).all()


def test_find_confirm_gather_and_read_through_the_api(client, db_session, setting):
    world, users, auth, case = setting
    base = f"/api/v1/cases/{case.reference}"

    found = client.post(f"{base}/candidates", headers=auth["elm"])
    assert found.status_code == 200, found.text
    items = found.get_json()["items"]
    by_record = {item["record_id"]: item for item in items}
    amelia = by_record[str(world.amelia.id)]
    assert amelia["about"] == "subject" and amelia["decision"] == "proposed" and amelia["score"] >= 0.5
    assert "dob_exact" in amelia["reasons"] and amelia["summary"]["name"]
    assert str(world.oak_amelia.id) not in by_record  # another school's pupil is never offered
    assert by_record[str(world.mother.id)]["about"] == "requester"

    early = client.post(f"{base}/gather", headers=auth["elm"])
    assert early.status_code == 422 and "candidates" in early.get_json()["error"]["fields"]

    decided = client.post(
        f"{base}/candidates/{amelia['id']}", headers=auth["elm"], json={"decision": "confirm"}
    )
    assert decided.status_code == 200, decided.text
    assert decided.get_json()["decision"] == "confirmed"
    assert decided.get_json()["decided_by_id"] == str(users["elm"].id)

    started = client.post(f"{base}/gather", headers=auth["elm"])
    assert started.status_code == 202, started.text

    progress = client.get(f"{base}/gather", headers=auth["elm"]).get_json()
    assert progress["case_status"] == CaseStatus.IN_REVIEW.value and progress["finished"]
    assert [line["source"] for line in progress["sources"]] == [s.name for s in registry.all_sources()]
    assert all(line["status"] == "done" and line["attempt"] == 1 for line in progress["sources"])
    assert all(line["title"] and line["categories"] for line in progress["sources"])
    stored = db_session.scalar(
        select(func.count()).select_from(CollectedItem).where(CollectedItem.case_id == case.id)
    )
    assert progress["item_count"] == stored > 0

    listed = client.get(f"{base}/items", headers=auth["elm"]).get_json()
    assert listed["count"] == stored
    categories = [group["category"] for group in listed["categories"]]
    assert categories == sorted(categories) and "attendance" in categories
    every_item = [item for group in listed["categories"] for item in group["items"]]
    assert all(item["key"].startswith(item["source"] + "/") for item in every_item)

    # A decision cannot change once gathering has started.
    late = client.post(f"{base}/candidates/{amelia['id']}", headers=auth["elm"], json={"decision": "reject"})
    assert late.status_code == 409


def test_every_look_is_audited_and_access_logged(client, db_session, setting):
    world, users, auth, case = setting
    base = f"/api/v1/cases/{case.reference}"
    client.post(f"{base}/candidates", headers=auth["caseworker"])
    shown = client.get(f"{base}/candidates", headers=auth["caseworker"]).get_json()["items"]

    looks = _looks(db_session, "rights_desk.candidates")
    # Searching shows the list (one look), then the GET (another): one line per record each time.
    assert len(looks) == 2 * len(shown)
    assert {entry.person_id for entry in looks} == {world.amelia.id, world.isla.id, world.mother.id}
    entry = looks[0]
    assert (entry.actor_kind, entry.actor_email, entry.action) == (
        "rights_desk",
        users["caseworker"].email,
        "view",
    )
    assert entry.organisation_id == world.elm.id

    amelia = next(item for item in shown if item["record_id"] == str(world.amelia.id))
    client.post(f"{base}/candidates/{amelia['id']}", headers=auth["caseworker"], json={"decision": "confirm"})
    client.post(f"{base}/gather", headers=auth["caseworker"])
    client.get(f"{base}/items", headers=auth["caseworker"])
    item_looks = _looks(db_session, "rights_desk.collected_items")
    assert [(e.person_kind.value, e.person_id) for e in item_looks] == [("pupil", world.amelia.id)]

    audits = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "collect.viewed", AuditEvent.object_id == case.id)
    ).all()
    assert [event.data["area"] for event in audits] == [
        "rights_desk.candidates",
        "rights_desk.candidates",
        "rights_desk.collected_items",
    ]
    text = " ".join(str(event.data) for event in audits)
    assert "Amelia" not in text and "@" not in text  # ids and counts only


def test_other_organisations_case_is_not_found(client, db_session, setting):
    _world, _users, auth, case = setting
    base = f"/api/v1/cases/{case.reference}"
    client.post(f"{base}/candidates", headers=auth["elm"])
    candidate_id = client.get(f"{base}/candidates", headers=auth["elm"]).get_json()["items"][0]["id"]
    before = db_session.scalar(select(func.count()).select_from(AccessLogEntry))

    for method, path, body in (
        ("GET", "/candidates", None),
        ("POST", "/candidates", None),
        ("POST", f"/candidates/{candidate_id}", {"decision": "confirm"}),
        ("POST", "/gather", None),
        ("GET", "/gather", None),
        ("POST", "/gather/retry", {"source": "pupils"}),
        ("POST", "/gather/complete", None),
        ("GET", "/items", None),
    ):
        response = client.open(base + path, method=method, headers=auth["oak"], json=body)
        assert response.status_code == 404, (method, path, response.status_code)
        assert "Amelia" not in response.text
    assert db_session.scalar(select(func.count()).select_from(AccessLogEntry)) == before


def test_bad_input_answers_422_and_unknown_candidate_404(client, setting):
    _world, _users, auth, case = setting
    base = f"/api/v1/cases/{case.reference}"
    client.post(f"{base}/candidates", headers=auth["elm"])
    candidate_id = client.get(f"{base}/candidates", headers=auth["elm"]).get_json()["items"][0]["id"]
    bad = client.post(f"{base}/candidates/{candidate_id}", headers=auth["elm"], json={"decision": "maybe"})
    assert bad.status_code == 422 and "decision" in bad.get_json()["error"]["fields"]
    for missing in ("not-a-uuid", "00000000-0000-4000-8000-000000000000"):
        answer = client.post(
            f"{base}/candidates/{missing}", headers=auth["elm"], json={"decision": "confirm"}
        )
        assert answer.status_code == 404
    retry = client.post(f"{base}/gather/retry", headers=auth["elm"], json={"source": "Pupils!"})
    assert retry.status_code == 422 and "source" in retry.get_json()["error"]["fields"]
    not_gathering = client.post(f"{base}/gather/retry", headers=auth["elm"], json={"source": "pupils"})
    assert not_gathering.status_code == 404  # no run of that source yet
    early = client.post(f"{base}/gather/complete", headers=auth["elm"])
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "illegal_transition"
