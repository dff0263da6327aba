"""Commands, thread replies as comments, "Log as customer feedback", reactions, competing clicks."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.core import Core
from bot.domain import Platform, State
from bot.ports.records import ListFilter
from handlers.server import build_server
from handlers.teams.adapter import TeamsAdapter, authentication, parse_reactions
from handlers.teams.cards import Verb
from tests.support.fakes.connector import FakeConnector
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.teams import (
    BOT_MENTION,
    CHANNEL,
    RIDO,
    Post,
    assert_valid_card,
    claim_invoke,
    ingest_with_card,
    message,
    recording,
)

pytestmark = needs_realdata


@pytest.fixture(autouse=True)
def sender(connector: FakeConnector) -> str:
    """The author of the recorded channel message, known to the Connector with an email."""
    activity = recording("message_channel_with_mention.json")
    user = activity["from"]
    connector.add_member(user["id"], user["aadObjectId"], "Mo", "mo@example.com")
    return str(user["id"])


def replies(connector: FakeConnector) -> list[str]:
    """Answers to a message (posted as replies to its activity), not cards or thread notes."""
    return [
        c.body.get("text", "") for c in connector.sent("POST") if not c.path.endswith("/activities")
    ]


async def test_log_command_creates_one_item_per_message(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    activity = message(f"{BOT_MENTION} log Export &amp; import is broken", id="100")

    await post(activity)
    await post(activity)  # Teams re-delivers

    (item,) = core.desk.search(ListFilter())
    assert item.body == "Export & import is broken"
    assert item.source == "teams"
    assert item.external_id == "100"
    assert replies(connector) == [f"Logged as {item.ref}."]


async def test_commands_answer_in_the_conversation(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    ref, _ = await ingest_with_card(core, post)
    texts = [
        f"claim {ref}",
        "mine",
        "open",
        "stats",
        f"close {ref} Refunded",
        f"reopen {ref}",
        f"show {ref}",
        "claim",
    ]
    for number, text in enumerate(texts):
        await post(message(f"{BOT_MENTION} {text}", id=f"c{number}"))

    answers = replies(connector)[-len(texts) :]
    assert answers[0] == f"You claimed {ref}."
    assert answers[1].startswith("You hold:")
    assert ref in answers[1]
    assert answers[2] == "Waiting longest: nothing."
    assert answers[3] == "Open: 0 · Claimed: 1 · Closed: 0"
    assert answers[4] == f"You closed {ref}."
    assert answers[5] == f"You reopened {ref}."
    assert answers[6] == f"{ref}: Open: waiting for someone to claim it"
    assert answers[7].startswith("Which item?")
    (show_reply,) = [c for c in connector.sent("POST") if c.body.get("text") == answers[6]]
    shown = show_reply.body["attachments"][0]["content"]
    assert_valid_card(shown)
    assert core.desk.get(ref).resolution is None


async def test_personal_chat_commands_work_too(post: Post, connector: FakeConnector) -> None:
    activity = recording("teamsnet_MessageActivity.json")
    activity["text"] = "stats"

    await post(activity)

    assert replies(connector) == ["Open: 0 · Claimed: 0 · Closed: 0"]


async def test_replies_in_a_card_thread_become_comments_and_follow_edits(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    ref, card_id = await ingest_with_card(core, post)
    thread = f"{CHANNEL};messageid={card_id}"

    await post(message("Customer called again", id="r1", conversation=thread))
    await post(message("Customer called again", id="r1", conversation=thread))  # re-delivered
    edit = message("Customer called *twice*", id="r1", conversation=thread)
    edit["type"] = "messageUpdate"
    edit["channelData"]["eventType"] = "editMessage"
    await post(edit)

    (comment,) = core.desk.get(ref).comments
    assert comment.text == "Customer called *twice*"
    assert comment.author.email == "mo@example.com"
    assert comment.platform is Platform.TEAMS
    await settle(core.db)
    assert not [c for c in connector.sent("POST") if c.body.get("text", "").startswith("Mo:")]

    deletion = message("", id="r1", conversation=thread)
    deletion.update(type="messageDelete")
    deletion["channelData"]["eventType"] = "softDeleteMessage"
    await post(deletion)
    assert core.desk.get(ref).comments == ()


def submit_action(message_id: str, html: str) -> dict[str, Any]:
    activity = recording("invoke_adaptive_card_action.json")
    activity.update(id=f"f:submit-{message_id}", name="composeExtension/submitAction")
    activity["value"] = {
        "commandId": "logFeedback",
        "commandContext": "message",
        "messagePayload": {
            "id": message_id,
            "body": {"contentType": "html", "content": html},
            "linkToMessage": f"https://teams.microsoft.com/l/message/x/{message_id}",
        },
        "data": {"note": "Export broken"},
    }
    return activity


async def test_log_as_customer_feedback_action_creates_the_item_once(
    core: Core, post: Post
) -> None:
    first = await post(submit_action("1759944781430", "<p>The export &amp; import<br>fails</p>"))
    second = await post(submit_action("1759944781430", "<p>The export &amp; import<br>fails</p>"))

    assert (first.status, second.status) == (200, 200)
    (item,) = core.desk.search(ListFilter())
    assert item.title == "Export broken"
    assert item.body == "The export & import fails"
    assert (await first.json())["task"] == {"type": "message", "value": f"Logged as {item.ref}."}
    assert (await second.json())["task"]["value"] == f"Already logged as {item.ref}."


async def test_a_second_claimer_is_told_politely_and_the_claimer_can_unclaim(
    core: Core, post: Post, connector: FakeConnector, sender: str
) -> None:
    ref, card_id = await ingest_with_card(core, post)
    await post(claim_invoke("allhands.claim", ref, card_id))

    late = claim_invoke("allhands.claim", ref, card_id)
    late["id"] = "f:late"
    late["from"] = {"id": sender, "name": "Mo", "aadObjectId": "b15a9416"}
    refused = await (await post(late)).json()
    undo = await post(claim_invoke("allhands.unclaim", ref, card_id))

    assert refused["type"] == "application/vnd.microsoft.activity.message"
    assert refused["value"] == f"{ref} is already claimed by Rido."
    answer = await undo.json()
    assert undo.status == 200
    assert "Open: waiting" in str(answer["value"])
    assert "refresh" not in answer["value"]
    assert core.desk.get(ref).state is State.OPEN


async def test_refresh_shows_each_viewer_their_buttons(
    core: Core, post: Post, connector: FakeConnector, sender: str
) -> None:
    ref, card_id = await ingest_with_card(core, post)
    await post(claim_invoke("allhands.claim", ref, card_id))

    mine = await (await post(claim_invoke("allhands.refresh", ref, card_id))).json()
    other = claim_invoke("allhands.refresh", ref, card_id)
    other.update(id="f:other", **{"from": {"id": sender, "name": "Mo"}})
    theirs = await (await post(other)).json()

    assert "allhands.unclaim" in str(mine["value"]["actions"])
    assert "allhands.unclaim" not in str(theirs["value"]["actions"])
    assert theirs["value"]["refresh"]["userIds"] == [RIDO]


def reaction(card_id: str, kind: str = "like") -> dict[str, Any]:
    activity = recording("message_reaction_added.json")
    activity.update(id=f"f:reaction-{card_id}", replyToId=card_id)
    activity["reactionsAdded"] = [{"type": kind}]
    return activity


async def test_reactions_change_nothing_by_default(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    ref, card_id = await ingest_with_card(core, post)

    response = await post(reaction(card_id))

    assert response.status == 201
    assert core.desk.get(ref).state is State.OPEN


async def test_a_lead_may_map_a_reaction_to_claim(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    ref, card_id = await ingest_with_card(core, post)
    auth = authentication(
        core.settings,
        openid_metadata_url=connector.openid_metadata_url,
        credentials_factory=connector.credentials_factory(),
    )
    mapped = TeamsAdapter(
        core, auth, app_id=connector.app_id, mode="test", reactions=parse_reactions("like=claim")
    )
    activity = connector.activity(reaction(card_id))
    activity["from"] = recording("invoke_adaptive_card_action.json")["from"]

    async with TestClient(TestServer(build_server(core, [mapped]))) as client:
        await client.post(
            "/api/messages",
            json=activity,
            headers={"Authorization": connector.authorization(activity)},
        )

    item = core.desk.get(ref)
    assert item.state is State.CLAIMED
    assert item.claimed is not None
    assert item.claimed.person.email == "rido@example.com"


def test_reaction_mapping_is_checked() -> None:
    assert parse_reactions(" like = claim , heart=close") == {
        "like": Verb.CLAIM,
        "heart": Verb.CLOSE,
    }
    with pytest.raises(ValueError, match="ALLHANDS_TEAMS_REACTIONS"):
        parse_reactions("like=delete")
