"""Finding and gathering one person in a big estate, against hand-written SQL.

    .venv/bin/python bench/collect.py [--pupils 1000000] [--subjects 24] [--seed 1]
                                      [--database rd_bench_collect] [--reuse] [--keep]
                                      [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

Seeds PostgreSQL with the demo data (``--pupils`` pupils, each with a school
year of attendance: 380 marks a pupil, so a million pupils hold about 380
million marks in 31 million register weeks), then gives ``--subjects``
randomly chosen pupils four more school years of history (five in all:
attendance, assessments, SEND, letters naming them, helpdesk tickets about
them, access-log entries, consent records). ``--reuse`` keeps an existing
database of that name (seeded by an earlier ``--keep`` run) and skips both.

For each subject, a parent's access request is made, confirmed and opened
(not timed), then, timed in the same process:

- match: ``propose_candidates`` — the search of every person store by the
  name, date of birth and school the parent typed, candidates stored;
- gather: the DPO's confirmed match gathered from all seven sources (the
  real jobs, run inline: every source's rows read, turned into items,
  sealed with AES-GCM and stored), until the case is in review;
- collect only: the seven sources' ``collect`` for the same match (their
  queries and the items they build), without jobs, sealing or storing;
- baseline: hand-written SQL (psycopg, no ORM) fetching the same rows
  from the same tables for that pupil, one query per table.

The statements and commits each gather sends are counted too (an
executemany counts once). ``ratio`` = p50 gather / p50 baseline. The subjects are visited in a
shuffled order and baseline and gather alternate which goes first, so
neither gets the other's warm cache every time. The last line is JSON.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from seed import drop_database, fresh_database, log, run_seed
from sqlalchemy import event, func, select, text

from app import create_app
from app.accounts.models import Role, User
from app.extensions import db

YEARS_ADDED = 4
WEEKS_A_YEAR = 38
MESSAGES_A_YEAR = 10
ACCESS_A_YEAR = 6

# One query per table, the rows the sources read for a pupil match.
BASELINE = {
    "pupil": "SELECT p.*, o.name FROM pupils p JOIN organisations o ON o.id = p.organisation_id "
    "WHERE p.id = %(id)s",
    "enrolments": "SELECT e.*, o.name FROM enrolments e JOIN organisations o ON o.id = e.organisation_id "
    "WHERE e.pupil_id = %(id)s ORDER BY e.on_roll_date",
    "attendance": "SELECT * FROM attendance_weeks WHERE pupil_id = %(id)s ORDER BY week_start",
    "assessments": "SELECT * FROM assessments WHERE pupil_id = %(id)s ORDER BY assessed_on, subject",
    "send": "SELECT * FROM send_records WHERE pupil_id = %(id)s ORDER BY start_date",
    "messages": "SELECT m.* FROM messages m WHERE m.id IN "
    "(SELECT message_id FROM message_people WHERE pupil_id = %(id)s) ORDER BY m.sent_at",
    "recipients": "SELECT r.* FROM message_recipients r WHERE r.message_id IN "
    "(SELECT message_id FROM message_people WHERE pupil_id = %(id)s)",
    "people": "SELECT mp.*, coalesce(p.legal_forename || ' ' || p.legal_surname, "
    "c.forename || ' ' || c.surname, e.forename || ' ' || e.surname) "
    "FROM message_people mp LEFT JOIN pupils p ON p.id = mp.pupil_id "
    "LEFT JOIN contacts c ON c.id = mp.contact_id LEFT JOIN employees e ON e.id = mp.employee_id "
    "WHERE mp.message_id IN (SELECT message_id FROM message_people WHERE pupil_id = %(id)s)",
    "tickets": "SELECT * FROM tickets WHERE about_pupil_id = %(id)s ORDER BY opened_at",
    "entries": "SELECT te.* FROM ticket_entries te JOIN tickets t ON t.id = te.ticket_id "
    "WHERE t.about_pupil_id = %(id)s ORDER BY te.sent_at",
    "summaries": "SELECT s.* FROM ticket_summary_emails s JOIN tickets t ON t.id = s.ticket_id "
    "WHERE t.about_pupil_id = %(id)s",
    "access_log": "SELECT * FROM access_log WHERE person_kind = 'pupil' AND person_id = %(id)s "
    "ORDER BY occurred_at",
    "consent": "SELECT * FROM consent_records WHERE person_kind = 'pupil' AND person_id = %(id)s "
    "ORDER BY recorded_at",
}


def bench_master_key(database: str) -> str:
    """A keyring entry fixed for the database, so a ``--reuse`` run can open
    what an earlier run sealed. A throwaway benchmark database only."""
    digest = hashlib.sha256(f"rights desk bench {database}".encode()).digest()
    return f"bench:{base64.urlsafe_b64encode(digest).decode()}"


def app_for(url: str, instance: Path, database: str):
    return create_app(
        {
            "RIGHTSDESK_ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-secret-key",
            "RIGHTSDESK_MASTER_KEYS": bench_master_key(database),
            "RIGHTSDESK_INSTANCE": str(instance),
            "RIGHTSDESK_BASE_URL": "http://127.0.0.1",
        }
    )


def pick_subjects(count: int, seed: int) -> list[uuid.UUID]:
    """Pupils with a primary contact, spread over the estate, in a fixed order for ``seed``."""
    rows = db.session.execute(
        text(
            "SELECT p.id FROM pupils p "
            "WHERE EXISTS (SELECT 1 FROM pupil_contacts pc WHERE pc.pupil_id = p.id) "
            "ORDER BY md5(p.id::text || :seed) LIMIT :count"
        ),
        {"seed": str(seed), "count": count},
    ).scalars()
    return list(rows)


def primary_contact(pupil_id: uuid.UUID):
    """The pupil's first contact (the parent who asks in this benchmark)."""
    from app.sources.contacts.models import Contact, PupilContact

    return db.session.scalars(
        select(Contact)
        .join(PupilContact, PupilContact.contact_id == Contact.id)
        .where(PupilContact.pupil_id == pupil_id)
        .order_by(PupilContact.contact_priority)
    ).first()


