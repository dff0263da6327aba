"""Freshdesk automation webhooks: a ticket created, a ticket updated (a reply or note, a status).

Freshdesk signs nothing; its Trigger Webhook action can add custom headers, so each request
carries the source's secret as `Authorization: Bearer SECRET` (compared in constant time).
`allhands sources add freshdesk NAME` makes the secret up and prints it.

Freshdesk posts the fields a rule chooses. Set Encoding to JSON, Content to Advanced, and post
this (the shape Zulip's Freshdesk integration documents, plus the latest comment and tags):

    {"freshdesk_webhook": {
        "triggered_event": "{{triggered_event}}",
        "ticket_id": "{{ticket.id}}", "ticket_url": "{{ticket.url}}",
        "ticket_type": "{{ticket.ticket_type}}", "ticket_subject": "{{ticket.subject}}",
        "ticket_description": "{{ticket.description}}", "ticket_status": "{{ticket.status}}",
        "ticket_priority": "{{ticket.priority}}", "ticket_tags": "{{ticket.tags}}",
        "requester_name": "{{ticket.requester.name}}",
        "requester_email": "{{ticket.requester.email}}",
        "ticket_latest_public_comment": "{{ticket.latest_public_comment}}",
        "ticket_latest_private_comment": "{{ticket.latest_private_comment}}"}}

from a rule on ticket creation and from one on ticket updates (replies, notes, status). The
same fields at the top level, without `freshdesk_webhook`, are read too. `triggered_event`
says what happened: `{ticket_action:created}` makes an item; `{status:{from:2,to:4}}` notes
the new `ticket_status` on the card; any other update with a comment is more words on the
ticket's item. A comment reads `Name : <html>`; the requester's words reopen a closed item.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.domain import Kind, Severity
from bot.sources.events import Arrived, FollowedUp, SourceEvent, StatusChanged, Unusable
from bot.sources.registry import SourceConfig
from handlers.sources.base import (
    Received,
    customer,
    html_to_text,
    json_object,
    need,
    same,
    text_of,
    web_url,
)

AUTHORIZATION = "authorization"
KINDS = {"incident": Kind.BUG, "problem": Kind.BUG, "question": Kind.QUESTION}
SEVERITIES = {
    "low": Severity.LOW,
    "medium": Severity.NORMAL,
    "high": Severity.HIGH,
    "urgent": Severity.URGENT,
    "1": Severity.LOW,
    "2": Severity.NORMAL,
    "3": Severity.HIGH,
    "4": Severity.URGENT,
}
STATUSES = {"2": "open", "3": "pending", "4": "resolved", "5": "closed"}  # Freshdesk's own numbers
_AUTHORED = re.compile(r"^(?P<author>[^<>\n:]{1,100}?) : (?P<body>.*)$", re.DOTALL)

kept_headers: tuple[str, ...] = ()
sample_type = "application/json"
# A ticket-created rule posting the fields above, as Freshdesk fills them (written here).
sample = json.dumps(
    {
        "freshdesk_webhook": {
            "triggered_event": "{ticket_action:created}",
            "ticket_id": "1",
            "ticket_url": "https://example.freshdesk.com/helpdesk/tickets/1",
            "ticket_type": "Problem",
            "ticket_subject": "Sample: the export button does nothing",
            "ticket_description": "<div>When I press Export nothing happens.</div>",
            "ticket_status": "Open",
            "ticket_priority": "High",
            "ticket_tags": "export",
            "requester_name": "Dana",
            "requester_email": "dana@example.com",
            "ticket_latest_public_comment": "",
            "ticket_latest_private_comment": "",
        }
    }
).encode()


def verify(received: Received, source: SourceConfig) -> bool:
    given = received.headers.get(AUTHORIZATION, "")
    return bool(source.secret) and same(f"Bearer {source.secret}", given)


def event_id(received: Received) -> str | None:
    return None  # Freshdesk names no event: a delivery is known by its content


def parse(received: Received, source: SourceConfig) -> list[SourceEvent]:
    data = json_object(received.body)
    wrapper = ("freshdesk_webhook",) if isinstance(data.get("freshdesk_webhook"), dict) else ()
    ticket = data["freshdesk_webhook"] if wrapper else data
    key = str(need(data, *wrapper, "ticket_id")).strip()
    happened = _triggered(str(need(data, *wrapper, "triggered_event")))
    if happened.get("ticket_action") == "created":
        return [_arrived(ticket, key, source, wrapper)]
    events: list[SourceEvent] = []
    private = happened.get("note_type") == "private"
    comment = text_of(ticket.get(f"ticket_latest_{'private' if private else 'public'}_comment"))
    if comment:
        events.append(_followed_up(ticket, key, comment, source, wrapper))
    if "status" in happened:
        status = text_of(ticket.get("ticket_status")) or STATUSES.get(happened["status"], "")
        events.append(StatusChanged(key, (status or happened["status"]).lower()))
    return events


def _triggered(event: str) -> dict[str, str]:
    """Freshdesk's `{ticket_action:created}`, `{note_type:public}`, `{status:{from:2,to:4}}`
    (not JSON: nothing is quoted) as {"ticket_action": "created"} … {"status": "4"}."""
    words = [word.strip() for word in re.split(r"[{}:,]", event) if word.strip()]
    if not words:
        raise Unusable(f"triggered_event {event!r} names no event")
    found: dict[str, str] = {words[0]: words[1] if len(words) > 1 else ""}
    if "to" in words[:-1]:
        found[words[0]] = words[words.index("to") + 1]
    return found


def _followed_up(
    ticket: dict[str, Any], key: str, comment: str, source: SourceConfig, wrapper: tuple[str, ...]
) -> FollowedUp:
    authored = _AUTHORED.match(comment)
    author = authored["author"].strip() if authored else None
    requester = {text_of(ticket.get(f"requester_{k}")).lower() for k in ("name", "email")}
    return FollowedUp(
        refers_to=(key,),
        text=html_to_text(authored["body"] if authored else comment),
        author=author,
        from_customer=author is not None and author.lower() in requester - {""},
        otherwise=_arrived(ticket, key, source, wrapper),
    )


def _arrived(
    ticket: dict[str, Any], key: str, source: SourceConfig, wrapper: tuple[str, ...]
) -> Arrived:
    subject = text_of(ticket.get("ticket_subject"))
    body = html_to_text(text_of(ticket.get("ticket_description"))) or subject
    if not body:
        raise Unusable(f"{'.'.join((*wrapper, 'ticket_description'))} is missing")
    api = str(source.options.get("api_url") or "").rstrip("/")
    tags = ticket.get("ticket_tags")
    return Arrived(
        key=key,
        body=body,
        title=subject or None,
        kind=KINDS.get(text_of(ticket.get("ticket_type")).lower(), Kind.FEEDBACK),
        severity=SEVERITIES.get(
            str(ticket.get("ticket_priority") or "").strip().lower(), Severity.NORMAL
        ),
        customer=customer(ticket.get("requester_name"), ticket.get("requester_email")),
        url=web_url(ticket.get("ticket_url")) or (f"{api}/a/tickets/{key}" if api else None),
        tags=tuple(
            tag.strip()
            for tag in (tags.split(",") if isinstance(tags, str) else tags or ())
            if isinstance(tag, str) and tag.strip()
        ),
    )
