"""Replies to customers by email, through the mail server `ALLHANDS_SMTP_URL` names.

`smtp://USER:PASS@HOST:PORT` upgrades to TLS with STARTTLS when the server offers it;
`smtps://…` speaks TLS from the first byte. One attempt sends the message once; a refusal is
told apart by its code: 5xx for good, 4xx "try later". Anything else (a timeout, a connection
dropped after the data was sent) leaves it unknown whether the message went, and the outbox
tries again with the same Message-ID.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.errors import DeliveryError
from bot.ports.replies import OutgoingEmail

TIMEOUT_SECONDS = 30.0
LATER_SECONDS = 60.0  # after a 4xx: the server asked us to come back
SMTP_PORT = 25
SMTPS_PORT = 465


class SmtpReplyChannel:
    """A `ReplyChannel` over SMTP: one connection per reply (replies are rare)."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        self._implicit_tls = parts.scheme == "smtps"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (SMTPS_PORT if self._implicit_tls else SMTP_PORT)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout

    async def send(self, email: OutgoingEmail) -> None:
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            use_tls=self._implicit_tls,
            start_tls=False if self._implicit_tls else None,  # None: STARTTLS when offered
            username=self._user,
            password=self._password,
            timeout=self._timeout,
        )
        try:
            async with client:
                await client.send_message(message_of(email))
        except aiosmtplib.SMTPResponseException as error:
            raise refusal(error.code, error.message) from None
        except aiosmtplib.SMTPRecipientsRefused as error:
            first = error.recipients[0]
            raise refusal(first.code, first.message) from None


def refusal(code: int, message: str) -> DeliveryError:
    """A 5xx is final (retrying changes nothing); anything else is "later"."""
    text = f"{code} {' '.join(message.split())}"
    return DeliveryError(text, None if 500 <= code < 600 else LATER_SECONDS)


def message_of(email: OutgoingEmail) -> EmailMessage:
    """The reply as a message in the customer's thread (`In-Reply-To`, `References`)."""
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = email.message_id
    if email.in_reply_to:
        message["In-Reply-To"] = email.in_reply_to
    if email.references:
        message["References"] = " ".join(email.references)
    message.set_content(email.text)
    return message
