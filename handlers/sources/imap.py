"""Messages from an IMAP mailbox: each is kept as the RFC 5322 bytes the server held, then read
with `mail.py` like every other way email arrives, so a replay reads exactly what came.

The mailbox is polled (`handlers/mailboxes/`), never posted to: `verify` refuses every post.
A message is named by its Message-ID, so the same message met again (after a crash, or once
the folder's UIDVALIDITY changed) is recognised; one without falls back to its content.
"""

from __future__ import annotations

from bot.sources.events import SourceEvent, Unusable
from bot.sources.registry import SourceConfig
from handlers.sources.base import Received
from handlers.sources.mail import mail_events, read_mail

kept_headers: tuple[str, ...] = ()
sample_type = "message/rfc822"
# A message in the RFC 5322 shape (written here), for `allhands sources test NAME --file`.
sample = (
    b"From: Ana Lima <ana@example.com>\r\n"
    b"To: feedback@example.com\r\n"
    b"Subject: Sample: the export button does nothing\r\n"
    b"Date: Mon, 05 Jan 2026 09:00:00 +0000\r\n"
    b"Message-ID: <sample-1@example.com>\r\n"
    b"\r\n"
    b"When I press Export nothing happens.\r\n"
)


def verify(received: Received, source: SourceConfig) -> bool:
    return False


def event_id(received: Received) -> str | None:
    try:
        return read_mail(received.body).message_id
    except Unusable:
        return None


def parse(received: Received, source: SourceConfig) -> list[SourceEvent]:
    return mail_events(read_mail(received.body))
