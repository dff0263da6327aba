"""Zendesk webhooks (event subscriptions): a ticket created, a comment added, a status changed.

Signed with `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, the value of
`X-Zendesk-Webhook-Signature-Timestamp` + body)), the secret Zendesk shows for the webhook.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain import Kind, Severity
from bot.sources.events import Arrived, FollowedUp, SourceEvent, StatusChanged, Unusable
from bot.sources.registry import SourceConfig
from handlers.sources.base import (
    Received,
    hmac_base64,
    json_object,
    need,
    same,
    text_of,
    timestamp,
)

SIGNATURE = "x-zendesk-webhook-signature"
SIGNED_AT = "x-zendesk-webhook-signature-timestamp"
CREATED = "zen:event-type:ticket.created"
COMMENTED = "zen:event-type:ticket.comment_added"
STATUS = "zen:event-type:ticket.status_changed"
KINDS = {"problem": Kind.BUG, "incident": Kind.BUG, "question": Kind.QUESTION}
SEVERITIES = {
    "urgent": Severity.URGENT,
    "high": Severity.HIGH,
    "normal": Severity.NORMAL,
    "low": Severity.LOW,
}

kept_headers: tuple[str, ...] = ()
sample_type = "application/json"
# A ticket.created event in the shape Zendesk documents (written here, for `sources test`).
sample = json.dumps(
    {
        "type": CREATED,
        "id": "sample-event",
        "time": "2026-01-05T09:00:00Z",
        "detail": {
            "id": "1",
            "subject": "Sample: the export button does nothing",
            "description": "When I press Export nothing happens.",
            "type": "PROBLEM",
            "priority": "HIGH",
            "tags": ["export"],
            "created_at": "2026-01-05T09:00:00Z",
        },
        "event": {},
    }
).encode()


def verify(received: Received, source: SourceConfig) -> bool:
    given = received.headers.get(SIGNATURE, "")
    signed_at = received.headers.get(SIGNED_AT, "")
    if not (given and signed_at and source.secret):
        return False
    return same(hmac_base64(source.secret, signed_at.encode() + received.body), given)


def event_id(received: Received) -> str | None:
    try:
        return str(json_object(received.body).get("id") or "") or None
    except Unusable:
        return None


def parse(received: Received, source: SourceConfig) -> list[SourceEvent]:
    data = json_object(received.body)
    kind = need(data, "type")
    ticket = need(data, "detail")
    key = str(need(ticket, "id"))
    if kind == CREATED:
        return [_arrived(ticket, key, source)]
    if kind == COMMENTED:
        comment = need(data, "event", "comment")
        author = comment.get("author") or {}
        return [
            FollowedUp(
                refers_to=(key,),
                text=text_of(need(comment, "body")),
                author=text_of(author.get("name")) or None,
                from_customer=not author.get("is_staff", False),
                own_key=f"comment:{comment.get('id')}" if comment.get("id") else None,
                at=timestamp(data.get("time")),
                otherwise=_arrived(ticket, key, source),
            )
        ]
    if kind == STATUS:
        status = (data.get("event") or {}).get("current") or ticket.get("status")
        return [StatusChanged(key, str(status or "changed").lower())]
    return []  # another event this webhook was subscribed to: nothing for us


def _arrived(ticket: dict[str, Any], key: str, source: SourceConfig) -> Arrived:
    body = text_of(ticket.get("description")) or text_of(ticket.get("subject"))
    if not body:
        raise Unusable("detail.description is missing")
    api = str(source.options.get("api_url") or "").rstrip("/")
    return Arrived(
        key=key,
        body=body,
        title=text_of(ticket.get("subject")) or None,
        kind=KINDS.get(str(ticket.get("type") or "").lower(), Kind.FEEDBACK),
        severity=SEVERITIES.get(str(ticket.get("priority") or "").lower(), Severity.NORMAL),
        tags=tuple(str(tag) for tag in ticket.get("tags") or ()),
        url=f"{api}/agent/tickets/{key}" if api else None,
        received_at=timestamp(ticket.get("created_at")),
    )
