"""Registers every ``flask`` command group."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from app.accounts.cli import users_cli
    from app.api.cli import tokens_cli
    from app.audit.cli import audit_cli
    from app.blobs.cli import keys_cli
    from app.cases.cli import clock_cli
    from app.demo.cli import demo_cli
    from app.exports.cli import packs_cli
    from app.jobs.cli import jobs_cli, scheduler_command, worker_command
    from app.mail.cli import mail_cli
    from app.restriction.cli import restriction_cli
    from app.rights.cli import retention_cli

    app.cli.add_command(audit_cli)
    app.cli.add_command(clock_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(mail_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(packs_cli)
    app.cli.add_command(restriction_cli)
