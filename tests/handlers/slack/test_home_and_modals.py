"""App Home; hand off (with the new holder's DM); severity and tags from the overflow menu."""

from __future__ import annotations

import json
from typing import Any

from bot.core import Core
from bot.domain import Identity, Platform, Severity, State
from handlers.slack.ids import Field, SlackId
from handlers.slack.views import Origin
from tests.support.clock import FakeClock
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import CARDS, SlackSender, block_action, event, view_submission

pytestmark = needs_realdata

ANA = Identity(Platform.SLACK, "T0001:UANA", "Ana Lima", "ana@example.com")


async def test_app_home_shows_my_claims_the_oldest_open_and_whom_i_helped(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Any, clock: FakeClock
) -> None:
    helped, _ = await ingest("Refund please")
    core.desk.claim(helped, ANA)
    core.desk.close(helped, ANA, "Refunded")
    mine, _ = await ingest("Login loop")
    core.desk.claim(mine, ANA)
    waiting, _ = await ingest("Dark mode?")

    opened = event("app_home_opened.json", "EvHome", user="UANA", tab="home")
    await sender.event(opened)
    (published,) = await slack.wait_for("views.publish")

    assert published.args["user_id"] == "UANA"
    view = published.args["view"]
    text = json.dumps(view, ensure_ascii=False)
    assert "You helped *1* customer this month." in text
    assert "Login loop" in text
    assert "Dark mode?" in text
    assert "Refund please" not in text
    buttons = [b["accessory"]["value"] for b in view["blocks"] if "accessory" in b]
    assert buttons == [waiting]  # only open items get a Claim button


async def test_claiming_from_app_home_refreshes_it(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Any
) -> None:
    ref, _ = await ingest()
    click = block_action(SlackId.CLAIM, ref, "UANA", message_ts="")
    del click["container"]["message_ts"]
    click["container"] = {"type": "view", "view_id": "V1"}
    click["view"] = {"id": "V1", "type": "home"}
    await sender.interactive(click)
    (published,) = await slack.wait_for("views.publish")
    assert core.desk.get(ref).state is State.CLAIMED
    assert "Your claims*" in json.dumps(published.args["view"])


async def test_hand_off_moves_the_item_and_tells_the_new_holder_the_whole_story(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest("The CSV export drops accents")
    core.desk.claim(ref, ANA)
    core.desk.comment(ref, ANA, "Reproduced with é and ü")
    menu = block_action(
        SlackId.MORE, "", "UANA", message_ts=ts, selected=f"{SlackId.HAND_OFF}:{ref}"
    )
    await sender.interactive(menu)
    (opened,) = await slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == SlackId.HAND_OFF_VIEW

    values = {
        Field.TARGET: {"type": "users_select", "selected_user": "UBEN"},
        Field.NOTE: {"type": "plain_text_input", "value": "You know the exporter best"},
    }
    metadata = opened.args["view"]["private_metadata"]
    await sender.interactive(view_submission(SlackId.HAND_OFF_VIEW, values, metadata, "UANA"))
    await eventually(lambda: any(m.channel == "DUBEN" for m in slack.messages))

    item = core.desk.get(ref)
    assert item.claimed is not None
    assert item.claimed.person.email == "ben@example.com"
    (dm,) = [m for m in slack.messages if m.channel == "DUBEN"]
    story = json.dumps(dm.blocks, ensure_ascii=False)
    assert "<@UANA> handed FB-1 to you: You know the exporter best" in story
    assert "Reproduced with é and ü" in story
    assert f"/archives/{CARDS}/p{ts.replace('.', '')}|Open the card's thread>" in story


async def test_severity_and_tags_are_edited_from_the_card(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()
    origin = Origin(ref, CARDS, ts).dump()
    severity = {Field.SEVERITY: {"type": "static_select", "selected_option": {"value": "urgent"}}}
    await sender.interactive(view_submission(SlackId.SEVERITY_VIEW, severity, origin, "UANA"))
    await eventually(lambda: len(slack.replies(CARDS, ts)) == 1)  # a person edits one by one
    tags = {Field.TAGS: {"type": "plain_text_input", "value": "Billing, #export"}}
    await sender.interactive(view_submission(SlackId.TAGS_VIEW, tags, origin, "UANA"))
    await eventually(lambda: len(slack.replies(CARDS, ts)) == 2)

    item = core.desk.get(ref)
    assert (item.severity, item.tags) == (Severity.URGENT, ("billing", "export"))
    card = json.dumps(slack.cards(CARDS)[0].blocks)
    assert "*urgent*" in card
    assert "`#billing` `#export`" in card
    notes = [m.text for m in slack.replies(CARDS, ts)]
    assert notes == [
        "<@UANA> changed severity to *urgent*",
        "<@UANA> changed tags to `#billing` `#export`",
    ]


async def test_a_too_long_tag_keeps_the_modal_open_with_the_reason(
    core: Core, sender: SlackSender, ingest: Any
) -> None:
    ref, ts = await ingest()
    tags = {Field.TAGS: {"type": "plain_text_input", "value": "x" * 51}}
    submission = view_submission(SlackId.TAGS_VIEW, tags, Origin(ref, CARDS, ts).dump(), "UANA")
    response = await sender.interactive(submission)
    assert response.status == 200
    assert (await response.json())["response_action"] == "errors"
    assert core.desk.get(ref).tags == ()
