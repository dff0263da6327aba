"""What every vendor module shares: the delivery as received, and careful reading helpers
(JSON fields, signatures, times, ratings, HTML turned into text)."""

from __future__ import annotations

import base64
import email.policy
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import CloseBoundaryNotFoundDefect, StartBoundaryNotFoundDefect
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any, Protocol
from urllib.parse import parse_qsl

from bot.domain import Kind, Severity
from bot.intake import CustomerIn
from bot.ports.records import RawDelivery
from bot.sources.events import SourceEvent, Unusable
from bot.sources.intake import Incoming
from bot.sources.registry import SourceConfig
from bot.validation import EMAIL_PATTERN

DELIVERY_LIMIT_BYTES = 2 * 1024 * 1024  # what is kept of one delivery (a posted body, a mail)


@dataclass(frozen=True, slots=True)
class Received:
    """A delivery as a parser sees it: header names lower-cased; `query` only on arrival
    (a replay has none, and no parser reads it)."""

    headers: Mapping[str, str]
    body: bytes
    content_type: str = ""
    query: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def kept(cls, delivery: RawDelivery) -> Received:
        return cls(delivery.headers, delivery.body, delivery.content_type)


class Reader(Protocol):
    """How a kept delivery of one vendor's is read: every source kind has one."""

    def parse(self, received: Received, source: SourceConfig) -> list[SourceEvent]: ...


class Vendor(Reader, Protocol):
    """One webhook vendor's rules. `kept_headers` are the headers `parse` reads, kept with the
    body; `sample` is a delivery in the vendor's documented shape, for `allhands sources test`."""

    kept_headers: tuple[str, ...]
    sample: bytes
    sample_type: str

    def verify(self, received: Received, source: SourceConfig) -> bool: ...

    def event_id(self, received: Received) -> str | None: ...


def incoming(vendor: Vendor, source: SourceConfig, received: Received) -> Incoming:
    """A delivery ready to keep: named by its vendor's event id (else by its content), with the
    reason its parser cannot read it, if it cannot (it is kept all the same, for a replay)."""
    try:
        vendor.parse(received, source)
        unusable = None
    except Unusable as error:
        unusable = error.reason
    return Incoming(
        source.name,
        vendor.event_id(received) or content_id(received.body),
        received.content_type,
        {key: received.headers[key] for key in vendor.kept_headers if key in received.headers},
        received.body,
        unusable,
    )


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or Unusable saying why not."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Unusable("the body is not JSON") from None
    if not isinstance(data, dict):
        raise Unusable("the body is not a JSON object")
    return data


def need(data: Mapping[str, Any], *path: str) -> Any:
    """`data[path[0]][path[1]]…`, or Unusable naming the first missing field."""
    value: Any = data
    walked: list[str] = []
    for key in path:
        walked.append(key)
        if not isinstance(value, Mapping) or value.get(key) in (None, ""):
            raise Unusable(f"{'.'.join(walked)} is missing")
        value = value[key]
    return value


def dig(data: Any, path: str | Sequence[str]) -> Any:
    """The value at a dotted path (`data.messages.0.text`: a number picks from a list), or None
    when any step is absent."""
    value = data
    for step in path.split(".") if isinstance(path, str) else path:
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def text_of(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def hmac_hex(secret: str, message: bytes, digest: str = "sha256") -> str:
    return hmac.new(secret.encode(), message, digest).hexdigest()


def hmac_base64(secret: str, message: bytes, digest: str = "sha256") -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, digest).digest()).decode()


def scheme_signature_holds(header: str, scheme: str, expected: str) -> bool:
    """A header of the form `SCHEME=VALUE` (`sha1=…`, `sha256=…`) whose VALUE is `expected`,
    compared in constant time."""
    given_scheme, equals, value = header.strip().partition("=")
    return bool(equals) and given_scheme.lower() == scheme and same(expected, value)


def customer(name: Any, email: Any) -> CustomerIn:
    """The customer as a vendor names them: a name cut to what an item holds, and an email only
    when it looks like one (a vendor's placeholder is no address)."""
    address = text_of(email)
    return CustomerIn(
        name=text_of(name)[:200] or None,
        email=address if re.match(EMAIL_PATTERN, address) else None,
    )


