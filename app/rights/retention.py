"""The retention sweeper: applies the schedule in ``retention_rules``.

For each enabled rule, in a fixed order, the sweeper turns the run's
``as_of`` date and the rule's period into a cut-off date
(``app.rights.periods``), builds the rule's WHERE clause once
(``app.rights.predicates``) and either counts the rows it matches (dry run)
or updates / deletes them in one set-based statement. Anonymising pupils
takes a fixed number more (their names out of the text kept for others, the
record cleared, and the rows that would otherwise still tie them to a name);
those key on the pupils marked ``anonymised_at = as_of`` rather than on the
rule's clause again, which joins over enrolments and costs far more.
Nothing is read into Python row by row, whatever the number of records.
On PostgreSQL the sweep switches JIT off for the transaction (see ``sweep``).

What the actions do, per store:

- correspondence, helpdesk, contacts, setup imports: deleted. Message
  recipients and tagged people, ticket entries and summary emails, and a
  contact's pupil links and message tags go with them (ON DELETE CASCADE).
- pupils, anonymised: names, preferred names, address and postcode cleared
  (names NOT NULL: ``Anonymised``); UPN set to ``ANONYMISED``, which can never
  pass UPN validation (ten characters, no check letter); former UPN cleared;
  date of birth cut to 1 January of its year (a birth month, with the school,
  year group and gender, would single out children in small cohorts); gender
  and free-school-meal eligibility kept (coarse, common categories the
  anonymised analysis of disadvantaged groups needs); ethnicity and first
  language cleared (fine-grained codes with rare values that identify a child
  in a small school; ethnicity is special-category data). SEND records are
  deleted, not just their notes: the need codes are health data with rare
  values (MSI, PMLD, VI, HI). Tags on messages and the pupil link of support
  tickets are removed, since that correspondence names the child and would
  tie the anonymised record back to them, and the child's name comes out of
  the text of the messages and tickets kept at their school (in full
  everywhere there, the first name too where the message or ticket was about
  them: ``app.rights.pupil_text``), read before the record is cleared. Attendance, assessments and
  enrolments are kept, no longer linked to anyone identifiable.
  ``anonymised_at`` is set to ``as_of``. The consent ledger keeps their
  entries (the evidence consent was given, Art 7(1)) with the free-text
  evidence replaced by ``CONSENT_EVIDENCE_REMOVED``: it often names the parent
  who gave it ("Given by Mrs O'Brien (mother)") and so would tie the
  anonymised record back to a family. Purpose, decision, wording and its
  hash, method and dates stay.
- contacts, deleted: their consent entries' evidence is cleared the same
  way, as the entries outlive the record (on PostgreSQL in the statement
  that deletes them, from the ids it deletes).
- employees, anonymised: the name as reports print it is kept (title,
  forename, preferred name, surname and their search keys) and so is the
  staff number (the school's own key its historical reports use, unique per
  school) with the start and leaving dates (the period the name appears on
  reports; the leaving date is also the evidence the rule was applied on
  time). Everything else goes: date of birth, both emails, phone and teacher
  reference number cleared, gender ``U``, role ``Former employee``, teaching
  status ``Not recorded``; ``anonymised_at`` set.

- correspondence of leavers, anonymised (``correspondence_of_leavers``,
  before the staff record, whose addresses it finds them by): the messages a
  member of staff sent, received or is tagged in lose their name and address
  as the sender, their recipient rows and tags, and their name where the
  text gives it in full, as an erasure takes them off (``app.rights.leavers``,
  ``app.rights.messages``); the messages stay for the others in them.
- helpdesk of leavers, anonymised (``helpdesk_of_leavers``, before the
  staff record too, at the same point in time): the tickets a member of
  staff raised lose their name and address as the requester and the link to
  their staff record, their name on the lines they wrote, the address of the
  summaries emailed to them, and their name in full and addresses in the
  text; the tickets stay as the school's record until
  ``helpdesk_after_contract``.
- access log, deleted (``access_log_after_records``): the entries about a
  record that is anonymised (its period counted from the anonymisation) or
  gone (counted from the entry's own time, as a deleted record leaves no
  date); ``support_access_after_records``: the
  support-access permissions a member of staff gave, once their record is
  anonymised and no entry kept was made under them. Entries naming a former
  member of staff as the one who opened other people's records stay as long
  as those records, and what an erasure kept stays as the erasure said
  (``app.rights.access_log_rules`` says why).

Rules on one table are applied in order and a later rule's clause excludes
what an earlier one takes (a pupil who left and whose school's contract
ended is counted once), so a dry run's counts equal a real run's. The access
log rules follow the records the rules before them delete or anonymise; in
a dry run those are still there, so they are handed the earlier rules'
clauses (``Earlier``) and count them as the real run will.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    Table,
    Update,
    and_,
    delete,
    func,
    not_,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.rights import access_log_rules as log_rules
from app.rights import predicates as where
from app.rights.access_log_rules import Earlier
from app.rights.contact_text import take_contacts_off_text
from app.rights.leavers import take_leavers_off_messages, take_leavers_off_tickets
from app.rights.models import PeriodUnit, RetentionAction, RetentionRule
from app.rights.periods import cutoff
from app.rights.pupil_text import take_pupils_off_text
from app.sources.consent.models import ConsentRecord
from app.sources.correspondence.models import MessagePerson
from app.sources.helpdesk.models import Ticket
from app.sources.protocol import PersonKind
from app.sources.pupils.models import SendRecord

ANONYMISED_NAME = "Anonymised"
ANONYMISED_KEY = "anonymised"
# Ten characters: a UPN has thirteen, so this can never be taken for one.
ANONYMISED_UPN = "ANONYMISED"
FORMER_EMPLOYEE_ROLE = "Former employee"
CONSENT_EVIDENCE_REMOVED = "Removed when the record it concerns was anonymised or deleted"
NOT_RECORDED = "Not recorded"


class RetentionScheduleError(Exception):
    """The schedule in ``retention_rules`` does not match what the sweeper can apply."""


class _start_of_year(FunctionElement[date]):
    """1 January of a date's year, in SQL (SQLite and PostgreSQL spell it differently)."""

    type = Date()
    inherit_cache = True
    name = "start_of_year"


