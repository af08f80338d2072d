"""Every migration builds the whole schema and tears it down again, on both
engines, and the models never drift from the migrations."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from tests.conftest import environ_for_tests


def _migration_round_trip(url: str, instance) -> None:
    app = create_app(environ_for_tests(url, instance))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables

        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with db.engine.connect() as connection:
            drift = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert drift == [], f"models differ from migrations: {drift}"

        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

        upgrade()
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_migrations_round_trip_on_sqlite(tmp_path):
    _migration_round_trip(f"sqlite:///{tmp_path / 'fresh.sqlite'}", tmp_path)


def test_migrations_round_trip_on_postgresql(postgres_database, tmp_path):
    assert make_url(postgres_database).get_backend_name() == "postgresql"
    _migration_round_trip(postgres_database, tmp_path)


_PHONES = [
    ("+44 (0)7700 900123", "0044 113 496 0000"),
    ("07700 900123", "12345"),
    (None, "+44 7700 900999"),
    (None, None),
]


def _phone_keys_filled_in(url: str, instance) -> None:
    """Migration 0019 fills in the keys of contacts already stored, as
    ``phone_key`` computes them (in SQL on PostgreSQL, in Python elsewhere)."""
    import uuid

    from sqlalchemy import text

    from app.sources.names import phone_key

    app = create_app(environ_for_tests(url, instance))
    with app.app_context():
        upgrade(revision="0018")
        org = uuid.uuid4()
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisations (id, created_at, name, kind, nation, contract_start, "
                    "dp_contact_name, dp_contact_email) VALUES (:id, CURRENT_TIMESTAMP, 'Elm', 'school', "
                    "'england', '2020-01-01', 'DPO', 'dpo@elm.example')"
                ),
                {"id": org.hex if connection.dialect.name == "sqlite" else org},
            )
            for mobile, home in _PHONES:
                row = uuid.uuid4()
                connection.execute(
                    text(
                        "INSERT INTO contacts (id, created_at, organisation_id, forename, surname, "
                        "surname_key, forename_key, mobile_phone, home_phone) VALUES (:id, "
                        "CURRENT_TIMESTAMP, :org, 'Siobhan', 'Byrne', 'byrne', 'siobhan', :mobile, :home)"
                    ),
                    {
                        "id": row.hex if connection.dialect.name == "sqlite" else row,
                        "org": org.hex if connection.dialect.name == "sqlite" else org,
                        "mobile": mobile,
                        "home": home,
                    },
                )
        upgrade()
        with db.engine.connect() as connection:
            stored = connection.execute(
                text("SELECT mobile_phone, home_phone, mobile_key, home_key FROM contacts")
            ).all()
        db.engine.dispose()
    assert sorted(stored, key=str) == sorted(
        [(mobile, home, phone_key(mobile), phone_key(home)) for mobile, home in _PHONES], key=str
    )
    assert {row[2] for row in stored} == {"07700900123", None}


def test_phone_keys_filled_in_on_sqlite(tmp_path):
    _phone_keys_filled_in(f"sqlite:///{tmp_path / 'keys.sqlite'}", tmp_path)


def test_phone_keys_filled_in_on_postgresql(postgres_database, tmp_path):
    _phone_keys_filled_in(postgres_database, tmp_path)


@pytest.mark.parametrize("operation", ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"])
def test_audit_table_refuses_changes_at_database_level(app, db_session, operation):
    from sqlalchemy import text

    from app.audit.services import record

    record("test.event")
    db_session.commit()
    with pytest.raises(Exception, match="append-only"):
        db_session.execute(text(operation))
        db_session.flush()
    db_session.rollback()


def _insert_row(connection, table: str, given: dict[str, object]) -> None:
    """A row of ``table`` with ``given`` values and a plausible one for every
    other column that needs one (read from SQLite's own description)."""
    import uuid

    from sqlalchemy import text

    values = dict(given)
    described = connection.execute(text(f"PRAGMA table_info({table})"))
    for _position, name, kind, not_null, default, _key in described:
        if name in values or not not_null or default is not None:
            continue
        kind = kind.upper()
        if name == "id" or name.endswith("_id") or kind == "CHAR(32)":
            values[name] = uuid.uuid4().hex
        elif any(part in kind for part in ("INT", "BOOL", "FLOAT", "NUMERIC")):
            values[name] = 0
        elif "DATETIME" in kind:
            values[name] = "2020-01-01 00:00:00.000000"
        elif "DATE" in kind:
            values[name] = "2020-01-01"
        else:
            values[name] = b"x" if "BLOB" in kind else "x"
    names = ", ".join(values)
    statement = f"INSERT INTO {table} ({names}) VALUES (:{', :'.join(values)})"  # noqa: S608 (test data)
    connection.execute(text(statement), values)


def test_sqlite_migrations_that_rebuild_a_table_keep_the_rows_that_refer_to_it(tmp_path):
    """SQLite alters a column by rebuilding the table; with foreign keys
    enforced, dropping the old ``cases`` (0020) or ``outbox_messages`` (0021,
    0022) would delete every case's events and pauses (ON DELETE CASCADE)
    and unlink every recipient notice from its email (SET NULL)."""
    import uuid

    from sqlalchemy import text

    app = create_app(environ_for_tests(f"sqlite:///{tmp_path / 'kept.sqlite'}", tmp_path))
    with app.app_context():
        upgrade(revision="0019")
        organisation, case, message = (uuid.uuid4().hex for _ in range(3))
        with db.engine.begin() as connection:
            school = {"id": organisation, "kind": "school", "nation": "england"}
            _insert_row(connection, "organisations", school)
            _insert_row(
                connection,
                "cases",
                {"id": case, "organisation_id": organisation, "status": "closed", "request_type": "access",
                 "requester_relationship": "self", "subject_role": "pupil", "reference": "SAR-2020-000001"},
            )  # fmt: skip
            _insert_row(connection, "case_events", {"case_id": case, "kind": "created", "data": "{}"})
            _insert_row(connection, "case_pauses", {"case_id": case, "reason": "clarify_scope"})
            _insert_row(connection, "outbox_messages", {"id": message, "status": "sent", "category": "x.y"})
            _insert_row(
                connection,
                "recipient_notices",
                {"case_id": case, "outbox_message_id": message, "change": "erasure",
                 "recipient_kind": "controller", "channel": "email", "status": "sent"},
            )  # fmt: skip
        counts = text(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events), "
            "(SELECT count(*) FROM case_pauses), (SELECT count(outbox_message_id) FROM recipient_notices)"
        )
        with db.engine.connect() as connection:
            before = tuple(connection.execute(counts).one())
        upgrade()
        with db.engine.connect() as connection:
            after = tuple(connection.execute(counts).one())
            enforced = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
        db.engine.dispose()
    assert before == (1, 1, 1, 1)
    assert after == before
    assert enforced == 1  # switched back on for the app's connections


