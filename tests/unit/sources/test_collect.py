"""Each source collects everything it holds about a confirmed match, inside
the match's organisations, in a fixed number of SQL statements."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from app.sources.access_log.models import AccessLogEntry
from app.sources.access_log.source import SOURCE as ACCESS_LOG
from app.sources.consent.models import ConsentRecord
from app.sources.consent.source import SOURCE as CONSENT
from app.sources.contacts.source import SOURCE as CONTACTS
from app.sources.correspondence.source import SOURCE as CORRESPONDENCE
from app.sources.employees.source import SOURCE as EMPLOYEES
from app.sources.helpdesk.source import SOURCE as HELPDESK
from app.sources.protocol import Source
from app.sources.pupils.source import SOURCE as PUPILS
from app.sources.registry import all_sources
from tests.unit.sources.conftest import counting_statements, match_of
from tests.unit.sources.factories import MOTHER_EMAIL, TEACHER_EMAIL, build_world


def _pupil_match(world):
    return match_of({world.elm.id}, pupils=[world.amelia])


def _contact_match(world):
    return match_of({world.elm.id}, contacts=[world.mother], emails=[MOTHER_EMAIL])


def _employee_match(world):
    return match_of({world.elm.id}, employees=[world.teacher], emails=[TEACHER_EMAIL])


def _categories(items) -> Counter[str]:
    return Counter(item.category for item in items)


def test_every_source_satisfies_the_protocol():
    assert all(isinstance(source, Source) for source in all_sources())


def test_pupils_collect_every_table_with_one_attendance_item_per_year(db_session):
    world = build_world(db_session, years=3)
    items = list(PUPILS.collect(db_session, _pupil_match(world)))
    categories = _categories(items)
    assert categories == {
        "identity": 1,
        "characteristics": 1,
        "enrolment": 1,
        "attendance": 3,
        "assessment": 3,
        "send": 3,
    }
    attendance = next(i for i in items if i.category == "attendance")
    assert attendance.key == f"attendance:{world.amelia.id}:2022/2023"
    assert len(attendance.data["weeks"]) == 38 and len(attendance.data["weeks"][0]["sessions"]) == 10
    assert attendance.data["code_counts"] == {"/": 189, "\\": 189, "I": 2}
    assert attendance.data["attendance_percent"] == pytest.approx(99.5)
    identity = next(i for i in items if i.category == "identity")
    assert identity.data["preferred_forename"] == "Millie" and identity.data["date_of_birth"] == "2015-05-04"
    assert next(i for i in items if i.category == "send").data["notes"].startswith("Reading support")
    json.dumps([item.data for item in items])


def test_collect_keys_stable_across_runs(db_session, world):
    for source, match in (
        (PUPILS, _pupil_match(world)),
        (CORRESPONDENCE, _contact_match(world)),
        (ACCESS_LOG, _employee_match(world)),
    ):
        first = [(i.key, i.data) for i in source.collect(db_session, match)]
        again = [(i.key, i.data) for i in source.collect(db_session, match)]
        assert first == again and len({key for key, _ in first}) == len(first)


def test_contacts_collect_contact_record_links_and_pupils_contacts(db_session, world):
    items = list(CONTACTS.collect(db_session, _contact_match(world)))
    assert _categories(items) == {"identity": 1, "pupil_link": 2}
    assert {i.data["pupil_id"] for i in items if i.category == "pupil_link"} == {
        str(world.amelia.id),
        str(world.isla.id),
    }
    assert all(i.data["parental_responsibility"] for i in items if i.category == "pupil_link")
    pupil_side = list(CONTACTS.collect(db_session, _pupil_match(world)))
    assert _categories(pupil_side) == {"pupil_contacts": 1}
    assert pupil_side[0].data["contacts"][0]["relationship_to_pupil"] == "Mother"


def test_employees_collect_staff_record(db_session, world):
    items = list(EMPLOYEES.collect(db_session, _employee_match(world)))
    assert [i.category for i in items] == ["staff_record"]
    assert items[0].data["staff_number"] == "S1001" and items[0].data["organisation"] == "Elm Primary"


@pytest.mark.parametrize(
    ("make_match", "role"),
    [(_pupil_match, "named"), (_contact_match, "recipient"), (_employee_match, "sender")],
)
def test_correspondence_collect_finds_messages_by_tag_recipient_and_sender(
    db_session, world, make_match, role
):
    items = list(CORRESPONDENCE.collect(db_session, make_match(world)))
    assert len(items) == 3 and all(role in i.data["subject_is"] for i in items)
    assert all(i.data["recipients"][0]["email"] == MOTHER_EMAIL for i in items)
    # The body still names the twin: redaction is the review step's job.
    assert all("Isla" in i.data["body"] for i in items)


def test_helpdesk_collect_ticket_transcript_and_summary_for_requester_and_pupil(db_session, world):
    for match in (_pupil_match(world), _employee_match(world)):
        items = list(HELPDESK.collect(db_session, match))
        assert _categories(items) == {"support_ticket": 1, "support_email": 1}
        ticket = next(i for i in items if i.category == "support_ticket")
        assert [e["author_role"] for e in ticket.data["entries"]] == ["customer"] * 3


def test_consent_collect_ledger_rows_for_each_kind(db_session, world):
    for match in (_pupil_match(world), _contact_match(world), _employee_match(world)):
        items = list(CONSENT.collect(db_session, match))
        assert [i.category for i in items] == ["consent"]
        assert items[0].data["decision"] == "granted" and len(items[0].data["wording_sha256"]) == 64


def test_consent_record_refuses_updates(db_session, world):
    record = db_session.scalars(select(ConsentRecord)).first()
    record.decision = "withdrawn"
    with pytest.raises(ValueError, match="append-only"):
        db_session.flush()
    db_session.rollback()


def test_access_log_collect_entries_about_person_and_grants_given(db_session, world):
    pupil_items = list(ACCESS_LOG.collect(db_session, _pupil_match(world)))
    assert _categories(pupil_items) == {"access_log": 1}
    staff_items = list(ACCESS_LOG.collect(db_session, _employee_match(world)))
    assert _categories(staff_items) == {"access_log": 2, "support_access": 1}
    assert staff_items[0].data["entries"][0]["actor_name"] == "Priya Desai"
    # The teacher is also the one looking: the records she opened, apart.
    acted = next(i for i in staff_items if i.key.startswith("access_log_actor:"))
    assert acted.title == "Records viewed or changed as a member of staff, 2024/2025"
    assert acted.data["entries"] == [
        {
            "occurred_at": "2024-10-07T09:00:00+00:00",
            "actor_kind": "school_user",
            "actor_email": TEACHER_EMAIL,
            "action": "view",
            "area": "Pupil profile",
            "person_kind": "pupil",
            "person_id": str(world.isla.id),
        }
    ]


def test_access_log_collects_entries_a_staff_member_made_by_address_in_the_organisations(db_session, world):
    """Found by the staff member's address alone (a log names its actor by
    address), inside the match's schools only (Oak's teacher shares the
    address), and never twice: an entry of her opening her own record is
    in "who accessed the record"."""
    from tests.unit.sources.factories import at

    db_session.add(
        AccessLogEntry(
            organisation_id=world.elm.id, occurred_at=at(date(2025, 3, 3)), actor_kind="school_user",
            actor_name="Margaret Hughes", actor_email=TEACHER_EMAIL, person_kind="employee",
            person_id=world.teacher.id, action="view", area="Staff record",
        )
    )  # fmt: skip
    db_session.commit()
    items = list(ACCESS_LOG.collect(db_session, _employee_match(world)))
    acted = [i for i in items if i.key.startswith("access_log_actor:")]
    assert [e["person_id"] for i in acted for e in i.data["entries"]] == [str(world.isla.id)]
    own = [i for i in items if i.key == f"access_log:employee:{world.teacher.id}:2024/2025"]
    assert [e["area"] for e in own[0].data["entries"]] == ["Pupil profile", "Staff record"]
    # By address only (no staff record confirmed, so her own record is not
    # known as hers): both of her looks.
    by_address = match_of({world.elm.id}, emails=[TEACHER_EMAIL])
    acted = [i for i in ACCESS_LOG.collect(db_session, by_address) if i.key.startswith("access_log_actor:")]
    assert [e["person_id"] for i in acted for e in i.data["entries"]] == [
        str(world.isla.id),
        str(world.teacher.id),
    ]


@pytest.mark.parametrize("source", all_sources(), ids=lambda s: s.name)
def test_collect_stays_inside_the_match_organisations(db_session, world, source):
    """Oak's copy of the family is never collected for a match bounded to Elm,
    even when Oak's ids are (wrongly) in the match."""
    match = match_of(
        {world.elm.id},
        pupils=[world.amelia, world.oak_amelia],
        contacts=[world.mother, world.oak_mother],
        employees=[world.teacher, world.oak_teacher],
        emails=[MOTHER_EMAIL, TEACHER_EMAIL],
    )
    oak_ids = {str(world.oak_amelia.id), str(world.oak_mother.id), str(world.oak_teacher.id)}
    for item in source.collect(db_session, match):
        text = json.dumps(item.data)
        assert not any(oak_id in text or oak_id in item.key for oak_id in oak_ids), item.key
        assert "Oak Primary" not in text


