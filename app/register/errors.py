"""What the register's services raise, in a module of their own so that the
public-authority rule (``app.register.authority``), which both the register
and the organisations' bases apply, can raise them too."""

from __future__ import annotations

from collections.abc import Mapping


class RegisterError(ValueError):
    """Field messages for a change that cannot be made."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


class NotAllowed(PermissionError):
    pass
