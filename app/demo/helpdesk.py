"""Support tickets with chat transcripts and summaries, support-access grants,
and the access log of who looked at whose record.

Support staff ask before looking at a user's record: each "yes" in a chat
becomes a grant, and the agent's views fall inside it.
"""

from __future__ import annotations

from datetime import timedelta

from app.demo.context import Context
from app.demo.draw import Weighted
from app.demo.orgs import School
from app.demo.people import StaffMember
from app.demo.pupils import PupilInfo

TICKET_COLUMNS = (
    "id", "organisation_id", "reference", "opened_at", "closed_at", "channel", "status", "category",
    "subject", "requester_name", "requester_email", "requester_employee_id", "about_pupil_id",
    "assigned_agent",
)
ENTRY_COLUMNS = ("id", "ticket_id", "sent_at", "kind", "author_name", "author_role", "body")
SUMMARY_COLUMNS = ("id", "ticket_id", "sent_at", "to_email", "subject", "body")
GRANT_COLUMNS = (
    "id", "organisation_id", "ticket_id", "granted_by_name", "granted_by_email", "granted_by_employee_id",
    "agent_name", "granted_at", "expires_at", "revoked_at", "scope",
)
ACCESS_COLUMNS = (
    "id", "organisation_id", "occurred_at", "actor_kind", "actor_name", "actor_email", "person_kind",
    "person_id", "action", "area",
)

AGENTS = ("Priya Desai", "Tom Hollis", "Grace Adeyemi", "Callum Reid", "Hannah Moss", "Owen Price",
          "Bethan Lloyd", "Sophie Turner")
SUPPORT_DOMAIN = "support.example"

# (category, subject, the user's first message, what support found). {pupil}
# is filled for problems about one child's record.
_PROBLEMS = (
    ("Attendance", "Register will not save",
     "Hi, the Thursday afternoon register won't save. It stops on {pupil}'s mark.",
     "There is a duplicate Thursday PM mark on {pupil}'s register. Clearing the second mark and saving "
     "again fixes it; support has not changed anything on the record."),
    ("Assessment tracking", "KS2 results missing",
     "Hello, {pupil}'s KS2 results haven't come through from the transfer file.",
     "The transfer file arrived without {pupil}'s results. Re-importing it from the previous school "
     "brings them in at the next overnight sync."),
    ("Reports", "Report shows the old surname",
     "The end of term report for {pupil} still shows the old surname.",
     "Reports use the legal surname from the MIS; once the preferred surname is updated there, the next "
     "sync carries it across."),
    ("Parent communication", "Parent did not receive a letter",
     "A parent says they never got the letter about {pupil}.",
     "The letter about {pupil} was delivered to the address on the contact record; it may be in the "
     "parent's junk folder. Delivery status is on the message screen."),
    ("SEND documentation", "Attaching a support plan",
     "How do I attach the new support plan for {pupil}?",
     "Plans are added from the pupil's SEND record with 'Add document'."),
    ("Login and access", "Account locked",
     "I can't sign in, it says my account is locked.",
     "The account locked after several failed attempts. The reset link on the login page emails the "
     "address held on the account."),
    ("Data import", "Overnight sync failed",
     "The MIS sync failed last night, is something wrong?",
     "The MIS connector had a short outage overnight and the sync has since re-run successfully."),
)
_CHANNELS = Weighted((("chat", 60.0), ("email", 30.0), ("telephone", 10.0)))
_AREAS = Weighted((("Pupil profile", 35.0), ("Attendance register", 25.0), ("Assessment tracker", 20.0),
                   ("SEND record", 6.0), ("Contacts", 8.0), ("Reports", 6.0)))
_ACTIONS = Weighted((("view", 80.0), ("update", 12.0), ("export", 4.0), ("print", 4.0)))


