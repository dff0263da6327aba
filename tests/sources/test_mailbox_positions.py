"""Polled mailboxes: their URLs (the password split off), and their positions and leases in
the database, on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import Invalid
from bot.ports.records import MailboxPosition
from bot.sources.mailboxes import MailboxAddress, Mailboxes
from storage.uow import SqlStore
from tests.support.clock import FakeClock

LEASE = timedelta(seconds=90)


@pytest.mark.parametrize(
    ("url", "address", "password"),
    [
        pytest.param(
            "imaps://feedback%40example.com:p%40ss:word@mail.example.com/Support%20Inbox",
            MailboxAddress(True, "mail.example.com", 993, "feedback@example.com", "Support Inbox"),
            "p@ss:word",
            id="imaps, encoded",
        ),
        pytest.param(
            "imap://alice:secret@127.0.0.1:1143",
            MailboxAddress(False, "127.0.0.1", 1143, "alice", "INBOX"),
            "secret",
            id="imap, no folder",
        ),
        pytest.param(
            "imaps://alice@mail.example.com:993/INBOX",
            MailboxAddress(True, "mail.example.com", 993, "alice", "INBOX"),
            None,
            id="no password",
        ),
    ],
)
def test_a_mailbox_url_is_read_and_shown_without_its_password(
    url: str, address: MailboxAddress, password: str | None
) -> None:
    assert MailboxAddress.parse(url) == (address, password)
    assert MailboxAddress.parse(address.url) == (address, None)
    assert "secret" not in address.url


@pytest.mark.parametrize(
    "url",
    ["https://alice:pw@mail.example.com/", "imaps://mail.example.com/INBOX", "imap://a:b@h:99999/"],
)
def test_a_mailbox_url_that_cannot_be_read_is_refused_with_its_shape(url: str) -> None:
    with pytest.raises(Invalid, match=r"imaps://USER:PASSWORD@HOST:PORT/FOLDER"):
        MailboxAddress.parse(url)


def test_a_new_uidvalidity_means_reading_the_folder_from_the_start() -> None:
    position = MailboxPosition(uidvalidity=7, last_uid=12)
    assert position.read_up_to(7) == 12
    assert position.read_up_to(8) == 0
    assert MailboxPosition(None, 0).read_up_to(7) == 0


def test_one_owner_reads_a_mailbox_until_its_lease_runs_out_or_is_given_back(
    database: SqlStore, clock: FakeClock
) -> None:
    boxes = Mailboxes(database, clock, LEASE)
    assert boxes.claim("mail", "a") == MailboxPosition(None, 0)
    assert boxes.claim("mail", "b") is None
    assert boxes.advance("mail", "a", 7, 12)
    clock.advance(seconds=80)
    assert boxes.claim("mail", "a") == MailboxPosition(7, 12)  # renewed
    clock.advance(seconds=80)
    assert boxes.claim("mail", "b") is None  # still a's: renewed 80 s ago

    clock.advance(seconds=91)  # a stopped renewing (a crash)
    assert boxes.claim("mail", "b") == MailboxPosition(7, 12)
    assert not boxes.advance("mail", "a", 7, 13)  # a wakes up: it must stop reading
    assert boxes.position("mail") == MailboxPosition(7, 12)

    boxes.release("mail", "a")  # not a's to give back
    assert boxes.claim("mail", "c") is None
    boxes.release("mail", "b")
    assert boxes.claim("mail", "c") == MailboxPosition(7, 12)


def test_positions_hold_the_largest_uids_imap_has(database: SqlStore, clock: FakeClock) -> None:
    boxes = Mailboxes(database, clock, LEASE)
    boxes.claim("mail", "a")
    assert boxes.advance("mail", "a", 2**32 - 1, 2**32 - 1)
    assert boxes.position("mail") == MailboxPosition(2**32 - 1, 2**32 - 1)
    assert boxes.position("elsewhere") == MailboxPosition(None, 0)