def web_url(value: Any) -> str | None:
    """A link an item may carry: http(s) only, or nothing."""
    url = text_of(value)
    return url if re.match(r"^https?://\S+$", url) and len(url) <= 2000 else None


def rating_verdict(score: float, lowest: float, highest: float) -> tuple[Kind, Severity]:
    """What a rating says: the lowest quarter of its scale is a complaint that needs attention,
    the next a complaint, the middle plain feedback, the top quarter praise."""
    share = (score - lowest) / (highest - lowest) if highest > lowest else 0.5
    if share < 0.25:
        return Kind.COMPLAINT, Severity.HIGH
    if share < 0.5:
        return Kind.COMPLAINT, Severity.NORMAL
    if share < 0.75:
        return Kind.FEEDBACK, Severity.NORMAL
    return Kind.PRAISE, Severity.LOW


def content_id(body: bytes) -> str:
    """A delivery's own name when its vendor gives none: its content."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def timestamp(value: Any) -> datetime | None:
    """An RFC 3339 time (any precision, `Z` or an offset) or Unix seconds (a number, or digits
    in a string); None if absent or unreadable."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:  # Python reads at most microseconds: cut the fraction, keep the offset
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def url_key_holds(received: Received, source: SourceConfig) -> bool:
    """For vendors that sign nothing (Postmark, SendGrid): the URL we gave them carries the
    source's secret as `?key=…`, compared in constant time."""
    given = received.query.get("key", "")
    return bool(given and source.secret) and same(source.secret or "", given)


@dataclass(frozen=True, slots=True)
class FormFile:
    field: str
    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Form:
    """An HTML form as a vendor posts it. `complete` is False when a multipart body ends
    without its closing boundary: cut short on the way, so some fields may be missing."""

    values: Mapping[str, bytes]
    files: tuple[FormFile, ...] = ()
    complete: bool = True

    def text(self, name: str, charset: str = "utf-8") -> str:
        data = self.values.get(name, b"")
        try:
            return data.decode(charset, "replace")
        except LookupError:  # a charset Python does not know
            return data.decode("utf-8", "replace")


def read_form(received: Received) -> Form:
    """`multipart/form-data` (CRLF or bare LF line endings) or urlencoded; the first value of
    a repeated field wins. A body that opens with a boundary line is multipart with that
    boundary, whatever type came with it (a body saved to a file reads with `sources test
    --file`). Unusable when the body is not a form."""
    opening = _BOUNDARY_LINE.match(received.body)
    kind = received.content_type.split(";")[0].strip().lower()
    if opening is None and kind == "application/x-www-form-urlencoded":
        pairs = parse_qsl(received.body.decode("utf-8", "replace"), keep_blank_values=True)
        return Form({name: value.encode() for name, value in reversed(pairs)})
    if opening is None:
        raise Unusable(f"the body is not a form (Content-Type {kind or 'missing'})")
    boundary = opening.group(1).decode("latin-1")
    message = _FORM_PARSER.parsebytes(
        f'Content-Type: multipart/form-data; boundary="{boundary}"\r\n\r\n'.encode("latin-1")
        + received.body
    )
    if not message.is_multipart():
        raise Unusable("the form has no parts")
    values: dict[str, bytes] = {}
    files: list[FormFile] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(data, bytes):
            continue
        filename = part.get_filename()
        if filename is not None:
            files.append(FormFile(name, filename, data))
        else:
            values.setdefault(name, data)
    cut = (CloseBoundaryNotFoundDefect, StartBoundaryNotFoundDefect)
    complete = not any(isinstance(defect, cut) for defect in message.defects)
    return Form(values, tuple(files), complete)


_FORM_PARSER = BytesParser(policy=email.policy.HTTP)
_BOUNDARY_LINE = re.compile(rb"--([0-9A-Za-z'()+_,./:=? -]{1,70})\r?\n")  # RFC 2046


