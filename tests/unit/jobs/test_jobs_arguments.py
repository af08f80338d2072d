"""What may go into a job: ids only, never personal data; registered tasks only."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.jobs import Job, JobArgumentError, UnknownTask, describe_error, enqueue, task


@pytest.fixture
def inline_app(app):
    app.config["REDIS_URL"] = None
    return app


@pytest.mark.parametrize(
    "value",
    [
        "jane.smith@example.org",
        "Jane Smith",
        "x" * 65,
        "",
        "line\nbreak",
        3.5,
        date(2026, 1, 31),
        {"id": 1},
        [1, 2],
        b"bytes",
    ],
)
def test_enqueue_refuses_argument_when_not_an_id(inline_app, db_session, value):
    with pytest.raises(JobArgumentError) as raised:
        enqueue("test.echo", value)
    # The refused value is not repeated in the error: it may be personal data.
    if isinstance(value, str) and value:
        assert value not in str(raised.value)
    assert db_session.scalar(select(func.count()).select_from(Job)) == 0


def test_enqueue_refuses_keyword_when_not_an_id(inline_app):
    with pytest.raises(JobArgumentError, match="keyword 'note'"):
        enqueue("test.echo", note="Called mum about Jane's attendance")


@pytest.mark.parametrize(
    "value", [uuid.uuid4(), 0, -7, 2**40, "SAR-2026-000123", "2026-01-31", "pupils", "a:b.c_d", None, False]
)
def test_enqueue_accepts_argument_when_an_id(inline_app, db_session, value):
    job = enqueue("test.echo", value)
    assert job.args == [str(value) if isinstance(value, uuid.UUID) else value]
    db_session.rollback()


def test_enqueue_refuses_callable_when_not_registered(inline_app):
    def not_a_task() -> None:
        pass

    with pytest.raises(UnknownTask, match="not a registered task"):
        enqueue(not_a_task)


def test_enqueue_refuses_name_when_not_registered(inline_app):
    with pytest.raises(UnknownTask, match=r"no\.such"):
        enqueue("no.such")


def test_enqueue_uses_queue_of_task_unless_overridden(inline_app, db_session):
    @task("test.on_collect_queue", queue="collect")
    def on_collect_queue() -> None:
        pass

    assert enqueue(on_collect_queue).queue == "collect"
    assert enqueue(on_collect_queue, queue="urgent").queue == "urgent"
    db_session.rollback()


@pytest.mark.parametrize("name", ["noop", "Test.Upper", "test..double", "test.has space"])
def test_task_refuses_name_when_not_dotted_lower_case(name):
    with pytest.raises(ValueError, match="task name"):
        task(name)


def test_task_refuses_name_when_taken_by_another_function():
    with pytest.raises(ValueError, match="already registered"):

        @task("test.audit")
        def impostor(object_id) -> None:
            pass


def test_describe_error_keeps_sql_parameters_out_when_database_error():
    driver_error = Exception(
        'duplicate key value violates unique constraint "uq_users_email"\n'
        "DETAIL:  Key (email)=(jane.smith@example.org) already exists."
    )
    error = IntegrityError("INSERT INTO users (email) VALUES (%s)", ("jane.smith@example.org",), driver_error)
    described = describe_error(error)
    assert described == 'Exception: duplicate key value violates unique constraint "uq_users_email"'
    assert "jane" not in described


def test_describe_error_gives_type_and_first_line_when_plain_exception():
    assert describe_error(KeyError("case")) == "KeyError: 'case'"
    assert describe_error(RuntimeError()) == "RuntimeError"
    assert len(describe_error(ValueError("x" * 2000))) == 500
