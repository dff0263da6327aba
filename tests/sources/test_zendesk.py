"""Zendesk's own webhook payloads, read by the Zendesk module: signature, event id, events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from bot.domain import Kind, Severity
from bot.sources.events import Arrived, FollowedUp, StatusChanged, Unusable
from bot.sources.kinds import SourceKind
from bot.sources.registry import SourceConfig
from handlers.sources import zendesk
from handlers.sources.base import Received
from tests.support.realdata import needs_realdata, realdata_path

pytestmark = needs_realdata

SECRET = "dGhpcyBpcyBhIHRlc3Qgc2VjcmV0"
SOURCE = SourceConfig("helpdesk", SourceKind.ZENDESK, SECRET)


def signed(body: bytes, secret: str = SECRET, at: str = "2025-01-08T10:12:08Z") -> Received:
    mac = hmac.new(secret.encode(), at.encode() + body, hashlib.sha256).digest()
    headers = {
        "x-zendesk-webhook-signature": base64.b64encode(mac).decode(),
        "x-zendesk-webhook-signature-timestamp": at,
    }
    return Received(headers, body, "application/json")


def payload(name: str) -> bytes:
    return realdata_path("sources", "zendesk", "events", name).read_bytes()


def test_the_signature_is_checked_the_zendesk_way() -> None:
    body = payload("ticket_created.json")
    assert zendesk.verify(signed(body), SOURCE)
    assert not zendesk.verify(signed(body, secret="another"), SOURCE)
    tampered = signed(body)
    assert not zendesk.verify(Received(tampered.headers, body.replace(b"5158", b"5159")), SOURCE)
    assert not zendesk.verify(Received({}, body), SOURCE)


def test_a_created_ticket_arrives_as_a_new_item() -> None:
    [event] = zendesk.parse(signed(payload("ticket_created.json")), SOURCE)
    assert isinstance(event, Arrived)
    assert (event.key, event.title) == ("5158", "Cannot login to mobile app")
    assert event.body == "Customer is experiencing login issues with the mobile app"
    assert (event.kind, event.severity) == (Kind.BUG, Severity.HIGH)
    assert event.tags == ("mobile", "login")
    assert zendesk.event_id(signed(payload("ticket_created.json"))) == (
        "cbe4028c-7239-495d-b020-f22348516046"
    )


def test_an_agents_comment_follows_up_without_reopening() -> None:
    [event] = zendesk.parse(signed(payload("ticket_comment_added.json")), SOURCE)
    assert isinstance(event, FollowedUp)
    assert event.refers_to == ("5158",)
    assert event.text == "We are investigating this issue and will update you shortly."
    assert (event.author, event.from_customer) == ("Support Agent", False)
    assert event.otherwise is not None
    assert event.otherwise.key == "5158"


def test_a_status_change_is_noted() -> None:
    data = json.loads(payload("ticket_created.json"))
    data |= {"type": zendesk.STATUS, "event": {"current": "SOLVED", "previous": "OPEN"}}
    [event] = zendesk.parse(signed(json.dumps(data).encode()), SOURCE)
    assert event == StatusChanged("5158", "solved")


def test_a_truncated_payload_says_what_is_missing() -> None:
    body = payload("ticket_created.json")
    with pytest.raises(Unusable, match="JSON"):
        zendesk.parse(signed(body[: len(body) // 2]), SOURCE)
    data = json.loads(body)
    del data["detail"]
    with pytest.raises(Unusable, match="detail is missing"):
        zendesk.parse(signed(json.dumps(data).encode()), SOURCE)
