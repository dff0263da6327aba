"""Reading every registered IMAP mailbox, beside the inbox worker (`handlers/background.py`).

`MailboxPoller` follows the registered sources and runs one `MailboxReader` per mailbox. A
reader reads only while it holds the mailbox's lease (`bot.sources.mailboxes`), so among all
replicas one process reads each mailbox; the others look again on the schedule and take over
once a lease runs out. Each round, the reader keeps every message after its stored position
(`SourceIntake.keep`, named by Message-ID) and only then moves the position on, then waits for
news: IMAP IDLE where the server has it, else the schedule's pause. A server that cannot be
reached, or that goes away mid-round, is tried again on the schedule, from the stored position.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bot.core import Core
from bot.errors import DatabaseUnavailable
from bot.ports.records import MailboxPosition
from bot.sources.intake import SourceIntake
from bot.sources.kinds import SourceKind
from bot.sources.mailboxes import MailboxAddress, Mailboxes
from bot.sources.registry import SourceConfig
from handlers.jobs import job_owner
from handlers.mailboxes.imap import Folder, MailboxSession, MailboxTrouble, Message
from handlers.sources import imap
from handlers.sources.base import Received, incoming

log = logging.getLogger(__name__)

FETCH_AT_ONCE = 20  # messages kept together (one transaction) before the position moves on
T = TypeVar("T")


class LeaseLost(Exception):
    """Another process took the mailbox over (this one's lease had run out)."""


class MailboxReader:
    """Reads one mailbox until stopped, on a thread of its own (IMAP calls block)."""

    def __init__(
        self,
        source: SourceConfig,
        mailboxes: Mailboxes,
        intake: SourceIntake,
        owner: str,
        poll_seconds: float,
    ) -> None:
        self.source = source
        self._address, _ = MailboxAddress.parse(str(source.options.get("url", "")))
        self._mailboxes = mailboxes
        self._intake = intake
        self._owner = owner
        self._poll_seconds = poll_seconds
        self._stopping = threading.Event()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"mailbox-{source.name}")
        self._session: MailboxSession | None = None

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        name = self.source.name
        try:
            while not self._stopping.is_set():
                try:
                    position = await asyncio.to_thread(self._mailboxes.claim, name, self._owner)
                    if position is None:  # another process reads it
                        await self._pause()
                        continue
                    await self._read(position)
                    await self._on_thread(self._wait_for_news)
                except LeaseLost:
                    log.info("mailbox.taken_over source=%s: another process reads it", name)
                    await self._pause()
                except (*MailboxTrouble, DatabaseUnavailable) as error:
                    log.warning(
                        "mailbox.unreachable source=%s error=%s: %s",
                        name,
                        type(error).__name__,
                        str(error)[:200],
                    )
                    await self._pause()
                except Exception:
                    log.exception("mailbox.failed source=%s", name)
                    await self._pause()
        finally:
            await self._on_thread(self._hang_up)
            self._thread.shutdown(wait=False)
            try:
                await asyncio.to_thread(self._mailboxes.release, name, self._owner)
            except DatabaseUnavailable:  # the lease runs out by itself
                log.warning("mailbox.not_released source=%s", name)

    async def _read(self, position: MailboxPosition) -> None:
        """Keep every message after `position`, moving it on after each batch is kept."""
        session, folder = await self._on_thread(self._open)
        if position.uidvalidity not in (None, folder.uidvalidity):
            log.info(
                "mailbox.renumbered source=%s uidvalidity=%s: reading it again from the start",
                self.source.name,
                folder.uidvalidity,
            )
        uids = await self._on_thread(session.uids_after, position.read_up_to(folder.uidvalidity))
        for start in range(0, len(uids), FETCH_AT_ONCE):
            batch = uids[start : start + FETCH_AT_ONCE]
            messages = await self._on_thread(session.fetch, batch)
            await self._keep(messages)
            advance = self._mailboxes.advance
            name, uidvalidity = self.source.name, folder.uidvalidity
            if not await asyncio.to_thread(advance, name, self._owner, uidvalidity, batch[-1]):
                raise LeaseLost("the mailbox's lease was taken over")
        if uids:
            log.info("mailbox.read source=%s messages=%s", self.source.name, len(uids))

    async def _keep(self, messages: Sequence[Message]) -> None:
        """Kept together: arriving at once, they share one transaction, in UID order."""
        kept = [
            self._intake.keep(incoming(imap, self.source, Received({}, m.raw, imap.sample_type)))
            for m in messages
        ]
        await asyncio.gather(*kept)

    async def _pause(self) -> None:
        """Hang up, and look again on the schedule."""
        await self._on_thread(self._hang_up)
        await self._on_thread(self._stopping.wait, self._poll_seconds)

    def _open(self) -> tuple[MailboxSession, Folder]:
        """The session (logged in once, kept between rounds) and the folder, opened afresh."""
        if self._session is None:
            session = MailboxSession(self._address, self.source.credentials or "")
            self._session = session  # set first: a failed login is still hung up after
            session.open()
        return self._session, self._session.examine()

    def _wait_for_news(self) -> None:
        """Until the schedule's next look; with IDLE, sooner when the server says something
        arrived. (A look on the schedule renews the lease, and finds what the server does not
        announce, such as the folder made anew.)"""
        session = self._session
        if session is not None and session.idles:
            session.idle(self._poll_seconds, self._stopping)
        else:
            self._stopping.wait(self._poll_seconds)

    def _hang_up(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()

    async def _on_thread(self, call: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, functools.partial(call, *args))


class MailboxPoller:
    """Runs a reader for each registered IMAP source, following additions and removals."""

    def __init__(self, core: Core, owner: str | None = None) -> None:
        self._core = core
        self._owner = owner or f"{job_owner('mailboxes')}/{secrets.token_hex(4)}"
        self._poll_seconds = core.settings.imap_poll_seconds
        self._stopping = asyncio.Event()
        self._readers: dict[str, tuple[MailboxReader, asyncio.Task[None]]] = {}

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                sources = await asyncio.to_thread(self._core.sources.all)
            except DatabaseUnavailable as error:
                log.warning("mailbox.sources_unavailable error=%s", error)
            else:
                await self._follow([s for s in sources if s.kind is SourceKind.IMAP])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._poll_seconds)
        await self._follow([])

    def stop(self) -> None:
        self._stopping.set()

    async def _follow(self, sources: Sequence[SourceConfig]) -> None:
        """Readers for exactly these sources: new ones started, gone or changed ones stopped."""
        wanted = {source.name: source for source in sources}
        gone = [
            name for name, (reader, _) in self._readers.items() if wanted.get(name) != reader.source
        ]
        for name in gone:
            reader, task = self._readers.pop(name)
            reader.stop()
            await task
        for name, source in wanted.items():
            if name not in self._readers:
                reader = MailboxReader(
                    source,
                    self._core.mailboxes,
                    self._core.source_intake,
                    self._owner,
                    self._poll_seconds,
                )
                self._readers[name] = (reader, asyncio.create_task(reader.run()))
