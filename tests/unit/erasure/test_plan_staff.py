"""Erasing a former member of staff: the plan covers what the stores keyed
by address hold of her (the letters she wrote and received at work, the
access-log entries of records she opened), whatever address she wrote
from, and says for each what happens and why; execution does what it said."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.collect import services as collect
from app.erasure.certificate import certificate_context
from app.erasure.models import StepAction
from app.erasure.plan import build_plan
from app.extensions import db
from app.rights.messages import NAME_REMOVED
from app.sources.access_log.models import AccessLogEntry
from app.sources.correspondence.models import Message, MessageRecipient
from app.sources.employees.models import Employee
from tests.unit.collect.factory import amelia_case, candidate_for
from tests.unit.erasure.factory import dpo, executed_plan
from tests.unit.sources.factories import MOTHER_EMAIL, TEACHER_EMAIL, at, build_world

TYPED_AT_HOME = "peggy.hughes@example.com"


def _message(world, sender: tuple[str, str], to: tuple[str, str], subject: str, body: str) -> Message:
    """An untagged message at Elm (the sender tagged nobody)."""
    message = Message(
        organisation_id=world.elm.id, sent_at=at(date(2025, 1, 13)), channel="email", sender_name=sender[0],
        sender_email=sender[1], subject=subject, body=body,
    )  # fmt: skip
    db.session.add(message)
    db.session.flush()
    db.session.add(MessageRecipient(message_id=message.id, kind="to", name=to[0], email=to[1]))
    return message


@pytest.fixture
def former_teacher(app, db_session):
    """Margaret Hughes, who left Elm in July, asks from home for her data to
    be erased: confirmed as Elm's staff record, gathered, in review. Besides
    the world's letters (tagged with Amelia), she wrote the mother an
    untagged letter and the head sent her one."""
    app.config["REDIS_URL"] = None  # jobs inline
    actor = dpo()
    world = build_world(db_session, years=1)
    world.teacher.title, world.teacher.leave_date = "Mrs", date(2025, 7, 31)
    to_mother = _message(
        world, ("Margaret Hughes", TEACHER_EMAIL), ("Siobhan O'Brien", MOTHER_EMAIL), "Reading books",
        "Dear Mrs O'Brien,\n\nThe new reading books go home on Monday.\n\n"
        "Kind regards,\nMrs Hughes\nClass teacher",
    )  # fmt: skip
    from_head = _message(
        world, ("Alan Head", "head@elm.sch.uk"), ("Margaret Hughes", TEACHER_EMAIL), "Your leaving date",
        "Margaret, I have your letter: your last day is 31 July.",
    )  # fmt: skip
    db.session.commit()
    case = amelia_case(
        world, actor, request_type="erasure", subject_name="Margaret Hughes", subject_dob=date(1980, 2, 3),
        subject_role="former_staff", requester_name="Margaret Hughes", requester_email=TYPED_AT_HOME,
        requester_relationship="self",
    )  # fmt: skip
    collect.propose_candidates(case, actor)
    collect.decide_candidate(case, candidate_for(case, world.teacher.id).id, actor, True)
    db.session.commit()
    collect.start_gather(case, actor)
    db.session.commit()
    db.session.refresh(case)
    return world, actor, case, to_mother, from_head


def _steps(plan):
    return {(s.source, s.category): (s.action, s.record_count, s.reason_code) for s in plan.steps}


def test_plan_for_a_former_teacher_lists_her_letters_and_the_records_she_opened(former_teacher):
    _, actor, case, to_mother, from_head = former_teacher
    plan = build_plan(case, actor, as_of=date(2025, 10, 1))
    db.session.commit()
    assert _steps(plan) == {
        ("employees", "employee"): (StepAction.KEEP_NAME, 1, "historical_reports"),
        # Her letters to the mother (three tagged with Amelia, one not): kept
        # for the family, with her taken off them.
        ("correspondence", "correspondence_shared"): (StepAction.ANONYMISE, 4, "shared_record_staff"),
        # The head's message to her about her leaving is hers alone.
        ("correspondence", "correspondence"): (StepAction.DELETE, 1, None),
        ("helpdesk", "support_ticket"): (StepAction.DELETE, 1, None),
        ("consent", "consent"): (StepAction.KEEP, 1, "art17_3_e_consent"),
        ("access_log", "access_log"): (StepAction.KEEP, 1, "art17_3_b_security"),
        # The entry of her opening the twin's record: kept, naming her, and said so.
        ("access_log", "access_log_actor"): (StepAction.KEEP, 1, "art17_3_b_actor"),
        ("access_log", "support_access"): (StepAction.KEEP, 1, "art17_3_b_permission"),
    }
    steps = {(s.source, s.category): s for s in plan.steps}
    assert str(to_mother.id) in steps[("correspondence", "correspondence_shared")].record_ids
    assert steps[("correspondence", "correspondence")].record_ids == [str(from_head.id)]
    assert "these entries name the person" in steps[("access_log", "access_log_actor")].reason
    assert "member of staff is taken off it" in steps[("correspondence", "correspondence_shared")].reason
    assert "not a name" not in steps[("access_log", "support_access")].reason


def test_erasing_a_former_teacher_takes_her_off_the_letters_kept_and_says_what_stays(former_teacher):
    world, actor, case, to_mother, from_head = former_teacher
    to_mother_id, from_head_id = to_mother.id, from_head.id
    plan = executed_plan(case, actor)

    elm_messages = db.session.scalars(select(Message).where(Message.organisation_id == world.elm.id)).all()
    # The family's letters stay, nothing of her left on them.
    assert len(elm_messages) == 4 and db.session.get(Message, from_head_id) is None
    assert {(m.sender_name, m.sender_email) for m in elm_messages} == {(NAME_REMOVED, None)}
    letter = db.session.get(Message, to_mother_id)
    assert (
        letter.body.endswith(f"Kind regards,\n{NAME_REMOVED}\nClass teacher") and "Hughes" not in letter.body
    )
    assert not db.session.scalar(
        select(func.count()).select_from(MessageRecipient).where(MessageRecipient.email == TEACHER_EMAIL)
    )
    assert db.session.get(Employee, world.teacher.id).work_email is None
    # Oak's teacher (same name and address) is untouched.
    assert db.session.scalar(
        select(func.count()).select_from(Message).where(Message.sender_email == TEACHER_EMAIL)
    ) == 3  # fmt: skip
    # The access log still names her as the one who looked, as the plan said.
    assert db.session.scalar(
        select(func.count()).select_from(AccessLogEntry).where(
            AccessLogEntry.organisation_id == world.elm.id, AccessLogEntry.actor_email == TEACHER_EMAIL
        )
    ) == 1  # fmt: skip
    # The certificate and the requester's letter (built from the same lines) say both.
    certificate = certificate_context(case, plan)
    assert any(
        "Messages also about other people (4 records), anonymised" in line for line in certificate["erased"]
    )
    kept = {line["what"]: line["why"] for line in certificate["kept"]}
    source = "Access log and support-access permissions"
    acted = f"{source}: Access log entries of records the subject viewed or changed (1 record)"
    assert "these entries name the person as the one who did" in kept[acted]
    assert (
        "it names the person who gave the permission"
        in kept[f"{source}: Permissions given to support staff (1 record)"]
    )