def add_history(pupil_id: uuid.UUID, rng: random.Random) -> int:
    """Four earlier school years for one pupil; returns the marks added."""
    from app.sources.access_log.models import AccessLogEntry
    from app.sources.consent.models import ConsentRecord, wording_sha256
    from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient
    from app.sources.helpdesk.models import Ticket, TicketEntry, TicketSummaryEmail
    from app.sources.pupils.models import (
        Assessment,
        AttendanceWeek,
        Pupil,
        SendProvision,
        SendRecord,
        encode_week,
    )
    from app.sources.pupils.models import Session as RegisterSession

    pupil = db.session.get(Pupil, pupil_id)
    contact = primary_contact(pupil_id)
    first_week = db.session.scalar(
        select(func.min(AttendanceWeek.week_start)).where(AttendanceWeek.pupil_id == pupil_id)
    )
    first_week = first_week or date(2025, 9, 1)
    marks = 0
    for back in range(1, YEARS_ADDED + 1):
        start = first_week - timedelta(weeks=52 * back)
        year = start.year
        for week in range(WEEKS_A_YEAR):
            register = {}
            for day in range(5):
                absent = rng.random() < 0.05
                register[(day, RegisterSession.AM)] = (
                    rng.choice(["I", "M", "C"]) if absent else rng.choice(["/"] * 9 + ["L"])
                )
                register[(day, RegisterSession.PM)] = register[(day, RegisterSession.AM)] if absent else "\\"
            week_start = start + timedelta(weeks=week)
            db.session.add(
                AttendanceWeek(pupil_id=pupil_id, week_start=week_start, slots=encode_week(register))
            )
            marks += 10
        for subject in ("Reading", "Writing", "Maths", "Science"):
            db.session.add(
                Assessment(
                    pupil_id=pupil_id,
                    academic_year=f"{year}/{year + 1}",
                    key_stage="KS2",
                    subject=subject,
                    method="teacher assessment",
                    result=rng.choice(["WTS", "EXS", "GDS"]),
                    assessed_on=date(year + 1, 6, 20),
                    recorded_by="Class teacher",
                )
            )
        db.session.add(
            SendRecord(
                pupil_id=pupil_id,
                provision=SendProvision.SEN_SUPPORT,
                primary_need="SPLD",
                start_date=date(year, 10, 1),
                end_date=date(year + 1, 7, 20),
                notes=f"Reading support plan {year}",
            )
        )
        for number in range(MESSAGES_A_YEAR):
            sent = datetime(year, 10, 1 + number, 9, tzinfo=UTC)
            message = Message(
                organisation_id=pupil.organisation_id,
                sent_at=sent,
                channel="email",
                sender_name="School office",
                sender_email="office@school.example",
                subject="News about your child",
                body=f"Dear parent, {pupil.legal_forename} had a good week. " * 4,
            )
            db.session.add(message)
            db.session.flush()
            if contact is not None and contact.email:
                db.session.add(
                    MessageRecipient(
                        message_id=message.id, kind="to", name=contact.surname, email=contact.email
                    )
                )
            db.session.add(MessagePerson(message_id=message.id, person_kind="pupil", pupil_id=pupil_id))
        opened = datetime(year, 12, 1, 10, tzinfo=UTC)
        ticket = Ticket(
            organisation_id=pupil.organisation_id,
            reference=f"BX-{pupil_id.hex[-12:]}-{year}",
            opened_at=opened,
            closed_at=opened + timedelta(hours=1),
            channel="chat",
            status="resolved",
            category="Attendance",
            subject="Register will not save",
            requester_name="Office",
            requester_email="office@school.example",
            about_pupil_id=pupil_id,
        )
        db.session.add(ticket)
        db.session.flush()
        for minute, line in enumerate(
            ("The register will not save.", "May I look at the record?", "Yes.", "Fixed.")
        ):
            db.session.add(
                TicketEntry(
                    ticket_id=ticket.id,
                    sent_at=opened + timedelta(minutes=minute),
                    kind="chat",
                    author_name="Office",
                    author_role="customer",
                    body=line,
                )
            )
        db.session.add(
            TicketSummaryEmail(
                ticket_id=ticket.id,
                sent_at=opened + timedelta(hours=1),
                to_email="office@school.example",
                subject="Your chat",
                body="Transcript",
            )
        )
        for number in range(ACCESS_A_YEAR):
            db.session.add(
                AccessLogEntry(
                    organisation_id=pupil.organisation_id,
                    occurred_at=opened + timedelta(days=number),
                    actor_kind="school_staff",
                    actor_name="Teacher",
                    actor_email="teacher@school.example",
                    person_kind="pupil",
                    person_id=pupil_id,
                    action="view",
                    area="Pupil profile",
                )
            )
        wording = f"I agree to photographs of my child on the school website ({year})."
        db.session.add(
            ConsentRecord(
                organisation_id=pupil.organisation_id,
                person_kind="pupil",
                person_id=pupil_id,
                purpose="photos_public_website",
                decision="granted",
                wording=wording,
                wording_version=f"v{year}",
                wording_sha256=wording_sha256(wording),
                method="paper_signature",
                evidence="Form on file",
                recorded_by="Office",
                recorded_at=datetime(year, 9, 10, 9, tzinfo=UTC),
            )
        )
    db.session.commit()
    return marks


