"""Acceptance: "Log as customer feedback" creates exactly one item, even when delivered twice."""

from __future__ import annotations

from bot.core import Core
from bot.ports.records import ListFilter
from handlers.slack.ids import Field, SlackId
from handlers.slack.views import Origin
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import SlackSender, message_shortcut, view_submission

pytestmark = needs_realdata

TEXT = "Hi! The <https://evil.example|invoice> export has been broken since Monday"


async def test_logging_a_message_twice_gives_one_item_linked_to_it(
    core: Core, slack: FakeSlackApi, sender: SlackSender
) -> None:
    message = slack.post_as_user("C0SUPPORT", "UCAT", TEXT)
    shortcut = message_shortcut(SlackId.LOG_SHORTCUT, "UANA", "UCAT", "C0SUPPORT", message.ts, TEXT)
    await sender.interactive(shortcut)
    await sender.interactive(shortcut)  # Slack delivered the same click twice
    (opened,) = await slack.wait_for("views.open")
    view = opened.args["view"]
    fields = {block["block_id"]: block["element"] for block in view["blocks"]}
    assert fields[Field.BODY]["initial_value"] == TEXT
    assert fields[Field.CUSTOMER]["initial_value"] == "Cat Jones"

    values = {
        Field.BODY: {"type": "plain_text_input", "value": TEXT},
        Field.CUSTOMER: {"type": "plain_text_input", "value": "Cat Jones"},
        Field.KIND: {"type": "static_select", "selected_option": {"value": "bug"}},
    }
    metadata = view["private_metadata"]
    for _ in range(2):  # and the modal was submitted twice
        await sender.interactive(view_submission(SlackId.LOG_VIEW, values, metadata, "UANA"))
    await slack.wait_for("chat.postEphemeral", 2)

    (item,) = core.desk.search(ListFilter())
    assert (item.source, item.external_id) == ("slack", f"C0SUPPORT:{message.ts}")
    assert item.kind.value == "bug"
    assert item.customer.email == "cat@example.com"
    assert item.url is not None
    assert item.url.endswith(f"/archives/C0SUPPORT/p{message.ts.replace('.', '')}")
    told = [c.args["text"] for c in slack.calls_to("chat.postEphemeral")]
    assert told == [f"Logged as {item.ref}.", f"This message was already logged as {item.ref}."]
    assert Origin.load(metadata).channel == "C0SUPPORT"
    await eventually(lambda: len(slack.cards()) == 2)  # the message and the item's one card
