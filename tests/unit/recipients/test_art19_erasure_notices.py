"""Art 19 after an executed erasure: only third parties the register says
received the data are recipients (never the school or its own trust), each
is told only of the categories the erasure actually changed, and the email
to the school reads as a letter to the controller, not as a notice to a
recipient that got the data from itself.

The case is the QA report's: a pupil of a school in a multi-academy trust
whose data protection contact is the trust's DPO, an erasure whose plan
keeps the registers, assessments, enrolments, consent and access log
(contract running, Art 17(3)) and deletes or anonymises the rest."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.blobs.services import open_blob
from app.erasure import services as erasure
from app.erasure.models import StepAction, StepState
from app.erasure.plan import build_plan
from app.extensions import db
from app.mail.models import OutboxMessage
from app.orgs.services import create_organisation
from app.recipients import letters, services, who_received
from app.recipients.models import Change, NoticeChannel, NoticeStatus, RecipientKind
from app.register.models import RegisterEntry
from tests.unit.erasure.factory import erasure_world

SCHOOL = "Kingsway Primary Academy"
TRUST = "Oakfield Multi Academy Trust"
DPO_NAME = "Carl Page"
DPO_EMAIL = "dpo@oakfield-mat.example.org"
LA = "Northshire County Council (the local authority)"
DFE = "Department for Education"
OTHERS = "Others only where the law requires it"
KEPT_TITLES = (
    "Attendance",
    "Assessments",
    "Enrolment",
    "Consent records",
    "Record of access to personal data",
)


def _entry(source: str, category: str) -> RegisterEntry:
    return db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == source, RegisterEntry.category == category)
    ).one()


def _disclose(source: str, category: str, *names: str) -> None:
    entry = _entry(source, category)
    entry.recipients = [*entry.recipients, *names]


@pytest.fixture
def erased(app, db_session):
    """Amelia's erasure at Kingsway (a school of Oakfield MAT), executed."""
    world, actor, case = erasure_world(app, db_session)
    trust = create_organisation(
        name=TRUST,
        kind="trust",
        nation="england",
        contract_start=date(2020, 1, 1),
        dp_contact_name=DPO_NAME,
        dp_contact_email=DPO_EMAIL,
    )
    db.session.flush()
    school = world.elm
    school.name, school.trust = SCHOOL, trust
    # The trust's DPO is the school's data protection contact too.
    school.dp_contact_name, school.dp_contact_email = DPO_NAME, DPO_EMAIL
    # The register names a real third party for the pupil's identity (erased),
    # another only for attendance (kept), and, by name, the controller's own
    # school and trust, which are no recipients of their own data.
    _disclose("pupils", "identity", LA, SCHOOL, TRUST)
    _disclose("pupils", "attendance", DFE)
    db.session.commit()

    plan = build_plan(case, actor)
    db.session.commit()
    erasure.approve(case, actor)
    db.session.commit()
    erasure.execute(case, actor)
    db.session.commit()  # the jobs run inline now
    db.session.expire_all()
    return case, plan


def _messages(case) -> list[OutboxMessage]:
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == case.id).order_by(OutboxMessage.created_at)
    ).all()


def test_the_plan_kept_some_categories_and_changed_others(erased):
    # The premise of the other tests: a mixed plan, fully executed.
    _, plan = erased
    kept = {(s.source, s.category) for s in plan.steps if s.action is StepAction.KEEP}
    changed = {
        (s.source, s.category)
        for s in plan.steps
        if s.action is not StepAction.KEEP and s.state is StepState.DONE and s.affected_count
    }
    assert {("pupils", "attendance"), ("pupils", "assessments"), ("pupils", "enrolments")} <= kept
    assert {("consent", "consent"), ("access_log", "access_log")} <= kept
    assert {("pupils", "identity"), ("pupils", "send")} <= changed


def test_no_notice_goes_to_the_controller_or_its_trust(erased):
    case, _ = erased
    notices = services.notices_for(case)
    assert {n.change for n in notices} == {Change.ERASURE}
    assert sorted(n.recipient_name for n in notices) == [LA, OTHERS]
    assert {n.recipient_kind for n in notices} == {RecipientKind.REGISTER}
    # Nobody registered for the local authority with us: the school is to
    # tell it. "Others" is a kind of recipient, no disclosure to one is
    # recorded: its notice is closed, nobody's work.
    assert {n.recipient_name: (n.channel, n.status, n.email) for n in notices} == {
        LA: (NoticeChannel.SCHOOL, NoticeStatus.PENDING, None),
        OTHERS: (NoticeChannel.NONE, NoticeStatus.NONE_RECORDED, None),
    }
    # The DfE received only attendance, which was kept: nothing to tell it.
    assert DFE not in {n.recipient_name for n in notices}
    told = {r.name: r.changes for r in services.recipients_for_requester(case)}
    assert told == {LA: ("erasure",), OTHERS: ()}