def html_to_text(html: str, *, without_quotes: bool = False) -> str:
    """The words of an HTML body, one paragraph per line (standard library only).

    Scripts, styles and the head say nothing; entities are decoded; white space runs as a
    browser would show it; `<br>`, paragraphs, list items and table rows break lines.
    `without_quotes` also leaves out what an email client quotes or signs: `<blockquote>`,
    Gmail's and Yahoo's quote containers, elements whose class names a signature, and
    everything after Outlook's `appendonsend` marker.
    """
    try:
        parts = _HtmlText.read(html, without_quotes)
    except AssertionError:  # the standard parser refuses some `<![…]>` sections outright
        parts = _HtmlText.read(_MARKED_SECTION.sub("", html), without_quotes)
    return squeeze_blank_lines(" ".join(line.split()) for line in "".join(parts).splitlines())


def squeeze_blank_lines(lines: Iterable[str]) -> str:
    """The lines joined, with at most one blank line in a row and none at either end."""
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()


_LINES = frozenset(
    {"address", "article", "aside", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure"}
    | {"footer", "form", "header", "hr", "li", "main", "nav", "section", "tr"}
)
_PARAGRAPHS = frozenset(
    {"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre", "table", "ul"}
)
_HIDDEN = frozenset({"head", "noscript", "script", "style", "template", "title"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
_QUOTE_CLASSES = frozenset(
    {"gmail_quote", "gmail_quote_container", "gmail_attr", "yahoo_quoted", "protonmail_quote"}
)
_CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"[ \t\r\n\f\xa0]+")
_MARKED_SECTION = re.compile(r"<!\[[^>]*>?")


class _HtmlText(HTMLParser):
    """Text as a browser lays it out: a block starts a line, a paragraph leaves a blank one
    (never more than one of each between words), and each `<br>` breaks one more line."""

    def __init__(self, without_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._without_quotes = without_quotes
        self._skipping: str | None = None  # the tag whose content is left out
        self._depth = 0  # how many of that tag are open, counting the first
        self._breaks = 0  # line breaks owed before the next words
        self._bullet = False
        self._preformatted = 0
        self._done = False

    @classmethod
    def read(cls, html: str, without_quotes: bool) -> list[str]:
        reader = cls(without_quotes)
        reader.feed(html)
        reader.close()
        return reader.parts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            return
        if self._skipping is not None:
            if tag == self._skipping:
                self._depth += 1
            return
        named = dict(attrs)
        leaves_out = tag in _HIDDEN or (self._without_quotes and _quoted(tag, named))
        if leaves_out and tag not in _VOID:  # a void element has no end to wait for
            self._skipping, self._depth = tag, 1
        elif self._without_quotes and named.get("id") == "appendonsend":
            self._done = True  # Outlook: what follows is the message replied to
        elif tag == "br":
            self._breaks += 1
        elif tag in _CELLS and self._breaks == 0 and self.parts:
            self.parts.append(" ")  # cells of one row side by side, apart
        else:
            self._block(tag)
            self._bullet = self._bullet or tag == "li"
            if tag == "pre":
                self._preformatted += 1

    def handle_endtag(self, tag: str) -> None:
        if self._skipping is not None:
            if tag == self._skipping:
                self._depth -= 1
                if self._depth == 0:
                    self._skipping = None
        elif not self._done:
            self._block(tag)
            if tag == "pre" and self._preformatted:
                self._preformatted -= 1

    def handle_data(self, data: str) -> None:
        if self._skipping is not None or self._done:
            return
        text = data if self._preformatted else _SPACES.sub(" ", data)
        if not text.strip():
            if self._breaks == 0 and self.parts:
                self.parts.append(" ")
            return
        if self.parts:
            self.parts.append("\n" * self._breaks)
        self.parts.append(("- " if self._bullet else "") + text)
        self._breaks, self._bullet = 0, False

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPHS:
            self._breaks = max(self._breaks, 2)
        elif tag in _LINES:
            self._breaks = max(self._breaks, 1)


def _quoted(tag: str, attrs: Mapping[str, str | None]) -> bool:
    classes = (attrs.get("class") or "").lower().split()
    return tag == "blockquote" or any(
        name in _QUOTE_CLASSES or name.endswith("signature") for name in classes
    )
