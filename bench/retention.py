"""The retention sweeper over a big estate, against hand-written SQL.

    .venv/bin/python bench/retention.py [--pupils 1000000] [--seed 1] [--as-of 2029-07-01]
                                        [--rounds 5] [--database rd_bench_retention] [--reuse] [--keep]
                                        [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

Seeds PostgreSQL with the demo data (``--pupils`` pupils, as of 2026-11-22,
through ``bench/_estate.py``: the seed ``bench/collect.py`` uses), or with
``--reuse`` takes the database an earlier ``--keep`` run left. Then, in each
of ``--rounds`` rounds, timed in the same process:

- project dry run: ``app.rights.retention.sweep(as_of, dry_run=True)``, one
  ``SELECT count(*)`` per rule;
- project sweep: ``sweep(as_of)``, the real statements (and the audit
  events queued), then rolled back;
- baseline dry run and sweep: one hand-written PostgreSQL statement per rule
  (psycopg, no ORM; the pupils' and the contacts' rules as one statement
  each with data-modifying CTEs, their consent entries' evidence cleared
  too, the pupils' names taken out of the text of the messages and
  tickets kept for others in ``bench/_retention_pupil_text.py``, and the
  deleted contacts' full names out of that text, their addresses off the
  messages as sender and recipient and their tags in
  ``bench/_retention_contact_text.py``; the rules
  for a leaver's messages and tickets and the access log in
  ``bench/_retention_follow.py``), the sweep rolled back too.

Both sides read the periods from ``retention_rules`` and get the same
cut-off dates (``app.rights.periods.cutoff``), so what is compared is the
SQL and the code around it. Every real run is rolled back, and the tables it
touched are vacuumed (untimed) before the next, so each run sees the same
data; baseline and project alternate which goes first, after one untimed
dry run of each to warm the cache. Counts per rule must
agree between all four runs, or the script stops. ``ratio`` = project /
baseline on the medians; the JSON's ``ratio`` is the larger of the dry-run
and sweep ratios. Each rule's share of a real sweep is timed too (medians
per side in ``rule_sweep_median_s``; the project's from one rule's audit
event to the next). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from _estate import estate_app, estate_url
from _retention_contact_text import contact_text_ctes
from _retention_follow import Fragments, follow_params, follow_rules
from _retention_pupil_text import pupil_text_ctes
from seed import drop_database, log

import app.rights.retention as sweeper
from app.extensions import db
from app.rights.periods import cutoff
from app.rights.retention import CONSENT_EVIDENCE_REMOVED, sweep

SEED_AS_OF = date(2026, 11, 22)
TOUCHED = ("messages", "message_recipients", "message_people", "tickets", "ticket_entries",
           "ticket_summary_emails", "support_access_grants", "contacts", "pupil_contacts", "pupils",
           "send_records", "employees", "setup_imports", "consent_records", "access_log")  # fmt: skip

_HELD = "SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND "
# A hold on an organisation, or on its trust (which covers its schools).
_ORG_OR_TRUST = "h.subject_id IN ({org}, (SELECT o.trust_id FROM organisations o WHERE o.id = {org}))"
_HELD_ORG = f"{_HELD}h.subject_kind = 'organisation' AND {_ORG_OR_TRUST}"
_TICKET_ORG, _CONTACT_ORG, _EMPLOYEE_ORG = (
    f"(h.subject_kind = 'organisation' AND {_ORG_OR_TRUST.format(org=column)})"
    for column in ("t.organisation_id", "c.organisation_id", "e.organisation_id")
)
_NOT_HELD_PUPIL = (
    f"NOT EXISTS ({_HELD_ORG.format(org='p.organisation_id')}) "
    f"AND NOT EXISTS ({_HELD}h.subject_kind = 'pupil' AND h.subject_id = p.id)"
)
_LEFT = (
    "p.id IN (SELECT e.pupil_id FROM enrolments e WHERE e.leaving_date <= %(cut)s) "
    "AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.pupil_id = p.id "
    "AND (e.leaving_date IS NULL OR e.leaving_date > %(cut)s))"
)
# Organisations whose service ended: their own contract end, or a member
# school without one whose trust's contract ended (as the sweeper's rule).
_ENDED = (
    "(SELECT id FROM organisations WHERE contract_end <= %({cut})s UNION "
    "SELECT m.id FROM organisations m JOIN organisations t ON t.id = m.trust_id "
    "WHERE m.contract_end IS NULL AND t.contract_end <= %({cut})s)"
)
ENDED, ENDED_BY_CONTRACT_CUT = _ENDED.format(cut="cut"), _ENDED.format(cut="contract_cut")
# The consent ledger keeps the entries of anonymised or deleted people with
# their free-text evidence replaced.
_CLEARED = f"'{CONSENT_EVIDENCE_REMOVED}'"
_NAMING_HELD = (
    "SELECT 1 FROM message_people mp JOIN legal_holds h ON h.released_at IS NULL "
    "AND h.subject_kind = mp.person_kind "
    "AND h.subject_id = coalesce(mp.pupil_id, mp.contact_id, mp.employee_id) "
    "WHERE mp.message_id = m.id"
)
_TICKET_NOT_HELD = (
    f"NOT EXISTS ({_HELD}({_TICKET_ORG} "
    "OR (h.subject_kind = 'pupil' AND h.subject_id = t.about_pupil_id) "
    "OR (h.subject_kind = 'employee' AND h.subject_id = t.requester_employee_id)))"
)
# The pupils' names out of the text kept for others, and the tickets' link to them.
_MESSAGE_NOT_HELD = (
    f"NOT EXISTS ({_HELD_ORG.format(org='m.organisation_id')}) AND NOT EXISTS ({_NAMING_HELD})"
)
_PUPIL_TEXT = pupil_text_ctes(_MESSAGE_NOT_HELD, _TICKET_NOT_HELD)
_ANONYMISE_PUPILS = (
    # One statement: the UPDATE returns the ids, the CTEs clean up after them.
    "WITH doomed AS (UPDATE pupils p SET legal_forename = 'Anonymised', middle_names = NULL, "
    "legal_surname = 'Anonymised', preferred_forename = NULL, preferred_surname = NULL, "
    "surname_key = 'anonymised', forename_key = 'anonymised', upn = 'ANONYMISED', former_upn = NULL, "
    "date_of_birth = date_trunc('year', p.date_of_birth)::date, address_line1 = NULL, address_line2 = NULL, "
    "town = NULL, postcode = NULL, ethnicity = NULL, first_language = NULL, anonymised_at = %(as_of)s "
    "WHERE {where} RETURNING p.id), "
    "send AS (DELETE FROM send_records s USING doomed d WHERE s.pupil_id = d.id), "
    "tags AS (DELETE FROM message_people mp USING doomed d WHERE mp.pupil_id = d.id), "
    f"{_PUPIL_TEXT}, "
    f"consent AS (UPDATE consent_records c SET evidence = {_CLEARED} FROM doomed d "
    "WHERE c.person_kind = 'pupil' AND c.person_id = d.id AND c.evidence IS NOT NULL "
    f"AND c.evidence <> {_CLEARED}) "
    "SELECT count(*) FROM doomed"
)

# rule -> (dry-run count, real statement); %(cut)s is the rule's cut-off.
BASELINE: dict[str, tuple[str, str]] = {}


def _rule(code: str, table: str, where: str, action: str) -> None:
    BASELINE[code] = (f"SELECT count(*) FROM {table} WHERE {where}", action.format(where=where))


_rule(
    "correspondence_after_contract",
    "messages m",
    f"m.organisation_id IN {ENDED} "
    f"AND NOT EXISTS ({_HELD_ORG.format(org='m.organisation_id')}) "
    f"AND NOT EXISTS ({_NAMING_HELD})",
    "DELETE FROM messages m WHERE {where}",
)
_rule(
    "helpdesk_after_contract",
    "tickets t",
    f"t.organisation_id IN {ENDED} AND {_TICKET_NOT_HELD}",
    "DELETE FROM tickets t WHERE {where}",
)
_DUE_CONTACTS = (
    "WITH due AS ("
    " SELECT id FROM contacts"
    f" WHERE organisation_id IN {ENDED}"
    " UNION"
    " SELECT l.contact_id FROM pupil_contacts l LEFT JOIN enrolments e ON e.pupil_id = l.pupil_id"
    " WHERE l.contact_id IN (SELECT pc.contact_id FROM pupil_contacts pc"
    "                        JOIN enrolments le ON le.pupil_id = pc.pupil_id"
    "                        WHERE le.leaving_date <= %(cut)s)"
    " GROUP BY l.contact_id HAVING bool_and(coalesce(e.leaving_date <= %(cut)s, false))) "
)
_CONTACT_NOT_HELD = (
    f"NOT EXISTS ({_HELD}({_CONTACT_ORG} "
    "OR (h.subject_kind = 'contact' AND h.subject_id = c.id))) "
    "AND NOT EXISTS (SELECT 1 FROM pupil_contacts pc JOIN legal_holds h ON h.released_at IS NULL "
    "AND h.subject_kind = 'pupil' AND h.subject_id = pc.pupil_id WHERE pc.contact_id = c.id)"
)
# The contacts' names and addresses off the messages and tickets kept for others.
_CONTACT_TEXT = contact_text_ctes(_MESSAGE_NOT_HELD, _TICKET_NOT_HELD)
BASELINE["contacts_after_pupils"] = (
    f"{_DUE_CONTACTS}SELECT count(*) FROM contacts c JOIN due ON due.id = c.id WHERE {_CONTACT_NOT_HELD}",
    f"{_DUE_CONTACTS}, gone AS (DELETE FROM contacts c USING due WHERE due.id = c.id AND {_CONTACT_NOT_HELD} "
    "RETURNING c.id, c.organisation_id, c.title, c.forename, c.surname, c.email), "
    f"{_CONTACT_TEXT}, "
    f"consent AS (UPDATE consent_records r SET evidence = {_CLEARED} FROM gone g "
    "WHERE r.person_kind = 'contact' AND r.person_id = g.id AND r.evidence IS NOT NULL "
    f"AND r.evidence <> {_CLEARED}) "
    "SELECT count(*) FROM gone",
)
_AFTER_CONTRACT = f"p.anonymised_at IS NULL AND p.organisation_id IN {ENDED} AND {_NOT_HELD_PUPIL}"
_rule("pupils_after_contract", "pupils p", _AFTER_CONTRACT, _ANONYMISE_PUPILS)
_LEAVERS = f"p.anonymised_at IS NULL AND {_LEFT} AND {_NOT_HELD_PUPIL}"
BASELINE["pupils_leavers"] = (
    # Counted alone, a pupil the contract rule takes first must be left out;
    # the real statement runs after that rule, so anonymised_at does it.
    f"SELECT count(*) FROM pupils p WHERE {_LEAVERS} AND p.organisation_id NOT IN {ENDED_BY_CONTRACT_CUT}",
    _ANONYMISE_PUPILS.format(where=_LEAVERS),
)
_EMPLOYEES_DUE = (
    "e.anonymised_at IS NULL AND e.leave_date <= %(cut)s "
    f"AND NOT EXISTS ({_HELD}({_EMPLOYEE_ORG} "
    "OR (h.subject_kind = 'employee' AND h.subject_id = e.id)))"
)
_rule(
    "employees_leavers",
    "employees e",
    _EMPLOYEES_DUE,
    "UPDATE employees e SET gender = 'U', date_of_birth = NULL, work_email = NULL, personal_email = NULL, "
    "phone = NULL, teacher_reference_number = NULL, role = 'Former employee', "
    "teaching_status = 'Not recorded', anonymised_at = %(as_of)s WHERE {where}",
)
_rule(
    "setup_after_processing",
    "setup_imports s",
    f"s.processed_at < %(until)s AND NOT EXISTS ({_HELD_ORG.format(org='s.organisation_id')})",
    "DELETE FROM setup_imports s WHERE {where}",
)
BASELINE.update(follow_rules(Fragments(
    held=_HELD, held_org=_HELD_ORG, ended=ENDED, naming_held=_NAMING_HELD, employees_due=_EMPLOYEES_DUE,
    pupils_after_contract=_AFTER_CONTRACT, pupils_leavers=_LEAVERS, due_contacts=_DUE_CONTACTS,
    contact_not_held=_CONTACT_NOT_HELD,
)))  # fmt: skip
# Run in the sweeper's order: a leaver's messages and tickets before the
# staff record (whose addresses find them), the access log after the records
# it follows.
_ORDER = (
    "correspondence_after_contract", "correspondence_of_leavers", "helpdesk_after_contract",
    "helpdesk_of_leavers", "contacts_after_pupils", "pupils_after_contract", "pupils_leavers",
    "employees_leavers",
    "access_log_after_records", "support_access_after_records", "setup_after_processing",
)  # fmt: skip
BASELINE = {code: BASELINE[code] for code in _ORDER}


def baseline_params(conn: psycopg.Connection, as_of: date) -> dict[str, dict]:
    rows = conn.execute("SELECT code, period_count, period_unit FROM retention_rules WHERE enabled")
    periods = {code: (count, unit) for code, count, unit in rows}
    from app.rights.models import PeriodUnit

    params = {}
    for code, (count, unit) in periods.items():
        cut = cutoff(as_of, count, PeriodUnit(unit))
        params[code] = {"cut": cut, "as_of": as_of,
                        "until": datetime.combine(cut + timedelta(days=1), clock(0), tzinfo=UTC)}  # fmt: skip
    contract = periods["pupils_after_contract"]
    params["pupils_leavers"]["contract_cut"] = cutoff(as_of, contract[0], PeriodUnit(contract[1]))
    follow_params(params)
    return params


def run_baseline(
    conn: psycopg.Connection, params: dict[str, dict], dry_run: bool
) -> tuple[float, dict, dict[str, float]]:
    """Seconds in all, counts per rule, seconds per rule."""
    counts, per_rule = {}, {}
    started = time.perf_counter()
    for code, (count_sql, action_sql) in BASELINE.items():
        rule_started = time.perf_counter()
        if dry_run:
            counts[code] = conn.execute(count_sql, params[code]).fetchone()[0]
        else:
            cursor = conn.execute(action_sql, params[code])
            counts[code] = cursor.fetchone()[0] if cursor.description else cursor.rowcount
        per_rule[code] = time.perf_counter() - rule_started
    elapsed = time.perf_counter() - started
    conn.rollback()
    return elapsed, counts, per_rule


def run_project(as_of: date, dry_run: bool) -> tuple[float, dict, dict[str, float]]:
    """As ``run_baseline``. A real sweep's seconds per rule run from one
    rule's audit event to the next (the first from the start); a dry run
    has no events, so none."""
    per_rule: dict[str, float] = {}
    audited = sweeper.record
    last = time.perf_counter()

    def record(*args, **kwargs):
        nonlocal last
        per_rule[kwargs["data"]["rule"]] = time.perf_counter() - last
        result = audited(*args, **kwargs)
        last = time.perf_counter()
        return result

    sweeper.record = record
    try:
        started = last = time.perf_counter()
        results = sweep(as_of, dry_run=dry_run)
        db.session.flush()
        elapsed = time.perf_counter() - started
    finally:
        sweeper.record = audited
    db.session.rollback()
    return elapsed, {r.code: r.count for r in results}, per_rule


def vacuum(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"VACUUM {', '.join(TOUCHED)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=date(2029, 7, 1),
        help="the sweep's date: every rule takes a share of the demo estate seeded in 2026",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database", default="rd_bench_retention")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reuse", action="store_true", help="use the database an earlier --keep run left")
    parser.add_argument("--keep", action="store_true", help="leave the database for --reuse")
    args = parser.parse_args()

    url = estate_url(args.admin_url, args.database, pupils=args.pupils, seed=args.seed, as_of=SEED_AS_OF,
                     reuse=args.reuse)  # fmt: skip
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    app = estate_app(url, args.database, "rd_bench_retention_")
    vacuum(plain_url)
    with psycopg.connect(plain_url) as conn:
        conn.execute("ANALYZE")
        conn.commit()
    times: dict[str, list[float]] = {"project_dry": [], "project_sweep": [], "baseline_dry": [],
                                     "baseline_sweep": []}  # fmt: skip
    seen: dict[str, dict] = {}
    # Real sweeps only: side -> rule -> seconds per round.
    rule_times: dict[str, dict[str, list[float]]] = {"project": {}, "baseline": {}}
    try:
        with app.app_context(), psycopg.connect(plain_url) as conn:
            pupils = db.session.scalar(db.text("SELECT count(*) FROM pupils"))
            params = baseline_params(conn, args.as_of)
            conn.rollback()
            # The sweeper switches JIT off for its transaction (compiling its
            # big one-off statements costs seconds and gains nothing); the
            # baseline gets the same setting.
            conn.execute("SET jit = off")
            conn.commit()
            # Untimed: both sides' dry runs once, so neither pays for a cold cache.
            run_project(args.as_of, True)
            run_baseline(conn, params, True)
            for round_no in range(args.rounds):
                order = ("project", "baseline") if round_no % 2 == 0 else ("baseline", "project")
                for dry_run in (True, False):
                    for side in order:
                        if side == "project":
                            elapsed, counts, per_rule = run_project(args.as_of, dry_run)
                        else:
                            elapsed, counts, per_rule = run_baseline(conn, params, dry_run)
                        if not dry_run:
                            for code, seconds in per_rule.items():
                                rule_times[side].setdefault(code, []).append(seconds)
                        name = f"{side}_{'dry' if dry_run else 'sweep'}"
                        times[name].append(elapsed)
                        seen.setdefault(name, counts)
                        if counts != seen["project_dry"]:
                            raise SystemExit(f"{name} counts differ from the project's dry run: "
                                             f"{counts} != {seen['project_dry']}")  # fmt: skip
                        if not dry_run:
                            vacuum(plain_url)
                        log(f"round {round_no + 1}: {name} {elapsed:.2f}s")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not args.keep:
            drop_database(args.admin_url, args.database)

    counts = seen["project_dry"]
    print(f"Retention sweep as of {args.as_of} over {pupils:,} pupils ({args.rounds} rounds, rolled back)")
    rule_medians = {
        code: [round(statistics.median(rule_times[side][code]), 3) for side in ("project", "baseline")]
        for code in counts
    }
    print(f"{'rule':<32} {'records':>10} {'sweep median s project / baseline':>35}")
    for code, count in counts.items():
        project_s, baseline_s = rule_medians[code]
        print(f"{code:<32} {count:>10,} {project_s:>17.2f} / {baseline_s:<15.2f}")
    print(f"{'total':<32} {sum(counts.values()):>10,}")
    print(f"{'run':<16} {'best s':>8} {'median s':>9}")
    for name, values in times.items():
        print(f"{name:<16} {min(values):>8.2f} {statistics.median(values):>9.2f}")
    median, best = statistics.median, min
    ratios = {kind: round(median(times[f"project_{kind}"]) / median(times[f"baseline_{kind}"]), 2)
              for kind in ("dry", "sweep")}  # fmt: skip
    bests = {kind: round(best(times[f"project_{kind}"]) / best(times[f"baseline_{kind}"]), 2)
             for kind in ("dry", "sweep")}  # fmt: skip
    print(f"ratio project/baseline, medians: dry run {ratios['dry']}, sweep {ratios['sweep']} "
          f"(target <= 1.5); bests: dry run {bests['dry']}, sweep {bests['sweep']}")  # fmt: skip
    print(json.dumps({
        "bench": "retention", "ratio": max(ratios.values()), "dry_run_ratio": ratios["dry"],
        "sweep_ratio": ratios["sweep"], "best_dry_run_ratio": bests["dry"],
        "best_sweep_ratio": bests["sweep"],
        "pupils": pupils, "as_of": args.as_of.isoformat(), "rounds": args.rounds, "counts": counts,
        **{f"{name}_median_s": round(statistics.median(v), 3) for name, v in times.items()},
        **{f"{name}_best_s": round(min(v), 3) for name, v in times.items()},
        "rule_sweep_median_s": rule_medians,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
