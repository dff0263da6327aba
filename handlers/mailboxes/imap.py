"""One session with an IMAP mailbox, over `imapclient`: blocking, so the poller runs it on a
thread of its own.

The folder is opened read-only (EXAMINE) and messages are fetched with BODY.PEEK, so reading
changes nothing on the server: no \\Seen flag, nothing moved or deleted. The position kept in
the database, not the server's flags, says what was read, and people reading the same mailbox
see it as they left it. A message is kept up to DELIVERY_LIMIT_BYTES, like a posted delivery:
a larger one is cut there (its text comes first; attachments past the cut go unlisted).
"""

from __future__ import annotations

import contextlib
import select
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from time import monotonic

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from bot.ports.records import MailboxPosition
from bot.sources.mailboxes import MailboxAddress
from handlers.sources.base import DELIVERY_LIMIT_BYTES

TIMEOUT_SECONDS = 30.0  # a server that stops answering mid-command is given up on
CHECK_SECONDS = 1.0  # how often a wait looks whether it should stop
# What goes wrong talking to a mailbox: the server refusing (IMAPClientError, and imaplib's
# errors beneath it) or the network (OSError: refused, reset, timed out, TLS).
MailboxTrouble = (IMAPClientError, OSError)
BODY = f"BODY.PEEK[]<0.{DELIVERY_LIMIT_BYTES}>".encode()
BODY_KEY = b"BODY[]<0>"


class HungUp(ConnectionError):
    """The server closed the connection while we waited on it."""


@dataclass(frozen=True, slots=True)
class Folder:
    uidvalidity: int
    messages: int


@dataclass(frozen=True, slots=True)
class Message:
    uid: int
    raw: bytes  # the message as the server holds it, cut at DELIVERY_LIMIT_BYTES


class MailboxSession:
    def __init__(self, address: MailboxAddress, password: str) -> None:
        self._address = address
        self._password = password
        self._client: IMAPClient | None = None

    def open(self) -> None:
        """Connect and log in."""
        address = self._address
        context = ssl.create_default_context() if address.tls else None
        client = IMAPClient(
            address.host,
            port=address.port,
            ssl=address.tls,
            ssl_context=context,
            timeout=TIMEOUT_SECONDS,
        )
        self._client = client
        client.login(address.user, self._password)

    def examine(self) -> Folder:
        """Open the folder read-only, afresh: a folder made anew under an open session (a new
        UIDVALIDITY) is only seen by opening it again."""
        opened = self.client.select_folder(self._address.folder, readonly=True)
        return Folder(int(opened[b"UIDVALIDITY"]), int(opened.get(b"EXISTS", 0)))

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise HungUp("the mailbox is not open")
        return self._client

    def uids_after(self, last_uid: int) -> list[int]:
        """The UIDs of the messages after `last_uid`, oldest first. (`N:*` always names the
        newest message, even below N: it is left out.)"""
        found = self.client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def fetch(self, uids: Sequence[int]) -> list[Message]:
        """The messages (bounded), in UID order; one expunged meanwhile is simply missing."""
        fetched = self.client.fetch(list(uids), [BODY])
        return [
            Message(uid, bytes(fetched[uid][BODY_KEY]))
            for uid in sorted(fetched)
            if BODY_KEY in fetched[uid]
        ]

    @property
    def idles(self) -> bool:
        """The server can tell us when something arrives (IMAP IDLE, RFC 2177)."""
        return bool(self.client.has_capability("IDLE"))

    def idle(self, seconds: float, stopping: threading.Event) -> None:
        """Return when the server says the folder changed, after `seconds`, or once `stopping`
        is set.

        A server starting IDLE need not mention mail that arrived since the last command
        (Dovecot does not): a NOOP first asks, and any news means looking again now.
        """
        client = self.client
        if client.noop()[1]:
            return
        client.idle()
        deadline = monotonic() + seconds
        while not stopping.is_set() and monotonic() < deadline:
            readable, _, _ = select.select([client.socket()], [], [], CHECK_SECONDS)
            if not readable:
                continue
            if not client.idle_check(timeout=0):  # readable, yet no line: the end of it
                raise HungUp("the mailbox server closed the connection")
            break
        client.idle_done()

    def close(self) -> None:
        """Log out; a connection already gone is simply dropped."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except MailboxTrouble:
            with contextlib.suppress(*MailboxTrouble):
                client.shutdown()


def waiting(
    address: MailboxAddress, password: str, position: MailboxPosition
) -> tuple[Folder, int]:
    """Log in and count the messages after `position`, reading none: `allhands sources test`."""
    session = MailboxSession(address, password)
    try:
        session.open()
        folder = session.examine()
        return folder, len(session.uids_after(position.read_up_to(folder.uidvalidity)))
    finally:
        session.close()