def generate_helpdesk(
    ctx: Context, school: School, staff: list[StaffMember], pupils: list[PupilInfo]
) -> None:
    rng = ctx.rng
    ids, sink = ctx.ids, ctx.sink
    first_day = max(ctx.window_start, school.contract_start)
    for _ in range(max(2, round(len(pupils) / 25))):
        requester = rng.choice(staff)
        category, subject, opening, finding = rng.choice(_PROBLEMS)
        pupil = rng.choice(pupils) if "{pupil}" in opening and pupils else None
        if pupil is None and "{pupil}" in opening:
            category, subject, opening, finding = _PROBLEMS[-1]
        names = {"pupil": pupil.name if pupil else ""}
        channel = _CHANNELS.pick(rng)
        agent = rng.choice(AGENTS)
        opened = ctx.moment(ctx.weekday_between(first_day, school.data_until), 9, 16)
        status = rng.choices(("resolved", "escalated", "triage"), (85, 10, 5))[0]
        closed = opened + timedelta(minutes=rng.randint(15, 60 * 48)) if status == "resolved" else None
        ticket_id = ids()
        sink.add("tickets", (ticket_id, school.id, ctx.ticket_reference(), opened, closed, channel,
                             status, category, subject, requester.full_name, requester.email, requester.id,
                             pupil.id if pupil else None, agent))
        moment = opened
        lines: list[tuple[str, str, str]] = []  # (author, role, text)
        if channel == "chat":
            lines = [
                (requester.full_name, "customer", opening.format(**names)),
                (agent, "agent", f"Hi {requester.forename}, thanks for getting in touch. Could you confirm "
                                 "your username and the email address on your account?"),
                (requester.full_name, "customer", f"It's {requester.email.split('@')[0]}, {requester.email}"),
                (agent, "agent", "Thank you. Is it all right if I look at your record to see what's "
                                 "happening?"),
                (requester.full_name, "customer", "Yes, that's fine."),
                (agent, "agent", finding.format(**names)),
                (requester.full_name, "customer", "Brilliant, thank you!"),
            ]
        elif channel == "email":
            lines = [(requester.full_name, "customer", opening.format(**names)),
                     (agent, "agent", f"Dear {requester.forename},\n\n{finding.format(**names)}\n\n"
                                      f"Kind regards,\n{agent}\nSupport team")]
        else:
            lines = [(agent, "agent", f"Call from {requester.full_name} ({requester.email}): "
                                      f"{opening.format(**names)} Permission to view the record given on the "
                                      f"call. {finding.format(**names)}")]
        kind = {"chat": "chat", "email": "email", "telephone": "call_note"}[channel]
        granted_at = None
        for author, role, text in lines:
            moment += timedelta(seconds=rng.randint(20, 240) if channel == "chat" else rng.randint(600, 7200))
            sink.add("ticket_entries", (ids(), ticket_id, moment, kind, author, role, text))
            if text == "Yes, that's fine." or channel == "telephone":
                granted_at = moment
        if status == "escalated":
            moment += timedelta(minutes=5)
            sink.add("ticket_entries", (ids(), ticket_id, moment, "internal_note", agent, "agent",
                                        f"Escalated to the development team: {subject.lower()}."))
        agent_email = f"{agent.split()[0].lower()}@{SUPPORT_DOMAIN}"
        if channel == "chat":
            transcript = "\n".join(f"[{author}] {text}" for author, _role, text in lines)
            sink.add("ticket_summary_emails", (ids(), ticket_id, moment + timedelta(minutes=1),
                                               requester.email, f"Your chat transcript ({subject})",
                                               transcript))
        if closed:
            summary = (f"Dear {requester.forename},\n\nYou asked: {opening.format(**names)}\n\n"
                       f"What we found: {finding.format(**names)}\n\n{agent}")
            sink.add("ticket_summary_emails", (ids(), ticket_id, closed, requester.email,
                                               f"Summary of your support request: {subject}", summary))
        if granted_at is not None:
            expires = granted_at + timedelta(hours=24)
            revoked = granted_at + timedelta(minutes=rng.randint(10, 90)) if rng.random() < 0.2 else None
            scope = "Pupil record" if pupil else "User record"
            sink.add("support_access_grants", (ids(), school.id, ticket_id, requester.full_name,
                                               requester.email, requester.id, agent, granted_at, expires,
                                               revoked, scope))
            for minutes in sorted(rng.sample(range(1, 10), rng.randint(1, 3))):
                person = ("pupil", pupil.id) if pupil else ("employee", requester.id)
                sink.add("access_log", (ids(), school.id, granted_at + timedelta(minutes=minutes),
                                        "support_agent", agent, agent_email, *person, "view", scope))


def generate_access_log(
    ctx: Context, school: School, staff: list[StaffMember], pupils: list[PupilInfo]
) -> None:
    """School users opening pupils' records, the MIS sync updating them, and
    office staff looking at colleagues' records."""
    rng = ctx.rng
    ids, sink = ctx.ids, ctx.sink
    first_day = max(ctx.window_start, school.contract_start)
    for pupil in pupils:
        for _ in range(rng.choices((0, 1, 2, 3), (40, 35, 15, 10))[0]):
            user = rng.choice(staff)
            when = ctx.moment(ctx.weekday_between(first_day, school.data_until))
            sink.add("access_log", (ids(), school.id, when, "school_user", user.full_name, user.email,
                                    "pupil", pupil.id, _ACTIONS.pick(rng), _AREAS.pick(rng)))
        if rng.random() < 0.1:
            when = ctx.moment(ctx.weekday_between(first_day, school.data_until), 1, 5)
            sink.add("access_log", (ids(), school.id, when, "system", "MIS sync", None, "pupil", pupil.id,
                                    "update", "Pupil profile"))
    office = [s for s in staff if not s.teacher] or staff
    for member in staff:
        if rng.random() < 0.3:
            user = rng.choice(office)
            when = ctx.moment(ctx.weekday_between(first_day, school.data_until))
            sink.add("access_log", (ids(), school.id, when, "school_user", user.full_name, user.email,
                                    "employee", member.id, "view", "Staff record"))
