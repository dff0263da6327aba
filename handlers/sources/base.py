"""What every vendor module shares: the delivery as received, and careful reading helpers
(JSON fields, signatures, times, ratings, HTML turned into text)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, Protocol

from bot.domain import Kind, Severity
from bot.intake import EMAIL_PATTERN, CustomerIn
from bot.ports.records import RawDelivery
from bot.sources.events import SourceEvent, Unusable
from bot.sources.registry import SourceConfig


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


class Vendor(Protocol):
    """One vendor's rules. `kept_headers` are the headers `parse` reads, kept with the body;
    `sample` is a delivery in the vendor's documented shape, for `allhands sources test`."""

    kept_headers: tuple[str, ...]
    sample: bytes
    sample_type: str

    def verify(self, received: Received, source: SourceConfig) -> bool: ...

    def event_id(self, received: Received) -> str | None: ...

    def parse(self, received: Received, source: SourceConfig) -> list[SourceEvent]: ...


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


_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})
_PARAGRAPHS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "blockquote", "pre", "hr"}
)
_LINES = frozenset(
    {"div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "address", "figure"}
)
_CELLS = frozenset({"td", "th"})


class _TextOf(HTMLParser):
    """Text as a reader sees it: blocks on their own lines, paragraphs apart, runs of
    whitespace one space (except in `<pre>`), nothing from scripts or styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._wanted = 0  # line breaks the next words need before them
        self._trailing = 0  # line breaks the text ends with
        self._spaced = True  # the text so far ends in a space or a line break
        self._hidden = 0
        self._pre = 0
        self._bullet = ""  # put before the next words: a list item's dash

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        if self._hidden:
            return
        if tag == "br":
            self._flush()
            self._emit("\n")
        elif tag == "li":
            self._bullet = "- "
        elif tag in _CELLS and not self._spaced:
            self._emit(" ")
        self._block(tag)
        if tag == "pre":
            self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        self._block(tag)
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._pre:
            data = re.sub(r"\s+", " ", data)
            if self._spaced or self._wanted:
                data = data.lstrip(" ")
        if not data:
            return
        self._flush()
        self._emit(self._bullet + data)
        self._bullet = ""

    def _flush(self) -> None:
        """The line breaks the blocks closed so far ask for, once words follow them."""
        if self.chunks and self._wanted > self._trailing:
            self._emit("\n" * (self._wanted - self._trailing))
        self._wanted = 0

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPHS:
            self._want(2)
        elif tag in _LINES:
            self._want(1)

    def _want(self, breaks: int) -> None:
        self._wanted = max(self._wanted, breaks)

    def _emit(self, text: str) -> None:
        self.chunks.append(text)
        stripped = text.rstrip("\n")
        self._trailing = len(text) - len(stripped) + (self._trailing if not stripped else 0)
        self._spaced = text[-1:] in {" ", "\n"}


def html_to_text(html: str) -> str:
    """HTML (a helpdesk's message, an email's HTML part) as plain text: paragraphs and line
    breaks kept, tags dropped, scripts and styles dropped, entities unescaped."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    text = "".join(parser.chunks).replace("\xa0", " ")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
