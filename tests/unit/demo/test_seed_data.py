"""What `flask demo seed` stores: identities, families, registers, letters, secrets."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC

from sqlalchemy import select, text
from stdnum.gb import upn as upn_format

from app.demo.calendar import academic_year_of, birth_range, group_offset
from app.orgs.models import Organisation
from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from app.sources.contacts.models import PupilContact
from app.sources.correspondence.models import Message, MessagePerson
from app.sources.employees.models import Employee
from app.sources.helpdesk.models import Ticket, TicketEntry
from app.sources.pupils.models import ATTENDANCE_CODES, AttendanceWeek, Enrolment, Pupil, SendRecord
from tests.unit.demo.conftest import AS_OF


def test_seed_upns_valid_and_unique(seeded):
    upns = seeded.scalars(select(Pupil.upn)).all()
    former = [u for u in seeded.scalars(select(Pupil.former_upn)).all() if u]
    assert len(upns) == 240
    assert all(upn_format.is_valid(u) for u in upns)
    assert former and all(upn_format.is_valid(u) for u in former)
    everything = upns + former
    assert len(set(everything)) == len(everything)


def test_seed_organisations_cover_trust_nursery_nations_and_ended_contracts(seeded):
    orgs = seeded.scalars(select(Organisation)).all()
    kinds = Counter(o.kind.value for o in orgs)
    assert kinds["trust"] >= 1 and kinds["nursery"] >= 1 and kinds["school"] >= 4
    trust = next(o for o in orgs if o.kind.value == "trust")
    assert len([o for o in orgs if o.trust_id == trust.id]) >= 2
    assert {o.nation.value for o in orgs} >= {"england", "wales", "scotland"}
    assert any(o.contract_end and o.contract_end < AS_OF for o in orgs)
    for org in orgs:
        assert org.dp_contact_email and org.dp_contact_name
        if org.kind.value != "trust":
            # A valid UPN can be built from the organisation's LAESTAB.
            body = f"{org.la_code}{org.establishment_number}26001"
            assert upn_format.is_valid(upn_format.calc_check_digit(body) + body)


def test_seed_siblings_share_contact_rows(seeded):
    links = seeded.execute(select(PupilContact.contact_id, PupilContact.pupil_id)).all()
    children = defaultdict(set)
    for contact_id, pupil_id in links:
        children[contact_id].add(pupil_id)
    shared = [kids for kids in children.values() if len(kids) > 1]
    assert shared, "no contact row is shared by siblings"
    assert seeded.scalar(select(PupilContact.id).where(PupilContact.parental_responsibility.is_(True)))


def test_seed_leavers_have_leaving_date_after_on_roll(seeded):
    enrolments = seeded.scalars(select(Enrolment)).all()
    leavers = [e for e in enrolments if e.leaving_date]
    assert 0.03 < len(leavers) / len(enrolments) < 0.15
    assert all(e.leaving_date >= e.on_roll_date and e.leaving_reason for e in leavers)


def test_seed_dates_of_birth_fit_year_groups(seeded):
    until = {o.id: min(AS_OF, o.contract_end or AS_OF) for o in seeded.scalars(select(Organisation))}
    rows = seeded.execute(select(Enrolment, Pupil.date_of_birth).join(Pupil, Pupil.id == Enrolment.pupil_id))
    for enrolment, born in rows:
        year = academic_year_of(enrolment.leaving_date or until[enrolment.organisation_id])
        first, last = birth_range(group_offset(enrolment.year_group), year)
        assert first <= born <= last, (enrolment.year_group, born)


def test_seed_staff_leavers_exist_and_teachers_have_trns(seeded):
    staff = seeded.scalars(select(Employee)).all()
    assert any(e.leave_date and e.leave_date >= e.start_date for e in staff)
    teachers = [e for e in staff if e.teaching_status != "Not a teacher"]
    assert teachers
    assert all(
        e.teacher_reference_number
        and len(e.teacher_reference_number) == 7
        and e.teacher_reference_number.isdigit()
        for e in teachers
    )
    assert all(e.teacher_reference_number is None for e in staff if e.teaching_status == "Not a teacher")
    trns = [e.teacher_reference_number for e in teachers]
    assert len(set(trns)) == len(trns)


def test_seed_attendance_uses_dfe_codes_within_enrolment(seeded):
    spans = {e.pupil_id: (e.on_roll_date, e.leaving_date) for e in seeded.scalars(select(Enrolment))}
    seen = Counter()
    weeks = seeded.scalars(select(AttendanceWeek)).all()
    assert weeks
    for week in weeks:
        assert week.week_start.weekday() == 0
        first, last = spans[week.pupil_id]
        for mark in week.marks():
            assert mark.code in ATTENDANCE_CODES
            assert first <= mark.date <= (last or AS_OF), (week.pupil_id, mark)
            seen[mark.code] += 1
    sessions = sum(n for code, n in seen.items() if code not in ("#", "X"))
    present = sum(seen[code] for code in ("/", "\\", "L", "V", "P", "B"))
    # England's pupils miss roughly one session in fifteen.
    assert 0.85 < present / sessions < 0.97
    assert seen["I"] and seen["#"] and seen["L"] and (seen["O"] or seen["N"])


def test_seed_correspondence_names_another_pupil_of_same_school(seeded):
    names = defaultdict(set)
    for org_id, forename, surname in seeded.execute(
        select(Pupil.organisation_id, Pupil.preferred_forename, Pupil.legal_surname)
    ):
        names[org_id].add(f"{forename} {surname}")
    tagged = defaultdict(set)
    for message_id, pupil_id in seeded.execute(select(MessagePerson.message_id, MessagePerson.pupil_id)):
        tagged[message_id].add(pupil_id)
    naming_others = [
        m for m in seeded.scalars(select(Message)) if any(name in m.body for name in names[m.organisation_id])
    ]
    assert naming_others
    assert all(m.sent_at.tzinfo == UTC for m in naming_others)
    assert all(tagged[m.id] for m in naming_others)


def test_seed_send_notes_sealed_at_rest_and_readable(seeded):
    records = seeded.scalars(select(SendRecord)).all()
    assert 0.08 < len(records) / 240 < 0.25
    assert {r.provision.value for r in records} <= {"K", "E"}
    assert all(r.notes for r in records)
    raw = seeded.execute(text("SELECT notes FROM send_records")).scalars().all()
    assert all(b"support" not in bytes(value) and b"assessment" not in bytes(value) for value in raw)


def test_seed_helpdesk_grants_and_access_log_line_up(seeded):
    tickets = seeded.scalars(select(Ticket)).all()
    assert tickets and all(t.opened_at.tzinfo == UTC for t in tickets)
    assert seeded.scalar(select(TicketEntry.id).where(TicketEntry.kind == "chat"))
    grants = seeded.scalars(select(SupportAccessGrant)).all()
    assert grants
    views = seeded.scalars(select(AccessLogEntry).where(AccessLogEntry.actor_kind == "support_agent")).all()
    for view in views:
        assert any(
            g.agent_name == view.actor_name and g.granted_at <= view.occurred_at <= g.expires_at
            for g in grants
        )


def test_seed_nurseries_hold_the_parents_data_on_contract_and_the_childs_in_legitimate_interests(seeded):
    from app.demo.bases import BASES
    from app.register.bases import Effective, register_view
    from app.register.models import LawfulBasis

    orgs = seeded.scalars(select(Organisation)).all()
    nursery = next(o for o in orgs if o.kind.value == "nursery")
    school = next(o for o in orgs if o.kind.value == "school")
    at_nursery, at_school = register_view(nursery.id), register_view(school.id)
    assert set(BASES) <= set(at_nursery.entries)  # every pair the demo sets is a register category
    parent = at_nursery.get(("contacts", "identity"))
    assert at_nursery.basis(parent).basis is LawfulBasis.CONTRACT
    assert "contract with them" in at_nursery.basis(parent).wording
    # The child is no party to the parents' contract.
    child = at_nursery.get(("pupils", "identity"))
    assert at_nursery.basis(child).basis is LawfulBasis.LEGITIMATE_INTERESTS
    assert at_nursery.basis(at_nursery.get(("pupils", "attendance"))).basis is LawfulBasis.LEGAL_OBLIGATION
    # The consent ledger keeps the register's basis; a state school keeps all of the register's.
    assert at_nursery.basis(at_nursery.get(("consent", "consent"))).set_by is None
    assert at_school.basis(child) == Effective(LawfulBasis.PUBLIC_TASK, child.lawful_basis)


def test_seed_public_authorities_are_the_schools_and_trusts_not_the_private_nurseries(seeded):
    orgs = seeded.scalars(select(Organisation)).all()
    assert {(o.kind.value, o.public_authority) for o in orgs} == {
        ("trust", True),
        ("school", True),
        ("nursery", False),
    }
