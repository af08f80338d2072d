"""an Art 19 notice for a kind of recipient is closed as none recorded, not pending

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-25 09:00:00

Hand-written, data only: no column changes. ``recipient_notices.status``
and ``.channel`` are checked VARCHARs with no constraint in the database
(``app.db.str_enum``), so the new values ``no_record`` and ``none`` fit the
columns as they are.

The processing register words one recipient as a kind of recipient, not an
organisation ("Others only where the law requires it"). A rectification,
erasure or restriction recorded a notice for it like any other register
recipient: to be told by the school, pending until someone recorded that it
was done. Nothing records a disclosure to "others", so there is nobody to
tell and the notice stayed pending for ever, counted on the case page as a
notice the school must give. The app now records such a notice closed
(status ``no_record``, channel ``none``); the pending ones already stored
are closed the same way here. Notices already sent (recorded as told) are
left as they are: someone said the school told them.

Which names are a kind of recipient is the rule of
``app.recipients.told.names_an_organisation``, copied below as of this
revision. Only pending notices are read; the table holds one row per case,
change and recipient, so they are few.

Downgrade puts them back as pending and to be told by the school, the only
state the code before this revision can read.
"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

# A copy of app.recipients.told._KIND_OF_RECIPIENT as of this revision: a
# migration must not change if the app's rule does later.
_KIND_OF_RECIPIENT = re.compile(
    r"^(?:others|other (?:organisations|bodies|recipients|third parties)|anyone|any other)\b"
)

_NOTICES = sa.table(
    "recipient_notices",
    sa.column("id"),
    sa.column("recipient_name", sa.String),
    sa.column("channel", sa.String),
    sa.column("status", sa.String),
)


def _is_kind_of_recipient(name: str) -> bool:
    return bool(_KIND_OF_RECIPIENT.search(name.strip().casefold()))


def upgrade() -> None:
    bind = op.get_bind()
    pending = bind.execute(
        sa.select(_NOTICES.c.id, _NOTICES.c.recipient_name).where(_NOTICES.c.status == "pending")
    ).all()
    ids = [row.id for row in pending if _is_kind_of_recipient(row.recipient_name)]
    for start in range(0, len(ids), 500):
        bind.execute(
            sa.update(_NOTICES)
            .where(_NOTICES.c.id.in_(ids[start : start + 500]), _NOTICES.c.status == "pending")
            .values(status="no_record", channel="none")
        )


def downgrade() -> None:
    op.get_bind().execute(
        sa.update(_NOTICES).where(_NOTICES.c.status == "no_record").values(status="pending", channel="school")
    )
