"""Email, however it arrives (an inbound-email webhook, an IMAP mailbox): one message read into
the core's events. The sender is the customer; a reply (`In-Reply-To`, `References`) is more
words on the item its thread started; auto-replies (out of office) say nothing.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from bot.intake import CustomerIn
from bot.sources.events import Arrived, FollowedUp, SourceEvent, Unusable

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond")
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|out of (the )?office|autosvar|abwesenheit)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    size: int


@dataclass(frozen=True, slots=True)
class Mail:
    """What All Hands reads from one message."""

    message_id: str | None
    replies_to: tuple[str, ...]  # In-Reply-To first, then References, newest first
    sender_name: str | None
    sender_email: str | None
    subject: str
    text: str
    attachments: tuple[Attachment, ...]
    sent_at: datetime | None
    automatic: bool


def read_mail(raw: bytes) -> Mail:
    """An RFC 5322 message; Unusable when it has no sender or no words."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return mail_of(message)


def mail_of(message: EmailMessage) -> Mail:
    senders = getaddresses([str(message.get("From", ""))])
    name, address = senders[0] if senders else ("", "")
    if "@" not in address:
        raise Unusable("From is missing")
    return Mail(
        message_id=_ids(message.get("Message-ID"))[:1][0]
        if _ids(message.get("Message-ID"))
        else None,
        replies_to=_thread(message),
        sender_name=name or None,
        sender_email=address.lower(),
        subject=str(message.get("Subject", "")).strip(),
        text=_text(message),
        attachments=_attachments(message),
        sent_at=_date(message.get("Date")),
        automatic=_automatic(message),
    )


def mail_events(mail: Mail) -> list[SourceEvent]:
    """A new thread is an item keyed by its Message-ID; a reply, more words on its thread's
    item (or a new item when the thread is unknown here); an auto-reply, nothing."""
    if mail.automatic:
        return []
    body = _with_attachments(mail.text, mail.attachments)
    if not body:
        raise Unusable("the message has no text")
    key = mail.message_id or f"{mail.sender_email}:{mail.sent_at}:{mail.subject}"
    arrived = Arrived(
        key=key,
        body=body,
        title=mail.subject or None,
        customer=CustomerIn(name=mail.sender_name, email=mail.sender_email),
        received_at=mail.sent_at,
    )
    if not mail.replies_to:
        return [arrived]
    return [
        FollowedUp(
            refers_to=mail.replies_to,
            text=body,
            author=mail.sender_name or mail.sender_email,
            own_key=mail.message_id,
            at=mail.sent_at,
            otherwise=arrived,
        )
    ]


def _ids(header: object) -> list[str]:
    return _MESSAGE_ID.findall(str(header or ""))


def _thread(message: EmailMessage) -> tuple[str, ...]:
    ordered = _ids(message.get("In-Reply-To")) + list(reversed(_ids(message.get("References"))))
    return tuple(dict.fromkeys(ordered))


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    return str(content).strip() if isinstance(content, str) else ""


def _attachments(message: EmailMessage) -> tuple[Attachment, ...]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        found.append(Attachment(part.get_filename() or "unnamed", size))
    return tuple(found)


def _with_attachments(text: str, attachments: tuple[Attachment, ...]) -> str:
    if not attachments:
        return text
    listed = ", ".join(f"{a.name} ({a.size:,} bytes)" for a in attachments)
    return f"{text}\n\nAttachments (not stored): {listed}".strip()


def _date(header: object) -> datetime | None:
    try:
        return parsedate_to_datetime(str(header)) if header else None
    except (TypeError, ValueError):
        return None


def _automatic(message: EmailMessage) -> bool:
    """RFC 3834's Auto-Submitted, the common X-headers, and out-of-office subjects."""
    submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        submitted not in {"", "no"}
        or precedence in {"auto_reply", "bulk", "junk", "list"}
        or any(
            message.get(name)
            for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
        )
        or bool(_AUTO_SUBJECT.match(str(message.get("Subject", ""))))
    )
