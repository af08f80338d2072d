"""One email, one delivery: the paths that queue delivery of a message again
(Send again, the periodic sweep of failed and stale messages) never get it
to the requester twice, even when their jobs run at the same time on
separate RQ workers. Real parts throughout: Redis, ``flask worker`` processes
in burst mode and the in-process SMTP server, whose count of received
messages is what is checked.

The one repeat the design accepts is shown too: a worker that dies after
the server took the message but before the row says so leaves the message
to be sent again, with the same Message-ID (delivery is at-least-once).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from rq import Queue
from sqlalchemy import select, update

from app.db import utcnow
from app.extensions import db
from app.jobs import Job, JobStatus, enqueue
from app.jobs.schedule import PERIODIC
from app.mail import send_mail
from app.mail.delivery import deliver, queue_delivery
from app.mail.models import OutboxMessage, OutboxStatus
from tests.conftest import environ_for_tests
from tests.threads import run_together
from tests.unit.api.estate import build_estate
from tests.unit.cases.factory import new_case
from tests.unit.mail.smtpd import Gate, smtp_server

REPO = Path(__file__).resolve().parents[3]
REQUESTER = "jo.parent@example.net"
# How long a wait may take before the run is declared stuck: a guard so a
# broken run fails instead of hanging, never a measure of speed.
STUCK_AFTER_SECONDS = 120


@pytest.fixture
def failed_acknowledgement(app, smtp, db_session):
    """A case of Birch Primary whose acknowledgement the mail server refused."""
    estate = build_estate()
    smtp.refuse.add(REQUESTER)
    case = new_case(estate.birch_primary)
    message = db_session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.case_id == case.id, OutboxMessage.category == "case.acknowledgement"
        )
    ).one()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 1)
    return estate, case, message


def _smtp_url(port: int) -> str:
    # The client waits as long as a gate may hold it: a delivery held in
    # mid-send must still be sending when the test opens the gate.
    return f"smtp://127.0.0.1:{port}?timeout={STUCK_AFTER_SECONDS * 2}"


def _send_again_url(case, message) -> str:
    return f"/api/v1/cases/{case.reference}/emails/{message.id}/send-again"


def _as_if_failed_an_hour_ago(message: OutboxMessage) -> None:
    """Long enough ago for the periodic sweep to count the message as left
    pending once it waits for delivery again."""
    an_hour_ago = utcnow() - timedelta(hours=1)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(created_at=an_hour_ago, last_attempt_at=an_hour_ago)
    )
    db.session.commit()


def _queued(redis_url: str) -> int:
    redis = Redis.from_url(redis_url)
    try:
        return Queue("default", connection=redis).count
    finally:
        redis.close()


class Workers:
    """``flask worker --burst --no-fork`` processes on the test's database,
    Redis and SMTP server; each runs the jobs it finds queued, then exits."""

    def __init__(self, app: Flask, tmp_path: Path) -> None:
        env = {key: value for key, value in os.environ.items() if key not in ("SMTP_URL", "FLASK_APP")}
        env.update(
            environ_for_tests(
                app.config["SQLALCHEMY_DATABASE_URI"],
                tmp_path / "worker-instance",
                REDIS_URL=app.config["REDIS_URL"],
                SMTP_URL=app.config["SMTP_URL"],
            )
        )
        env["PYTHONPATH"] = str(REPO)
        self.env = env
        self.logs = tmp_path
        self.started: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = open(self.logs / f"worker-{len(self.started)}.log", "w")  # noqa: SIM115 (closed by the process)
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "worker", "--burst", "--no-fork"],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.started.append(process)
        return process

    def finish(self, process: subprocess.Popen, what: str) -> None:
        try:
            returncode = process.wait(timeout=STUCK_AFTER_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{what} did not finish: {self.output(process)[-3000:]}")
        assert returncode == 0, self.output(process)[-3000:]

    def output(self, process: subprocess.Popen) -> str:
        return (self.logs / f"worker-{self.started.index(process)}.log").read_text()

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def workers(app, tmp_path):
    """Started by the test once ``SMTP_URL`` and ``REDIS_URL`` are set;
    any still running at the end are killed."""
    made: list[Workers] = []

    def make() -> Workers:
        made.append(Workers(app, tmp_path))
        return made[-1]

    yield make
    for group in made:
        group.stop_all()


def _deliveries(message: OutboxMessage) -> list[Job]:
    jobs = db.session.scalars(select(Job).where(Job.name == "mail.deliver").order_by(Job.created_at))
    return [job for job in jobs if job.args[0] == str(message.id)]


def test_send_again_racing_stale_sweep_delivers_once_when_two_workers_run_both_jobs(
    app, client, failed_acknowledgement, redis_url, workers
):
    estate, case, message = failed_acknowledgement
    _as_if_failed_an_hour_ago(message)
    gate = Gate()
    with smtp_server(data_gate=gate) as (received, port):
        app.config.update(SMTP_URL=_smtp_url(port), REDIS_URL=redis_url)
        # Staff press Send again; before a worker is free, the periodic sweep
        # finds the message waiting (its last attempt an hour ago) and
        # queues delivery of it too.
        answer = client.post(_send_again_url(case, message), headers=estate.auth("trust"))
        assert answer.status_code == 202, answer.text
        assert PERIODIC["mail.retry"].run() == "1 message(s) queued again"
        db.session.commit()
        assert _queued(redis_url) == 2

        pool = workers()
        first = pool.start()
        # The first worker is now in the middle of sending (its DATA held)…
        assert gate.reached.wait(STUCK_AFTER_SECONDS), pool.output(first)[-3000:]
        # …while a second worker takes the other job and runs it to the end.
        pool.finish(pool.start(), "the worker running the second delivery job")
        gate.opened.set()
        pool.finish(first, "the worker running the first delivery job")

    assert [m.rcpt_tos for m in received.messages] == [[REQUESTER]]
    db.session.expire_all()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)
    # The refused first attempt, then both jobs done: one sent, one found its attempt taken.
    assert [job.status for job in _deliveries(message)] == [JobStatus.FAILED] + [JobStatus.SUCCEEDED] * 2


def test_send_again_twice_at_once_queues_one_delivery(app, failed_acknowledgement, redis_url, workers):
    estate, case, message = failed_acknowledgement
    with smtp_server() as (received, port):
        app.config.update(SMTP_URL=_smtp_url(port), REDIS_URL=redis_url)

        def press_send_again(_press: int) -> int:
            with app.test_client() as browser:
                return browser.post(_send_again_url(case, message), headers=estate.auth("trust")).status_code

        assert sorted(run_together(press_send_again, [1, 2])) == [202, 409]
        assert _queued(redis_url) == 1
        pool = workers()
        pool.finish(pool.start(), "the worker")

    assert len(received.messages) == 1
    db.session.expire_all()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)


def test_delivery_counts_as_sent_when_server_accepted_message_but_refused_quit(app, failed_acknowledgement):
    estate, case, message = failed_acknowledgement
    with smtp_server(quit_reply="421 4.3.0 Closing after an internal error") as (received, port):
        app.config.update(SMTP_URL=_smtp_url(port))
        client = app.test_client()
        answer = client.post(_send_again_url(case, message), headers=estate.auth("trust"))
        assert answer.status_code == 202, answer.text
        assert len(received.messages) == 1
        db.session.expire_all()
        # Accepted is delivered: the answer to QUIT changes nothing, so no
        # retry (nor a staff member's Send again) repeats it.
        assert (message.status, message.attempts, message.last_error) == (OutboxStatus.SENT, 2, None)
        _as_if_failed_an_hour_ago(message)
        assert PERIODIC["mail.retry"].run() == "0 message(s) queued again"
    assert len(received.messages) == 1


def test_delivery_repeats_with_same_message_id_when_worker_died_after_server_accepted(
    app, failed_acknowledgement, redis_url, workers
):
    estate, case, message = failed_acknowledgement
    gate = Gate()
    with smtp_server(quit_gate=gate) as (received, port):
        app.config.update(SMTP_URL=_smtp_url(port), REDIS_URL=redis_url)
        client = app.test_client()
        assert client.post(_send_again_url(case, message), headers=estate.auth("trust")).status_code == 202
        pool = workers()
        doomed = pool.start()
        # The server has taken the message; the worker dies before it can
        # record that (a kill, an out-of-memory, a lost machine).
        assert gate.reached.wait(STUCK_AFTER_SECONDS), pool.output(doomed)[-3000:]
        doomed.kill()
        doomed.wait()
        assert len(received.messages) == 1
        db.session.expire_all()
        assert message.status is OutboxStatus.PENDING  # not lost: still waiting for delivery

        # Later the periodic sweep finds the message left pending and has it
        # delivered again.
        _as_if_failed_an_hour_ago(message)
        assert PERIODIC["mail.retry"].run() == "1 message(s) queued again"
        db.session.commit()
        pool.finish(pool.start(), "the worker retrying the delivery")

    first, again = (m.message for m in received.messages)
    assert first["Message-ID"] == again["Message-ID"] == message.message_id
    db.session.expire_all()
    assert message.status is OutboxStatus.SENT


def _written_before_numbered_attempts(app) -> OutboxMessage:
    """A message waiting for delivery, with the delivery job a release before
    numbered attempts queued: one without an attempt number."""
    smtp_url, app.config["SMTP_URL"] = app.config["SMTP_URL"], None
    message = send_mail(REQUESTER, "Your request", "We have received your request.\n", category="test")
    db.session.commit()
    app.config["SMTP_URL"] = smtp_url
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message.id).values(status=OutboxStatus.PENDING)
    )
    enqueue(deliver, message.id)
    db.session.commit()
    return message


def test_job_queued_before_numbered_attempts_delivers_at_once_and_numbered_job_finds_it_taken(
    app, redis_url, workers, db_session
):
    with smtp_server() as (received, port):
        app.config.update(SMTP_URL=_smtp_url(port), REDIS_URL=redis_url)
        message = _written_before_numbered_attempts(app)
        # The sweep (or Send again) queues the numbered attempt too.
        queue_delivery(message)
        db.session.commit()
        assert _queued(redis_url) == 2
        pool = workers()
        pool.finish(pool.start(), "the worker")

    assert [m.rcpt_tos for m in received.messages] == [[REQUESTER]]
    db.session.expire_all()
    assert (message.status, message.attempts, message.unfinished_attempts) == (OutboxStatus.SENT, 1, 0)
    assert [job.status for job in _deliveries(message)] == [JobStatus.SUCCEEDED] * 2


def test_job_queued_before_numbered_attempts_sends_nothing_while_numbered_attempt_is_sending(
    app, redis_url, workers, db_session
):
    gate = Gate()
    with smtp_server(data_gate=gate) as (received, port):
        app.config.update(SMTP_URL=_smtp_url(port), REDIS_URL=redis_url)
        message = send_mail(REQUESTER, "Your request", "We have received your request.\n", category="test")
        db.session.commit()
        enqueue(deliver, message.id)  # an old job for the same message, still in the queue
        db.session.commit()

        pool = workers()
        first = pool.start()
        # The numbered attempt is in the middle of sending (its DATA held)…
        assert gate.reached.wait(STUCK_AFTER_SECONDS), pool.output(first)[-3000:]
        # …while a second worker runs the old job to the end: it must not
        # start an attempt of its own beside the one under way.
        pool.finish(pool.start(), "the worker running the old job")
        gate.opened.set()
        pool.finish(first, "the worker running the numbered attempt")

    assert [m.rcpt_tos for m in received.messages] == [[REQUESTER]]
    db.session.expire_all()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