def open_case(pupil_id: uuid.UUID, staff: User):
    """A parent's access request about the pupil, confirmed and opened (not timed)."""
    from app.cases import identity
    from app.cases import services as cases
    from app.sources.pupils.models import Pupil

    pupil = db.session.get(Pupil, pupil_id)
    contact = primary_contact(pupil_id)
    case = cases.submit(
        organisation=pupil.organisation
        if hasattr(pupil, "organisation")
        else db.session.get(
            __import__("app.orgs.models", fromlist=["Organisation"]).Organisation, pupil.organisation_id
        ),
        request_type="access",
        requester_name=f"{contact.forename} {contact.surname}",
        requester_email=contact.email or f"parent-{pupil_id.hex[:8]}@example.net",
        requester_relationship="parent_carer",
        subject_name=f"{pupil.legal_forename} {pupil.legal_surname}",
        subject_dob=pupil.date_of_birth,
        subject_role="pupil",
        description="Everything you hold about my child, please.",
    )
    cases.confirm(case)
    identity.decide_identity(
        case,
        staff,
        accepted=True,
        method="known_to_school",
        reason="The office knows the parent.",
        authority_evidence="Named as parent on the admission form.",
    )
    db.session.commit()
    return case


def timed_match(case, staff: User, pupil_id: uuid.UUID) -> tuple[float, uuid.UUID | None, int]:
    from app.collect import services as collect

    started = time.perf_counter()
    candidates = collect.propose_candidates(case, staff)
    db.session.commit()
    elapsed = time.perf_counter() - started
    subject = [c for c in candidates if c.about == "subject"]
    best = max(subject, key=lambda c: c.score) if subject else None
    rank = next(
        (i for i, c in enumerate(sorted(subject, key=lambda c: -c.score)) if c.record_id == pupil_id), -1
    )
    return elapsed, best.id if best is not None and best.record_id == pupil_id else None, rank


