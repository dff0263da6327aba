"""IMAP IDLE: with the schedule's next look an hour away, a message that arrives while the
poller waits is read at once, because the server says so."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.core import Core
from handlers.mailboxes.poller import MailboxPoller
from tests.support.dovecot import ThrowawayDovecot, needs_dovecot
from tests.support.eventually import eventually
from tests.support.mailboxes import THREAD_STARTERS, eml, kept
from tests.support.realdata import needs_realdata

pytestmark = [needs_dovecot, needs_realdata]


@pytest.fixture
def core_settings(core_settings: dict[str, Any]) -> dict[str, Any]:
    return core_settings | {"ALLHANDS_IMAP_POLL_SECONDS": "3600"}


async def test_a_message_arriving_while_the_poller_waits_is_read_at_once(
    dovecot: ThrowawayDovecot, core: Core
) -> None:
    core.sources.add("imap", "mailbox", options={"url": dovecot.url()})
    dovecot.deliver(eml(THREAD_STARTERS[0]))
    poller = MailboxPoller(core)
    running = asyncio.create_task(poller.run())
    try:
        await eventually(lambda: kept(core) == 1)

        dovecot.deliver(eml(THREAD_STARTERS[1]))

        await eventually(lambda: core.mailboxes.position("mailbox").last_uid == 2)
        assert kept(core) == 2
        assert dovecot.logins() == 1
    finally:
        poller.stop()
        await running
