"""A polled mailbox through failures: the IMAP server going away mid-poll, a crash between
keeping a message and moving the position on, the folder renumbered (a new UIDVALIDITY), and a
second replica polling beside the first. Each message becomes one item, exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.core import Core
from bot.errors import DatabaseUnavailable
from bot.ports.clock import Clock
from bot.ports.records import MailboxPosition
from bot.sources.intake import Incoming, Kept
from handlers.mailboxes import poller
from handlers.mailboxes.poller import MailboxPoller
from tests.support.core import make_core
from tests.support.dovecot import ThrowawayDovecot, needs_dovecot
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.mailboxes import THREAD_STARTERS, eml, items, kept
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import CARDS

pytestmark = [needs_dovecot, needs_realdata]
Client = TestClient[Any, Any]
MESSAGE_IDS = {
    "<1234@local.machine.example>",
    "<68001B29-8EA4-444C-A894-0537D2CA5208@tictail.com>",
    "<CAKsfaBW4hj0Gek6TwbR3erng4P1y0CZzJ0d=pXtCNnYnbe7PLg@mail.gmail.com>",
    "<473FFE27.20003@xxx.org>",
    "<1333374330.68772.YahooMailNeo@web114411.mail.gq1.yahoo.com>",
}


@pytest.fixture
def core_settings(core_settings: dict[str, Any]) -> dict[str, Any]:
    """Look again soon after the server went away (the schedule's pause)."""
    return core_settings | {"ALLHANDS_IMAP_POLL_SECONDS": "0.2"}


def watch(core: Core, dovecot: ThrowawayDovecot, folder: str = "INBOX") -> None:
    core.sources.add("imap", "mailbox", options={"url": dovecot.url(folder)})


def external_ids(core: Core) -> list[str | None]:
    return sorted((item.external_id for item in items(core)), key=str)


async def test_the_server_stopped_mid_poll_and_restarted_loses_and_repeats_nothing(
    dovecot: ThrowawayDovecot,
    client: Client,
    core: Core,
    slack: FakeSlackApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(poller, "FETCH_AT_ONCE", 1)  # so the server can go between two
    first_three, last_two = THREAD_STARTERS[:3], THREAD_STARTERS[3:]
    for name in first_three:
        dovecot.deliver(eml(name))
    keep = core.source_intake.keep
    outcomes: list[Kept] = []
    stopped = asyncio.Event()

    async def keep_then_stop_the_server(incoming: Incoming) -> Kept:
        outcome = await keep(incoming)
        outcomes.append(outcome)
        if len(outcomes) == 1:  # the first of three kept: the server goes away mid-poll
            await asyncio.to_thread(dovecot.stop)
            stopped.set()
        return outcome

    monkeypatch.setattr(core.source_intake, "keep", keep_then_stop_the_server)

    watch(core, dovecot)
    await eventually(stopped.is_set)
    for name in last_two:  # delivered while the IMAP server is down
        dovecot.deliver(eml(name))
    dovecot.start()

    await eventually(lambda: len(items(core)) == 5, what=dovecot.log)
    await eventually(lambda: len(slack.cards(CARDS)) == 5)
    assert set(external_ids(core)) == MESSAGE_IDS
    assert len(outcomes) == 5  # no message fetched and kept twice
    assert all(outcome.delivery_id is not None for outcome in outcomes)
    assert kept(core) == 5
    uidvalidity = dovecot.uidvalidity("INBOX")
    assert core.mailboxes.position("mailbox") == MailboxPosition(uidvalidity, 5)


async def test_a_crash_between_keeping_and_moving_on_repeats_nothing(
    dovecot: ThrowawayDovecot,
    client: Client,
    core: Core,
    slack: FakeSlackApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The messages are kept, then the position cannot be stored: the next round keeps them
    again, and keeping the same Message-ID twice does nothing."""
    for name in THREAD_STARTERS[:2]:
        dovecot.deliver(eml(name))
    advance = core.mailboxes.advance
    failures: list[tuple[Any, ...]] = []

    def advance_failing_once(*args: Any) -> bool:
        if not failures:
            failures.append(args)
            raise DatabaseUnavailable("OperationalError")
        return advance(*args)

    monkeypatch.setattr(core.mailboxes, "advance", advance_failing_once)

    watch(core, dovecot)

    await eventually(lambda: core.mailboxes.position("mailbox").last_uid == 2)
    assert failures
    await eventually(lambda: len(slack.cards(CARDS)) == 2)
    assert len(items(core)) == 2
    assert kept(core) == 2


async def test_a_new_uidvalidity_reads_the_folder_again_without_repeating_a_message(
    dovecot: ThrowawayDovecot, client: Client, core: Core, slack: FakeSlackApi
) -> None:
    hello, apple, gmail = (eml(name) for name in THREAD_STARTERS[:3])
    dovecot.deliver(hello, "Feedback")
    dovecot.deliver(apple, "Feedback")
    watch(core, dovecot, "Feedback")
    await eventually(lambda: len(items(core)) == 2)
    before = dovecot.uidvalidity("Feedback")

    dovecot.renumber("Feedback")  # the server drops the reader's session with the folder
    for raw in (gmail, hello, apple):  # new first: UID 1 again, below the old position
        dovecot.deliver(raw, "Feedback")

    after = dovecot.uidvalidity("Feedback")
    assert after != before
    await eventually(
        lambda: core.mailboxes.position("mailbox") == MailboxPosition(after, 3), what=dovecot.log
    )
    await eventually(lambda: len(items(core)) == 3)
    await eventually(lambda: len(slack.cards(CARDS)) == 3)
    assert kept(core) == 3
    assert len(items(core)) == 3


async def test_one_process_reads_a_mailbox_however_many_replicas_run(
    dovecot: ThrowawayDovecot,
    client: Client,
    core: Core,
    db_url: str,
    clock: Clock,
    core_settings: dict[str, Any],
    slack: FakeSlackApi,
) -> None:
    """A second replica (its own core and connections to the same database) polls too: only
    one of the two ever logs in to the mailbox."""
    replica = make_core(db_url, clock, **core_settings)
    other = MailboxPoller(replica)
    running = asyncio.create_task(other.run())
    try:
        for name in THREAD_STARTERS[:3]:
            dovecot.deliver(eml(name))
        watch(core, dovecot)

        await eventually(lambda: len(slack.cards(CARDS)) == 3)
        assert len(items(core)) == 3
        assert kept(core) == 3
        assert dovecot.logins() == 1
    finally:
        other.stop()
        await running
        replica.close()
