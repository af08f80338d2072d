"""School staff, and families: the parents and carers shared by siblings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.demo.context import Context, at
from app.demo.data_people import NICKNAMES, TITLES_FEMALE, TITLES_MALE
from app.demo.draw import Address, NameGroup, Weighted, key_of, mobile, personal_email
from app.demo.orgs import School
from app.sources.names import phone_key

EMPLOYEE_COLUMNS = (
    "id", "created_at", "organisation_id", "staff_number", "title", "forename", "surname", "preferred_name",
    "surname_key", "forename_key", "gender", "date_of_birth", "work_email", "personal_email", "phone",
    "role", "teaching_status", "teacher_reference_number", "start_date", "leave_date", "anonymised_at",
)
CONTACT_COLUMNS = (
    "id", "created_at", "organisation_id", "title", "forename", "surname", "surname_key", "forename_key",
    "email", "mobile_phone", "home_phone", "address_line1", "address_line2", "town", "postcode",
    "anonymised_at", "mobile_key", "home_key",
)

_TITLES = {"F": Weighted(TITLES_FEMALE), "M": Weighted(TITLES_MALE)}
_LEADERS = {
    "primary": ("Headteacher", "Deputy headteacher", "SENCO", "School business manager", "Office manager"),
    "secondary": ("Headteacher", "Deputy headteacher", "Assistant headteacher", "SENCO",
                  "Attendance officer", "Exams officer", "Data manager"),
    "nursery": ("Nursery manager", "Nursery teacher"),
}
_SUBJECTS = ("English", "Mathematics", "Science", "History", "Geography", "French", "Computing", "Art",
             "Music", "Physical Education", "Religious Studies", "Design and Technology")
TEACHING_ROLES = {"Headteacher", "Deputy headteacher", "Assistant headteacher", "SENCO", "Nursery teacher",
                  "Class teacher"}
_SUPPORT_ROLES = Weighted((("Teaching assistant", 55.0), ("Higher level teaching assistant", 8.0),
                           ("Administrator", 12.0), ("Lunchtime supervisor", 10.0), ("Site manager", 3.0),
                           ("Learning mentor", 5.0), ("Cover supervisor", 4.0), ("Librarian", 3.0)))


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: str
    title: str
    forename: str
    surname: str
    email: str
    role: str
    teacher: bool
    leave_date: date | None

    @property
    def full_name(self) -> str:
        return f"{self.forename} {self.surname}"

    @property
    def formal_name(self) -> str:
        return f"{self.title} {self.surname}"


def generate_staff(ctx: Context, school: School) -> list[StaffMember]:
    rng = ctx.rng
    british = ctx.names["british"]
    count = max(5, round(school.pupil_count / 7))
    roles = list(_LEADERS[school.phase])
    while len(roles) < count:
        if rng.random() < 0.5:
            if school.phase == "secondary":
                subject = rng.choice(_SUBJECTS)
                roles.append(rng.choice((f"Teacher of {subject}", f"Head of {subject}",
                                         f"Head of Year {rng.randint(7, 11)}")))
            else:
                roles.append("Nursery teacher" if school.phase == "nursery" else "Class teacher")
        else:
            nursery = school.phase == "nursery"
            roles.append("Early years practitioner" if nursery else _SUPPORT_ROLES.pick(rng))
    staff: list[StaffMember] = []
    emails: set[str] = set()
    for number, role in enumerate(roles[:count], start=1):
        group = british if rng.random() < 0.8 else ctx.names[rng.choice(("pakistani", "indian", "african",
                                                                         "caribbean", "eastern", "irish"))]
        gender = "F" if rng.random() < 0.74 else "M"
        forename, surname = group.forename(rng, gender), group.surname(rng)
        title = _TITLES[gender].pick(rng)
        teacher = role in TEACHING_ROLES or role.startswith(("Teacher of", "Head of"))
        status = "Not a teacher"
        if teacher:
            status = "Qualified teacher" if rng.random() < 0.93 else "Trainee teacher"
        born = ctx.as_of - timedelta(days=rng.randint(22 * 365, 64 * 365))
        start = ctx.day_between(max(born + timedelta(days=21 * 365), ctx.as_of - timedelta(days=25 * 365)),
                                ctx.as_of - timedelta(days=7))
        leave = None
        # About one in ten non-leaders has left; the last one always has, so
        # every school gives the retention rules a former employee.
        if number > len(_LEADERS[school.phase]) and (rng.random() < 0.1 or number == count) \
                and start + timedelta(days=30) < school.data_until:
            leave = ctx.day_between(max(start + timedelta(days=30), ctx.as_of - timedelta(days=420)),
                                    school.data_until)
        email = _unique_email(emails, forename, surname, school.domain, number)
        trn = ctx.teacher_reference_number() if teacher else None
        staff_id = ctx.ids()
        preferred = NICKNAMES.get(forename) if rng.random() < 0.5 else None
        row = (
            staff_id, at(max(start, school.contract_start)), school.id, f"S{1000 + number}", title,
            forename, surname, preferred, key_of(surname), key_of(forename), gender, born, email,
            personal_email(rng, forename, surname) if rng.random() < 0.4 else None,
            mobile(rng) if rng.random() < 0.7 else None, role, status, trn, start, leave, None,
        )
        ctx.sink.add("employees", row)
        ctx.maybe_check("employee", lambda row=row: dict(zip(EMPLOYEE_COLUMNS, row, strict=True)))
        staff.append(StaffMember(staff_id, title, forename, surname, email, role, teacher, leave))
    return staff


def _unique_email(taken: set[str], forename: str, surname: str, domain: str, number: int) -> str:
    local = f"{key_of(forename)[:1] or 'x'}{key_of(surname) or 'staff'}"
    if local in taken:
        local = f"{key_of(forename) or 'x'}.{key_of(surname) or 'staff'}{number}"
    taken.add(local)
    return f"{local}@{domain}"


@dataclass(frozen=True, slots=True)
class FamilyContact:
    id: str
    title: str
    forename: str
    surname: str
    email: str | None
    relationship: str
    parental_responsibility: bool
    priority: int
    lives_with_pupil: bool
    receives_correspondence: bool

    @property
    def formal_name(self) -> str:
        return f"{self.title} {self.surname}"


@dataclass(frozen=True, slots=True)
class Family:
    group: NameGroup
    ethnicity: str
    language: str
    surname: str
    step_surname: str | None
    address: Address
    contacts: tuple[FamilyContact, ...]


# (relationship, gender, parental responsibility, lives with the child, receives post)
_SHAPES = Weighted((
    ((("Mother", "F", True, True, True), ("Father", "M", True, True, True)), 50.0),
    ((("Mother", "F", True, True, True), ("Father", "M", True, False, True)), 8.0),
    ((("Mother", "F", True, True, True),), 14.0),
    ((("Mother", "F", True, True, True), ("Grandparent", "F", False, False, False)), 10.0),
    ((("Father", "M", True, True, True), ("Aunt", "F", False, False, False)), 4.0),
    ((("Mother", "F", True, True, True), ("Step-father", "M", False, True, True),
      ("Father", "M", True, False, True)), 7.0),
    ((("Mother", "F", True, True, True), ("Mother", "F", True, True, True)), 2.0),
    ((("Grandparent", "F", True, True, True), ("Grandparent", "M", True, True, True)), 2.0),
    ((("Foster carer", "F", False, True, True), ("Social worker", "F", False, False, True)), 2.0),
    ((("Carer", "F", True, True, True),), 1.0),
))


def make_family(ctx: Context, school: School) -> Family:
    rng = ctx.rng
    ethnicity, group_name, languages = ctx.ethnicity[school.nation == "england"].pick(rng)
    group = ctx.names[group_name]
    address = school.locality.address(rng)
    family_surname = group.surname(rng)
    shape = _SHAPES.pick(rng)
    contacts = []
    child_surname, step_surname = family_surname, None
    for priority, (relationship, gender, responsibility, lives_with, post) in enumerate(shape, start=1):
        surname = family_surname
        if relationship in ("Mother", "Grandparent", "Aunt") and rng.random() < 0.35:
            surname = group.surname(rng)
            if relationship == "Mother" and priority == 1 and len(shape) > 1 and rng.random() < 0.3:
                child_surname = f"{surname}-{family_surname}"  # double-barrelled from both parents
        if relationship == "Step-father":
            surname = step_surname = ctx.names["british"].surname(rng)
        if relationship in ("Foster carer", "Social worker"):
            surname = ctx.names["british"].surname(rng)
        forename = (ctx.names["british"] if relationship == "Social worker" else group).forename(rng, gender)
        home = address if lives_with else school.locality.address(rng)
        email = None
        if relationship == "Social worker":
            email = f"{key_of(forename)}.{key_of(surname)}@council.example"
        elif rng.random() < 0.9:
            email = personal_email(rng, forename, surname)
        contact_id = ctx.ids()
        mobile_phone = mobile(rng) if rng.random() < 0.95 else None
        home_phone = school.locality.home_phone(rng) if rng.random() < 0.3 else None
        row = (
            contact_id, at(max(school.contract_start, ctx.window_start)), school.id,
            _TITLES[gender].pick(rng), forename, surname, key_of(surname), key_of(forename), email,
            mobile_phone, home_phone, home.line1, home.line2, home.town, home.postcode, None,
            phone_key(mobile_phone), phone_key(home_phone),
        )
        ctx.sink.add("contacts", row)
        ctx.maybe_check("contact", lambda row=row: dict(zip(CONTACT_COLUMNS, row, strict=True)))
        contacts.append(FamilyContact(contact_id, row[3], forename, surname, email, relationship,
                                      responsibility, priority, lives_with, post))
    language = languages.pick(rng)
    return Family(group, ethnicity, language, child_surname, step_surname, address, tuple(contacts))


FAMILY_SIZES = Weighted(((1, 68.0), (2, 24.0), (3, 6.5), (4, 1.5)))