@compiles(_start_of_year)
def _start_of_year_default(element: _start_of_year, compiler, **kw) -> str:
    return f"CAST(date_trunc('year', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(_start_of_year, "sqlite")
def _start_of_year_sqlite(element: _start_of_year, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'start of year')"


Clause = Callable[[date, Earlier], ColumnElement[bool]]
Apply = Callable[[ColumnElement[bool], date, date], int]


def _delete(table: Table) -> Apply:
    def apply(clause: ColumnElement[bool], _as_of: date, _cut: date) -> int:
        return db.session.execute(delete(table).where(clause)).rowcount

    return apply


def _on_cut(clause: Callable[[date], ColumnElement[bool]]) -> Clause:
    """A rule whose clause needs only the cut-off, not what earlier rules take."""
    return lambda cut, _earlier: clause(cut)


def _on_clause(apply: Callable[[ColumnElement[bool], date], int]) -> Apply:
    """A rule applied from its clause and the run's date (shared with the erasure)."""
    return lambda clause, as_of, _cut: apply(clause, as_of)


def _clearing_consent_evidence(kind: PersonKind, people: Select) -> Update:
    consent = ConsentRecord.__table__
    return (
        update(consent)
        .where(
            consent.c.person_kind == kind,
            consent.c.person_id.in_(people),
            consent.c.evidence.is_not(None),
            consent.c.evidence != CONSENT_EVIDENCE_REMOVED,
        )
        .values(evidence=CONSENT_EVIDENCE_REMOVED)
    )


def clear_consent_evidence(kind: PersonKind, people: Select) -> int:
    """Replace the free-text evidence of the consent entries of ``people``
    (ids of records of ``kind``), which may name someone. The ledger is
    append-only for the ORM; this is the one change made to it, in Core."""
    return db.session.execute(_clearing_consent_evidence(kind, people)).rowcount


def delete_contacts(clause: ColumnElement[bool], _as_of: date) -> int:
    contacts = where.CONTACTS
    # Off the correspondence kept for others first, while the records still
    # give their names and addresses (``contact_text``).
    take_contacts_off_text(select(contacts.c.id).where(clause))
    if db.session.get_bind().dialect.name == "postgresql":
        # One statement: the contacts the DELETE takes are the ones whose
        # evidence is cleared (the clause, joins over pupils and contracts,
        # is evaluated once, not again for the consent entries).
        gone = delete(contacts).where(clause).returning(contacts.c.id).cte("gone")
        cleared = _clearing_consent_evidence(PersonKind.CONTACT, select(gone.c.id)).cte("cleared")
        return db.session.execute(select(func.count()).select_from(gone).add_cte(cleared)).scalar_one()
    clear_consent_evidence(PersonKind.CONTACT, select(contacts.c.id).where(clause))
    return db.session.execute(delete(contacts).where(clause)).rowcount


