"""What a server does besides answering: the inbox, the outbox, the schedule and the polled
mailboxes.

`allhands serve` runs it beside the routes. `allhands serve --no-work` answers only (it still
records what it acks) and leaves this to `allhands work` processes, so that answering and
working do not share one interpreter; any number of either may share one database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from bot.core import Core
from bot.delivery.inbox import InboxWorker
from bot.delivery.outbox import OutboxWorker
from bot.domain import Platform
from bot.ports.chat import ChatPoster
from bot.ports.spikes import AlertPoster
from bot.signal.alerts import SpikeAlerts
from handlers.chat import ChatAdapter
from handlers.jobs import direct_messengers, server_jobs
from handlers.mailboxes.poller import MailboxPoller
from handlers.sources.vendors import SourceWork
from handlers.vendors.replies import ReplyRouter
from handlers.vendors.smtp import SmtpReplyChannel
from handlers.webhooks import HttpWebhookSender

GRACE_SECONDS = 10.0


class Background:
    def __init__(
        self,
        core: Core,
        adapters: Sequence[ChatAdapter],
        crowded: Callable[[], bool] = lambda: False,
    ) -> None:
        """`crowded` says when the answers beside this work are waiting on each other."""
        posters: dict[Platform, ChatPoster] = {
            adapter.platform: adapter.poster for adapter in adapters
        }
        alert_posters = {
            p: poster for p, poster in posters.items() if isinstance(poster, AlertPoster)
        }
        self._webhook_sender = HttpWebhookSender(core.clock)
        webhooks = (self._webhook_sender, core.webhooks)
        smtp = core.settings.smtp_url
        mail = SmtpReplyChannel(smtp.get_secret_value()) if smtp else None
        replies = (ReplyRouter(core.sources, mail), core.replies)
        self.outbox = OutboxWorker(
            core.db,
            posters,
            core.clock,
            webhooks=webhooks,
            stories=core.stories,
            privacy=core.desk.privacy,
            direct=direct_messengers(core),
            replies=replies,
            alerts=SpikeAlerts(core.db, alert_posters, core.desk.privacy),
        )
        self._accounts = core.stories.accounts
        core.listeners.add(self.outbox)
        handlers = {a.platform: a.handle_recorded for a in adapters if a.handle_recorded}
        handlers[Platform.SOURCE] = SourceWork(core.source_intake).handle
        self.inbox = InboxWorker(core.inbox, core.db, handlers, core.clock, crowded=crowded)
        self._signals = core.db.listener(inbox=self.inbox.wake, outbox=self.outbox.wake)
        self._jobs = server_jobs(core)
        self.mailboxes = MailboxPoller(core)
        self._inbox_task: asyncio.Task[None] | None = None
        self._others: list[asyncio.Task[None]] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._inbox_task = loop.create_task(self.inbox.run())
        self._others = [
            loop.create_task(self.outbox.run()),
            loop.create_task(self._jobs.run()),
            loop.create_task(self.mailboxes.run()),
        ]
        if self._signals is not None:
            self._signals.start()

    async def stop(self) -> None:
        """Finish the deliveries being handled (their changes queue card updates), then let
        the outbox send what it has in hand; what is left waits in the database."""
        if self._signals is not None:
            await asyncio.to_thread(self._signals.stop)
        self.inbox.stop()
        if self._inbox_task is not None:
            await asyncio.wait([self._inbox_task], timeout=GRACE_SECONDS)
        self.outbox.stop()
        self._jobs.stop()
        self.mailboxes.stop()
        if self._others:
            await asyncio.wait(self._others, timeout=GRACE_SECONDS)
        await self._webhook_sender.close()
        await self._accounts.close()
