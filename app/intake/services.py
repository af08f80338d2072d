"""Turning a validated submission into a case: a thin adapter over
``app.cases.services.submit``, which owns the case rules (duplicates, the
clock, the lifecycle, audit), followed by the email confirmation code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Insert, Select, bindparam, insert, inspect, null
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.interfaces import MANYTOONE, ONETOMANY

from app.audit import services as audit
from app.cases import services as cases
from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.intake.confirmation import send_case_code
from app.intake.schemas import MESSAGES, RequestSubmission
from app.intake.schools import REQUESTABLE_KINDS
from app.letters.services import absolute_url
from app.mail.models import OutboxMessage
from app.orgs.models import Organisation
from app.sources.validation import FieldError


def confirmation_link(token: str) -> str:
    return absolute_url("intake.confirm_link", token=token)


def submit_request(
    submission: RequestSubmission,
    *,
    ip: str | None,
    today: date | None = None,
    link_for: Callable[[str], str] = confirmation_link,
) -> Case:
    """Create the case (status ``submitted``) and email the confirmation code
    and link, all in the caller's transaction: the mail is an outbox row,
    delivered after the commit, so SMTP being down never loses the case.

    ``ip`` is accepted for abuse handling but deliberately not stored: it is
    personal data the case does not need, and rate limiting (in the view)
    works on it without keeping it.
    """
    del ip
    organisation = db.session.get(Organisation, submission.organisation_id)
    # Checked again here: the school may have been removed since the form
    # was validated, and the API may call this directly.
    if organisation is None or organisation.kind not in REQUESTABLE_KINDS:
        raise FieldError("organisation_id", MESSAGES["organisation_unknown"])
    case = cases.submit(
        organisation=organisation,
        request_type=submission.request_type,
        requester_name=submission.requester_name,
        requester_email=submission.requester_email,
        requester_relationship=submission.requester_relationship,
        subject_name=submission.subject_name,
        subject_dob=submission.subject_date_of_birth,
        subject_role=submission.subject_role,
        description=submission.description,
        subject_upn=submission.subject_upn,
        subject_staff_number=submission.subject_staff_number,
        requester_phone=submission.requester_phone,
        destination_name=submission.destination_name,
        destination_email=submission.destination_email,
        received_on=today,
    )
    send_case_code(case, link_for=link_for)
    write_new_rows(db.session())
    return case


# --- writing the new rows ------------------------------------------------------------

# What a submission adds, parents first (a case event refers to its case).
_DIRECT_INSERT = (Case, OutboxMessage, CaseEvent)


def write_new_rows(session: Session) -> None:
    """Write what a submission added to the session (the case, its timeline
    and its email) as a flush would, but with plain Core INSERTs: the same
    rows, without the unit of work's bookkeeping, which costs more than the
    INSERTs themselves for a handful of brand-new rows. On PostgreSQL all
    of them go in one statement (data-modifying WITH clauses), elsewhere
    one statement per table. The objects then sit in the session as
    persistent, exactly as after a flush.

    Anything this does not cover (other kinds of object, changed or deleted
    ones, a value a flush would fill in or reconcile, flush listeners)
    takes the ordinary flush instead.
    """
    new = list(session.new)
    with session.no_autoflush:  # a lazy load while reading them must not flush them
        rows = _rows_for(session, new)
    if rows is None:
        session.flush()
        return
    # The connection itself, not session.execute, which would autoflush.
    connection = session.connection(bind_arguments={"mapper": Case})
    batches = [(cls, rows[cls]) for cls in _DIRECT_INSERT if cls in rows]
    if connection.dialect.name == "postgresql" and len(batches) > 1:
        # NULLs are written into the statement, not bound: psycopg converts
        # a statement once and caches it only up to 50 parameters, and a
        # submission's rows have about 70 columns, most of them still empty.
        shape = tuple(
            (cls, tuple(_null_columns(cls, row) for row in table_rows)) for cls, table_rows in batches
        )
        params = {
            f"t{index}r{number}_{key}": value
            for index, (cls, table_rows) in enumerate(batches)
            for (number, row), nulls in zip(enumerate(table_rows), shape[index][1], strict=True)
            for key, value in row.items()
            if key not in nulls
        }
        if audit.has_pending(session):
            # The rows, and the audit chain's lock and head for this
            # transaction's events, in one round trip (see audit.locking_head).
            params.update(audit.LOCKING_HEAD_PARAMS)
            audit.hold_head(session, connection.execute(_combined_insert(shape, True), params).one())
        else:
            connection.execute(_combined_insert(shape, False), params)
    else:
        for cls, table_rows in batches:
            insert = _plan(cls).insert  # type: ignore[union-attr]
            connection.execute(insert, table_rows[0] if len(table_rows) == 1 else table_rows)
    # Pending -> transient -> detached with its identity -> persistent:
    # the objects end up as a flush leaves them, and later changes to them
    # are UPDATEs. A case takes its events along when expunged and added.
    for obj in new:
        if obj in session:
            session.expunge(obj)
    for obj in new:
        make_transient_to_detached(obj)
    for obj in sorted(new, key=lambda item: _DIRECT_INSERT.index(type(item))):
        if obj not in session:
            session.add(obj)


def _null_columns(cls: type, row: dict[str, Any]) -> frozenset[str]:
    """The columns of ``row`` a flush would write as SQL NULL: None, and of a
    type that does not turn None into a value of its own (JSON writes
    ``null``, so it stays a bound parameter)."""
    bound = _bound_when_none(cls)
    return frozenset(key for key, value in row.items() if value is None and key not in bound)


@lru_cache(maxsize=len(_DIRECT_INSERT))
def _bound_when_none(cls: type) -> frozenset[str]:
    return frozenset(
        column.key
        for column in cls.__table__.columns  # type: ignore[attr-defined]
        if column.type.should_evaluate_none
    )


@lru_cache(maxsize=64)
def _combined_insert(
    shape: tuple[tuple[type, tuple[frozenset[str], ...]], ...], lock_chain: bool
) -> Insert | Select:
    """One statement inserting a row into each table of ``shape`` per set of
    NULL columns listed for it, one single-row INSERT per row chained as
    data-modifying WITH clauses (``WITH w0 AS (INSERT ...), w1 AS (INSERT
    ...) INSERT ...``). Built once per shape, every other value a bound
    parameter of its column's type (so sealing, enums and JSON are handled as
    in any INSERT) and cached when compiled. Foreign keys are checked at the
    end of the statement, when every row is in. With ``lock_chain`` every
    INSERT is a WITH clause of ``audit.locking_head``, which also takes the
    audit chain's lock and reads its head."""
    inserts = [
        insert(cls.__table__).values(
            {
                column.key: null()
                if column.key in nulls
                else bindparam(f"t{index}r{number}_{column.key}", type_=column.type)
                for column in cls.__table__.columns
            }
        )
        for index, (cls, rows) in enumerate(shape)
        for number, nulls in enumerate(rows)
    ]
    if lock_chain:
        return audit.locking_head(*(part.cte(f"w{index}") for index, part in enumerate(inserts)))
    *first, statement = inserts
    for index, part in enumerate(first):
        statement = statement.add_cte(part.cte(f"w{index}"))
    return statement


