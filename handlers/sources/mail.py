"""Email, however it arrives (an inbound-email webhook, an IMAP mailbox): one message read into
the core's events. The sender is the customer; a reply (`In-Reply-To`, `References`) is more
words on the item its thread started; auto-replies (out of office) say nothing.

A whole message (RFC 5322 bytes) is read by `read_mail`. Inbound-email services that take a
message apart first (Postmark's JSON, Mailgun's and SendGrid's form fields) hand over its
headers and bodies separately: `mail_from` reads those the same way, so a message says the
same whichever way it came. Either way the text is the customer's own words
(`handlers.sources.mail_text`), and attachments are listed by name and size, never stored.
"""

from __future__ import annotations

import email
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.header import Header, decode_header
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parsedate_to_datetime

from bot.intake import CustomerIn
from bot.sources.events import Arrived, FollowedUp, SourceEvent, Unusable
from handlers.sources.base import Received
from handlers.sources.mail_text import customer_words

KEY_MAX_CHARS = 200  # an item's external id
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # printable ASCII but ':' (RFC 5322 field name)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|autosvar"
    r"|abwesenheit|réponse automatique|respuesta automática|automatisch antwoord"
    r"|risposta automatica)",
    re.IGNORECASE,
)
# Reading a header of a message parsed with `email.policy.default` can fail on malformed input
# instead of noting a defect; such a header reads as absent.
_UNREADABLE = (HeaderParseError, IndexError, AttributeError, ValueError, TypeError, LookupError)
_HEADERS = HeaderParser()
_ASCII = frozenset({"us-ascii", "ascii", "646"})


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    size: int  # bytes; 0 when a service names a file without saying or sending its size

    @classmethod
    def described(cls, name: object, size: object = None) -> Attachment:
        """A file as a service's own fields describe it (anything missing made plain)."""
        known = size if isinstance(size, int) and size > 0 else 0
        return cls(str(name or "").strip() or "unnamed", known)


@dataclass(frozen=True, slots=True)
class Mail:
    """What All Hands reads from one message."""

    message_id: str | None
    replies_to: tuple[str, ...]  # In-Reply-To first, then References, newest first
    sender_name: str | None
    sender_email: str | None
    subject: str
    text: str  # the customer's own words: quoted history and signature left out
    attachments: tuple[Attachment, ...]
    sent_at: datetime | None
    automatic: bool
    service_id: str | None = None  # the inbound-email service's own id for it, if any

    @property
    def key(self) -> str:
        """The message's name: its Message-ID, else its service's id, else what identifies
        it (sender, date, subject)."""
        named = self.message_id or self.service_id
        return _bounded(named or f"{self.sender_email}:{self.sent_at}:{self.subject}")


def read_mail(raw: bytes) -> Mail:
    """An RFC 5322 message; Unusable when it has no sender or no words.

    Parsed with the standard library's default (compat32) parser, which leaves headers as
    text until read: `email.policy.default` parses a header again on every look, which made
    reading several times slower. The few headers read here are decoded here.
    """
    return mail_of(email.message_from_bytes(raw))


def mail_of(message: Message) -> Mail:
    """A parsed message (any policy: an `EmailMessage` is read the same)."""
    return _mail(message, _text(message), _attachments(message))


def mail_from(
    headers: Message, plain: str, html: str, attachments: Sequence[Attachment] = ()
) -> Mail:
    """A message a service took apart: its headers (`headers_of`, `headers_in`), its plain
    and HTML bodies (either may be empty) and the files it named."""
    return _mail(headers, customer_words(plain, html), tuple(attachments))


def headers_of(
    pairs: Iterable[tuple[str, str]], fallback: Iterable[tuple[str, str]] = ()
) -> Message:
    """Headers given as (name, value) pairs, read as a mail reader reads them."""
    return headers_in(_lines_of(pairs), fallback)


def headers_in(text: str, fallback: Iterable[tuple[str, str]] = ()) -> Message:
    """A message's header block as text. `fallback` headers fill in those it lacks (a
    service's own `from` and `subject` fields, say)."""
    headers = _HEADERS.parsestr(text, headersonly=True)
    missing = _lines_of((name, value) for name, value in fallback if name not in headers)
    if not missing:
        return headers
    block = text.rstrip("\r\n") + "\n" if text.strip() else ""
    return _HEADERS.parsestr(block + missing, headersonly=True)


def _lines_of(pairs: Iterable[tuple[str, str]]) -> str:
    """Header lines, each on one line (a value's own line breaks cannot add headers)."""
    return "".join(
        f"{name}: {' '.join(value.split())}\n"
        for name, value in pairs
        if _HEADER_NAME.match(name) and value.strip()
    )


def message_key(read: Callable[[Received], Mail], received: Received) -> str | None:
    """The event id of a delivery holding one message: its key, when the message reads."""
    try:
        return read(received).key
    except Unusable:
        return None


