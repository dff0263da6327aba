"""The real server with Slack on (against the fake Web API), sources sealed with a key, the
email vendors' ways of posting, and an IMAP server of the test's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.admin.secrets import new_key
from bot.core import Core
from handlers.chat import ChatAdapter
from handlers.server import chat_adapters
from tests.support.dovecot import ThrowawayDovecot, running_dovecot
from tests.support.email import encode_multipart, mailgun_sign
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.slack import slack_settings


@pytest.fixture
def core_settings(slack: FakeSlackApi) -> dict[str, Any]:
    return slack_settings(slack) | {"ALLHANDS_SECRET_KEY": new_key()}


@pytest.fixture
def adapters(core: Core) -> list[ChatAdapter]:
    return chat_adapters(core, dev=False)[0]


@pytest.fixture
def multipart() -> Callable[..., tuple[bytes, str]]:
    return encode_multipart


@pytest.fixture
def mailgun_signed() -> Callable[..., dict[str, str]]:
    return mailgun_sign


@pytest.fixture
def dovecot() -> Iterator[ThrowawayDovecot]:
    """A Dovecot IMAP server of the test's own, started (skip with `needs_dovecot`)."""
    with running_dovecot() as server:
        yield server
