"""Freshdesk's automation-webhook payloads, read by the Freshdesk module: the shared secret and
the events.

The ticket-created delivery is Zulip's real fixture. Updates are that delivery with the fields
Freshdesk fills for an update (`{{triggered_event}}` as Freshdesk writes it, as in Zulip's
status and note fixtures; `{{ticket.latest_public_comment}}` as `Name : <html>`), changed here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain import Kind, Severity
from bot.sources.events import Arrived, FollowedUp, StatusChanged, Unusable
from bot.sources.kinds import SourceKind
from bot.sources.registry import SourceConfig
from handlers.sources import freshdesk
from handlers.sources.base import Received
from tests.support.realdata import needs_realdata, realdata_json, realdata_path

pytestmark = needs_realdata

SECRET = "freshdesk-shared-secret"
SOURCE = SourceConfig("support", SourceKind.FRESHDESK, SECRET)


def created() -> bytes:
    return realdata_path("sources", "freshdesk", "webhooks", "ticket_created.json").read_bytes()


def update(**fields: Any) -> bytes:
    ticket = realdata_json("sources", "freshdesk", "webhooks", "ticket_created.json")
    return json.dumps({"freshdesk_webhook": ticket["freshdesk_webhook"] | fields}).encode()


def parse(body: bytes, source: SourceConfig = SOURCE) -> list[Any]:
    return freshdesk.parse(Received({}, body, "application/json"), source)


def test_the_shared_secret_comes_as_a_bearer_header() -> None:
    def verified(header: str | None) -> bool:
        headers = {} if header is None else {"authorization": header}
        return freshdesk.verify(Received(headers, created()), SOURCE)

    assert verified(f"Bearer {SECRET}")
    assert not verified("Bearer guess")
    assert not verified(f"Bearer {SECRET}x")
    assert not verified(SECRET)
    assert not verified(None)
    assert freshdesk.event_id(Received({}, created())) is None  # known by its content


def test_a_created_ticket_arrives_as_a_new_item_with_its_html_as_text() -> None:
    [event] = parse(created())

    assert isinstance(event, Arrived)
    assert (event.key, event.title) == ("11", "Test ticket subject ☃")
    assert event.body == "Test ticket description ☃."
    assert (event.kind, event.severity) == (Kind.BUG, Severity.HIGH)  # Incident, High
    assert (event.customer.name, event.customer.email) == (
        "Requester ☃ Bob",
        "requester-bob@example.com",
    )
    assert event.url == "http://test1234zzz.freshdesk.com/helpdesk/tickets/11"


def test_a_public_reply_is_more_words_and_the_requesters_are_the_customers() -> None:
    [agent] = parse(
        update(
            triggered_event="{note_type:public}",
            ticket_latest_public_comment="Rachel : <div>This is a reply</div>",
        )
    )
    [customer] = parse(
        update(
            triggered_event="{note_type:public}",
            ticket_latest_public_comment="Requester ☃ Bob : <p>It still fails</p><p>Bob</p>",
        )
    )

    assert isinstance(agent, FollowedUp)
    assert (agent.refers_to, agent.text, agent.author) == (("11",), "This is a reply", "Rachel")
    assert agent.from_customer is False
    assert agent.otherwise is not None
    assert agent.otherwise.key == "11"
    assert isinstance(customer, FollowedUp)
    assert (customer.text, customer.from_customer) == ("It still fails\n\nBob", True)


def test_a_private_note_is_read_from_the_private_comment() -> None:
    [event] = parse(
        update(
            triggered_event="{note_type:private}",
            ticket_latest_public_comment="Rachel : <div>old public words</div>",
            ticket_latest_private_comment="Rachel : <div>Escalated to billing</div>",
        )
    )
    assert isinstance(event, FollowedUp)
    assert (event.text, event.from_customer) == ("Escalated to billing", False)


def test_a_status_change_is_noted_by_its_name() -> None:
    named = update(triggered_event="{status:{from:2,to:4}}", ticket_status="Resolved")
    numbered = update(triggered_event="{status:{from:2,to:5}}", ticket_status="")
    assert parse(named) == [StatusChanged("11", "resolved")]
    assert parse(numbered) == [StatusChanged("11", "closed")]


def test_an_update_without_words_or_status_says_nothing() -> None:
    assert parse(update(triggered_event="{priority:{from:1,to:4}}")) == []


def test_the_fields_without_the_wrapper_are_read_too() -> None:
    flat = realdata_json("sources", "freshdesk", "webhooks", "ticket_created.json")
    [event] = parse(json.dumps(flat["freshdesk_webhook"]).encode())
    assert isinstance(event, Arrived)
    assert event.key == "11"


def test_the_api_url_makes_the_link_when_the_rule_sends_none() -> None:
    source = SourceConfig(
        "support", SourceKind.FRESHDESK, SECRET, options={"api_url": "https://acme.freshdesk.com/"}
    )
    [event] = parse(update(ticket_url=""), source)
    assert event.url == "https://acme.freshdesk.com/a/tickets/11"


def test_an_unreadable_payload_says_what_is_missing() -> None:
    body = created()
    with pytest.raises(Unusable, match="not JSON"):
        parse(body[: len(body) // 2])
    with pytest.raises(Unusable, match=r"freshdesk_webhook\.ticket_id is missing"):
        parse(update(ticket_id=""))
    with pytest.raises(Unusable, match=r"freshdesk_webhook\.triggered_event is missing"):
        parse(update(triggered_event=None))
    with pytest.raises(Unusable, match=r"freshdesk_webhook\.ticket_description is missing"):
        parse(update(ticket_description="<div> </div>", ticket_subject=""))
