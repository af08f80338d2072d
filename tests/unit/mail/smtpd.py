"""A real SMTP server for the mail tests: aiosmtpd in a thread on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading
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
class Gate:
    """A step of the SMTP conversation where the first session to reach it
    waits until the test opens the gate: that session is a delivery caught
    in mid-send while the test does something else (runs another worker,
    kills this one). Later sessions pass straight through."""

    reached: threading.Event = field(default_factory=threading.Event)
    opened: threading.Event = field(default_factory=threading.Event)

    async def pass_through(self) -> None:
        if self.reached.is_set():
            return
        self.reached.set()
        # In a thread, so the server's event loop goes on serving others.
        await asyncio.to_thread(self.opened.wait)


@dataclass
class Collector:
    """Accepts everything, except recipients listed in ``refuse``.

    ``data_gate`` holds the first message's DATA reply (it is received only
    once the gate opens); ``quit_gate`` holds the first QUIT, after the
    message was accepted; ``quit_reply`` is the answer to QUIT."""

    refuse: set[str] = field(default_factory=set)
    messages: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    data_gate: Gate | None = None
    quit_gate: Gate | None = None
    quit_reply: str = "221 Bye"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_gate is not None:
            await self.data_gate.pass_through()
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        if self.quit_gate is not None:
            await self.quit_gate.pass_through()
        return self.quit_reply

    def open_gates(self) -> None:
        for gate in (self.data_gate, self.quit_gate):
            if gate is not None:
                gate.opened.set()

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
        # A session still held at a gate would keep its thread, and the
        # test run, waiting for ever.
        collector.open_gates()
        controller.stop()
