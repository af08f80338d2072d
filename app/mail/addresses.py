"""Email addresses as the mail is sent to them.

A parent may type an address whose domain has accented letters
(``zoe@exämple.org``): it is a real address, and the mail goes to the
domain's ASCII (IDNA) form, ``xn--exmple-cua.org``. Accented letters before
the ``@`` are another matter: they need the receiving server to speak
SMTPUTF8, and most school and family mail servers do not, so such an
address is refused where it is typed, with a message saying why, rather
than accepted and then failing at delivery.
"""

from __future__ import annotations

import idna

LOCAL_PART_MESSAGE = (
    "Enter an email address with only English letters, numbers and symbols before the @, "
    "like name@example.com"
)
DOMAIN_MESSAGE = "Enter an email address whose part after the @ is a real domain name, like name@example.com"


class UndeliverableAddress(ValueError):
    """An address the mail cannot be sent to; the message says why, for the person who typed it."""


def ascii_address(address: str) -> str:
    """``address`` with its domain in ASCII (IDNA) form; ``UndeliverableAddress``
    when the part before the ``@`` is not ASCII or the domain is not a valid
    internationalised domain name. ASCII addresses come back unchanged."""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise UndeliverableAddress(DOMAIN_MESSAGE)
    if not local.isascii():
        raise UndeliverableAddress(LOCAL_PART_MESSAGE)
    if domain.isascii():
        return address
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise UndeliverableAddress(DOMAIN_MESSAGE) from None
    return f"{local}@{ascii_domain}"


def address_problem(address: str) -> str | None:
    """What is wrong with ``address`` for sending mail to it, or None."""
    try:
        ascii_address(address)
    except UndeliverableAddress as exc:
        return str(exc)
    return None
