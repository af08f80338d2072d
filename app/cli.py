"""Registers every ``flask`` command group."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from app.audit.cli import audit_cli

    app.cli.add_command(audit_cli)