def mail_events(mail: Mail) -> list[SourceEvent]:
    """A new thread is an item keyed by its Message-ID; a reply, more words on its thread's
    item (or a new item when the thread is unknown here); an auto-reply, nothing."""
    if mail.automatic:
        return []
    body = _with_attachments(mail.text, mail.attachments)
    if not body:
        raise Unusable("the message has no text")
    arrived = Arrived(
        key=mail.key,
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


def _mail(message: Message, text: str, attachments: tuple[Attachment, ...]) -> Mail:
    senders = getaddresses([_raw(message, "From")])
    name, address = senders[0] if senders else ("", "")
    if "@" not in address:
        raise Unusable("From is missing or has no email address")
    ids = _ids(message, "Message-ID")
    return Mail(
        message_id=ids[0] if ids else None,
        replies_to=_thread(message),
        sender_name=_decoded_words(name) or None,
        sender_email=address.lower(),
        subject=_header(message, "Subject").strip(),
        text=text,
        attachments=attachments,
        sent_at=_date(_header(message, "Date")),
        automatic=_automatic(message),
    )


def _header(message: Message, name: str) -> str:
    """A header's text, encoded words (RFC 2047) decoded."""
    return _decoded_words(_raw(message, name))


def _raw(message: Message, name: str) -> str:
    """A header as it came: encoded words left for the reader (an address's display name is
    decoded after the address is split out, so an encoded comma cannot split it)."""
    try:
        value = message.get(name)
    except _UNREADABLE:
        return ""
    if isinstance(value, Header):  # raw 8-bit bytes in the header, unlabelled
        return _decoded_words(value)
    return "" if value is None else str(value)


def _decoded_words(value: str | Header) -> str:
    if isinstance(value, str) and "=?" not in value:
        return value
    try:
        chunks = decode_header(value)
    except HeaderParseError:
        return str(value)
    return "".join(_chunk(text, charset) for text, charset in chunks)


def _chunk(text: str | bytes, charset: str | None) -> str:
    if isinstance(text, str):
        return text
    if charset is None:  # text between encoded words, which `decode_header` escaped so
        return text.decode("raw-unicode-escape", "replace")
    return _decoded(text, charset)


def _decoded(data: bytes, charset: str | None) -> str:
    """Bytes in their declared charset; undeclared, ASCII or unknown ones are read as UTF-8
    (its superset, and what most mail really is)."""
    name = (charset or "utf-8").lower()
    try:
        return data.decode("utf-8" if name in _ASCII or name == "unknown-8bit" else name, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _ids(message: Message, name: str) -> list[str]:
    return [_bounded(found) for found in _MESSAGE_ID.findall(_header(message, name))]


def _bounded(key: str) -> str:
    """A key fit to be an item's external id: a longer one goes by its digest, the same
    wherever it appears (Message-ID, In-Reply-To, References)."""
    if len(key) <= KEY_MAX_CHARS:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def _thread(message: Message) -> tuple[str, ...]:
    ordered = _ids(message, "In-Reply-To") + list(reversed(_ids(message, "References")))
    return tuple(dict.fromkeys(ordered))


def _text(message: Message) -> str:
    """Plain text preferred; HTML only when there is no plain text."""
    plain = _body(message, "text/plain")
    if plain.strip():
        return customer_words(plain, "")
    return customer_words("", _body(message, "text/html"))


def _body(message: Message, content_type: str) -> str:
    """The first part of this type that is not an attachment, decoded."""
    for part in _parts(message):
        if part.get_content_type() == content_type and not _is_file(part):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return _decoded(payload, part.get_content_charset())
    return ""


def _parts(message: Message) -> Iterator[Message]:
    """The message's own leaf parts, in order: not those of a message attached to it."""
    if message.get_content_maintype() == "multipart" and message.is_multipart():
        for part in message.get_payload():
            if isinstance(part, Message):
                yield from _parts(part)
    else:
        yield message


def _is_file(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or part.get_filename() is not None


def _attachments(message: Message) -> tuple[Attachment, ...]:
    """Every file in the message, with its decoded size."""
    found = []
    for part in _parts(message):
        if _is_file(part):
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            found.append(Attachment.described(_decoded_words(part.get_filename() or ""), size))
    return tuple(found)


def _with_attachments(text: str, attachments: tuple[Attachment, ...]) -> str:
    if not attachments:
        return text
    listed = ", ".join(f"{a.name} ({a.size:,} bytes)" if a.size else a.name for a in attachments)
    return f"{text}\n\nAttachments (not stored): {listed}".strip()


def _date(header: str) -> datetime | None:
    try:
        return parsedate_to_datetime(header) if header else None
    except (TypeError, ValueError):
        return None


def _automatic(message: Message) -> bool:
    """RFC 3834's Auto-Submitted, the common X-headers, `Precedence: auto_reply/bulk/junk`,
    delivery reports (bounces, read receipts) and out-of-office subjects.

    `Precedence: list` is not enough: a support address that is a group (Google Groups)
    marks every customer's message so.
    """
    submitted = _header(message, "Auto-Submitted").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    return (
        submitted not in {"", "no"}
        or precedence in {"auto_reply", "bulk", "junk"}
        or any(_header(message, name) for name in ("X-Autoreply", "X-Autorespond"))
        or _header(message, "Content-Type").split(";")[0].strip().lower() == "multipart/report"
        or bool(_AUTO_SUBJECT.match(_header(message, "Subject")))
    )
