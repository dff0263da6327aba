"""What every vendor module shares: the delivery as received, and careful reading helpers."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.ports.records import RawDelivery
from bot.sources.events import SourceEvent, Unusable
from bot.sources.intake import Incoming
from bot.sources.registry import SourceConfig

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


class Vendor(Protocol):
    """One vendor's rules. `kept_headers` are the headers `parse` reads, kept with the body;
    `sample` is a delivery in the vendor's documented shape, for `allhands sources test`."""

    kept_headers: tuple[str, ...]
    sample: bytes
    sample_type: str

    def verify(self, received: Received, source: SourceConfig) -> bool: ...

    def event_id(self, received: Received) -> str | None: ...

    def parse(self, received: Received, source: SourceConfig) -> list[SourceEvent]: ...


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


def text_of(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def hmac_hex(secret: str, message: bytes, digest: str = "sha256") -> str:
    return hmac.new(secret.encode(), message, digest).hexdigest()


def content_id(body: bytes) -> str:
    """A delivery's own name when its vendor gives none: its content."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def timestamp(value: Any) -> datetime | None:
    """An RFC 3339 time (any precision, `Z` or an offset) or Unix seconds; None if absent."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
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
