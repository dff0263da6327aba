"""At a shift's start each person on it gets the open queue once, however many replicas run."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.admin.configure import Admin
from bot.domain import Feedback, Platform
from bot.intake import FeedbackDraft
from bot.rota import RotaJob
from bot.service import Desk
from tests.support.builders import person
from tests.support.clock import FakeClock

UTC_ZONE = ZoneInfo("UTC")


@dataclass
class RecordingMessenger:
    platform: Platform = Platform.SLACK
    sent: list[tuple[str, str, list[str]]] = field(default_factory=list)

    async def send_queue(self, email: str, intro: str, items: Sequence[Feedback]) -> bool:
        self.sent.append((email, intro, [i.ref for i in items]))
        return True


async def test_shift_start_sends_the_queue_once_per_person(desk: Desk, clock: FakeClock) -> None:
    # The fake clock starts on Monday 2026-03-02 09:00 UTC.
    Admin(desk.db, clock).change(
        "rota",
        {
            "shifts": [
                {
                    "day": "mon",
                    "start": "09:00",
                    "end": "12:00",
                    "emails": ["ana@example.com", "bo@example.com"],
                }
            ]
        },
        None,
    )
    ref = desk.ingest(
        FeedbackDraft(source="email", body="Help"), person("api", Platform.API)
    ).item.ref
    messenger = RecordingMessenger()
    jobs = [RotaJob(desk.db, lambda: UTC_ZONE, [messenger], owner=f"replica-{n}") for n in range(3)]
    clock.advance(minutes=2)
    await asyncio.gather(*(job.run_due(clock.now()) for job in jobs))
    await jobs[0].run_due(clock.now() + timedelta(minutes=5))
    assert sorted(email for email, _, _ in messenger.sent) == ["ana@example.com", "bo@example.com"]
    _email, intro, refs = messenger.sent[0]
    assert intro.startswith("Your All Hands support shift starts now, until 12:00.")
    assert refs == [ref]