@pytest.mark.parametrize("source", all_sources(), ids=lambda s: s.name)
def test_collect_statement_count_same_for_many_rows_and_few(db_session, source):
    counts = []
    for world in (build_world(db_session, years=5), _few(db_session)):
        match = match_of(
            {world.elm.id},
            pupils=[world.amelia],
            contacts=[world.mother],
            employees=[world.teacher],
            emails=[MOTHER_EMAIL, TEACHER_EMAIL],
        )
        with counting_statements(db_session) as counted:
            items = list(source.collect(db_session, match))
        assert items, source.name
        counts.append((counted.count, len(items)))
    (many_statements, many_items), (few_statements, few_items) = counts
    assert many_statements == few_statements
    if source.name not in ("contacts", "employees"):
        assert many_items > few_items  # the five-year history really is bigger


def _few(db_session):
    """The same family again in two new schools, with one year of records."""
    from tests.unit.sources import factories

    elm, oak = factories.school(db_session, "Ash Primary"), factories.school(db_session, "Birch Primary")
    amelia = factories.pupil(db_session, elm, "Amelia", "Few", factories.TWINS_BORN, factories.make_upn(9))
    mother = factories.contact(db_session, elm, "Siobhan", "Few", email=MOTHER_EMAIL)
    factories.link(db_session, amelia, mother)
    teacher = factories.employee(
        db_session, elm, "Margaret", "Few", work_email=TEACHER_EMAIL, staff_number="S9"
    )
    factories.history(db_session, elm, amelia, mother, teacher, years=1, serial=9)
    db_session.commit()
    return factories.World(elm, oak, amelia, amelia, mother, teacher, amelia, mother, teacher)


