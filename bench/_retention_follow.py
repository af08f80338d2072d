"""The baseline's statements for the retention rules that follow other
records (``bench/retention.py``): a leaver's messages and tickets, the
access log and the support-access permissions, hand-written for PostgreSQL.

Each rule is one statement, with data-modifying CTEs where it changes more
than one table. The access-log rules follow the records the rules before
them delete or anonymise; in a dry run those are still there, so the dry-run
counts add what those rules would take (the other rules' clauses, with their
own cut-offs as named parameters), as the project's ``Earlier`` does.
``%(follow_today)s`` says the rule's cut-off reaches the run's day, so what
is anonymised in this run counts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fragments:
    """Clauses ``bench/retention.py`` already writes, each with ``%(cut)s``."""

    held: str  # "SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND "
    held_org: str  # with {org}
    ended: str  # organisations whose contract ended
    naming_held: str  # over messages m: a tag names someone under a hold
    employees_due: str  # over employees e
    pupils_after_contract: str  # over pupils p
    pupils_leavers: str  # over pupils p
    due_contacts: str  # "WITH due AS (...) "
    contact_not_held: str  # over contacts c


def _with(clause: str, name: str) -> str:
    return clause.replace("%(cut)s", f"%({name})s")


def follow_rules(f: Fragments) -> dict[str, tuple[str, str]]:
    """code -> (dry-run count, real statement), for the four rules."""
    leavers = (
        f"WITH leaver AS (SELECT e.* FROM employees e WHERE {f.employees_due}), "
        "address AS (SELECT organisation_id, lower(work_email) AS email FROM leaver"
        " WHERE work_email IS NOT NULL "
        "UNION SELECT organisation_id, lower(personal_email) FROM leaver WHERE personal_email IS NOT NULL), "
    )
    leaver_ctes = (
        f"{leavers}"
        "target AS (SELECT m.id, m.organisation_id FROM messages m WHERE m.id IN ("
        " SELECT s.id FROM messages s JOIN address a ON a.organisation_id = s.organisation_id"
        " AND a.email = lower(s.sender_email)"
        " UNION SELECT r.message_id FROM message_recipients r JOIN messages rm ON rm.id = r.message_id"
        " JOIN address a ON a.organisation_id = rm.organisation_id AND a.email = lower(r.email)"
        " UNION SELECT mp.message_id FROM message_people mp WHERE mp.employee_id IN (SELECT id FROM leaver))"
        f" AND m.organisation_id NOT IN {_with(f.ended, 'contract_cut')}"
        f" AND NOT EXISTS ({f.held_org.format(org='m.organisation_id')})"
        f" AND NOT EXISTS ({f.naming_held})) "
    )
    # The names a letter gives in full, escaped for a regular expression,
    # longest first; one pattern per school.
    names = (
        "names AS (SELECT DISTINCT l.organisation_id, btrim(n.first) || ' ' || btrim(l.surname) AS name"
        " FROM leaver l CROSS JOIN LATERAL (VALUES (l.forename), (l.preferred_name), (l.title)) AS n(first)"
        " WHERE btrim(coalesce(l.surname, '')) <> '' AND l.surname <> 'Anonymised'"
        " AND btrim(coalesce(n.first, '')) <> ''), "
        "pattern AS (SELECT organisation_id, '(?<!\\w)(?:' || string_agg("
        "regexp_replace(name, '([^[:alnum:]])', '\\\\\\1', 'g'), '|' ORDER BY length(name) DESC, name)"
        " || ')(?!\\w)' AS p FROM names GROUP BY organisation_id), "
    )
    leaver_messages = (
        f"{leaver_ctes}, {names}"
        "changed AS (UPDATE messages m SET"
        " subject = CASE WHEN pt.p IS NULL THEN m.subject"
        " ELSE regexp_replace(m.subject, pt.p, '[name removed]', 'g') END,"
        " body = CASE WHEN pt.p IS NULL THEN m.body"
        " ELSE regexp_replace(m.body, pt.p, '[name removed]', 'g') END,"
        " sender_name = CASE WHEN lower(m.sender_email) IN (SELECT email FROM address)"
        " THEN '[name removed]' ELSE m.sender_name END,"
        " sender_email = CASE WHEN lower(m.sender_email) IN (SELECT email FROM address)"
        " THEN NULL ELSE m.sender_email END"
        " FROM target t LEFT JOIN pattern pt ON pt.organisation_id = t.organisation_id WHERE m.id = t.id"
        " RETURNING m.id), "
        "recipients AS (DELETE FROM message_recipients r USING target t WHERE r.message_id = t.id"
        " AND lower(r.email) IN (SELECT email FROM address)), "
        "tags AS (DELETE FROM message_people mp USING target t WHERE mp.message_id = t.id"
        " AND mp.employee_id IN (SELECT id FROM leaver)) "
        "SELECT count(*) FROM changed"
    )

    # A leaver's tickets: linked to the staff record or raised from one of
    # its addresses at the school, less those helpdesk_after_contract takes.
    ticket_held = (
        f"{f.held}((h.subject_kind = 'organisation' AND h.subject_id IN (t.organisation_id,"
        " (SELECT o.trust_id FROM organisations o WHERE o.id = t.organisation_id)))"
        " OR (h.subject_kind = 'pupil' AND h.subject_id = t.about_pupil_id)"
        " OR (h.subject_kind = 'employee' AND h.subject_id = t.requester_employee_id))"
    )
    ticket_ctes = (
        f"{leavers}"
        "target AS (SELECT t.id, t.organisation_id FROM tickets t WHERE t.id IN ("
        " SELECT r.id FROM tickets r WHERE r.requester_employee_id IN (SELECT id FROM leaver)"
        " UNION SELECT r.id FROM tickets r JOIN address a ON a.organisation_id = r.organisation_id"
        " AND a.email = lower(r.requester_email))"
        f" AND t.organisation_id NOT IN {_with(f.ended, 'helpdesk_cut')}"
        f" AND NOT EXISTS ({ticket_held})) "
    )

    def rewritten(column: str) -> str:
        named = (
            f"CASE WHEN pt.p IS NULL THEN {column}"
            f" ELSE regexp_replace({column}, pt.p, '[name removed]', 'g') END"
        )
        return (
            f"CASE WHEN ap.p IS NULL THEN {named}"
            f" ELSE regexp_replace({named}, ap.p, '[address removed]', 'g') END"
        )

    patterns = (
        "LEFT JOIN pattern pt ON pt.organisation_id = t.organisation_id"
        " LEFT JOIN address_pattern ap ON ap.organisation_id = t.organisation_id"
    )
    leaver_tickets = (
        f"{ticket_ctes}, {names}"
        "address_pattern AS (SELECT organisation_id, '(?i)(?<!\\w)(?:' || string_agg("
        "regexp_replace(email, '([^[:alnum:]])', '\\\\\\1', 'g'), '|' ORDER BY email)"
        " || ')(?!\\w)' AS p FROM address GROUP BY organisation_id), "
        "lines AS (UPDATE ticket_entries n SET"
        " author_name = CASE WHEN n.author_role = 'customer'"
        " AND lower(n.author_name) = lower(o.requester_name)"
        f" THEN '[name removed]' ELSE n.author_name END, body = {rewritten('n.body')}"
        f" FROM target t JOIN tickets o ON o.id = t.id {patterns} WHERE n.ticket_id = t.id), "
        "sent AS (UPDATE ticket_summary_emails s SET"
        " to_email = CASE WHEN lower(s.to_email) IN (SELECT email FROM address)"
        " OR lower(s.to_email) = lower(o.requester_email) THEN NULL ELSE s.to_email END,"
        f" subject = {rewritten('s.subject')}, body = {rewritten('s.body')}"
        f" FROM target t JOIN tickets o ON o.id = t.id {patterns} WHERE s.ticket_id = t.id), "
        "changed AS (UPDATE tickets x SET requester_name = '[name removed]', requester_email = NULL,"
        f" requester_employee_id = NULL, subject = {rewritten('x.subject')}"
        f" FROM target t {patterns} WHERE x.id = t.id RETURNING x.id) "
        "SELECT count(*) FROM changed"
    )

    def removed(cut: str, pending: bool) -> str:
        """(kind, id, by entry) of the records gone or anonymised by ``cut``;
        by entry: gone, so the period counts from the entry's own time."""
        gone = " UNION ".join(
            f"SELECT '{kind}', g.person_id, true FROM access_log g WHERE g.person_kind = '{kind}'"
            f" AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.id = g.person_id)"
            for kind, table in (("contact", "contacts"), ("pupil", "pupils"), ("employee", "employees"))
        )
        sets = [
            gone,
            f"SELECT 'pupil', id, false FROM pupils WHERE anonymised_at <= %({cut})s",
            f"SELECT 'employee', id, false FROM employees WHERE anonymised_at <= %({cut})s",
        ]
        if pending:
            today = f"%({cut}_today)s"
            sets += [
                "SELECT 'contact', c.id, true FROM contacts c JOIN due ON due.id = c.id"
                f" WHERE {f.contact_not_held}",
                f"SELECT 'pupil', p.id, false FROM pupils p WHERE {today} AND (("
                f"{_with(f.pupils_after_contract, 'pc_cut')}) OR ({_with(f.pupils_leavers, 'pl_cut')}))",
                f"SELECT 'employee', e.id, false FROM employees e"
                f" WHERE {today} AND {_with(f.employees_due, 'emp_cut')}",
            ]
        return " UNION ".join(sets)

    held_staff = (
        "SELECT lower(x.email) FROM employees hs"
        " CROSS JOIN LATERAL (VALUES (hs.work_email), (hs.personal_email)) AS x(email)"
        " WHERE x.email IS NOT NULL AND hs.id IN (SELECT subject_id FROM legal_holds"
        " WHERE released_at IS NULL AND subject_kind = 'employee')"
    )

    def erased(kind: str, record: str) -> str:
        return (
            "SELECT 1 FROM case_candidates cc JOIN erasure_plans ep ON ep.case_id = cc.case_id"
            f" WHERE cc.kind = {kind} AND cc.record_id = {record} AND cc.decision = 'confirmed'"
            " AND ep.status <> 'draft'"
        )

    def entries(alias: str, cut: str, pending: bool) -> str:
        """Ids of the entries the access-log rule takes."""
        until = "until" if cut == "cut" else f"{cut}_until"
        return (
            f"SELECT {alias}.id FROM access_log {alias}"
            f" JOIN ({removed(cut, pending)}) AS r(kind, id, by_entry)"
            f" ON r.kind = {alias}.person_kind AND r.id = {alias}.person_id"
            f" WHERE (NOT r.by_entry OR {alias}.occurred_at < %({until})s)"
            f" AND NOT EXISTS ({erased(f'{alias}.person_kind', f'{alias}.person_id')})"
            f" AND NOT EXISTS ({f.held_org.format(org=f'{alias}.organisation_id')})"
            f" AND NOT EXISTS ({f.held}h.subject_kind = {alias}.person_kind"
            f" AND h.subject_id = {alias}.person_id)"
            f" AND ({alias}.actor_email IS NULL OR lower({alias}.actor_email) NOT IN ({held_staff}))"
        )

    due_contacts = _with(f.due_contacts, "contacts_cut")
    access_log = (
        f"{due_contacts}SELECT count(*) FROM ({entries('a', 'cut', True)}) AS taken",
        f"DELETE FROM access_log d WHERE d.id IN ({entries('a', 'cut', False)})",
    )

    def grants(pending: bool) -> str:
        grantor = "g.granted_by_employee_id IN (SELECT id FROM employees WHERE anonymised_at <= %(cut)s)"
        used = "a.grant_id = g.id"
        if pending:
            grantor = (
                f"({grantor} OR (%(cut_today)s AND g.granted_by_employee_id IN "
                f"(SELECT e.id FROM employees e WHERE {_with(f.employees_due, 'emp_cut')})))"
            )
            used += f" AND a.id NOT IN ({entries('t', 'log_cut', True)})"
        kept_by_erasure = erased("'employee'", "g.granted_by_employee_id")
        return (
            f"g.granted_by_employee_id IS NOT NULL AND {grantor}"
            f" AND NOT EXISTS (SELECT 1 FROM access_log a WHERE {used})"
            f" AND NOT EXISTS ({kept_by_erasure})"
            f" AND NOT EXISTS ({f.held_org.format(org='g.organisation_id')})"
            f" AND NOT EXISTS ({f.held}h.subject_kind = 'employee'"
            " AND h.subject_id = g.granted_by_employee_id)"
        )

    permissions = (
        f"{due_contacts}SELECT count(*) FROM support_access_grants g WHERE {grants(True)}",
        f"DELETE FROM support_access_grants g WHERE {grants(False)}",
    )
    return {
        "correspondence_of_leavers": (f"{leaver_ctes}SELECT count(*) FROM target", leaver_messages),
        "helpdesk_of_leavers": (f"{ticket_ctes}SELECT count(*) FROM target", leaver_tickets),
        "access_log_after_records": access_log,
        "support_access_after_records": permissions,
    }


def follow_params(params: dict[str, dict]) -> None:
    """Give the four rules the other rules' cut-offs they use."""
    cut = {code: values["cut"] for code, values in params.items()}
    shared = {
        "contract_cut": cut["correspondence_after_contract"], "contacts_cut": cut["contacts_after_pupils"],
        "pc_cut": cut["pupils_after_contract"], "pl_cut": cut["pupils_leavers"],
        "emp_cut": cut["employees_leavers"], "log_cut": cut["access_log_after_records"],
        "helpdesk_cut": cut["helpdesk_after_contract"],
        "log_cut_until": params["access_log_after_records"]["until"],
    }  # fmt: skip
    follow = ("correspondence_of_leavers", "helpdesk_of_leavers", "access_log_after_records",
              "support_access_after_records")  # fmt: skip
    for code in follow:
        values = params[code]
        values.update(shared)
        values["cut_today"] = values["cut"] >= values["as_of"]
        values["log_cut_today"] = cut["access_log_after_records"] >= values["as_of"]
