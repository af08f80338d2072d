"""Placeholder: being written (SMTP or outbox)."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