class Counts:
    """Statements and commits sent to the database while counting (an
    executemany counts once)."""

    def __init__(self) -> None:
        self.statements = self.commits = 0

    def statement(self, *_args) -> None:
        self.statements += 1

    def commit(self, *_args) -> None:
        self.commits += 1

    def __enter__(self) -> Counts:
        event.listen(db.engine, "before_cursor_execute", self.statement)
        event.listen(db.engine, "commit", self.commit)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(db.engine, "before_cursor_execute", self.statement)
        event.remove(db.engine, "commit", self.commit)


def timed_gather(case, staff: User, candidate_id: uuid.UUID) -> tuple[float, int, Counts]:
    from app.cases.models import CaseStatus
    from app.collect import services as collect
    from app.collect.models import CollectedItem

    collect.decide_candidate(case, candidate_id, staff, True)
    db.session.commit()
    with Counts() as counts:
        started = time.perf_counter()
        collect.start_gather(case, staff)
        db.session.commit()  # the seven source jobs run inline as this commit ends
        elapsed = time.perf_counter() - started
    db.session.expire_all()
    if case.status is not CaseStatus.IN_REVIEW:
        runs = ", ".join(f"{run.source}={run.status.value}" for run in collect.runs_for(case))
        raise SystemExit(f"gather did not finish: case {case.reference} is {case.status.value} ({runs})")
    items = db.session.scalar(
        select(func.count()).select_from(CollectedItem).where(CollectedItem.case_id == case.id)
    )
    return elapsed, items, counts


def timed_collect_only(case) -> float:
    """The sources' own work for the confirmed match (their queries and the
    items built from them), without the jobs, sealing and storing."""
    from app.collect.identity import match_from, organisations_of
    from app.collect.models import CaseCandidate
    from app.sources import registry

    candidates = db.session.scalars(select(CaseCandidate).where(CaseCandidate.case_id == case.id)).all()
    match = match_from(case, organisations_of(case), candidates)
    started = time.perf_counter()
    for source in registry.all_sources():
        for _item in source.collect(db.session, match):
            pass
    elapsed = time.perf_counter() - started
    db.session.rollback()
    return elapsed


