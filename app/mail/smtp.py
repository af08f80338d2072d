"""SMTP_URL parsing, building the message, and one SMTP conversation.

``SMTP_URL`` forms::

    smtp://host:25                      plain (a local relay)
    smtp://user:pass@host:587?starttls=1
    smtps://user:pass@host:465          TLS from the first byte
    ...?timeout=20                      seconds, default 15

User and password are URL-encoded (``%40`` for ``@``).
"""

from __future__ import annotations

import functools
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from app.config import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    use_ssl: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 15.0


def parse_smtp_url(url: str) -> SmtpSettings:
    """Read ``SMTP_URL``; a malformed value stops start-up (ConfigError)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ConfigError("SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ConfigError("SMTP_URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError("SMTP_URL has an invalid port") from None
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ConfigError(f"SMTP_URL: unknown option(s) {names}; the options are starttls and timeout")
    use_ssl = parts.scheme == "smtps"
    starttls = query.get("starttls", "").lower() in _TRUE
    if use_ssl and starttls:
        raise ConfigError("SMTP_URL: smtps:// is already TLS; drop starttls")
    try:
        timeout = float(query.get("timeout", 15))
    except ValueError:
        raise ConfigError("SMTP_URL: timeout must be a number of seconds") from None
    return SmtpSettings(
        host=parts.hostname,
        port=port or (465 if use_ssl else 587 if starttls else 25),
        use_ssl=use_ssl,
        starttls=starttls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        timeout=timeout,
    )


def build_message(
    *,
    sender: str,
    recipients: str,
    subject: str,
    text_body: str,
    html_body: str | None,
    message_id: str,
    created_at,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipients
    message["Subject"] = subject
    message["Date"] = format_datetime(created_at)
    message["Message-ID"] = message_id
    # RFC 3834: tells autoresponders not to answer a machine.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text_body)
    if html_body:
        message.add_alternative(html_body, subtype="html")
    return message


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the system's CA
    certificates costs tens of milliseconds, far more than a local SMTP
    conversation, so it is not done per message (nor at all for plain smtp://)."""
    return ssl.create_default_context()


def send(
    message: EmailMessage, settings: SmtpSettings, to_addrs: list[str] | None = None
) -> dict[str, tuple[int, bytes]]:
    """One SMTP conversation, to ``to_addrs`` (bare addresses; default: the
    message's To, Cc and Bcc). Returns the recipients the server refused
    while accepting the message for the others, with its code and reply for
    each (empty when it accepted all); raises smtplib.SMTPException (e.g.
    SMTPRecipientsRefused when it refused them all) or OSError."""
    client: smtplib.SMTP
    if settings.use_ssl:
        client = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=tls_context()
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.starttls:
            client.starttls(context=tls_context())
        if settings.username:
            client.login(settings.username, settings.password or "")
        refused = client.send_message(message, to_addrs=to_addrs)
    except BaseException:
        client.close()
        raise
    # The server has taken the message. Saying goodbye can still fail (an
    # error reply, a timeout); raising then would record the message as
    # failed, and a retry, or staff pressing Send again, would deliver it twice.
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
    return refused


def describe_smtp_error(exc: BaseException) -> str:
    """The error's type and SMTP code, with any email address masked: SMTP
    replies often quote the recipient ("550 <jane@...>: no such user")."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _reply in exc.recipients.values()})
        text = f"{len(exc.recipients)} recipient(s) refused, code(s) {', '.join(codes)}"
    elif isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        reply = str(reply)
        text = f"{exc.smtp_code} {reply.splitlines()[0] if reply else ''}".strip()
    elif isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    else:
        lines = str(exc).splitlines()
        text = lines[0] if lines else ""
    return mask_addresses(f"{name}: {text}" if text else name)[:500]


def mask_addresses(text: str) -> str:
    return _ADDRESS.sub("<address>", text)


def valid_address(value: str) -> bool:
    if "\r" in value or "\n" in value:
        return False
    _name, address = parseaddr(value)
    return bool(address) and _ADDRESS.fullmatch(address) is not None