# Each row: its table, forename, surname, keys before 0024 and after it.
_NAMED = [
    ("pupils", "Małgorzata", "Wójcik", ("magorzata", "wojcik"), ("malgorzata", "wojcik")),
    ("pupils", "Amelia", "Smith", ("kept", "kept"), ("kept", "kept")),  # ASCII only: not read
    ("contacts", "Søren", "Strauß", ("sren", "strau"), ("soren", "strauss")),
    ("contacts", "Siobhan", "Núñez", ("siobhan", "nunez"), ("siobhan", "nunez")),
    ("employees", "Łukasz", "Żółć", ("ukasz", "zoc"), ("lukasz", "zolc")),
]
_NAME_COLUMNS = {
    "pupils": ("legal_forename", "legal_surname"),
    "contacts": ("forename", "surname"),
    "employees": ("forename", "surname"),
}
_OTHER_COLUMNS = {
    "pupils": {"upn": "A801200000001", "date_of_birth": "2016-03-09", "gender": "F", "fsm_eligible": False},
    "contacts": {},
    "employees": {
        "staff_number": "S1", "gender": "M", "role": "Teacher", "teaching_status": "Qualified",
        "start_date": "2015-09-01",
    },
}  # fmt: skip


def _name_keys_transliterated(url: str, instance) -> None:
    """Migration 0024 recomputes the stored name keys of rows whose names
    are not plain ASCII, spelling out the ł, ß, ø and the like that the old
    key dropped, and leaves every other row alone; its downgrade puts the
    old keys back."""
    import uuid

    from sqlalchemy import text

    from app.sources.names import name_key

    def stored_keys() -> list[tuple[str, str, str]]:
        with db.engine.connect() as connection:
            return sorted(
                tuple(row)
                for table, (forename, _surname) in _NAME_COLUMNS.items()
                for row in connection.execute(
                    text(f"SELECT {forename}, forename_key, surname_key FROM {table}")  # noqa: S608 (test data)
                )
            )

    app = create_app(environ_for_tests(url, instance))
    with app.app_context():
        upgrade(revision="0023")
        with db.engine.begin() as connection:
            sqlite = connection.dialect.name == "sqlite"
            org = uuid.uuid4().hex if sqlite else uuid.uuid4()
            connection.execute(
                text(
                    "INSERT INTO organisations (id, created_at, name, kind, nation, contract_start, "
                    "dp_contact_name, dp_contact_email) VALUES (:id, CURRENT_TIMESTAMP, 'Elm', 'school', "
                    "'england', '2020-01-01', 'DPO', 'dpo@elm.example')"
                ),
                {"id": org},
            )
            for table, forename, surname, (forename_key, surname_key), _new in _NAMED:
                forename_column, surname_column = _NAME_COLUMNS[table]
                values = {
                    "id": uuid.uuid4().hex if sqlite else uuid.uuid4(), "organisation_id": org,
                    forename_column: forename, surname_column: surname, "forename_key": forename_key,
                    "surname_key": surname_key, **_OTHER_COLUMNS[table],
                }  # fmt: skip
                statement = (
                    f"INSERT INTO {table} (created_at, {', '.join(values)}) "  # noqa: S608 (test data)
                    f"VALUES (CURRENT_TIMESTAMP, :{', :'.join(values)})"
                )
                connection.execute(text(statement), values)
        upgrade()
        upgraded = stored_keys()
        downgrade(revision="0023")
        downgraded = stored_keys()
        db.engine.dispose()
    assert upgraded == sorted((forename, *new) for _table, forename, _surname, _old, new in _NAMED)
    assert downgraded == sorted((forename, *old) for _table, forename, _surname, old, _new in _NAMED)
    for _table, forename, surname, old, new in _NAMED:
        if old != new:  # the migration's copy of the key agrees with the app's
            assert (name_key(forename), name_key(surname)) == new


