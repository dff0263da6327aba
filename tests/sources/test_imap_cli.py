"""`allhands sources add|list|test|remove` for a mailbox, against a real IMAP server: the
password is sealed, never shown, and `sources test` logs in and counts what waits, storing
nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from app import cli
from bot.core import Core
from bot.ports.records import MailboxPosition
from storage.models import MailboxStateRow, SourceRow
from tests.support.dovecot import ThrowawayDovecot, needs_dovecot
from tests.support.mailboxes import THREAD_STARTERS, eml, kept
from tests.support.realdata import needs_realdata

pytestmark = [needs_dovecot, needs_realdata]


@pytest.fixture
def allhands(core: Core, db_url: str) -> CliRunner:
    assert core.settings.secret_key is not None
    key = core.settings.secret_key.get_secret_value()
    return CliRunner(env={"ALLHANDS_DATABASE_URL": db_url, "ALLHANDS_SECRET_KEY": key})


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args))


def test_the_password_is_sealed_and_never_shown(
    allhands: CliRunner, core: Core, dovecot: ThrowawayDovecot
) -> None:
    added = run(allhands, "sources", "add", "imap", "support", "--url", dovecot.url())
    listed = run(allhands, "sources", "list")

    assert added.exit_code == 0, added.output
    assert added.output == "Source support (imap) added.\n"
    assert listed.output == "support\timap\tpolled\n"
    source = core.sources.get("support")
    assert source.credentials == dovecot.password
    assert source.options == {"url": f"imap://alice@127.0.0.1:{dovecot.port}/INBOX"}
    with core.db.read() as uow:
        options, sealed = uow.session.execute(  # type: ignore[attr-defined]
            select(SourceRow.options, SourceRow.sealed_credentials)
        ).one()
    assert dovecot.password not in json.dumps(options) + str(sealed)


def test_sources_test_logs_in_and_counts_what_waits_storing_nothing(
    allhands: CliRunner, core: Core, dovecot: ThrowawayDovecot
) -> None:
    for name in THREAD_STARTERS[:3]:
        dovecot.deliver(eml(name))
    run(allhands, "sources", "add", "imap", "support", "--url", dovecot.url())

    tested = run(allhands, "sources", "test", "support")

    assert tested.exit_code == 0, tested.output
    assert tested.output == (
        f"support: logged in to imap://alice@127.0.0.1:{dovecot.port}/INBOX; "
        "INBOX holds 3 messages, 3 waiting to be read.\n"
    )
    assert kept(core) == 0
    with core.db.read() as uow:
        assert uow.session.scalars(select(MailboxStateRow)).all() == []  # type: ignore[attr-defined]

    core.mailboxes.claim("support", "a-replica")
    core.mailboxes.advance("support", "a-replica", dovecot.uidvalidity("INBOX"), 2)
    assert "3 messages, 1 waiting" in run(allhands, "sources", "test", "support").output


def test_a_wrong_password_or_a_server_that_is_down_is_said_in_one_line(
    allhands: CliRunner, core: Core, dovecot: ThrowawayDovecot
) -> None:
    wrong = dovecot.url().replace(dovecot.password, "guess")
    run(allhands, "sources", "add", "imap", "support", "--url", wrong)

    refused = run(allhands, "sources", "test", "support")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("allhands: support cannot read imap://alice@127.0.0.1:")
    assert "uthentication failed" in refused.stderr
    assert "guess" not in refused.output
    assert "Traceback" not in refused.output

    dovecot.stop()
    down = run(allhands, "sources", "test", "support")
    assert down.exit_code == 1
    assert "Connection refused" in down.stderr


def test_a_mailbox_url_without_a_password_is_refused(allhands: CliRunner) -> None:
    added = run(allhands, "sources", "add", "imap", "support", "--url", "imaps://a@b.example/")
    assert added.exit_code == 1
    assert added.stderr == (
        "allhands: The mailbox URL needs its password: imaps://USER:PASSWORD@HOST:PORT/FOLDER "
        "(imap:// for a server without TLS).\n"
    )


def test_removing_the_source_forgets_how_far_its_mailbox_was_read(
    allhands: CliRunner, core: Core, dovecot: ThrowawayDovecot
) -> None:
    run(allhands, "sources", "add", "imap", "support", "--url", dovecot.url())
    core.mailboxes.claim("support", "a-replica")
    core.mailboxes.advance("support", "a-replica", 7, 3)

    assert run(allhands, "sources", "remove", "support").exit_code == 0

    assert core.mailboxes.position("support") == MailboxPosition(None, 0)
