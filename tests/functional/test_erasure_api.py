"""An erasure over the API: plan, approve, execute (inline jobs), download
the certificate; a legal hold answered with its reason, also one placed on
the school after approval; other organisations' cases not found."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.audit.models import AuditEvent
from app.db import utcnow
from app.mail.models import OutboxMessage
from app.rights.models import HoldSubject
from tests.unit.api.estate import make_user
from tests.unit.erasure.factory import HOLD_REASON, gathered_erasure, hold
from tests.unit.sources.factories import build_world


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    world = build_world(db_session)
    users = {
        "dpo": make_user("dpo@rightsdesk.example", Role.ADMIN),
        "elm": make_user("office@elm.sch.example", Role.SCHOOL, world.elm),
        "oak": make_user("office@oak.sch.example", Role.SCHOOL, world.oak),
    }
    secrets = {
        key: issue_token(user, name=f"{key} token", days=30, actor=user).secret for key, user in users.items()
    }
    db_session.commit()
    case = gathered_erasure(world, users["dpo"])
    auth = {key: {"Authorization": f"Bearer {secret}"} for key, secret in secrets.items()}
    return world, users, auth, case


def test_erasure_plan_approve_execute_and_certificate_through_the_api(client, db_session, setting):
    _, users, auth, case = setting
    base = f"/api/v1/cases/{case.reference}/erasure"

    assert client.get(base, headers=auth["elm"]).status_code == 404  # no plan yet
    assert client.post(f"{base}/approve", headers=auth["elm"]).status_code == 409

    built = client.post(base, headers=auth["elm"])
    assert built.status_code == 201, built.text
    plan = built.get_json()
    assert plan["status"] == "draft" and not plan["certificate_ready"]
    steps = {(s["source"], s["category"]): s for s in plan["steps"]}
    assert steps[("pupils", "identity")]["action"] == "anonymise"
    assert steps[("pupils", "attendance")]["action"] == "keep"
    assert steps[("pupils", "attendance")]["reason_code"] == "controller_record"
    assert steps[("consent", "consent")]["reason"]
    assert client.get(base, headers=auth["elm"]).get_json() == plan

    approved = client.post(f"{base}/approve", headers=auth["elm"])
    assert approved.status_code == 200, approved.text
    assert approved.get_json()["approved_by_id"] == str(users["elm"].id)
    assert client.post(base, headers=auth["elm"]).status_code == 409  # no rebuild once approved

    executed = client.post(f"{base}/execute", headers=auth["elm"])
    assert executed.status_code == 202, executed.text
    done = executed.get_json()
    assert done["status"] == "done" and done["certificate_ready"] and done["certificate_destroyed_at"] is None
    assert {s["state"] for s in done["steps"]} == {"done"}
    assert (
        client.get(f"/api/v1/cases/{case.reference}", headers=auth["elm"]).get_json()["status"] == "responded"
    )
    # The requester is answered by email: what went, what stayed and why.
    [answer] = db_session.scalars(select(OutboxMessage).where(OutboxMessage.category == "case.erasure_done"))
    assert answer.case_id == case.id and answer.recipient_list == [case.requester_email]
    assert answer.subject == f"Your request {case.reference}: what we erased"
    erased, kept = answer.text_body.split("WHAT WE KEPT, AND WHY", 1)
    assert "anonymised" in erased and "attendance" not in erased
    assert "attendance" in kept.lower() and steps[("pupils", "attendance")]["reason"] in kept
    assert "ico.org.uk" in answer.text_body and "Amelia" not in answer.subject

    certificate = client.get(f"{base}/certificate", headers=auth["elm"])
    assert certificate.status_code == 200 and certificate.mimetype == "application/pdf"
    assert "attachment" in certificate.headers["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(certificate.data)).pages)
    assert case.reference in text and "Certificate of erasure" in text
    downloads = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "erasure.certificate_downloaded")
    ).all()
    assert [event.actor_id for event in downloads] == [users["elm"].id]


def test_erasure_api_explains_a_legal_hold(client, setting):
    world, _, auth, case = setting
    hold(HoldSubject.PUPIL, world.amelia.id)
    refused = client.post(f"/api/v1/cases/{case.reference}/erasure", headers=auth["dpo"])
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "erasure_blocked" and HOLD_REASON in error["message"]


def test_erasure_api_hides_other_organisations_cases(client, setting):
    _, _, auth, case = setting
    base = f"/api/v1/cases/{case.reference}/erasure"
    assert client.post(base, headers=auth["oak"]).status_code == 404
    assert client.get(f"{base}/certificate", headers=auth["oak"]).status_code == 404


def test_erasure_certificate_not_found_before_execution(client, setting):
    _, _, auth, case = setting
    client.post(f"/api/v1/cases/{case.reference}/erasure", headers=auth["dpo"])
    assert (
        client.get(f"/api/v1/cases/{case.reference}/erasure/certificate", headers=auth["dpo"]).status_code
        == 404
    )


def test_erasure_api_refuses_execution_under_a_school_hold_placed_after_approval(client, db_session, setting):
    world, _, auth, case = setting
    base = f"/api/v1/cases/{case.reference}/erasure"
    assert client.post(base, headers=auth["dpo"]).status_code == 201
    assert client.post(f"{base}/approve", headers=auth["dpo"]).status_code == 200
    school_hold = hold(HoldSubject.ORGANISATION, world.elm.id)

    refused = client.post(f"{base}/execute", headers=auth["dpo"])
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "erasure_blocked" and HOLD_REASON in error["message"]
    assert "Elm Primary" in error["message"]
    plan = client.get(base, headers=auth["dpo"]).get_json()
    assert plan["status"] == "approved" and {s["state"] for s in plan["steps"]} == {"planned"}

    school_hold.released_at = utcnow()
    db_session.commit()
    executed = client.post(f"{base}/execute", headers=auth["dpo"])
    assert executed.status_code == 202, executed.text
    assert executed.get_json()["status"] == "done"


def test_a_category_is_kept_out_of_the_erasure_over_the_api(client, db_session, setting):
    _, _, auth, case = setting
    base = f"/api/v1/cases/{case.reference}/erasure"
    before = client.post(f"{base}/scope", json={"source": "pupils", "category": "send", "keep": None},
                         headers=auth["elm"])  # fmt: skip
    assert before.status_code == 409  # no plan yet
    assert client.post(base, headers=auth["elm"]).status_code == 201

    kept = client.post(
        f"{base}/scope",
        json={"source": "correspondence", "category": "correspondence", "keep": "not_requested"},
        headers=auth["elm"],
    )
    assert kept.status_code == 200, kept.text
    plan = kept.get_json()
    assert plan["kept_categories"] == [
        {"source": "correspondence", "category": "correspondence", "keep": "not_requested"}
    ]
    step = next(s for s in plan["steps"] if s["category"] == "correspondence")
    assert (step["action"], step["reason_code"]) == ("keep", "not_requested")
    assert client.get(base, headers=auth["elm"]).get_json() == plan

    bad_ground = client.post(
        f"{base}/scope", json={"source": "pupils", "category": "send", "keep": "whim"}, headers=auth["elm"]
    )
    assert bad_ground.status_code == 422 and "keep" in bad_ground.get_json()["error"]["fields"]
    tied = client.post(
        f"{base}/scope",
        json={"source": "pupils", "category": "send", "keep": "art17_3_e_legal_claims"},
        headers=auth["elm"],
    )
    assert tied.status_code == 422
    assert "can be kept only with" in tied.get_json()["error"]["fields"]["category"][0]
    other = client.post(
        f"{base}/scope", json={"source": "pupils", "category": "send", "keep": None}, headers=auth["oak"]
    )
    assert other.status_code == 404

    assert client.post(f"{base}/approve", headers=auth["elm"]).status_code == 200
    late = client.post(
        f"{base}/scope",
        json={"source": "correspondence", "category": "correspondence", "keep": None},
        headers=auth["elm"],
    )
    assert late.status_code == 409
