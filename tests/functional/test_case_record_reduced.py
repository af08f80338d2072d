"""A case record reduced years after closing, through the CLI, the API and
the console: the command lists and reduces what is due, the API answers with
nulls where the details were and says when, and every page that shows the
case still opens (200, no "None" where a detail was) without the details."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import schemathesis
from sqlalchemy import func, select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.audit.models import AuditEvent
from app.blobs.services import store_blob
from app.cases import identity, lifecycle
from app.cases import services as case_services
from app.cases.models import Case, CaseStatus
from app.db import new_uuid
from app.erasure.models import ErasurePlan, PlanStatus
from app.exports import links
from app.extensions import db
from app.rectification.models import ProposalStatus, RectificationLetter, RectificationProposal
from app.restriction.models import Restriction
from app.sources.protocol import PersonKind
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.api.estate import build_estate
from tests.unit.cases.factory import new_case
from tests.unit.exports.factory import decide_all, gathered_case, stored_pack
from tests.unit.sources.factories import build_world

CLOSED = datetime(2019, 11, 4, 16, 30, tzinfo=UTC)
PDF = b"%PDF-1.7\n% Dear Jo Parent, Sam Pupil's records were erased.\n%%EOF\n"
PERSONAL = ("Jo Parent", "jo.parent@", "Sam Pupil", "2015-05-04", "4 May 2015", "Everything you hold")


@pytest.fixture
def long_closed(db_session):
    """A withdrawn case of Birch Primary, closed seven years ago, and a recent one."""
    estate = build_estate()
    old = new_case(estate.birch_primary, subject_upn="B801200005001")
    case_services.withdraw(old, None)
    old.closed_at = CLOSED
    recent = new_case(estate.birch_primary, requester_email="recent@example.net")
    case_services.withdraw(recent, None)
    db.session.commit()
    return estate, old, recent


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["retention", "case-records", *args])


def test_the_command_lists_then_reduces_only_what_is_due(app, long_closed):
    _estate, old, recent = long_closed
    dry = _run(app, "--dry-run", "--as-of", "2026-11-04")
    assert dry.exit_code == 0, dry.output
    assert f"would reduce {old.reference} ({old.id}), closed 2019-11-04" in dry.output
    assert recent.reference not in dry.output
    assert "1 case record(s) would be reduced as of 2026-11-04 (0 never confirmed)" in dry.output
    assert db.session.get(Case, old.id).requester_name == "Jo Parent"

    too_early = _run(app, "--as-of", "2025-11-03")
    assert too_early.exit_code == 0 and "0 case record(s) reduced" in too_early.output

    done = _run(app, "--as-of", "2026-11-04")
    assert done.exit_code == 0, done.output
    assert f"reduced {old.reference}" in done.output and "1 case record(s) reduced" in done.output
    db.session.expire_all()
    assert db.session.get(Case, old.id).requester_name is None
    assert db.session.get(Case, recent.id).requester_name == "Jo Parent"
    assert "0 case record(s) reduced" in _run(app, "--as-of", "2026-11-05").output


def test_the_command_refuses_a_bad_date(app, long_closed):
    result = _run(app, "--as-of", "4 November")
    assert result.exit_code == 2 and "is not a date; use YYYY-MM-DD" in result.output


def _reduce(app) -> None:
    assert _run(app, "--as-of", "2026-11-04").exit_code == 0
    db.session.expire_all()


def test_api_answers_nulls_where_the_details_were_and_says_when(app, client, long_closed):
    estate, old, _recent = long_closed
    _reduce(app)
    answer = client.get(f"/api/v1/cases/{old.reference}", headers=estate.auth("trust"))
    assert answer.status_code == 200, answer.text
    body = answer.get_json()
    assert body["record_reduced_at"] is not None and body["copies_destroyed_at"] is not None
    removed = ("requester_name", "requester_email", "subject_name", "subject_dob", "subject_upn")
    assert [body[name] for name in removed] == [None] * len(removed) and body["description"] is None
    assert (body["reference"], body["status"], body["subject_role"]) == (old.reference, "withdrawn", "pupil")
    assert body["events"][-1]["kind"] == "record_reduced"
    assert not any(text in answer.text for text in PERSONAL)


def test_a_case_with_two_proposals_for_the_same_field_is_reduced(app, long_closed):
    """A parent's mobile number corrected on their contact records at two
    schools: the proposals differ only by record, which the reduction
    unlinks, each to a stand-in of its own."""
    estate, _old, _recent = long_closed
    case = new_case(estate.birch_primary, request_type="rectification", requester_email="two@example.net")
    for _ in range(2):
        db.session.add(
            RectificationProposal(
                id=new_uuid(), case_id=case.id, kind=PersonKind.CONTACT, record_id=new_uuid(),
                field="mobile_phone", before_value="07700 900001", proposed_value="07700 900002",
                status=ProposalStatus.APPLIED,
            )
        )  # fmt: skip
    case_services.withdraw(case, None)
    case.closed_at = CLOSED
    db.session.commit()
    done = _run(app, "--as-of", "2026-11-04")
    assert done.exit_code == 0, done.output
    assert "2 case record(s) reduced" in done.output
    db.session.expire_all()
    proposals = db.session.scalars(select(RectificationProposal).filter_by(case_id=case.id))
    assert {(p.record_id == p.id, p.proposed_value) for p in proposals} == {(True, None)}


def test_asking_for_a_new_status_link_to_a_reduced_case_sends_nothing(app, client, long_closed):
    _estate, old, _recent = long_closed
    _reduce(app)
    token = csrf_token(client, "/request/status")
    form = {"csrf_token": token, "reference": old.reference, "email": "jo.parent@example.com"}
    answer = client.post("/request/status", data=form)
    assert answer.status_code == 200  # the same answer as for any reference and address
    refused = select(func.count()).where(
        AuditEvent.action == "case.status_link_refused", AuditEvent.object_id == old.id
    )
    assert db.session.scalar(refused) == 1


def test_console_pages_open_and_say_the_record_was_reduced(app, long_closed):
    _estate, old, _recent = long_closed
    _reduce(app)
    user, secret = make_user("cw.reduced@example.org", Role.CASEWORKER)
    client = app.test_client()
    sign_in(client, user, secret)

    page = client.get(f"/console/cases/{old.id}")
    assert page.status_code == 200
    assert 'id="record-reduced"' in page.text and "closed more than 6 years ago" in page.text
    who = page.text.split('id="people-heading"', 1)[1].split("</section>", 1)[0]
    assert "name and contact details removed" in who and "None" not in who
    assert not any(text in page.text for text in PERSONAL)
    assert "B801200005001" not in page.text
    listed = client.get("/console/")
    assert listed.status_code == 200 and "Jo Parent" not in listed.text


def test_a_reduced_restriction_case_page_shows_removed_reasons(app, long_closed):
    estate, _old, _recent = long_closed
    user, secret = make_user("dpo.reduced@example.org", Role.ADMIN)
    case = new_case(estate.birch_primary, request_type="restriction")
    identity.decide_identity(
        case, user, accepted=True, method="known_to_school", reason="The office knows Jo.",
        authority_evidence="Jo is named on Sam's admission form.", authority_received_on=case.received_on,
        today=case.received_on,
    )  # fmt: skip
    lifted = Restriction(
        id=new_uuid(), case_id=case.id, organisation_id=case.organisation_id, person_kind=PersonKind.PUPIL,
        person_id=new_uuid(), reason="Jo disputes the marks.", started_at=CLOSED,
        lifted_at=CLOSED, lifted_reason="Marks checked with Jo.",
    )  # fmt: skip
    db.session.add(lifted)
    case_services.withdraw(case, user, asked_by="email")
    case.closed_at = CLOSED
    db.session.commit()
    _reduce(app)
    client = app.test_client()
    sign_in(client, user, secret)

    page = client.get(f"/console/cases/{case.id}/restriction")
    assert page.status_code == 200
    assert "(reason removed)" in page.text and ">None<" not in page.text and "(None)" not in page.text
    assert "Jo disputes" not in page.text and "Marks checked" not in page.text
    case_page = client.get(f"/console/cases/{case.id}")
    assert "Known to school: reason removed" in case_page.text
    assert "The office knows Jo" not in case_page.text and "admission form" not in case_page.text


@pytest.fixture
def reduced_letters(app, long_closed):
    """A reduced erasure case with its certificate and a reduced rectification
    case with its confirmation letter, both files shredded with the record."""
    estate, _old, _recent = long_closed
    erasure = new_case(estate.birch_primary, request_type="erasure")
    rectification = new_case(estate.birch_primary, request_type="rectification")
    certificate, letter = store_blob(PDF, "application/pdf"), store_blob(PDF, "application/pdf")
    db.session.add_all(
        [
            ErasurePlan(
                id=new_uuid(), case_id=erasure.id, status=PlanStatus.DONE, as_of=date(2019, 10, 1),
                built_at=CLOSED, completed_at=CLOSED, erased_on=date(2019, 10, 2),
                backups_expire_on=date(2019, 12, 31), certificate_blob_id=certificate.id, certificate_pages=1,
            ),
            RectificationLetter(
                id=new_uuid(), case_id=rectification.id, version=1, blob_id=letter.id, pages=1
            ),
        ]
    )  # fmt: skip
    for case in (erasure, rectification):
        case_services.withdraw(case, None)
        case.closed_at = CLOSED
    db.session.commit()
    _reduce(app)
    return estate, erasure, rectification


def test_letter_files_destroyed_with_the_record_answer_410_and_the_pages_say_so(app, client, reduced_letters):
    estate, erasure, rectification = reduced_letters
    user, secret = make_user("admin.letters@example.org", Role.ADMIN)
    console = app.test_client()
    sign_in(console, user, secret)

    for case, page, download, marker in (
        (erasure, "erasure", "erasure/certificate", 'id="certificate-destroyed"'),
        (rectification, "rectification", "rectification/confirmation", 'id="letter-destroyed"'),
    ):
        shown = console.get(f"/console/cases/{case.id}/{page}")
        assert shown.status_code == 200 and marker in shown.text
        assert f"/console/cases/{case.id}/{download}" not in shown.text  # no link to a file that cannot open
        gone = console.get(f"/console/cases/{case.id}/{download}")
        assert gone.status_code == 410 and "This file has been destroyed" in gone.text
        assert "when the case record was reduced 6 years after the case closed" in gone.text
        assert PDF not in gone.data
        answer = client.get(f"/api/v1/cases/{case.reference}/{download}", headers=estate.auth("trust"))
        assert answer.status_code == 410 and answer.get_json()["error"]["code"] == "destroyed"
        assert PDF not in answer.data
    # The API's descriptions say so before anyone tries the download.
    plan = client.get(f"/api/v1/cases/{erasure.reference}/erasure", headers=estate.auth("trust")).get_json()
    assert plan["certificate_ready"] is False and plan["certificate_destroyed_at"] is not None
    page = client.get(f"/api/v1/cases/{rectification.reference}/rectification", headers=estate.auth("trust"))
    assert page.get_json()["letter"]["destroyed_at"] is not None
    downloads = select(func.count()).where(
        AuditEvent.action.in_(["erasure.certificate_downloaded", "rectification.letter_downloaded"])
    )
    assert db.session.scalar(downloads) == 0


@pytest.fixture
def world(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    return build_world(db_session)


REQUESTER_EMAIL = "siobhan.obrien@example.org"


@pytest.fixture
def reduced_gathered(app, world):
    """Amelia's case gathered, packed, responded and closed seven years ago,
    its record reduced; with an admin who can sign in and an API token."""
    user, secret = make_user("admin.sweep@example.org", Role.ADMIN)
    token = issue_token(user, name="sweep", days=30, actor=user).secret
    case = gathered_case(world, user)
    decide_all(case, user)
    db.session.commit()
    pack = stored_pack(case, user)
    lifecycle.move(case, CaseStatus.APPROVED, user)
    links.send_pack(pack, "requester", user)  # the link's address is the requester's email
    lifecycle.move(case, CaseStatus.CLOSED, user)
    case.closed_at = CLOSED
    db.session.commit()
    client = app.test_client()
    sign_in(client, user, secret)
    assert "Siobhan" in client.get(f"/console/cases/{case.id}").text  # what the reduction must remove
    assert REQUESTER_EMAIL in client.get(f"/console/cases/{case.id}/pack").text
    _reduce(app)
    return client, {"Authorization": f"Bearer {token}"}, case, pack


def test_every_page_of_a_gathered_case_opens_after_its_record_is_reduced(reduced_gathered):
    client, _auth, case, pack = reduced_gathered
    pages = ["", "/progress", "/candidates", "/gather", "/items", "/pack", "/review", "/disclosure-schedule"]
    for page in pages:
        answer = client.get(f"/console/cases/{case.id}{page}")
        assert answer.status_code == 200, (page, answer.status_code)
        for text in ("Siobhan", "O'Brien", "O&#39;Brien", "Amelia", REQUESTER_EMAIL, "None,", ": None"):
            assert text not in answer.text, (page, text)
    gone = client.get(f"/console/cases/{case.id}/pack/{pack.id}/pdf")
    assert gone.status_code in (404, 410)


def test_every_api_answer_about_a_reduced_case_matches_the_document(app, reduced_gathered):
    _client, auth, case, pack = reduced_gathered
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    called = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {parameter.name for parameter in operation.path_parameters}
        if operation.method != "get" or "reference" not in names or names - {"reference", "pack_id"}:
            continue
        ids = {"reference": case.reference, "pack_id": str(pack.id)}
        call = operation.Case(headers=auth, path_parameters={name: ids[name] for name in names})
        response = call.call()
        call.validate_response(response)
        assert response.status_code in (200, 404, 410), (operation.path, response.status_code)
        for text in ("Siobhan", "Amelia", REQUESTER_EMAIL):
            assert text not in response.text, (operation.path, text)
        called += 1
    assert called >= 14