def test_collect_all_sources_cover_every_table_holding_the_family(db_session, world):
    match = match_of(
        {world.elm.id},
        pupils=[world.amelia],
        contacts=[world.mother],
        employees=[world.teacher],
        emails=[MOTHER_EMAIL, TEACHER_EMAIL],
    )
    items = [item for source in all_sources() for item in source.collect(db_session, match)]
    assert set(_categories(items)) == {
        "identity", "characteristics", "enrolment", "attendance", "assessment", "send",  # the pupil tables
        "pupil_link", "pupil_contacts",  # contacts, pupil_contacts
        "staff_record",  # employees
        "correspondence",  # messages (with message_recipients and message_people inside)
        "support_ticket", "support_email",  # tickets (with ticket_entries), ticket_summary_emails
        "consent",  # consent_records
        "access_log", "support_access",  # access_log, support_access_grants
    }  # fmt: skip
    message = next(i for i in items if i.category == "correspondence")
    assert message.data["recipients"] and {p["kind"] for p in message.data["people_tagged"]} == {
        "pupil",
        "employee",
    }
    # The access log both ways: who opened the family's records, and the
    # records the teacher opened (the twin's, not in the match).
    assert {i.key.split(":")[0] for i in items if i.category == "access_log"} == {
        "access_log",
        "access_log_actor",
    }
    assert all(i.source in {s.name for s in all_sources()} for i in items)
    assert len({i.key for i in items}) == len(items)
