"""Mailgun inbound routes (`forward()` or `store(notify=…)`): a message posted as form fields,
multipart (with its attachments as files) or urlencoded.

Signed inside the form: `signature` = hex HMAC-SHA256(the domain's webhook signing key,
`timestamp` + `token`). The signature covers only those two fields, not the message, so a
signature seen once could be replayed with other words: a `timestamp` more than
`MAX_AGE_SECONDS` (15 minutes) from our clock, either way, is refused too. Mailgun signs each
attempt when it posts, so its retries pass; keep the server's clock in sync (NTP).

A route whose URL asks for the whole message (`…/mime`) gets `body-mime`, read as such;
otherwise Mailgun's fields are read: the message's headers (each posted under its own name,
and all of them in `message-headers`), `body-plain`, `body-html`. Mailgun's `stripped-text`
is not used, so a message reads the same however it arrived.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from bot.sources.events import SourceEvent, Unusable
from bot.sources.registry import SourceConfig
from handlers.sources.base import Form, Received, read_form, same
from handlers.sources.mail import (
    Attachment,
    Mail,
    headers_of,
    mail_events,
    mail_from,
    message_key,
    read_mail,
)

MAX_AGE_SECONDS = 15 * 60

kept_headers: tuple[str, ...] = ()
sample_type = "application/x-www-form-urlencoded"
# A message in the shape Mailgun documents for routes (written here, for `sources test`).
sample = urlencode(
    {
        "from": "Dana Customer <dana@example.com>",
        "sender": "dana@example.com",
        "subject": "Sample: the export button does nothing",
        "body-plain": "When I press Export nothing happens.",
        "Message-Id": "<sample-1@example.com>",
        "Date": "Mon, 5 Jan 2026 09:00:00 +0000",
        "timestamp": "1767603600",
        "token": "sample-token",
        "signature": "sample-signature",
    }
).encode()


def signature_holds(signing_key: str, timestamp: str, token: str, signature: str) -> bool:
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256)
    return same(expected.hexdigest(), signature)


def verify(received: Received, source: SourceConfig, now: float | None = None) -> bool:
    try:
        form = read_form(received)
    except Unusable:
        return False
    timestamp, token, signature = (form.text(name) for name in ("timestamp", "token", "signature"))
    if not (source.secret and timestamp.isdigit() and token and signature):
        return False
    fresh = abs((time.time() if now is None else now) - int(timestamp)) <= MAX_AGE_SECONDS
    return fresh and signature_holds(source.secret, timestamp, token, signature)


def event_id(received: Received) -> str | None:
    return message_key(read, received)


def parse(received: Received, source: SourceConfig) -> list[SourceEvent]:
    return mail_events(read(received))


def read(received: Received) -> Mail:
    form = read_form(received)
    if not form.complete:
        raise Unusable("the form is cut short (its closing boundary is missing)")
    if form.values.get("body-mime"):
        return read_mail(form.values["body-mime"])
    fallback = [("From", form.text("from")), ("Subject", form.text("subject"))]
    headers = headers_of(_headers(form), fallback)
    return mail_from(headers, form.text("body-plain"), form.text("body-html"), _attachments(form))


def _headers(form: Form) -> list[tuple[str, str]]:
    """`message-headers` when it reads as a list of pairs; else the fields Mailgun posts
    under each header's own name (capitalised, unlike its own lower-case fields)."""
    try:
        listed = json.loads(form.text("message-headers"))
    except ValueError:
        listed = None
    if isinstance(listed, list) and all(_pair(item) for item in listed):
        return [(str(name), str(value)) for name, value in listed]
    return [(name, form.text(name)) for name in form.values if name[:1].isupper()]


def _pair(item: Any) -> bool:
    return isinstance(item, list) and len(item) == 2


def _attachments(form: Form) -> list[Attachment]:
    """The files posted with a forwarded message, or those a stored message's `attachments`
    field describes (`name`, `size`)."""
    if form.files:
        return [Attachment.described(file.filename, len(file.data)) for file in form.files]
    try:
        described = json.loads(form.text("attachments") or "[]")
    except ValueError:
        return []
    listed = described if isinstance(described, list) else []
    return [
        Attachment.described(item.get("name"), item.get("size"))
        for item in listed
        if isinstance(item, Mapping)
    ]
