"""What a new feedback item must look like, whichever way it arrives (API, CSV, chat)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.domain import BODY_MAX_CHARS, Kind, Severity
from bot.validation import EMAIL_PATTERN, HTTP_URL, NOT_BLANK

SOURCE_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_TAG_MAX = 50
TAGS_MAX = 20


# Bidirectional overrides, embeddings and isolates: in a card they can make text read
# backwards or hide what follows ("Trojan Source"); nobody's feedback needs them.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp"}  # controls, format characters, spaces


def shown_text(text: str) -> str:
    """Customer or colleague text as it may be shown: without bidirectional controls."""
    return text.translate(_BIDI_CONTROLS)


def has_visible_text(text: str) -> bool:
    """Whether anything would show: zero-width spaces and joiners alone are no text."""
    return any(unicodedata.category(char) not in _INVISIBLE for char in text)


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Tags as stored: lower case, without `#`, blanks and repeats dropped, each at most
    `_TAG_MAX` characters (ValueError names the rule broken)."""
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip().lower().lstrip("#")
        if not tag:
            continue
        if len(tag) > _TAG_MAX:
            raise ValueError(f"each tag is at most {_TAG_MAX} characters")
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320, pattern=EMAIL_PATTERN)
    company: str | None = Field(None, max_length=200)
    tier: str | None = Field(None, max_length=64)

    @field_validator("name", "company", "tier")
    @classmethod
    def _shown(cls, value: str | None) -> str | None:
        value = shown_text(value or "").strip()
        return value if has_visible_text(value) else None


class FeedbackDraft(BaseModel):
    """A new item before it has an id. Unknown fields are refused, so typos surface at once."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # The document's pattern is the lower-cased slug; the validator also lower-cases for you.
    source: str = Field(
        min_length=1, max_length=64, json_schema_extra={"pattern": SOURCE_SLUG.pattern}
    )
    external_id: str | None = Field(None, min_length=1, max_length=200, pattern=NOT_BLANK)
    title: str | None = Field(None, max_length=300)
    body: str = Field(min_length=1, max_length=BODY_MAX_CHARS, pattern=NOT_BLANK)
    kind: Kind = Kind.FEEDBACK
    severity: Severity = Severity.NORMAL
    tags: list[str] = Field(default_factory=list, max_length=TAGS_MAX)
    product_area: str | None = Field(None, max_length=100)
    url: str | None = Field(None, max_length=2000, pattern=HTTP_URL)
    customer: CustomerIn = Field(default_factory=CustomerIn)
    received_at: datetime | None = None

    @field_validator("source")
    @classmethod
    def _source_is_a_slug(cls, value: str) -> str:
        value = value.lower()
        if not SOURCE_SLUG.match(value):
            raise ValueError("use lower-case letters, digits, '.', '_' or '-' (e.g. zendesk)")
        return value

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, tags: list[str]) -> list[str]:
        return clean_tags(tags)

    @field_validator("body")
    @classmethod
    def _visible_body(cls, value: str) -> str:
        value = shown_text(value).strip()
        if not has_visible_text(value):
            raise ValueError("needs some visible text")
        return value

    @field_validator("title")
    @classmethod
    def _visible_title(cls, value: str | None) -> str | None:
        value = shown_text(value or "").strip()
        return value if has_visible_text(value) else None

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone offset (RFC 3339), e.g. 2026-01-31T09:00:00Z")
        try:
            return value.astimezone(UTC) if value else None
        except OverflowError:
            raise ValueError("is outside the calendar once taken to UTC") from None