def test_name_keys_transliterated_on_sqlite(tmp_path):
    _name_keys_transliterated(f"sqlite:///{tmp_path / 'names.sqlite'}", tmp_path)


def test_name_keys_transliterated_on_postgresql(postgres_database, tmp_path):
    _name_keys_transliterated(postgres_database, tmp_path)


def _plausible_row(connection, table: str, given: dict[str, object]) -> None:
    """A row of ``table`` with ``given`` values and a plausible one for every
    other column that needs one (read from the database's own description,
    on either engine)."""
    import uuid
    from datetime import UTC, date, datetime

    import sqlalchemy as sa

    sqlite = connection.dialect.name == "sqlite"
    values = dict(given)
    for column in inspect(connection).get_columns(table):
        name, kind = column["name"], column["type"]
        if name in values or column["nullable"] or column.get("default") is not None:
            continue
        if isinstance(kind, sa.Uuid) or name == "id" or name.endswith("_id"):
            values[name] = uuid.uuid4().hex if sqlite else uuid.uuid4()
        elif isinstance(kind, sa.Boolean):
            values[name] = False
        elif isinstance(kind, sa.Integer | sa.Numeric | sa.Float):
            values[name] = 0
        elif isinstance(kind, sa.DateTime):
            values[name] = datetime(2020, 1, 1, tzinfo=UTC)
        elif isinstance(kind, sa.Date):
            values[name] = date(2020, 1, 1)
        elif isinstance(kind, sa.LargeBinary):
            values[name] = b"x"
        elif isinstance(kind, sa.JSON):
            values[name] = "{}"
        else:
            values[name] = "x"
    table_ = sa.table(table, *(sa.column(name) for name in values))
    connection.execute(sa.insert(table_).values(values))


def _case_row(connection, reference: str, **values: str):
    """A school's case, as a row (and the school's), for a migration's data
    test; returns the case id as the engine stores it."""
    import uuid

    sqlite = connection.dialect.name == "sqlite"
    organisation, case = (uuid.uuid4().hex if sqlite else uuid.uuid4() for _ in range(2))
    _plausible_row(connection, "organisations", {"id": organisation, "kind": "school", "nation": "england"})
    _plausible_row(
        connection,
        "cases",
        {"id": case, "organisation_id": organisation, "requester_relationship": "self",
         "subject_role": "pupil", "reference": reference, **values},
    )  # fmt: skip
    return case


