"""Mailboxes read by polling (IMAP): where one is, how far it was read, and who reads it.

A mailbox source is registered with one URL, `imaps://USER:PASSWORD@HOST:PORT/FOLDER`; the
password is split off and sealed as the source's credentials, and the rest kept as its `url`
option, so no option, list or log line ever carries it.

Its position (the folder's UIDVALIDITY and the last UID kept) is stored, and moved on only after
the messages up to it are kept: a restart reads on from there, losing nothing, and a message
kept again after a crash between the two is recognised by its event id. A lease in the same row
lets one process at a time read the mailbox, whichever replica it runs on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, unquote, urlsplit

from bot.errors import Invalid
from bot.ports.clock import Clock
from bot.ports.records import MailboxPosition
from bot.ports.store import Store

LEASE = timedelta(seconds=90)  # renewed every cycle; a crashed reader's mailbox waits this long
PORTS = {"imaps": 993, "imap": 143}
SHAPE = "imaps://USER:PASSWORD@HOST:PORT/FOLDER (imap:// for a server without TLS)"


@dataclass(frozen=True, slots=True)
class MailboxAddress:
    tls: bool
    host: str
    port: int
    user: str
    folder: str

    @classmethod
    def parse(cls, url: str) -> tuple[MailboxAddress, str | None]:
        """The address in an IMAP URL, and its password (None when it has none). Reserved
        characters in the user, password or folder are percent-encoded (`@` as `%40`)."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise Invalid(f"The mailbox URL is not a URL; it looks like {SHAPE}.", "url") from None
        if parts.scheme not in PORTS or not parts.hostname or not parts.username:
            raise Invalid(f"The mailbox URL must look like {SHAPE}.", "url")
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        password = unquote(parts.password) if parts.password else None
        address = cls(
            parts.scheme == "imaps",
            parts.hostname,
            port or PORTS[parts.scheme],
            unquote(parts.username),
            folder,
        )
        return address, password

    @property
    def url(self) -> str:
        """The address without its password: what is stored and shown."""
        scheme = "imaps" if self.tls else "imap"
        host = f"[{self.host}]" if ":" in self.host else self.host
        user, folder = quote(self.user, safe=""), quote(self.folder, safe="")
        return f"{scheme}://{user}@{host}:{self.port}/{folder}"


def mailbox_lease(poll_seconds: float) -> timedelta:
    """Long enough to outlast the pause between two looks at the mailbox, renewed at each."""
    return max(LEASE, timedelta(seconds=3 * poll_seconds))


class Mailboxes:
    """Positions and leases of the polled mailboxes, one row per source."""

    def __init__(self, db: Store, clock: Clock, lease: timedelta = LEASE) -> None:
        self._db = db
        self._clock = clock
        self._lease = lease

    def claim(self, source: str, owner: str) -> MailboxPosition | None:
        """Take or renew `owner`'s lease on the mailbox: its position, or None while another
        process holds it."""
        now = self._clock.now()
        with self._db.write() as uow:
            position = uow.mailboxes.claim(source, owner, now, now + self._lease)
            uow.commit()
        return position

    def advance(self, source: str, owner: str, uidvalidity: int, last_uid: int) -> bool:
        """Record that every message up to `last_uid` is kept, renewing the lease; False when
        the lease was lost (another process reads the mailbox now, and this one must stop)."""
        until = self._clock.now() + self._lease
        with self._db.write() as uow:
            moved = uow.mailboxes.advance(source, owner, uidvalidity, last_uid, until)
            uow.commit()
        return moved

    def release(self, source: str, owner: str) -> None:
        """Give the lease back (on stopping), so another process need not wait it out."""
        with self._db.write() as uow:
            uow.mailboxes.release(source, owner)
            uow.commit()

    def position(self, source: str) -> MailboxPosition:
        with self._db.read() as uow:
            found = uow.mailboxes.position(source)
        return found or MailboxPosition(None, 0)
