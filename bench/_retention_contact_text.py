"""The baseline's hand-written SQL for taking deleted parents' and carers'
contact records off the text kept for others (``app.rights.contact_text``),
as data-modifying CTEs of the one statement that deletes them
(``bench/retention.py``).

Every CTE of that statement reads the contacts as they were before it, so
the names and addresses come from what the ``gone`` CTE's DELETE returns
(id, organisation_id, title, forename, surname, email), and "another contact
at the school" must leave out the ids in ``gone``. Their full names
(forename or title, with the surname) become one pattern per school, longest
first, applied to the subject and body of the school's messages and to the
subject, lines and summaries of its tickets (no first name alone). On the
school's messages their addresses come off as sender (name and address) and
recipient, and their tags go; an address another contact at the same school
keeps is not theirs, and an address is theirs only at the school whose
contact they were (a parent still a contact at another school keeps it
there). Records under a hold are left as they are; only text
that changes is written, subjects cut to their 300 characters. One statement
may change a row once, so a message's text and its sender are one UPDATE,
and a ticket's subject another.
"""

from __future__ import annotations

from _retention_pupil_text import _CLOSE, _OPEN, _REMOVED, _escaped

# The subject columns' length (messages, tickets, ticket_summary_emails), as
# the project's ``messages.fitted`` cuts a rewritten subject to.
_SUBJECT_LENGTH = 300


def _removed(column: str, pattern: str, *, subject: bool = False) -> str:
    """``column`` without the full names of ``pattern``; a subject cut to its length."""
    named = f"regexp_replace({column}, {pattern}, {_REMOVED}, 'g')"
    return f"substr({named}, 1, {_SUBJECT_LENGTH})" if subject else named


def contact_text_ctes(message_not_held: str, ticket_not_held: str) -> str:
    """The CTEs to put after ``gone`` (no trailing comma), for the clauses
    over messages ``m`` and tickets ``t`` that say the record is under no hold."""
    line = _removed("e.body", "ct.p")
    sent_subject, sent_body = _removed("s.subject", "ct.p", subject=True), _removed("s.body", "ct.p")
    return (
        "contact_name AS (SELECT DISTINCT g.organisation_id,"
        " btrim(f.first) || ' ' || btrim(g.surname) AS name"
        " FROM gone g CROSS JOIN LATERAL (VALUES (g.forename), (g.title)) AS f(first)"
        " WHERE btrim(coalesce(g.surname, '')) <> '' AND g.surname <> 'Anonymised'"
        " AND btrim(coalesce(f.first, '')) <> ''), "
        f"contact_pattern AS (SELECT organisation_id, {_OPEN} || string_agg({_escaped('name')}, '|'"
        f" ORDER BY length(name) DESC, name) || {_CLOSE} AS p FROM contact_name GROUP BY organisation_id), "
        "contact_school AS (SELECT DISTINCT organisation_id FROM gone), "
        # Their addresses, lower case, but for one another contact at the
        # same school keeps (not among those going).
        "only_theirs AS (SELECT DISTINCT g.organisation_id, lower(g.email) AS email FROM gone g"
        " WHERE g.email IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM contacts s WHERE s.organisation_id = g.organisation_id"
        " AND lower(s.email) = lower(g.email) AND NOT EXISTS (SELECT 1 FROM gone x WHERE x.id = s.id))), "
        "contact_message AS (SELECT m.id, m.subject, m.body,"
        f" CASE WHEN pt.p IS NULL THEN m.subject ELSE {_removed('m.subject', 'pt.p', subject=True)} END"
        " AS new_subject,"
        f" CASE WHEN pt.p IS NULL THEN m.body ELSE {_removed('m.body', 'pt.p')} END AS new_body,"
        " coalesce((m.organisation_id, lower(m.sender_email)) IN (SELECT organisation_id, email"
        " FROM only_theirs), false) AS from_them"
        " FROM messages m JOIN contact_school cs ON cs.organisation_id = m.organisation_id"
        f" LEFT JOIN contact_pattern pt ON pt.organisation_id = m.organisation_id WHERE {message_not_held}), "
        "contact_messages AS (UPDATE messages x SET subject = c.new_subject, body = c.new_body,"
        f" sender_name = CASE WHEN c.from_them THEN {_REMOVED} ELSE x.sender_name END,"
        " sender_email = CASE WHEN c.from_them THEN NULL ELSE x.sender_email END"
        " FROM contact_message c WHERE x.id = c.id"
        " AND (c.from_them OR c.new_subject <> c.subject OR c.new_body <> c.body)), "
        "contact_recipients AS (DELETE FROM message_recipients r USING contact_message c, messages rm"
        " WHERE r.message_id = c.id AND rm.id = c.id"
        " AND (rm.organisation_id, lower(r.email)) IN (SELECT organisation_id, email FROM only_theirs)), "
        "contact_tags AS (DELETE FROM message_people mp USING contact_message c, gone g"
        " WHERE mp.message_id = c.id AND mp.contact_id = g.id), "
        "contact_ticket AS (SELECT t.id, pt.p, t.subject,"
        f" {_removed('t.subject', 'pt.p', subject=True)} AS new_subject"
        " FROM tickets t JOIN contact_pattern pt ON pt.organisation_id = t.organisation_id"
        f" WHERE {ticket_not_held}), "
        f"contact_lines AS (UPDATE ticket_entries e SET body = {line}"
        f" FROM contact_ticket ct WHERE e.ticket_id = ct.id AND {line} <> e.body), "
        f"contact_sent AS (UPDATE ticket_summary_emails s SET subject = {sent_subject}, body = {sent_body}"
        " FROM contact_ticket ct WHERE s.ticket_id = ct.id"
        f" AND ({sent_subject} <> s.subject OR {sent_body} <> s.body)), "
        "contact_subjects AS (UPDATE tickets t SET subject = ct.new_subject FROM contact_ticket ct"
        " WHERE t.id = ct.id AND ct.new_subject <> ct.subject)"
    )
