"""A confirmed record carries the addresses it holds into the match, so the
stores keyed by address (correspondence, the access log's actors) find the
subject whatever address they wrote from: a member of staff's work and
personal addresses, a contact's address; a pupil's record holds none, and a
parent asking for a child keeps their own record (and address) apart."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from app.collect import services
from app.collect.identity import match_from, organisations_of
from app.collect.models import CaseCandidate, CollectedItem
from app.extensions import db
from app.sources.correspondence.models import Message, MessageRecipient
from tests.unit.collect.factory import amelia_case, candidate_for
from tests.unit.sources.factories import MOTHER_EMAIL, TEACHER_EMAIL, at

# Margaret Hughes writes from home: an address no record holds.
TYPED_AT_HOME = "peggy.hughes@example.com"
PERSONAL_ON_RECORD = "m.hughes1980@example.net"


def _staff_case(world, actor):
    """Margaret Hughes (Elm's teacher) asks for her own data from home."""
    return amelia_case(
        world, actor, subject_name="Margaret Hughes", subject_dob=date(1980, 2, 3), subject_role="staff",
        requester_name="Margaret Hughes", requester_email=TYPED_AT_HOME, requester_relationship="self",
    )  # fmt: skip


def _confirmed(case, actor, *records, about_requester=()):
    services.propose_candidates(case, actor)
    for record in (*records, *about_requester):
        services.decide_candidate(case, candidate_for(case, record.id).id, actor, True)
    db.session.commit()
    return db.session.scalars(select(CaseCandidate).where(CaseCandidate.case_id == case.id)).all()


def _received_by_teacher(world) -> Message:
    """A message the head sent the teacher: untagged, to her work address only."""
    message = Message(
        organisation_id=world.elm.id, sent_at=at(date(2025, 1, 13)), channel="email",
        sender_name="Alan Head", sender_email="head@elm.sch.uk", subject="Cover on Friday",
        body="Margaret, could you cover Year 4 on Friday afternoon? Alan",
    )  # fmt: skip
    db.session.add(message)
    db.session.flush()
    db.session.add(
        MessageRecipient(message_id=message.id, kind="to", name="Margaret Hughes", email=TEACHER_EMAIL)
    )
    db.session.commit()
    return message


def test_a_staff_members_gather_from_a_personal_address_collects_what_she_sent_received_and_looked_at(
    inline_jobs, db_session, world, caseworker
):
    received = _received_by_teacher(world)
    case = _staff_case(world, caseworker)
    _confirmed(case, caseworker, world.teacher)
    services.start_gather(case, caseworker)
    db.session.commit()

    items = db.session.scalars(select(CollectedItem).where(CollectedItem.case_id == case.id)).all()
    by_category: dict[str, list[CollectedItem]] = defaultdict(list)
    for item in items:
        by_category[item.category].append(item)
    # The letters she wrote to the mother (as their sender, not only as
    # tagged), and the one the head sent her, untagged.
    roles = {item.data["message_id"]: item.data["subject_is"] for item in by_category["correspondence"]}
    assert len(roles) == 4 and roles.pop(str(received.id)) == ["recipient"]
    assert all(role[0] == "sender" for role in roles.values())
    # The access log both ways, each titled for what it is.
    titles = {item.key: item.title for item in by_category["access_log"]}
    assert titles == {
        f"access_log/access_log:employee:{world.teacher.id}:2024/2025": "Who accessed the record, 2024/2025",
        "access_log/access_log_actor:school_user:2024/2025": (
            "Records viewed or changed as a member of staff, 2024/2025"
        ),
    }
    acted = next(i for i in by_category["access_log"] if "access_log_actor" in i.key)
    assert [(e["person_kind"], e["person_id"]) for e in acted.data["entries"]] == [
        ("pupil", str(world.isla.id))
    ]
    # Nothing of Oak's teacher, who has the same name and address.
    assert all(str(world.oak_teacher.id) not in str(item.data) for item in items)


def test_a_staff_match_holds_her_work_and_personal_addresses_and_the_one_she_typed(
    db_session, world, caseworker
):
    world.teacher.personal_email = PERSONAL_ON_RECORD
    db.session.commit()
    case = _staff_case(world, caseworker)
    candidates = _confirmed(case, caseworker, world.teacher)
    assert candidate_for(case, world.teacher.id).summary["emails"] == [TEACHER_EMAIL, PERSONAL_ON_RECORD]
    match = match_from(case, organisations_of(case), candidates)
    assert match.employee_ids == frozenset({world.teacher.id})
    assert match.emails == frozenset({TEACHER_EMAIL, PERSONAL_ON_RECORD, TYPED_AT_HOME})


def test_a_contact_asking_for_herself_brings_her_recorded_address(db_session, world, caseworker):
    case = amelia_case(
        world, caseworker, subject_name="Siobhan O'Brien", subject_dob=date(1984, 6, 1),
        subject_role="parent", requester_name="Siobhan O'Brien", requester_email="siobhan.home@example.com",
        requester_relationship="self",
    )  # fmt: skip
    candidates = _confirmed(case, caseworker, world.mother)
    match = match_from(case, organisations_of(case), candidates)
    assert match.contact_ids == frozenset({world.mother.id}) and not match.pupil_ids
    assert match.emails == frozenset({MOTHER_EMAIL, "siobhan.home@example.com"})


def test_a_parent_asking_for_a_child_keeps_her_own_record_and_address_out_of_the_childs_match(
    db_session, world, caseworker
):
    case = amelia_case(world, caseworker)  # the mother asks for Amelia's data
    candidates = _confirmed(case, caseworker, world.amelia, about_requester=[world.mother])
    mother = candidate_for(case, world.mother.id)
    assert mother.about == "requester" and mother.summary["email"] == MOTHER_EMAIL
    assert candidate_for(case, world.amelia.id).about == "subject"
    assert "emails" not in candidate_for(case, world.amelia.id).summary  # a pupil record holds none
    match = match_from(case, organisations_of(case), candidates)
    assert match.pupil_ids == frozenset({world.amelia.id})
    assert not match.contact_ids and match.emails == frozenset()
