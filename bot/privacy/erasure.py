"""Erasing one person (`allhands customer forget EMAIL`, `DELETE /api/v1/customers/EMAIL`)
and showing what is kept about them (`allhands customer export EMAIL`).

An erasure is a job in the database: its items are scrubbed a batch per transaction, its
progress and lease saved with each, so a run that dies is taken up by the next process that
looks (`serve` and `work` do every minute) and finished once: its one audit entry is written
with the job's end. The address is kept only while the job runs. A second erasure of the same
address finds nothing and says so.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.admin.schemas import EMAIL
from bot.domain import Event, Feedback, Identity, Platform
from bot.errors import Conflict, Invalid
from bot.ports.clock import Clock
from bot.ports.privacy import ErasureJob, Lease, SentReply
from bot.ports.store import Store
from bot.privacy.scrub import BATCH, ERASED, refresh_cards, scrub_items

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What an erasure removed, per kind (items, comments, events, replies, vectors,
    deliveries, mentions, chat_copies …); `job` is None when nothing was stored about them."""

    job: int | None
    counts: dict[str, int]

    @property
    def found_nothing(self) -> bool:
        return self.job is None


@dataclass(frozen=True, slots=True)
class StoredAbout:
    """Everything kept about one customer: their items (with comments), each item's events,
    and the answers sent to them."""

    email: str
    items: tuple[tuple[Feedback, tuple[Event, ...]], ...]
    replies: tuple[SentReply, ...]


def valid_email(email: str) -> str:
    """The address, lowercased, or `Invalid` naming it."""
    cleaned = email.strip().lower()
    if not EMAIL.match(cleaned):
        raise Invalid(f"'{email}' is not an email address", "email")
    return cleaned


def process_owner() -> str:
    """Names this erasing process in a job's lease: its host and pid, and a nonce, so two
    cores in one process never share one."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Erasure:
    def __init__(
        self, db: Store, clock: Clock, owner: str | None = None, batch: int = BATCH
    ) -> None:
        self._db = db
        self._clock = clock
        self._owner = owner or process_owner()
        self._batch = batch

    def forget(self, email: str, who: Identity | None = None) -> ErasureReport:
        """Erase everything about `email` now; `who` is the lead asking (None: the operator).
        Raises `Conflict` while another process is already erasing them."""
        address = valid_email(email)
        with self._db.write() as uow:
            now = self._clock.now()
            job = uow.erasures.start(
                address,
                uow.people.resolve(who, now).id if who else None,
                who.platform if who else Platform.CLI,
                Lease(self._owner, now, now + LEASE),
            )
            if job is None:
                raise Conflict("An erasure of that address is under way; ask again shortly.")
            if not job.counts and not uow.personal_data.names(address):
                return ErasureReport(None, {})  # rolled back: no job, no audit entry
            uow.commit()
        return self._run(job)

    def resume(self) -> int:
        """Finish erasures whose process died; how many. Run by `serve` and `work`."""
        finished = 0
        while True:
            with self._db.write() as uow:
                now = self._clock.now()
                job = uow.erasures.take(Lease(self._owner, now, now + LEASE))
                uow.commit()
            if job is None:
                return finished
            log.info("erasure.resumed job=%s", job.id)
            self._run(job)
            finished += 1

    def stored_about(self, email: str) -> StoredAbout:
        address = valid_email(email)
        with self._db.read() as uow:
            ids = uow.personal_data.items_of(address, limit=10_000)
            items = [uow.feedback.get(i, with_comments=True) for i in ids]
            return StoredAbout(
                address,
                tuple((item, tuple(uow.events.for_item(item.id))) for item in items if item),
                tuple(uow.personal_data.replies_to(ids)),
            )

    def _run(self, job: ErasureJob) -> ErasureReport:
        """Batch after batch, each with its progress; then the rest and the end in one go."""
        counts: Counter[str] = Counter(job.counts)
        while True:
            with self._db.write() as uow:
                now = self._clock.now()
                ids = uow.personal_data.items_of(job.email, self._batch)
                if not ids:
                    break
                counts.update(scrub_items(uow, ids, ERASED, now))
                if not uow.erasures.progress(job.id, dict(counts), self._owner, now + LEASE):
                    raise Conflict("Another process took this erasure over; it will finish it.")
                uow.commit()
            log.info("erasure.progress job=%s items=%s", job.id, counts["items"])
        with self._db.write() as uow:
            now = self._clock.now()
            touched, mentions = uow.personal_data.forget_mentions(job.email, ERASED, now)
            counts.update(mentions)
            counts["chat_copies"] += refresh_cards(uow, touched, now)
            counts["deliveries"] += uow.personal_data.drop_deliveries(job.email)
            report = {kind: n for kind, n in sorted(counts.items()) if n}
            if uow.erasures.finish(job.id, report, now):
                uow.commit()
        log.info("erasure.finished job=%s", job.id)
        return ErasureReport(job.id, report)


class ErasureResumption:
    """The scheduler's job: at start and every beat, finish erasures whose process died."""

    def __init__(self, erasure: Erasure) -> None:
        self._erasure = erasure

    async def run_due(self, now: datetime) -> None:
        await asyncio.to_thread(self._erasure.resume)
