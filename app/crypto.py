"""Placeholder: being written (keyring, envelope encryption). See issue 2."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass


def seal_value(plaintext: bytes, purpose: str) -> bytes:
    raise NotImplementedError


def open_value(sealed: bytes, purpose: str) -> bytes:
    raise NotImplementedError