def _rows_for(session: Session, new: list[Any]) -> dict[type, list[dict[str, Any]]] | None:
    """The INSERT parameters of ``new`` by class, or None for the ordinary flush."""
    if not new or session.dirty or session.deleted or _events_watched(session):
        return None
    pending = {id(obj) for obj in new}
    rows: dict[type, list[dict[str, Any]]] = {}
    for obj in new:
        cls = type(obj)
        plan = _plan(cls) if cls in _DIRECT_INSERT else None
        if plan is None or plan.watched():
            return None
        values = obj.__dict__
        row: dict[str, Any] = {}
        for column_key, attribute, optional in plan.columns:
            value = values.get(attribute)
            if value is None and not optional:
                return None  # a default to apply, or a required value missing
            row[column_key] = value  # None only where a flush writes NULL too
        for name, pairs in plan.parents:
            if name not in values:
                continue
            parent = values[name]
            if any(
                values.get(mine) != (None if parent is None else getattr(parent, theirs))
                for mine, theirs in pairs
            ):
                return None  # the flush would copy the parent's key over (or clear it)
        for name, pairs in plan.children:
            for child in values.get(name) or ():
                if id(child) not in pending or any(
                    getattr(child, theirs) != values.get(mine) for mine, theirs in pairs
                ):
                    return None
        rows.setdefault(cls, []).append(row)
    return rows


def _events_watched(session: Session) -> bool:
    """Whether anything listens for what a flush would announce."""
    dispatch = session.dispatch
    return bool(
        dispatch.before_flush
        or dispatch.after_flush
        or dispatch.after_flush_postexec
        or dispatch.pending_to_persistent
        or dispatch.detached_to_persistent
    )


class _Plan:
    """How a mapped class's rows are written directly: its columns (with
    the attribute holding each, and whether a flush would simply write NULL
    for it when it is unset or None: nullable, with no default) and the key
    pairs of its relationships."""

    __slots__ = ("children", "columns", "insert", "mapper", "parents")

    def __init__(self, cls: type) -> None:
        mapper = self.mapper = inspect(cls)
        if mapper.version_id_col is not None or mapper.inherits is not None:
            raise _NotDirect
        self.insert = cls.__table__.insert()
        self.columns: list[tuple[str, str, bool]] = []
        for column in cls.__table__.columns:
            attribute = mapper.get_property_by_column(column).key
            optional = column.nullable and column.default is None and column.server_default is None
            self.columns.append((column.key, attribute, optional))
        self.parents: list[tuple[str, list[tuple[str, str]]]] = []
        self.children: list[tuple[str, list[tuple[str, str]]]] = []
        for relationship in mapper.relationships:
            if relationship.secondary is not None or relationship.post_update:
                raise _NotDirect
            if relationship.direction is MANYTOONE:
                pairs = [
                    (mapper.get_property_by_column(local).key, _attribute(relationship.mapper, remote))
                    for local, remote in relationship.local_remote_pairs
                ]
                self.parents.append((relationship.key, pairs))
            elif relationship.direction is ONETOMANY:
                pairs = [
                    (mapper.get_property_by_column(local).key, _attribute(relationship.mapper, remote))
                    for local, remote in relationship.local_remote_pairs
                ]
                self.children.append((relationship.key, pairs))

    def watched(self) -> bool:
        dispatch = self.mapper.dispatch
        return bool(dispatch.before_insert or dispatch.after_insert)


def _attribute(mapper: Any, column: Any) -> str:
    return mapper.get_property_by_column(column).key


class _NotDirect(Exception):
    pass


@cache
def _plan(cls: type) -> _Plan | None:
    try:
        return _Plan(cls)
    except _NotDirect:
        return None