# Each notice before 0028: its recipient, channel and status; then its
# channel and status after it.
_NOTICES = [
    ("Others only where the law requires it", "school", "pending", "none", "no_record"),
    ("Any other organisation the court orders", "school", "pending", "none", "no_record"),
    ("Department for Education", "school", "pending", "school", "pending"),
    ("Otherton Academy", "school", "pending", "school", "pending"),  # a name, not "others"
    # Recorded as told by the school: someone said so, so it is left alone.
    ("Others where the law requires it", "school", "sent", "school", "sent"),
]


def _kind_of_recipient_notices_closed(url: str, instance) -> None:
    """Migration 0028 closes the pending notices of a register recipient
    worded as a kind of recipient ("Others only where the law requires it")
    as none recorded, as the app now records them, and leaves every other
    notice alone; its downgrade makes them pending again."""

    from sqlalchemy import text

    from app.recipients.models import NoticeChannel, NoticeStatus
    from app.recipients.told import names_an_organisation

    def stored() -> list[tuple[str, str, str]]:
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT recipient_name, channel, status FROM recipient_notices"))
            return sorted(tuple(row) for row in rows)

    app = create_app(environ_for_tests(url, instance))
    with app.app_context():
        upgrade(revision="0027")
        with db.engine.begin() as connection:
            case = _case_row(connection, "SAR-2020-000001", status="responded", request_type="erasure")
            for name, channel, status, _channel, _status in _NOTICES:
                _plausible_row(
                    connection,
                    "recipient_notices",
                    {"case_id": case, "change": "erasure", "recipient_kind": "register",
                     "recipient_name": name, "channel": channel, "status": status},
                )  # fmt: skip
        upgrade()
        upgraded = stored()
        downgrade(revision="0027")
        downgraded = stored()
        db.engine.dispose()
    assert upgraded == sorted((name, channel, status) for name, _c, _s, channel, status in _NOTICES)
    assert downgraded == sorted(
        (name, "school" if channel == "none" else channel, "pending" if status == "no_record" else status)
        for name, _c, _s, channel, status in _NOTICES
    )
    # The migration's copy of the rule agrees with the app's, and its values are the app's.
    for name, _channel, was, channel, status in _NOTICES:
        if was == "pending":
            assert names_an_organisation(name) is (status == "pending")
        assert NoticeChannel(channel) and NoticeStatus(status)


def test_kind_of_recipient_notices_closed_on_sqlite(tmp_path):
    _kind_of_recipient_notices_closed(f"sqlite:///{tmp_path / 'notices.sqlite'}", tmp_path)


def test_kind_of_recipient_notices_closed_on_postgresql(postgres_database, tmp_path):
    _kind_of_recipient_notices_closed(postgres_database, tmp_path)


def _objection_basis_left_unknown(url: str, instance) -> None:
    """Migration 0032 adds the basis an objection's decision rested on,
    null for those decided before it (the basis then is not known, and the
    letter reads the current one); going down keeps the objections."""

    from sqlalchemy import text

    def stored(query: str) -> list[tuple]:
        with db.engine.connect() as connection:
            return sorted(tuple(row) for row in connection.execute(text(query)))

    app = create_app(environ_for_tests(url, instance))
    with app.app_context():
        upgrade(revision="0031")
        with db.engine.begin() as connection:
            case = _case_row(connection, "SAR-2020-000002", status="open", request_type="objection")
            # A no_right one cannot go down again: test_migration_objection_no_right.
            for decision in ("rejected", "upheld", "pending"):
                _plausible_row(
                    connection,
                    "objections",
                    {"case_id": case, "purpose": f"Objected to, {decision}", "decision": decision},
                )
        upgrade()
        upgraded = stored("SELECT decision, basis, basis_wording FROM objections")
        downgrade(revision="0031")
        downgraded = stored("SELECT decision FROM objections")
        db.engine.dispose()
    assert upgraded == [("pending", None, None), ("rejected", None, None), ("upheld", None, None)]
    assert downgraded == [("pending",), ("rejected",), ("upheld",)]


def test_objection_basis_left_unknown_on_sqlite(tmp_path):
    _objection_basis_left_unknown(f"sqlite:///{tmp_path / 'objections.sqlite'}", tmp_path)


def test_objection_basis_left_unknown_on_postgresql(postgres_database, tmp_path):
    _objection_basis_left_unknown(postgres_database, tmp_path)
