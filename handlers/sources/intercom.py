"""Intercom webhooks: a customer starting a conversation or writing in it, a teammate replying,
closing or reopening it.

Signed with `X-Hub-Signature: sha1=` + hex(HMAC-SHA1(the app's client secret, body)): the
client secret is on the app's Basic information page in Intercom's Developer Hub.

Each notification carries the conversation as it is now (`data.item`). Apps on API 1.x get
`user` and `conversation_message`, apps on 2.x `contacts` and `source`: both are read. The new
words of a reply are the conversation's last part with a body. Bodies are HTML.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain import Severity
from bot.sources.events import Arrived, FollowedUp, SourceEvent, StatusChanged, Unusable
from bot.sources.registry import SourceConfig
from handlers.sources.base import (
    Received,
    customer,
    dig,
    hmac_hex,
    html_to_text,
    json_object,
    need,
    scheme_signature_holds,
    text_of,
    timestamp,
    web_url,
)

SIGNATURE = "x-hub-signature"
CREATED = "conversation.user.created"
USER_REPLIED = "conversation.user.replied"
ADMIN_REPLIED = "conversation.admin.replied"
STATUSES = {
    "conversation.admin.closed": "closed",
    "conversation.admin.opened": "open",
    "conversation.admin.snoozed": "snoozed",
}
CUSTOMERS = frozenset({"user", "lead", "contact"})  # authors who are the customer, not a teammate

kept_headers: tuple[str, ...] = ()
sample_type = "application/json"
# A conversation.user.created notification in the shape Intercom documents (written here).
sample = json.dumps(
    {
        "type": "notification_event",
        "id": "notif_sample",
        "topic": CREATED,
        "created_at": 1767603600,
        "data": {
            "type": "notification_event_data",
            "item": {
                "type": "conversation",
                "id": "1",
                "created_at": 1767603600,
                "user": {"type": "user", "name": "Dana", "email": "dana@example.com"},
                "conversation_message": {
                    "type": "conversation_message",
                    "id": "1",
                    "subject": "",
                    "body": "<p>Sample: the export button does nothing.</p>",
                    "author": {"type": "user", "name": "Dana"},
                },
                "conversation_parts": {"type": "conversation_part.list", "conversation_parts": []},
                "links": {"conversation_web": "https://app.intercom.com/a/apps/x/conversations/1"},
            },
        },
    }
).encode()


def verify(received: Received, source: SourceConfig) -> bool:
    if not source.secret:
        return False
    expected = hmac_hex(source.secret, received.body, "sha1")
    return scheme_signature_holds(received.headers.get(SIGNATURE, ""), "sha1", expected)


def event_id(received: Received) -> str | None:
    try:
        return str(json_object(received.body).get("id") or "") or None
    except Unusable:
        return None


def parse(received: Received, source: SourceConfig) -> list[SourceEvent]:
    data = json_object(received.body)
    topic = need(data, "topic")
    if topic not in {CREATED, USER_REPLIED, ADMIN_REPLIED, *STATUSES}:
        return []  # a ping, or another topic this app subscribed to: nothing for us
    conversation = need(data, "data", "item")
    key = str(need(data, "data", "item", "id"))
    if topic in STATUSES:
        return [StatusChanged(key, STATUSES[topic])]
    opening, opened_by_customer = _opening(conversation)
    if topic == CREATED:
        if not opening:
            raise Unusable("data.item.conversation_message.body is missing")
        return [_arrived(conversation, key, opening)]
    part = _latest_part(conversation)
    text = html_to_text(text_of(part.get("body")))
    from_customer = topic == USER_REPLIED
    words = [opening] if opening and opened_by_customer else []
    words += [text] if from_customer else []
    return [
        FollowedUp(
            refers_to=(key,),
            text=text,
            author=text_of(dig(part, "author.name")) or None,
            from_customer=from_customer,
            own_key=f"part:{part['id']}" if part.get("id") else None,
            at=timestamp(part.get("created_at")),
            # Unknown here (added mid-conversation): a new item, when the customer said something
            otherwise=_arrived(conversation, key, "\n\n".join(words)) if words else None,
        )
    ]


def _opening(conversation: dict[str, Any]) -> tuple[str, bool]:
    """The conversation's first message as text, and whether the customer wrote it."""
    message = conversation.get("conversation_message") or conversation.get("source") or {}
    author = str(dig(message, "author.type") or "")
    return html_to_text(text_of(dig(message, "body"))), author in CUSTOMERS


def _latest_part(conversation: dict[str, Any]) -> dict[str, Any]:
    parts = dig(conversation, "conversation_parts.conversation_parts")
    written = [
        p for p in parts or () if isinstance(p, dict) and html_to_text(text_of(p.get("body")))
    ]
    if not written:
        raise Unusable("data.item.conversation_parts has no part with a body")
    return written[-1]


def _arrived(conversation: dict[str, Any], key: str, body: str) -> Arrived:
    message = conversation.get("conversation_message") or conversation.get("source") or {}
    person = conversation.get("user") or dig(conversation, "contacts.contacts.0") or {}
    tags = dig(conversation, "tags.tags") or ()
    return Arrived(
        key=key,
        body=body,
        title=html_to_text(text_of(message.get("subject"))) or None,
        severity=Severity.HIGH if conversation.get("priority") == "priority" else Severity.NORMAL,
        customer=customer(person.get("name"), person.get("email")),
        url=web_url(dig(conversation, "links.conversation_web")),
        received_at=timestamp(conversation.get("created_at")),
        tags=tuple(str(tag["name"]) for tag in tags if isinstance(tag, dict) and tag.get("name")),
    )
