"""Correspondence about pupils, some of it naming other pupils.

Letters about an incident or a joint piece of work name a second child in the
body without tagging them; finding such third-party names is the review
step's job, so the demo data must contain them.
"""

from __future__ import annotations

from datetime import date, timedelta

from app.demo.context import Context
from app.demo.orgs import School
from app.demo.people import StaffMember
from app.demo.pupils import PupilInfo

MESSAGE_COLUMNS = (
    "id", "organisation_id", "sent_at", "channel", "sender_name", "sender_email", "subject", "body",
)
RECIPIENT_COLUMNS = ("id", "message_id", "kind", "name", "email")
MESSAGE_PERSON_COLUMNS = ("id", "message_id", "person_kind", "pupil_id", "contact_id", "employee_id")

# (subject, body); {other} is another pupil of the same school.
_NAMING_OTHERS = (
    ("Incident at lunchtime",
     "Dear {parent},\n\nI am writing to let you know about an incident at lunchtime today. {child} and "
     "{other} had a disagreement on the playground, and {other_first} was pushed over. Both children "
     "have talked it through with me and apologised, and we will keep an eye on things this week.\n\n"
     "Please get in touch if {child} mentions anything further at home.\n\nKind regards,\n{sender}\n{role}"),
    ("Science project",
     "Dear {parent},\n\n{child} and {other} worked together on their science project this half-term "
     "and presented it to the class on Friday. It was a lovely piece of work and both of them should be "
     "proud.\n\nBest wishes,\n{sender}\n{role}"),
    ("Friendship worries",
     "Dear {parent},\n\nThank you for your message about {child} and {other}. I have spoken to both "
     "children and moved their seats for now. I will let you know how the next fortnight goes.\n\n"
     "Kind regards,\n{sender}\n{role}"),
)
_ABOUT_ONE = (
    ("Attendance this term",
     "Dear {parent},\n\n{child}'s attendance this term is {percent}%. The school expects every pupil to "
     "attend at least 96% of sessions. Please contact the office if there is anything we can do to "
     "help.\n\nYours sincerely,\n{sender}\n{role}"),
    ("Parents' evening appointment",
     "Dear {parent},\n\nYour appointment to discuss {child}'s progress is on {day} at {time}. Please "
     "let us know if you cannot attend.\n\nKind regards,\n{sender}\n{role}"),
    ("Trip consent reminder",
     "Dear {parent},\n\nWe have not yet received the consent form for {child}'s year group trip. "
     "Please return it by {day}.\n\nMany thanks,\n{sender}\n{role}"),
    ("SEND support plan review",
     "Dear {parent},\n\nI would like to invite you to review {child}'s support plan with us on {day} at "
     "{time}. We will look at the targets set last term and agree next steps.\n\nKind regards,\n"
     "{sender}\n{role}"),
    ("Feeling unwell",
     "Dear {parent},\n\n{child} was feeling unwell after lunch and spent some time in the medical room. "
     "They were given water and rested. Please let us know if they are absent tomorrow.\n\n"
     "Kind regards,\n{sender}\n{role}"),
    ("Well done!",
     "Dear {parent},\n\nI wanted to let you know that {child} has been awarded a certificate for "
     "excellent effort this week. Please do congratulate them at home!\n\nBest wishes,\n{sender}\n{role}"),
)


def _spoken(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def generate_messages(
    ctx: Context, school: School, staff: list[StaffMember], pupils: list[PupilInfo]
) -> None:
    rng = ctx.rng
    ids, sink = ctx.ids, ctx.sink
    reachable = [p for p in pupils if any(c.email and c.receives_correspondence for c in p.contacts)]
    if not reachable or not staff:
        return
    first_day = max(ctx.window_start, school.contract_start)
    count = max(3, round(len(pupils) * 0.25))
    for number in range(count):
        pupil = rng.choice(reachable)
        others = len(pupils) > 1 and (number == 0 or rng.random() < 0.2)
        sender = rng.choice(staff)
        addressed = [c for c in pupil.contacts if c.email and c.receives_correspondence]
        parent = addressed[0]
        day = ctx.weekday_between(first_day, school.data_until)
        fields = {
            "parent": parent.formal_name, "child": pupil.forename, "sender": sender.formal_name,
            "role": f"{sender.role}, {school.name}", "percent": rng.randint(78, 95),
            "day": _spoken(day + timedelta(days=rng.randint(3, 20))),
            "time": f"{rng.randint(15, 18)}:{rng.choice(('00', '10', '20', '30', '40', '50'))}",
        }
        if others:
            other = rng.choice([p for p in pupils if p.id != pupil.id] or pupils)
            fields |= {"other": other.name, "other_first": other.forename}
            subject, body = rng.choice(_NAMING_OTHERS)
        else:
            subject, body = rng.choice(_ABOUT_ONE)
        message_id = ids()
        channel = rng.choice(("email", "email", "in-app"))
        sink.add("messages", (message_id, school.id, ctx.moment(day), channel,
                              sender.full_name, sender.email, subject, body.format(**fields)))
        for contact in addressed:
            sink.add("message_recipients", (ids(), message_id, "to", f"{contact.forename} {contact.surname}",
                                            contact.email))
        if rng.random() < 0.3:
            sink.add("message_recipients", (ids(), message_id, "cc", sender.full_name, sender.email))
        sink.add("message_people", (ids(), message_id, "pupil", pupil.id, None, None))
        if rng.random() < 0.5:
            sink.add("message_people", (ids(), message_id, "contact", None, parent.id, None))
