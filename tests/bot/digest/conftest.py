"""A fixed, seeded history of real customer texts (tests/support/digest.py), on each engine."""

from __future__ import annotations

from datetime import date

import pytest

from bot.service import Desk
from tests.support.clock import FakeClock
from tests.support.digest import Ledger, seed_history


@pytest.fixture
def history(desk: Desk, clock: FakeClock) -> Ledger:
    return seed_history(desk, clock, date(2026, 2, 18), date(2026, 3, 10))
