"""The baseline's hand-written SQL for taking anonymised pupils' names out of
the text kept for others (``app.rights.pupil_text``), as data-modifying CTEs
of the one statement that anonymises them (``bench/retention.py``).

Every CTE of that statement reads the pupils as they were before it, names
included, so the names are read from the pupils the ``doomed`` CTE updates.
Their full names (forename, preferred forename or forename and middle names,
with the legal or preferred surname) become one pattern per school, longest
first, applied to the subject and body of the school's messages and to the
subject, lines and summaries of its tickets; their first names, per pupil,
to the messages tagged with them and the tickets about them. Records under a
hold are left as they are; only text that changes is written. The tickets'
link to the pupils is cleared in the same UPDATE that rewrites their subject
(one statement may change a row once).
"""

from __future__ import annotations

_REMOVED = "'[name removed]'"
_OPEN, _CLOSE = "'(?<!\\w)(?:'", "')(?!\\w)'"


def _escaped(value: str) -> str:
    """A name as a regular expression matching it literally (every character
    but letters and digits after a backslash)."""
    return f"regexp_replace({value}, '([^[:alnum:]])', '\\\\\\1', 'g')"


def _removed(column: str, full: str, first: str) -> str:
    """``column`` without the full names of pattern ``full`` and then the
    first names of pattern ``first`` (NULL: none)."""
    named = f"regexp_replace({column}, {full}, {_REMOVED}, 'g')"
    both = f"regexp_replace({named}, {first}, {_REMOVED}, 'g')"
    return f"CASE WHEN {first} IS NULL THEN {named} ELSE {both} END"


def pupil_text_ctes(message_not_held: str, ticket_not_held: str) -> str:
    """The CTEs to put after ``doomed`` (no trailing comma), for the clauses
    over messages ``m`` and tickets ``t`` that say the record is under no hold.
    Ends with ``unlinked``, which also clears the tickets' link to the pupils."""
    legal, preferred = "btrim(n.legal_forename)", "btrim(n.preferred_forename)"
    first_alternatives = (
        f"CASE WHEN coalesce({preferred}, '') IN ('', {legal}) THEN {_escaped(legal)}"
        f" WHEN length({preferred}) > length({legal}) THEN {_escaped(preferred)} || '|' || {_escaped(legal)}"
        f" ELSE {_escaped(legal)} || '|' || {_escaped(preferred)} END"
    )

    def message(column: str) -> str:
        return _removed(column, "pt.p", "tg.p")

    def ticket(column: str) -> str:
        return _removed(column, "tn.p", "tn.fp")

    return (
        "named AS (SELECT p.* FROM pupils p WHERE p.id IN (SELECT id FROM doomed)"
        " AND p.legal_surname <> 'Anonymised'), "
        "full_name AS (SELECT DISTINCT n.organisation_id, btrim(f.first) || ' ' || btrim(s.last) AS name"
        " FROM named n CROSS JOIN LATERAL (VALUES (n.legal_forename), (n.preferred_forename),"
        " (n.legal_forename || ' ' || btrim(n.middle_names))) AS f(first)"
        " CROSS JOIN LATERAL (VALUES (n.legal_surname), (n.preferred_surname)) AS s(last)"
        " WHERE btrim(coalesce(f.first, '')) <> '' AND btrim(coalesce(s.last, '')) <> ''), "
        f"name_pattern AS (SELECT organisation_id, {_OPEN} || string_agg({_escaped('name')}, '|'"
        f" ORDER BY length(name) DESC, name) || {_CLOSE} AS p FROM full_name GROUP BY organisation_id), "
        f"first_name AS (SELECT n.id, n.organisation_id, {first_alternatives} AS alt FROM named n), "
        f"tagged AS (SELECT mp.message_id, {_OPEN} || string_agg(f.alt, '|') || {_CLOSE} AS p"
        " FROM message_people mp JOIN first_name f ON f.id = mp.pupil_id"
        " JOIN messages tm ON tm.id = mp.message_id AND tm.organisation_id = f.organisation_id"
        " GROUP BY mp.message_id), "
        "message_text AS (SELECT m.id, m.subject, m.body,"
        f" {message('m.subject')} AS new_subject, {message('m.body')} AS new_body"
        " FROM messages m JOIN name_pattern pt ON pt.organisation_id = m.organisation_id"
        f" LEFT JOIN tagged tg ON tg.message_id = m.id WHERE {message_not_held}), "
        "texts AS (UPDATE messages x SET subject = c.new_subject, body = c.new_body FROM message_text c"
        " WHERE x.id = c.id AND (c.new_subject <> c.subject OR c.new_body <> c.body)), "
        f"ticket_name AS (SELECT t.id, pt.p, {_OPEN} || fn.alt || {_CLOSE} AS fp,"
        f" {_removed('t.subject', 'pt.p', f'{_OPEN} || fn.alt || {_CLOSE}')} AS new_subject, t.subject"
        " FROM tickets t JOIN name_pattern pt ON pt.organisation_id = t.organisation_id"
        " LEFT JOIN first_name fn ON fn.id = t.about_pupil_id AND fn.organisation_id = t.organisation_id"
        f" WHERE {ticket_not_held}), "
        f"ticket_lines AS (UPDATE ticket_entries e SET body = {ticket('e.body')}"
        f" FROM ticket_name tn WHERE e.ticket_id = tn.id AND {ticket('e.body')} <> e.body), "
        f"ticket_sent AS (UPDATE ticket_summary_emails s SET subject = {ticket('s.subject')},"
        f" body = {ticket('s.body')} FROM ticket_name tn WHERE s.ticket_id = tn.id"
        f" AND ({ticket('s.subject')} <> s.subject OR {ticket('s.body')} <> s.body)), "
        "unlinked AS (UPDATE tickets t SET"
        " about_pupil_id = CASE WHEN t.about_pupil_id IN (SELECT id FROM doomed) THEN NULL"
        " ELSE t.about_pupil_id END,"
        " subject = coalesce((SELECT tn.new_subject FROM ticket_name tn WHERE tn.id = t.id), t.subject)"
        " WHERE t.about_pupil_id IN (SELECT id FROM doomed)"
        " OR t.id IN (SELECT tn.id FROM ticket_name tn WHERE tn.new_subject <> tn.subject))"
    )
