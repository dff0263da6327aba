"""SendGrid Inbound Parse: each message to the parse domain, posted as `multipart/form-data`.

SendGrid signs nothing: the URL `allhands sources add sendgrid NAME` prints carries the
source's secret as `?key=…`, checked in constant time. With "POST the raw, full MIME message"
on, the `email` field holds the whole message and is read as such; by default SendGrid posts
its parts: `headers` (the header block), `text`, `html` (each in the charset `charsets`
names), the files `attachment1…` and their `attachment-info`.
"""

from __future__ import annotations

import json
from typing import Any

from bot.sources.events import SourceEvent, Unusable
from bot.sources.registry import SourceConfig
from handlers.sources.base import Form, Received, read_form, url_key_holds
from handlers.sources.mail import (
    Attachment,
    Mail,
    headers_in,
    mail_events,
    mail_from,
    message_key,
    read_mail,
)

BOUNDARY = "xYzZY"
kept_headers: tuple[str, ...] = ()
sample_type = f"multipart/form-data; boundary={BOUNDARY}"
# A message in the shape SendGrid documents for its default mode (written here, for
# `sources test`).
sample = (
    "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (
            (
                "headers",
                "From: Dana Customer <dana@example.com>\r\n"
                "Subject: Sample: the export button does nothing\r\n"
                "Message-ID: <sample-1@example.com>\r\n"
                "Date: Mon, 5 Jan 2026 09:00:00 +0000\r\n",
            ),
            ("from", "Dana Customer <dana@example.com>"),
            ("subject", "Sample: the export button does nothing"),
            ("text", "When I press Export nothing happens."),
            ("charsets", '{"text": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}'),
        )
    ).encode()
    + f"--{BOUNDARY}--\r\n".encode()
)

verify = url_key_holds


def event_id(received: Received) -> str | None:
    return message_key(read, received)


def parse(received: Received, source: SourceConfig) -> list[SourceEvent]:
    return mail_events(read(received))


def read(received: Received) -> Mail:
    form = read_form(received)
    if not form.complete:
        raise Unusable("the form is cut short (its closing boundary is missing)")
    if form.values.get("email"):
        return read_mail(form.values["email"])
    charsets = _charsets(form)

    def field(name: str) -> str:
        return form.text(name, charsets.get(name, "utf-8"))

    headers = headers_in(field("headers"), [("From", field("from")), ("Subject", field("subject"))])
    return mail_from(headers, field("text"), field("html"), _attachments(form))


def _charsets(form: Form) -> dict[str, str]:
    try:
        named = json.loads(form.text("charsets") or "{}")
    except ValueError:
        return {}
    if not isinstance(named, dict):
        return {}
    return {str(field): str(charset) for field, charset in named.items() if charset}


def _attachments(form: Form) -> list[Attachment]:
    """The files posted, or (when they were not) the names `attachment-info` gives."""
    if form.files:
        return [Attachment.described(file.filename, len(file.data)) for file in form.files]
    try:
        info: Any = json.loads(form.text("attachment-info") or "{}")
    except ValueError:
        return []
    described = info.values() if isinstance(info, dict) else []
    return [
        Attachment.described(item.get("filename") or item.get("name"))
        for item in described
        if isinstance(item, dict)
    ]
