"""The bot's own follow-ups reach the card's thread: nudge, escalation, and a reminder whose
buttons work the item from the thread."""

from __future__ import annotations

from typing import Any

from bot.core import Core
from bot.domain import Identity, Platform, State
from bot.nudges import Nudger
from handlers.slack.ids import SlackId
from tests.support.clock import FakeClock
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import CARDS, SlackSender, block_action

pytestmark = needs_realdata


async def _notes(slack: FakeSlackApi, ts: str, count: int) -> list[Any]:
    await eventually(lambda: len(slack.replies(CARDS, ts)) >= count)
    return slack.replies(CARDS, ts)


async def test_a_nudge_then_an_escalation_land_in_the_cards_thread(
    core: Core, slack: FakeSlackApi, clock: FakeClock, ingest: Any
) -> None:
    core.admin.set_role("ana@example.com", "lead", True, None)
    ref, ts = await ingest(severity="urgent")
    nudger = Nudger(core.desk)

    clock.advance(minutes=16)
    nudger.run()
    (nudge,) = await _notes(slack, ts, 1)
    clock.advance(minutes=15)
    nudger.run()
    (_, escalation) = await _notes(slack, ts, 2)

    assert nudge.text == f"⏰ {ref} has waited 16 min for someone. Can you take it?"
    assert escalation.text == f"🚨 {ref} has waited 31 min: escalated to ana."
    assert [m.thread_ts for m in (nudge, escalation)] == [ts, ts]


async def test_a_reminder_is_escaped_and_its_unclaim_button_works_from_the_thread(
    core: Core, slack: FakeSlackApi, sender: SlackSender, clock: FakeClock, ingest: Any
) -> None:
    ref, ts = await ingest()
    sly = Identity(Platform.API, "crm:sly", "Sly <!channel>")
    core.desk.claim(ref, sly)
    clock.advance(hours=25)
    Nudger(core.desk).run()

    *_, reminder = await _notes(slack, ts, 2)  # "claimed this", then the reminder
    assert reminder.text == (
        f"👋 Sly &lt;!channel&gt;: {ref} has been quiet for 25 h. "
        "Still on it? If not, unclaim or close it."
    )
    (actions,) = [b for b in reminder.blocks if b["type"] == "actions"]
    buttons = {e["action_id"]: e["value"] for e in actions["elements"]}
    assert buttons == {SlackId.UNCLAIM: ref, SlackId.CLOSE: ref}

    core.admin.set_role("ana@example.com", "lead", True, None)  # a lead may unclaim anyone's
    click = block_action(SlackId.UNCLAIM, ref, "UANA", message_ts=reminder.ts)
    await sender.interactive(click)
    await eventually(lambda: core.desk.get(ref).state is State.OPEN)
