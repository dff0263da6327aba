"""Intercom's own webhook payloads, read by the Intercom module: signature, event id, events.

Both 1.x item shapes found in the real data are read: the SDK fixture (times as strings, no
parts) and Zulip's and Hull's real deliveries. The 2.x item (`source`, `contacts`) is Intercom's
OpenAPI conversation example put in a notification envelope here, as Intercom sends it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain import Kind, Severity
from bot.sources.events import Arrived, FollowedUp, StatusChanged, Unusable
from bot.sources.kinds import SourceKind
from bot.sources.registry import SourceConfig
from handlers.sources import intercom
from handlers.sources.base import Received, hmac_hex
from tests.support.realdata import needs_realdata, realdata_json, realdata_path

pytestmark = needs_realdata

SECRET = "intercom-client-secret"
SOURCE = SourceConfig("chat", SourceKind.INTERCOM, SECRET)


def payload(name: str) -> bytes:
    return realdata_path("sources", "intercom", "webhooks", name).read_bytes()


def received(body: bytes, signature: str | None = None) -> Received:
    header = signature if signature is not None else "sha1=" + hmac_hex(SECRET, body, "sha1")
    return Received({"x-hub-signature": header}, body, "application/json")


def parse(body: bytes) -> list[Any]:
    return intercom.parse(received(body), SOURCE)


def notification(topic: str, item: dict[str, Any]) -> bytes:
    """A notification envelope as Intercom documents it, around a conversation."""
    envelope = {"type": "notification_event", "id": "notif_2x", "topic": topic}
    return json.dumps(
        envelope | {"data": {"type": "notification_event_data", "item": item}}
    ).encode()


def test_the_signature_is_hex_hmac_sha1_of_the_body_with_the_client_secret() -> None:
    body = payload("conversation_user_replied.json")
    good = "sha1=" + hmac_hex(SECRET, body, "sha1")
    assert intercom.verify(received(body, good), SOURCE)
    assert intercom.verify(received(body, good.replace("sha1=", "SHA1=")), SOURCE)
    assert not intercom.verify(received(body, "sha1=" + hmac_hex("guess", body, "sha1")), SOURCE)
    assert not intercom.verify(received(body + b" ", good), SOURCE)
    assert not intercom.verify(received(body, good.removeprefix("sha1=")), SOURCE)
    assert not intercom.verify(received(body, "sha256=" + hmac_hex(SECRET, body)), SOURCE)
    assert not intercom.verify(Received({}, body), SOURCE)
    assert not intercom.verify(received(body, good), SourceConfig("chat", SourceKind.INTERCOM))


def test_a_conversation_started_by_the_customer_is_a_new_item_sdk_shape() -> None:
    [event] = parse(payload("conversation_user_created_sdk.json"))

    assert isinstance(event, Arrived)
    assert (event.key, event.body, event.title) == ("123456789", "An important message", None)
    assert (event.customer.name, event.customer.email) == ("Kill Bill", "bill@bill.bill")
    assert event.url == "https://app.intercom.io/a/apps/aaaaaa/inbox/all/conversations/123456789"
    assert event.received_at == datetime(2014, 9, 10, 7, 48, 13, tzinfo=UTC)  # "1410335293"
    assert (event.kind, event.severity) == (Kind.FEEDBACK, Severity.NORMAL)
    assert intercom.event_id(received(payload("conversation_user_created_sdk.json"))) == (
        "notif_123456-56465-546546"
    )


def test_the_customer_replying_is_more_words_from_the_customer_real_delivery() -> None:
    [event] = parse(payload("conversation_user_replied.json"))

    assert isinstance(event, FollowedUp)
    assert event.refers_to == ("21322009097",)
    assert event.text == "Well, I need some help getting access to a developer account."
    assert (event.author, event.from_customer) == ("Eeshan Garg", True)
    assert event.own_key == "part:2824391734"
    assert event.at == datetime(2019, 3, 22, 21, 48, 27, tzinfo=UTC)
    # unknown here (the source was added mid-conversation): everything the customer said
    assert event.otherwise is not None
    assert event.otherwise.body == (
        "Hello\n\nWell, I need some help getting access to a developer account."
    )
    assert event.otherwise.customer.email == "jerryguitarist@gmail.com"


def test_a_teammate_replying_is_a_comment_that_does_not_reopen_nor_start_an_item() -> None:
    [event] = parse(payload("conversation_admin_replied.json"))

    assert isinstance(event, FollowedUp)
    assert (event.refers_to, event.text) == (("137324500000000",), "hi Bob")
    assert (event.author, event.from_customer) == ("Andy", False)
    assert event.otherwise is None  # a teammate opened it: no customer words to make an item of


def test_the_2x_item_shape_is_read_too() -> None:
    conversation = realdata_json("sources", "intercom", "api", "conversation_retrieve.json")
    conversation["source"]["author"] = {"type": "user", "id": "6762f1261bb69f9f2193bba7"}

    [created] = parse(notification(intercom.CREATED, conversation))
    [replied] = parse(notification(intercom.ADMIN_REPLIED, conversation))

    assert isinstance(created, Arrived)
    assert (created.key, created.body, created.tags) == (
        "503",
        "this is the message body",
        ("Test tag",),
    )
    assert created.customer.email is None
    assert isinstance(replied, FollowedUp)
    # the last parts are actions without words: the reply is the last part with a body
    assert (replied.text, replied.author, replied.own_key) == ("Okay!", "Operator", "part:1")
    assert replied.otherwise is not None
    assert replied.otherwise.body == "this is the message body"


def test_a_teammate_closing_or_reopening_is_noted() -> None:
    data = json.loads(payload("conversation_user_replied.json"))
    closed = json.dumps(data | {"topic": "conversation.admin.closed"}).encode()
    opened = json.dumps(data | {"topic": "conversation.admin.opened"}).encode()

    assert parse(closed) == [StatusChanged("21322009097", "closed")]
    assert parse(opened) == [StatusChanged("21322009097", "open")]


def test_other_topics_and_pings_say_nothing() -> None:
    ping = {"type": "notification_event", "topic": "ping", "data": {"item": {"type": "ping"}}}
    assert parse(json.dumps(ping).encode()) == []
    data = json.loads(payload("conversation_user_replied.json"))
    assert parse(json.dumps(data | {"topic": "user.created"}).encode()) == []


def test_an_unreadable_payload_says_what_is_missing() -> None:
    body = payload("conversation_user_created_sdk.json")
    with pytest.raises(Unusable, match="not JSON"):
        parse(body[: len(body) // 2])
    data = json.loads(body)
    del data["data"]["item"]
    with pytest.raises(Unusable, match=r"data\.item is missing"):
        parse(json.dumps(data).encode())
    data = json.loads(payload("conversation_user_created_sdk.json"))
    data["data"]["item"]["conversation_message"]["body"] = "<p> </p>"
    with pytest.raises(Unusable, match=r"conversation_message\.body is missing"):
        parse(json.dumps(data).encode())
    data = json.loads(payload("conversation_user_replied.json"))
    data["data"]["item"]["conversation_parts"]["conversation_parts"] = []
    with pytest.raises(Unusable, match="no part with a body"):
        parse(json.dumps(data).encode())
