"""Rule ``correspondence_of_leavers``: a member of staff comes off the
messages kept for others when the schedule anonymises their staff record.

Correspondence is kept until three years after the school's contract ends,
for the parents and colleagues in it, but the staff record's promise is that
only the name stays for historical reports once the month after leaving is
over. So the messages the leaver sent, received or is tagged in
(``predicates.correspondence_of_leavers``) lose what an erasure takes off them
(reason ``shared_record_staff``, ``app.rights.messages``): their name and
address as the sender, their recipient rows and tags, and their name where
the text gives it in full. The messages themselves stay.

The rule runs before ``employees_leavers``, which clears the addresses it
finds them by. One query reads the names of the staff it takes off (the
day's leavers, never their messages) for the pattern that rewrites the text;
everything else is set-based.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ColumnElement, func, select

from app.extensions import db
from app.rights import predicates as where
from app.rights.messages import NameParts, full_names, take_off_messages


def take_leavers_off_messages(clause: ColumnElement[bool], _as_of: date, cut: date) -> int:
    """Apply the rule to the messages of ``clause``; the messages changed."""
    staff = where.EMPLOYEES.c
    leavers = where.employees_leavers(cut)
    people: dict[uuid.UUID, list[NameParts]] = {}
    rows = db.session.execute(
        select(staff.organisation_id, staff.title, staff.forename, staff.preferred_name, staff.surname).where(
            leavers
        )
    )
    for organisation_id, *name in rows:
        people.setdefault(organisation_id, []).append(tuple(name))
    addresses = where.leaver_addresses(cut)
    return take_off_messages(
        clause,
        lambda column: func.lower(column).in_(select(addresses.c.email)),
        where.MESSAGE_PEOPLE.c.employee_id.in_(select(staff.id).where(leavers)),
        {organisation_id: full_names(names) for organisation_id, names in people.items()},
    )
