"""stored name keys spell out ł, ß, ø and the like instead of dropping them

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-24 09:00:00

Hand-written, data only: no column changes. ``app.sources.names.name_key``
now spells out letters that NFKD does not split into a base letter and an
accent ("Łukasz" -> "lukasz", "Strauß" -> "strauss") where it used to drop
them ("ukasz", "strau"). The stores keep ``surname_key`` and
``forename_key`` beside the names (pupils' legal names, contacts' and
staff's names) for their index look-ups, so rows keyed the old way would no
longer be found by names typed with, or without, those letters; their keys
are recomputed here.

Only a name with a character outside ASCII can have a different key, so
only those rows are read, in one scan of each table (a regular expression
in the database: ``~`` on PostgreSQL, Python's ``re`` behind SQLite's
REGEXP), and only the rows whose keys change are written, in batches of
UPDATEs. The keys are computed in Python on both engines, not in SQL on
PostgreSQL: its normalize() and lower() depend on the database's encoding
and locale, and the keys must agree exactly with the app's.
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# Each store's key columns and the name column each is computed from.
_KEYED = {
    "pupils": {"surname_key": "legal_surname", "forename_key": "legal_forename"},
    "contacts": {"surname_key": "surname", "forename_key": "forename"},
    "employees": {"surname_key": "surname", "forename_key": "forename"},
}
# Any character outside ASCII (from \x01: PostgreSQL text never holds NUL).
_NOT_ASCII = r"[^\x01-\x7f]"
_BATCH = 1000

_NOT_LETTERS = re.compile(r"[^a-z]")
_TRANSLITERATED = str.maketrans(
    {
        "ł": "l", "Ł": "l", "ß": "ss", "ẞ": "ss", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d",
        "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
        "\N{LATIN SMALL LETTER DOTLESS I}": "i", "ħ": "h", "Ħ": "h", "ŀ": "l", "Ŀ": "l",
    }
)  # fmt: skip


def _old_name_key(name):
    # A copy of app.sources.names.name_key as it was before this revision:
    # a migration must not change if the app's function does later.
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return _NOT_LETTERS.sub("", folded.lower())


def _name_key(name):
    # A copy of app.sources.names.name_key as of this revision.
    return _old_name_key(name.translate(_TRANSLITERATED))


def _recompute(key_of) -> None:
    bind = op.get_bind()
    for table_name, keys in _KEYED.items():
        names = list(keys.values())
        table = sa.table(table_name, sa.column("id"), *(sa.column(c) for c in (*keys, *names)))
        # One scan of the table; only rows with a name outside ASCII come back.
        rows = bind.execute(
            sa.select(table).where(sa.or_(*(table.c[name].regexp_match(_NOT_ASCII) for name in names)))
        ).mappings()
        changed = []
        for row in rows:
            new = {f"new_{key}": key_of(row[name]) for key, name in keys.items()}
            if any(new[f"new_{key}"] != row[key] for key in keys):
                changed.append({"row_id": row["id"], **new})
        update = (
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values({key: sa.bindparam(f"new_{key}") for key in keys})
        )
        for start in range(0, len(changed), _BATCH):
            bind.execute(update, changed[start : start + _BATCH])


def upgrade() -> None:
    _recompute(_name_key)


def downgrade() -> None:
    # Back to the keys the older code computes for the names it is given, so
    # a name typed with ł matches a record with ł again (and "Lukasz" is a
    # typo of "Łukasz" again, as it was).
    _recompute(_old_name_key)
