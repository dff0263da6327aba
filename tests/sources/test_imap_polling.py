"""An IMAP mailbox polled end to end: the real server (its background work polls) reads a real
Dovecot started by the test, and real messages delivered there become items and cards, replies
comments, and out-of-office answers nothing."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.core import Core
from bot.domain import State
from handlers.sources.base import DELIVERY_LIMIT_BYTES
from storage.models import SourceDeliveryRow
from tests.support.builders import person
from tests.support.dovecot import ThrowawayDovecot, needs_dovecot, running_dovecot
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.mailboxes import THREAD_STARTERS, auto_reply, eml, items, kept
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import CARDS

pytestmark = [needs_dovecot, needs_realdata]
Client = TestClient[Any, Any]


@pytest.fixture
def core_settings(core_settings: dict[str, Any]) -> dict[str, Any]:
    """Look again soon after the server went away (the schedule's pause)."""
    return core_settings | {"ALLHANDS_IMAP_POLL_SECONDS": "0.2"}


def watch(core: Core, dovecot: ThrowawayDovecot, folder: str = "INBOX") -> None:
    core.sources.add("imap", "mailbox", options={"url": dovecot.url(folder)})


async def test_messages_in_the_mailbox_become_items_and_cards(
    dovecot: ThrowawayDovecot, client: Client, core: Core, slack: FakeSlackApi
) -> None:
    dovecot.deliver(eml("rfc2822_thread_1_hello.eml"))
    dovecot.deliver(eml("gmail_reply_multipart_quoted.eml"))

    watch(core, dovecot)

    await eventually(lambda: len(slack.cards(CARDS)) == 2)
    hello, gmail = sorted(items(core), key=lambda item: item.id)
    assert (hello.source, hello.external_id, hello.title) == (
        "mailbox",
        "<1234@local.machine.example>",
        "Saying Hello",
    )
    assert hello.body.splitlines() == ["This is a message just to say hello.", 'So, "Hello".']
    assert (hello.customer.name, hello.customer.email) == ("John Doe", "jdoe@machine.example")
    assert gmail.customer.email == "xxx@gmail.com"
    assert kept(core) == 2


async def test_a_reply_in_the_thread_is_a_comment_on_the_same_item(
    dovecot: ThrowawayDovecot, client: Client, core: Core, slack: FakeSlackApi
) -> None:
    """Both wait in the mailbox when it is first read: kept together, applied in order."""
    dovecot.deliver(eml("rfc2822_thread_1_hello.eml"))
    dovecot.deliver(eml("rfc2822_thread_2_reply.eml"))

    watch(core, dovecot)

    await eventually(lambda: kept(core) == 2)
    await eventually(lambda: items(core) and core.desk.get(items(core)[0].ref).comments)
    [item] = items(core)
    [comment] = core.desk.get(item.ref).comments
    assert comment.text == "Mary Smith: This is a reply to your hello."
    await eventually(lambda: len(slack.cards(CARDS)) == 1)
    assert len(slack.cards(CARDS)) == 1  # never a second card


async def test_the_customer_writing_again_reopens_a_closed_item(
    dovecot: ThrowawayDovecot, client: Client, core: Core
) -> None:
    dovecot.deliver(eml("rfc2822_thread_1_hello.eml"))
    watch(core, dovecot)
    await eventually(lambda: len(items(core)) == 1)
    ref = items(core)[0].ref
    core.desk.close(ref, person("ana"), "Answered")

    dovecot.deliver(eml("rfc2822_thread_3_reply_to_reply.eml"))

    await eventually(lambda: core.desk.get(ref).state is State.OPEN)
    [comment] = core.desk.get(ref).comments
    assert comment.text == "John Doe: This is a reply to your reply."


async def test_an_out_of_office_reply_is_ignored(
    dovecot: ThrowawayDovecot, client: Client, core: Core, slack: FakeSlackApi
) -> None:
    dovecot.deliver(eml("rfc2822_thread_1_hello.eml"))
    dovecot.deliver(auto_reply(eml("rfc2822_thread_2_reply.eml")))
    dovecot.deliver(eml("apple_mail_reply_with_references.eml"))  # read after it

    watch(core, dovecot)

    await eventually(lambda: len(items(core)) == 2)
    await eventually(lambda: kept(core) == 3)
    await eventually(lambda: len(slack.cards(CARDS)) == 2)
    hello = next(item for item in items(core) if item.title == "Saying Hello")
    assert core.desk.get(hello.ref).comments == ()
    assert all("reply to your hello" not in item.body for item in items(core))


async def test_imaps_with_the_servers_certificate_trusted(
    client: Client, core: Core, slack: FakeSlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TLS as a company's server offers it; here its certificate is self-signed, so the test
    trusts it the way an operator would (SSL_CERT_FILE)."""
    with running_dovecot(tls=True) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.root / "cert.pem"))
        server.deliver(eml(THREAD_STARTERS[0]))

        watch(core, server)

        await eventually(lambda: len(slack.cards(CARDS)) == 1)
        assert items(core)[0].external_id == "<1234@local.machine.example>"


async def test_a_server_without_idle_is_read_on_the_schedule(
    client: Client, core: Core, slack: FakeSlackApi
) -> None:
    with running_dovecot(idle=False) as server:
        server.deliver(eml(THREAD_STARTERS[0]))
        watch(core, server)
        await eventually(lambda: len(slack.cards(CARDS)) == 1)

        server.deliver(eml(THREAD_STARTERS[1]))

        await eventually(lambda: len(slack.cards(CARDS)) == 2)
        assert server.logins() == 1  # looked at again in the same session, never IDLE


async def test_no_log_line_holds_the_mailbox_password(
    dovecot: ThrowawayDovecot, client: Client, core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    """Every logger at DEBUG, the IMAP library's included, through a poll and a lost server."""
    caplog.set_level(logging.DEBUG)
    dovecot.deliver(eml(THREAD_STARTERS[0]))
    watch(core, dovecot)
    await eventually(lambda: len(items(core)) == 1)
    dovecot.stop()
    await eventually(lambda: "mailbox.unreachable" in caplog.text)

    assert "LOGIN" in caplog.text  # the library did log its commands
    assert dovecot.password not in caplog.text


async def test_a_message_past_the_size_limit_is_kept_cut_and_still_read(
    dovecot: ThrowawayDovecot, client: Client, core: Core
) -> None:
    """A 3 MiB attachment after the text (built here: no real example is that large)."""
    message = EmailMessage()
    message["From"] = "Ana Lima <ana@example.com>"
    message["Subject"] = "Export broken"
    message["Message-ID"] = "<big-1@example.com>"
    message.set_content("The export button does nothing; the log is attached.")
    message.add_attachment(bytes(3 * 1024 * 1024), "application", "gzip", filename="log.gz")
    dovecot.deliver(message.as_bytes())

    watch(core, dovecot)

    await eventually(lambda: len(items(core)) == 1)
    [item] = items(core)
    assert item.body.startswith("The export button does nothing; the log is attached.")
    with core.db.read() as uow:
        [kept_body] = uow.session.scalars(select(SourceDeliveryRow.body)).all()  # type: ignore[attr-defined]
    assert len(kept_body) == DELIVERY_LIMIT_BYTES
