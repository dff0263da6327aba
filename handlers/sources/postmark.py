"""Postmark inbound email: each message to the server's inbound address, posted as JSON.

Postmark signs nothing: the URL `allhands sources add postmark NAME` prints carries the
source's secret as `?key=…`, checked in constant time. With "Include raw email content" on,
`RawEmail` holds the whole message and is read as such; otherwise Postmark's fields are read
(`FromFull`, `Subject`, `Date`, `Headers`, `TextBody`, `HtmlBody`, `Attachments`). Postmark's
own `StrippedTextReply` is not used, so a message reads the same however it arrived. A message
without a Message-ID is known by Postmark's `MessageID`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from email.utils import formataddr
from typing import Any

from bot.sources.events import SourceEvent
from bot.sources.registry import SourceConfig
from handlers.sources.base import Received, json_object, text_of, url_key_holds
from handlers.sources.mail import (
    Attachment,
    Mail,
    headers_of,
    mail_events,
    mail_from,
    message_key,
    read_mail,
)

kept_headers: tuple[str, ...] = ()
sample_type = "application/json"
# A message in the shape Postmark documents (written here, for `sources test`).
sample = json.dumps(
    {
        "FromName": "Dana Customer",
        "From": "dana@example.com",
        "FromFull": {"Email": "dana@example.com", "Name": "Dana Customer"},
        "Subject": "Sample: the export button does nothing",
        "MessageID": "00000000-0000-0000-0000-000000000001",
        "Date": "Mon, 5 Jan 2026 09:00:00 +0000",
        "TextBody": "When I press Export nothing happens.",
        "HtmlBody": "<p>When I press Export nothing happens.</p>",
        "Headers": [{"Name": "Message-ID", "Value": "<sample-1@example.com>"}],
        "Attachments": [],
    }
).encode()

verify = url_key_holds


def event_id(received: Received) -> str | None:
    return message_key(read, received)


def parse(received: Received, source: SourceConfig) -> list[SourceEvent]:
    return mail_events(read(received))


def read(received: Received) -> Mail:
    data = json_object(received.body)
    return replace(_mail(data), service_id=text_of(data.get("MessageID")) or None)


def _mail(data: dict[str, Any]) -> Mail:
    raw = text_of(data.get("RawEmail"))
    if raw:
        return read_mail(raw.encode("utf-8", "replace"))
    sender = data.get("FromFull")
    sender = sender if isinstance(sender, dict) else {}
    address = text_of(sender.get("Email")) or text_of(data.get("From"))
    name = text_of(sender.get("Name")) or text_of(data.get("FromName"))
    pairs = [
        ("From", formataddr((name, address)) if address else ""),
        ("Subject", text_of(data.get("Subject"))),
        ("Date", text_of(data.get("Date"))),
        *_headers(data.get("Headers")),
    ]
    return mail_from(
        headers_of(pairs),
        str(data.get("TextBody") or ""),
        str(data.get("HtmlBody") or ""),
        _attachments(data.get("Attachments")),
    )


def _headers(value: Any) -> list[tuple[str, str]]:
    listed = value if isinstance(value, list) else []
    return [
        (str(header["Name"]), str(header.get("Value") or ""))
        for header in listed
        if isinstance(header, dict) and header.get("Name")
    ]


def _attachments(value: Any) -> list[Attachment]:
    listed = value if isinstance(value, list) else []
    return [
        Attachment.described(file.get("Name"), file.get("ContentLength"))
        for file in listed
        if isinstance(file, dict)
    ]