def anonymise_pupils(clause: ColumnElement[bool], as_of: date) -> int:
    pupils = where.PUPILS
    # Marked first and cleared after: their names come out of the messages
    # and tickets kept for others (``pupil_text``) while the records still
    # have them and the tags still say which messages are about them.
    count = db.session.execute(update(pupils).where(clause).values(anonymised_at=as_of)).rowcount
    if not count:
        return 0
    marked = select(pupils.c.id).where(pupils.c.anonymised_at == as_of)
    take_pupils_off_text(marked)
    statement = (
        update(pupils)
        .where(pupils.c.anonymised_at == as_of)
        .values(
            legal_forename=ANONYMISED_NAME, middle_names=None, legal_surname=ANONYMISED_NAME,
            preferred_forename=None, preferred_surname=None, surname_key=ANONYMISED_KEY,
            forename_key=ANONYMISED_KEY, upn=ANONYMISED_UPN, former_upn=None,
            date_of_birth=_start_of_year(pupils.c.date_of_birth), address_line1=None, address_line2=None,
            town=None, postcode=None, ethnicity=None, first_language=None,
        )
    )  # fmt: skip
    db.session.execute(statement)
    # Then the rows that would tie the pupils back to a name, for every
    # pupil anonymised as of this date: a plain scan of pupils, where the
    # rule's clause (joins over enrolments) would cost much more each time.
    # A message or ticket kept under a hold (its school's, or one on
    # someone else it names) keeps its link and text too: the link then
    # leads to the anonymised record, and the held record is left as it was.
    send, tags, tickets = SendRecord.__table__, MessagePerson.__table__, Ticket.__table__
    db.session.execute(delete(send).where(send.c.pupil_id.in_(marked)))
    db.session.execute(delete(tags).where(tags.c.pupil_id.in_(marked), where.tag_of_unheld_message()))
    db.session.execute(
        update(tickets)
        .where(tickets.c.about_pupil_id.in_(marked), where.ticket_not_held())
        .values(about_pupil_id=None)
    )
    clear_consent_evidence(PersonKind.PUPIL, marked)
    return count


def anonymise_employees(clause: ColumnElement[bool], as_of: date) -> int:
    statement = (
        update(where.EMPLOYEES)
        .where(clause)
        .values(
            gender="U", date_of_birth=None, work_email=None, personal_email=None, phone=None,
            teacher_reference_number=None, role=FORMER_EMPLOYEE_ROLE, teaching_status=NOT_RECORDED,
            anonymised_at=as_of,
        )
    )  # fmt: skip
    return db.session.execute(statement).rowcount


@dataclass(frozen=True)
class RuleSpec:
    """What the sweeper knows about a rule code: the table it counts and acts
    on, the store and action the schedule must name for it, its clause and
    how to apply it."""

    code: str
    store: str
    action: RetentionAction
    table: Table
    clause: Clause
    apply: Apply


