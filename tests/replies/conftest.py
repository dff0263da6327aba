"""The core with a mailbox source and a mail server of the test's own to reply through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.admin.secrets import new_key
from tests.support.replies import SUPPORT
from tests.support.smtp import RunningSmtp, running_smtp


@pytest.fixture
def smtp() -> Iterator[RunningSmtp]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def core_settings(smtp: RunningSmtp) -> dict[str, Any]:
    return {
        "ALLHANDS_SECRET_KEY": new_key(),
        "ALLHANDS_SMTP_URL": smtp.url,
        "ALLHANDS_SUPPORT_FROM": SUPPORT,
    }
