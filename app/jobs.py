"""Placeholder: being written (enqueue after commit, RQ or inline)."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
