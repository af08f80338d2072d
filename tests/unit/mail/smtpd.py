"""A real SMTP server for the mail tests: aiosmtpd in a thread on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Collector:
    """Accepts everything, except recipients listed in ``refuse``."""

    refuse: set[str] = field(default_factory=set)
    messages: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    """A port nothing listens on just now, for tests of a server that is not
    there (yet); another process may take it at any time."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _AnyPortController(Controller):
    """Binds port 0 and so gets a port the kernel knows is free: choosing a
    free port first and binding it after races with other processes (a
    second test run on the machine)."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def smtp_server(
    port: int | None = None, *, auth: bool = False, **collector_options
) -> Iterator[tuple[Collector, int]]:
    """A server on ``port`` (a test restarting the server after a failure
    gives the same one), or on any free port."""
    collector = Collector(**collector_options)
    options = {}
    if auth:
        options = {"authenticator": collector.authenticate, "auth_require_tls": False}
    controller = _AnyPortController(collector, hostname="127.0.0.1", port=port or 0, **options)
    controller.start()
    try:
        yield collector, controller.port
    finally:
        controller.stop()
