"""The generic JSON kind: a field map checked when the source is added, payloads read through
it, and its `X-AllHands-Signature` header. There is no vendor here: the payloads are built in
the test, in whatever shape a sender might use."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain import Kind, Severity
from bot.errors import Invalid
from bot.sources.events import Arrived, FollowedUp, StatusChanged, Unusable
from bot.sources.kinds import SourceKind
from bot.sources.registry import SourceConfig
from handlers.sources import generic
from handlers.sources.base import Received, hmac_base64, hmac_hex

SECRET = "json-source-secret"
EVERY_FIELD = [
    "key=ticket.id",
    "body=ticket.messages.0.text",
    "title=ticket.subject",
    "email=ticket.requester.email",
    "name=ticket.requester.name",
    "kind=ticket.type",
    "severity=ticket.priority",
    "url=ticket.link",
    "received_at=ticket.opened",
    "status=ticket.state",
    "event=action",
]


def source(*pairs: str) -> SourceConfig:
    paths = generic.field_map(pairs or EVERY_FIELD)
    return SourceConfig("widget", SourceKind.JSON, SECRET, options={"map": paths})


def parse(data: Any, config: SourceConfig | None = None) -> list[Any]:
    body = json.dumps(data).encode()
    return generic.parse(Received({}, body, "application/json"), config or source())


def ticket(action: str = "opened", **fields: Any) -> dict[str, Any]:
    return {
        "action": action,
        "ticket": {
            "id": 4711,
            "subject": "Export",
            "messages": [{"text": "The export button does nothing"}],
            "requester": {"name": "Dana", "email": "dana@example.com"},
            "type": "Bug",
            "priority": "HIGH",
            "link": "https://help.example.com/t/4711",
            "opened": "2026-01-05T09:00:00Z",
            "state": "Solved",
        }
        | fields,
    }


@pytest.mark.parametrize(
    ("pairs", "reason"),
    [
        ((), "needs --map for key and body"),
        (("key=id",), "needs --map for body"),
        (("key=id", "body=text", "colour=x"), "FIELD one of key, body"),
        (("key=id", "body"), "FIELD=PATH"),
        (("key=id", "body=a..b"), "PATH is dotted names"),
        (("key=id", "body=a b"), "PATH is dotted names"),
        (("key=id", "body=text", "body=other"), "body is given twice"),
    ],
)
def test_a_field_map_is_checked_with_a_clear_error(pairs: tuple[str, ...], reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        generic.field_map(pairs)


def test_every_mapped_field_is_read() -> None:
    data = ticket("new")

    [event] = parse(data)

    assert isinstance(event, Arrived)
    assert (event.key, event.body, event.title) == (
        "4711",
        "The export button does nothing",
        "Export",
    )
    assert (event.customer.name, event.customer.email) == ("Dana", "dana@example.com")
    assert (event.kind, event.severity) == (Kind.BUG, Severity.HIGH)
    assert event.url == "https://help.example.com/t/4711"
    assert event.received_at is not None
    assert event.received_at.isoformat() == "2026-01-05T09:00:00+00:00"


def test_without_an_event_field_every_delivery_is_new_and_unknown_words_are_defaults() -> None:
    config = source("key=id", "body=text", "kind=k", "severity=s", "url=u", "email=e")
    data = {"id": "a1", "text": "Hi", "k": "rant", "s": 3, "u": "ftp://x", "e": "not-an-email"}

    [event] = parse(data, config)

    assert isinstance(event, Arrived)
    assert (event.kind, event.severity, event.url) == (Kind.FEEDBACK, Severity.NORMAL, None)
    assert event.customer.email is None


@pytest.mark.parametrize("action", ["follow-up", "comment", "reply", "Follow_Up"])
def test_a_follow_up_is_more_words_from_the_customer_on_the_keys_item(action: str) -> None:
    [event] = parse(ticket(action, messages=[{"text": "Still broken"}]))

    assert isinstance(event, FollowedUp)
    assert (event.refers_to, event.text, event.author) == (("4711",), "Still broken", "Dana")
    assert event.from_customer is True
    assert event.otherwise is not None
    assert event.otherwise.key == "4711"


def test_a_status_event_notes_the_status() -> None:
    assert parse(ticket("status")) == [StatusChanged("4711", "solved")]
    without_status = source("key=ticket.id", "body=ticket.text", "event=action")
    with pytest.raises(Unusable, match="needs --map status=PATH"):
        parse(ticket("status"), without_status)


def test_an_unreadable_payload_says_which_path_is_missing() -> None:
    raw = json.dumps(ticket("new")).encode()
    with pytest.raises(Unusable, match="not JSON"):
        generic.parse(Received({}, raw[:20]), source())
    with pytest.raises(Unusable, match=r"ticket\.messages\.0\.text \(the body\) is missing"):
        parse(ticket("new", messages=[]))
    with pytest.raises(Unusable, match=r"ticket\.id \(the key\) is missing"):
        parse(ticket("new", id={"nested": 1}))
    with pytest.raises(Unusable, match="'closed': new, follow-up or status"):
        parse(ticket("closed"))
    unmapped = SourceConfig("widget", SourceKind.JSON, SECRET)
    with pytest.raises(Unusable, match="no field map"):
        parse(ticket("new"), unmapped)


def test_the_signature_is_hex_hmac_sha256_of_the_body() -> None:
    body = json.dumps(ticket("new")).encode()

    def verified(header: str | None, secret: str | None = SECRET) -> bool:
        headers = {} if header is None else {"x-allhands-signature": header}
        config = SourceConfig("widget", SourceKind.JSON, secret)
        return generic.verify(Received(headers, body), config)

    assert verified("sha256=" + hmac_hex(SECRET, body))
    assert not verified("sha256=" + hmac_hex("guess", body))
    assert not verified("sha256=" + hmac_base64(SECRET, body))
    assert not verified(hmac_hex(SECRET, body))
    assert not verified(None)
    assert not verified("sha256=" + hmac_hex(SECRET, body), secret=None)
    assert generic.event_id(Received({}, body)) is None  # known by its content


def test_the_sample_follows_the_sources_own_map() -> None:
    config = source()

    [event] = generic.parse(Received({}, generic.sample_for(config)), config)

    assert isinstance(event, Arrived)
    assert (event.key, event.kind, event.customer.email) == (
        "sample-1",
        Kind.BUG,
        "dana@example.com",
    )
    assert json.loads(generic.sample_for(config))["ticket"]["messages"][0]["text"].startswith(
        "Sample"
    )
