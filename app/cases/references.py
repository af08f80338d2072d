"""Case references (``SAR-2026-000123``) and the duplicate-detection key.

References come from one counter row per year, bumped with a single
``UPDATE ... RETURNING``: on PostgreSQL the row lock makes concurrent
confirmations wait for each other and each sees the previous one's number
(READ COMMITTED re-reads the row); SQLite has a single writer. The row is
created on first use with ``INSERT ... ON CONFLICT DO NOTHING``, so two
first confirmations of a year do not collide either. The unique constraint
on ``cases.reference`` is the last line of defence. Numbers are never reused;
a rolled-back confirmation leaves a gap, which is harmless.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date
from functools import lru_cache

from flask import current_app
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from app.cases.models import CaseReferenceCounter
from app.crypto import secret_derived_key
from app.extensions import db

REFERENCE_PATTERN = re.compile(r"^SAR-[0-9]{4}-[0-9]{6,9}$")


def next_reference(year: int) -> str:
    session = db.session
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(CaseReferenceCounter)
        .values(year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    number = session.execute(
        update(CaseReferenceCounter)
        .where(CaseReferenceCounter.year == year)
        .values(last_number=CaseReferenceCounter.last_number + 1)
        .returning(CaseReferenceCounter.last_number)
    ).scalar_one()
    return format_reference(year, number)


def format_reference(year: int, number: int) -> str:
    return f"SAR-{year:04d}-{number:06d}"


def looks_like_reference(value: str) -> bool:
    return bool(REFERENCE_PATTERN.match(value))


def _normalise_text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


DUPLICATE_KEY_INFO = b"rightsdesk cases duplicate key v1"


@lru_cache(maxsize=8)
def _duplicate_hmac_key(secret_key: str) -> bytes:
    # Derived once per secret rather than for every submission.
    return secret_derived_key(secret_key, DUPLICATE_KEY_INFO)


def duplicate_key(requester_email: str, subject_name: str, subject_dob: date) -> str:
    """A keyed hash (HMAC-SHA256) of who asks about whom. The columns are
    sealed, so equality on this key is how duplicates are found; the key is
    derived from SECRET_KEY so the hash alone cannot be tested against
    guesses by someone holding only a copy of the database."""
    key = _duplicate_hmac_key(current_app.config["SECRET_KEY"])
    message = "\x1f".join(
        (_normalise_text(requester_email), _normalise_text(subject_name), subject_dob.isoformat())
    )
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()