# The order rules are applied in. On one table, an earlier rule wins a
# record both would take. The leavers' messages and tickets go before the
# staff record (its addresses find them); the access log after every record
# it follows.
SPECS: tuple[RuleSpec, ...] = (
    RuleSpec("correspondence_after_contract", "correspondence", RetentionAction.DELETE, where.MESSAGES,
             _on_cut(where.correspondence_after_contract), _delete(where.MESSAGES)),
    RuleSpec("correspondence_of_leavers", "correspondence", RetentionAction.ANONYMISE, where.MESSAGES,
             _on_cut(where.correspondence_of_leavers), take_leavers_off_messages),
    RuleSpec("helpdesk_after_contract", "helpdesk", RetentionAction.DELETE, where.TICKETS,
             _on_cut(where.helpdesk_after_contract), _delete(where.TICKETS)),
    RuleSpec("helpdesk_of_leavers", "helpdesk", RetentionAction.ANONYMISE, where.TICKETS,
             _on_cut(where.helpdesk_of_leavers), take_leavers_off_tickets),
    RuleSpec("contacts_after_pupils", "contacts", RetentionAction.DELETE, where.CONTACTS,
             _on_cut(where.contacts_after_pupils), _on_clause(delete_contacts)),
    RuleSpec("pupils_after_contract", "pupils", RetentionAction.ANONYMISE, where.PUPILS,
             _on_cut(where.pupils_after_contract), _on_clause(anonymise_pupils)),
    RuleSpec("pupils_leavers", "pupils", RetentionAction.ANONYMISE, where.PUPILS,
             _on_cut(where.pupils_leavers), _on_clause(anonymise_pupils)),
    RuleSpec("employees_leavers", "employees", RetentionAction.ANONYMISE, where.EMPLOYEES,
             _on_cut(where.employees_leavers), _on_clause(anonymise_employees)),
    RuleSpec("access_log_after_records", "access_log", RetentionAction.DELETE, log_rules.ACCESS_LOG,
             log_rules.access_log_after_records, _delete(log_rules.ACCESS_LOG)),
    RuleSpec("support_access_after_records", "access_log", RetentionAction.DELETE, log_rules.GRANTS,
             log_rules.support_access_after_records, _delete(log_rules.GRANTS)),
    RuleSpec("setup_after_processing", "setup_imports", RetentionAction.DELETE, where.SETUP_IMPORTS,
             _on_cut(where.setup_after_processing), _delete(where.SETUP_IMPORTS)),
)  # fmt: skip
_BY_CODE = {spec.code: spec for spec in SPECS}


@dataclass(frozen=True)
class RuleCount:
    """One rule's outcome: how many records it took (or would take)."""

    code: str
    store: str
    action: RetentionAction
    period_count: int
    period_unit: PeriodUnit
    cutoff: date
    count: int


def load_schedule() -> list[RetentionRule]:
    """Every rule in the table, in the order they are applied; refuses a
    schedule naming a rule the sweeper does not know or contradicting it."""
    rules = list(db.session.scalars(select(RetentionRule)))
    problems = []
    for rule in rules:
        spec = _BY_CODE.get(rule.code)
        if spec is None:
            problems.append(f"{rule.code}: no such rule in app.rights.retention")
        elif (rule.store, rule.action) != (spec.store, spec.action):
            problems.append(
                f"{rule.code}: the schedule says {rule.action.value} from {rule.store}, "
                f"the sweeper does {spec.action.value} from {spec.store}"
            )
    if problems:
        raise RetentionScheduleError("; ".join(problems))
    order = {spec.code: position for position, spec in enumerate(SPECS)}
    return sorted(rules, key=lambda rule: order[rule.code])


def sweep(as_of: date, *, dry_run: bool = False) -> list[RuleCount]:
    """Apply (or, with ``dry_run``, count) every enabled rule as of ``as_of``.

    A real run writes one audit event per rule (its code and count) and
    leaves the commit to the caller, so the changes and their events are
    stored together. A second run as of the same day finds nothing."""
    results: list[RuleCount] = []
    # The clauses of the rules applied so far, per table.
    taken: dict[Table, list[ColumnElement[bool]]] = {}
    earlier = Earlier(as_of, taken if dry_run else {})
    if db.session.get_bind().dialect.name == "postgresql":
        # These are a few large one-off statements: PostgreSQL's JIT would
        # spend seconds compiling each (more than it saves) on a big estate.
        # LOCAL: only for the caller's transaction, which the sweep is part of.
        db.session.execute(text("SET LOCAL jit = off"))
    for rule in load_schedule():
        if not rule.enabled:
            continue
        spec = _BY_CODE[rule.code]
        cut = cutoff(as_of, rule.period_count, rule.period_unit)
        own = spec.clause(cut, earlier)
        before = taken.setdefault(spec.table, [])
        clause = and_(own, not_(or_(*before))) if before else own
        before.append(own)
        if dry_run:
            count = db.session.scalar(select(func.count()).select_from(spec.table).where(clause)) or 0
        else:
            count = spec.apply(clause, as_of, cut)
            record(
                "retention.swept", object_type="retention_rule", object_id=rule.id,
                data={"rule": rule.code, "count": count},
            )  # fmt: skip
        results.append(
            RuleCount(rule.code, spec.store, spec.action, rule.period_count, rule.period_unit, cut, count)
        )
    return results


def daily_sweep() -> str:
    """The periodic task: sweep as of today (UTC). The caller commits."""
    results = sweep(utcnow().date())
    return f"{sum(r.count for r in results)} record(s) swept by {len(results)} retention rule(s)"