def timed_baseline(conn: psycopg.Connection, pupil_id: uuid.UUID) -> tuple[float, int]:
    started = time.perf_counter()
    rows = 0
    with conn.cursor() as cursor:
        for sql in BASELINE.values():
            cursor.execute(sql, {"id": pupil_id})
            rows += len(cursor.fetchall())
    conn.commit()
    return time.perf_counter() - started, rows


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="rd_bench_collect")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reuse", action="store_true", help="use the database an earlier --keep run left")
    parser.add_argument("--keep", action="store_true", help="leave the database for --reuse")
    args = parser.parse_args()

    import tempfile

    from sqlalchemy.engine import make_url

    from app.config import normalise_database_url

    instance = Path(tempfile.mkdtemp(prefix="rd_bench_collect_"))
    if args.reuse:
        url = make_url(normalise_database_url(args.admin_url)).set(database=args.database)
        url = url.render_as_string(hide_password=False)
        seeded = None
    else:
        url = fresh_database(args.admin_url, args.database)
        started = time.perf_counter()
        seeded = run_seed(url, args.pupils, args.seed, None, True, bench_master_key(args.database))
        log(f"seeded in {time.perf_counter() - started:.0f}s")
    rng = random.Random(args.seed)
    app = app_for(url, instance, args.database)
    try:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade(revision="heads")
            counts = {
                table: db.session.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in (
                    "pupils",
                    "attendance_weeks",
                    "contacts",
                    "messages",
                    "tickets",
                    "consent_records",
                )
            }
            staff = db.session.scalars(select(User).where(User.role == Role.CASEWORKER)).first()
            if staff is None:
                from app.accounts.services import create_user

                staff = create_user(
                    email="bench.caseworker@example.org",
                    name="Bench Caseworker",
                    password=uuid.uuid4().hex,
                    role=Role.CASEWORKER,
                )
                db.session.commit()
            subjects = pick_subjects(args.subjects, args.seed)
            already = db.session.scalar(text("SELECT count(*) FROM tickets WHERE reference LIKE 'BX-%'"))
            if not already:
                log(f"adding {YEARS_ADDED} earlier school years to {len(subjects)} subjects")
                for pupil_id in subjects:
                    add_history(pupil_id, rng)
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            marks = db.session.scalar(text("SELECT count(*) * 10 FROM attendance_weeks"))
            log(f"estate: {counts['pupils']:,} pupils, about {marks:,} attendance marks")
            cases = [open_case(pupil_id, staff) for pupil_id in subjects]
            order = list(range(len(subjects)))
            rng.shuffle(order)
            match_s, gather_s, baseline_s, items, rows, wrong = [], [], [], [], [], 0
            collect_s: list[float] = []
            statements: list[int] = []
            commits: list[int] = []
            with psycopg.connect(
                normalise_database_url(url).replace("postgresql+psycopg", "postgresql")
            ) as conn:
                timed_baseline(conn, subjects[order[0]])  # warm the connection
                for turn, index in enumerate(order):
                    pupil_id, case = subjects[index], cases[index]
                    if turn % 2:
                        seconds, fetched = timed_baseline(conn, pupil_id)
                    match_seconds, best, rank = timed_match(case, staff, pupil_id)
                    if best is None:
                        wrong += 1
                        log(f"subject {index}: the right pupil was ranked {rank}, not first")
                        continue
                    gather_seconds, collected, sent = timed_gather(case, staff, best)
                    statements.append(sent.statements)
                    commits.append(sent.commits)
                    collect_s.append(timed_collect_only(case))
                    if not turn % 2:
                        seconds, fetched = timed_baseline(conn, pupil_id)
                    match_s.append(match_seconds)
                    gather_s.append(gather_seconds)
                    baseline_s.append(seconds)
                    items.append(collected)
                    rows.append(fetched)
    finally:
        if not args.keep:
            drop_database(args.admin_url, args.database)

    def ms(values: list[float], fraction: float) -> float:
        return round(percentile(values, fraction) * 1000, 1)

    both = [m + g for m, g in zip(match_s, gather_s, strict=True)]
    figures = {
        "match": (ms(match_s, 0.5), ms(match_s, 0.95)),
        "gather": (ms(gather_s, 0.5), ms(gather_s, 0.95)),
        "collect only": (ms(collect_s, 0.5), ms(collect_s, 0.95)),
        "match + gather": (ms(both, 0.5), ms(both, 0.95)),
        "baseline SQL": (ms(baseline_s, 0.5), ms(baseline_s, 0.95)),
    }
    print(f"estate: {counts['pupils']:,} pupils, {marks:,} attendance marks, {counts['messages']:,} messages")
    print(f"subjects: {len(match_s)} gathered, {wrong} not matched first")
    print(f"rows read per subject (baseline): median {statistics.median(rows):.0f}")
    print(f"items stored per gather: median {statistics.median(items):.0f}")
    print(
        f"per gather: {statistics.median(statements):.0f} statements, "
        f"{statistics.median(commits):.0f} commits (median)"
    )
    print(f"{'step':<16}{'p50 ms':>10}{'p95 ms':>10}")
    for name, (p50, p95) in figures.items():
        print(f"{name:<16}{p50:>10}{p95:>10}")
    ratio = round(statistics.median(gather_s) / statistics.median(baseline_s), 2)
    print(f"ratio gather/baseline (p50): {ratio}")
    collect_ratio = round(statistics.median(collect_s) / statistics.median(baseline_s), 2)
    print(f"ratio collect only/baseline (p50): {collect_ratio}")
    print(
        json.dumps(
            {
                "bench": "collect",
                "ratio": ratio,
                "p50_ms": figures["match + gather"][0],
                "p95_ms": figures["match + gather"][1],
                "match_p50_ms": figures["match"][0],
                "gather_p50_ms": figures["gather"][0],
                "collect_only_p50_ms": figures["collect only"][0],
                "collect_only_ratio": collect_ratio,
                "baseline_p50_ms": figures["baseline SQL"][0],
                "statements_per_gather": statistics.median(statements),
                "commits_per_gather": statistics.median(commits),
                "pupils": counts["pupils"],
                "attendance_marks": marks,
                "subjects": len(match_s),
                "not_matched_first": wrong,
                "seed_seconds": round(sum(seeded.phases.values()), 1) if seeded else None,
            }
        )
    )


if __name__ == "__main__":
    main()
