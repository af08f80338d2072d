"""The test SMTP server helper cannot lose a race for its port."""

from __future__ import annotations

import smtplib
import socket

import pytest

from tests.unit.mail import smtpd


def test_smtp_server_takes_a_port_the_kernel_chose_when_none_is_given(monkeypatch: pytest.MonkeyPatch):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        # As if another process took the port a probe had just found free.
        monkeypatch.setattr(smtpd, "free_port", lambda: taken)

        with smtpd.smtp_server() as (collector, port):
            assert port not in (0, taken)
            with smtplib.SMTP("127.0.0.1", port) as client:
                client.sendmail("a@example.org", ["b@example.org"], b"Subject: hi\r\n\r\nhello\r\n")
        assert [message.rcpt_tos for message in collector.messages] == [["b@example.org"]]


def test_smtp_server_on_a_given_port_uses_that_port():
    port = smtpd.free_port()
    with smtpd.smtp_server(port) as (_collector, bound):
        assert bound == port
        with smtplib.SMTP("127.0.0.1", port) as client:
            assert client.noop()[0] == 250
