"""``flask jobs retry`` of a failed ``mail.deliver`` job retries the email's
delivery as Send again does (a new numbered attempt, to the recipients still
waiting), or says why it cannot. A real SMTP server (aiosmtpd, in process);
jobs run inline."""

from __future__ import annotations

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.jobs import Job, JobStatus
from app.mail import OutboxMessage, OutboxStatus, retry_failed, send_mail

ADDRESS = "jo.parent@example.net"


def _failed_delivery(smtp) -> tuple[OutboxMessage, Job]:
    smtp.refuse.add(ADDRESS)
    message = send_mail(ADDRESS, "Your request", "We have received it.\n", category="test")
    db.session.commit()
    job = db.session.scalars(select(Job).where(Job.name == "mail.deliver")).one()
    assert (job.status, message.status) == (JobStatus.FAILED, OutboxStatus.FAILED)
    return message, job


def _retry_job(app, job: Job):
    result = app.test_cli_runner().invoke(args=["jobs", "retry", str(job.id)])
    db.session.expire_all()
    return result


def test_jobs_retry_of_failed_delivery_job_delivers_the_email(app, smtp, db_session):
    message, job = _failed_delivery(smtp)
    smtp.refuse.clear()

    result = _retry_job(app, job)

    assert result.exit_code == 0, result.output
    assert f"Job {job.id} (mail.deliver) is retried as job " in result.output
    assert result.output.rstrip().endswith("which is succeeded.")
    assert [m.rcpt_tos for m in smtp.messages] == [[ADDRESS]]
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)
    assert job.status is JobStatus.FAILED  # its attempt is spent; the new job made the next one
    sent_again = select(func.count()).where(AuditEvent.action == "mail.sent_again")
    assert db.session.scalar(sent_again) == 1


def test_jobs_retry_of_failed_delivery_job_refuses_when_email_was_delivered_since(app, smtp, db_session):
    message, job = _failed_delivery(smtp)
    smtp.refuse.clear()
    retry_failed()
    db.session.commit()
    assert len(smtp.messages) == 1

    result = _retry_job(app, job)

    assert result.exit_code == 1
    assert f"job {job.id} (mail.deliver) is not retried: its email {message.id} is sent" in result.output
    assert "nothing to retry" in result.output
    assert len(smtp.messages) == 1
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)


def test_jobs_retry_of_failed_delivery_job_refuses_without_a_mail_server(app, smtp, db_session):
    _message, job = _failed_delivery(smtp)
    app.config["SMTP_URL"] = None

    result = _retry_job(app, job)

    assert result.exit_code == 1 and "no mail server is configured" in result.output