def _art19_messages(case) -> list[OutboxMessage]:
    return [m for m in _messages(case) if m.category.startswith("case.recipient")]


def test_no_email_treats_the_school_as_a_recipient_or_sends_it_to_itself(erased):
    # What QA saw: "Dear Kingsway Primary Academy ... received personal data
    # from Kingsway Primary Academy ... Carl Page (dpo@...) will give you the
    # details", sent to Carl Page.
    case, _ = erased
    messages = _art19_messages(case)
    assert messages
    for message in messages:
        text = message.text_body
        assert f"Dear {SCHOOL}" not in text and f"Dear {TRUST}" not in text
        assert f"from {SCHOOL}" not in text
        for address in message.recipient_list:
            assert address not in text, "the reader is sent to itself for the details"


def test_the_school_is_asked_to_tell_its_recipients_in_a_letter_for_it(erased):
    case, _ = erased
    # One email, to the school's contact, asking it to tell the recipients:
    # no "notice to a recipient" addressed to the school or its trust.
    (message,) = _art19_messages(case)
    assert message.category == "case.recipients_to_tell"
    assert message.recipient_list == [DPO_EMAIL]
    text = message.text_body
    assert f"Dear {DPO_NAME}," in text
    assert text.count(DPO_NAME) == 1 and DPO_EMAIL not in text
    # Only the organisation it is to tell: "Others" is nobody to tell.
    assert LA in text and OTHERS not in text and DFE not in text
    assert "Article 19" in text
    assert case.reference in text and case.subject_name not in text


def test_the_letters_list_only_what_the_erasure_changed(erased):
    case, _ = erased
    messages = _art19_messages(case)
    assert messages
    for message in messages:
        text = message.text_body
        for title in KEPT_TITLES:
            assert f"- {title}" not in text, f"{title} was kept, not erased"
    text = messages[0].text_body
    assert "Pupil identity and contact details (anonymised)" in text
    # Erased, but only "Others" received it: no one for the school to tell.
    assert "Special educational needs" not in text


def test_the_answer_says_the_school_was_asked_to_tell_and_names_no_kind_of_recipient(erased):
    # QA's report: "We have told the organisations we had shared this data
    # with ...: Others only where the law requires it", with every notice pending.
    case, _ = erased
    (answer,) = [m for m in _messages(case) if m.category == "case.erasure_done"]
    blob = erasure.certificate_of(case)
    certificate = PdfReader(io.BytesIO(b"".join(open_blob(blob.id))))
    printed = " ".join(page.extract_text() for page in certificate.pages)
    for text in (" ".join(answer.text_body.split()), " ".join(printed.split())):
        assert f"We have asked {SCHOOL} to tell this organisation, which had received this data" in text
        assert LA in text and DFE not in text
        assert "we have told" not in text.casefold()
        assert OTHERS not in text
        assert "You can ask us who has received this data" in text


def test_recipients_for_an_erasure_carry_only_the_changed_categories(erased):
    case, _ = erased
    found = {r.name: r for r in who_received.recipients_for(case, Change.ERASURE)}
    assert set(found) == {LA, OTHERS}
    assert found[LA].categories == ["Pupil identity and contact details (anonymised)"]
    titles = " ".join(found[OTHERS].categories)
    assert "Special educational needs (deleted)" in titles
    assert not any(title in titles for title in KEPT_TITLES)


def test_a_notice_to_a_recipient_points_it_to_the_controller(app):
    letter = letters.render(
        "recipient_notice",
        {
            "recipient_name": LA,
            "reference": "ERA-2026-000001",
            "organisation_name": SCHOOL,
            "change": "erasure",
            "categories": ["Special educational needs (deleted)"],
            "contact_name": DPO_NAME,
            "contact_email": DPO_EMAIL,
        },
    )
    assert f"Dear {LA}," in letter.text
    assert f"{SCHOOL} disclosed" in letter.text or f"{SCHOOL} shared" in letter.text
    assert f"{DPO_NAME} at {SCHOOL} ({DPO_EMAIL})" in letter.text
