"""What support leads configure (routes, timeouts, rota, webhooks, digest, customer fields,
privacy), as typed schemas.

Each setting is stored as JSON under its key and validated on the way in and out, so a typo in
chat or a file is refused with the field at fault, and the code only ever sees typed values.
"""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from bot.digest.period import check_zone, parse_weekdays
from bot.domain import Kind, Severity
from bot.errors import Invalid
from bot.privacy.masking import PATTERNS_MAX, BadPattern, compile_pattern
from bot.validation import EMAIL_PATTERN, HH_MM, HTTP_URL, LOWER_SLUG, problems

EMAIL = re.compile(EMAIL_PATTERN)
WEBHOOK_EVENTS = ("claimed", "commented", "closed", "reopened")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_MENTION = {"slack": re.compile(r"^S[A-Z0-9]+$"), "teams": re.compile(r"^\S+$")}


def _flag_only_when_set(data: dict[str, Any], flag: str) -> dict[str, Any]:
    """Stored and audited settings stay as they were before the flag existed unless it is set."""
    if not data.get(flag):
        data.pop(flag, None)
    return data


class DestinationIn(Strict):
    """A channel for cards; `mention` (a Slack user group id, a Teams tag id) is paged there
    when an urgent item arrives, so someone sees it even if nobody watches the channel."""

    platform: Literal["slack", "teams"]
    channel: str = Field(min_length=1, max_length=300)
    mention: str | None = Field(None, min_length=1, max_length=300)

    @model_validator(mode="after")
    def _mention_shape(self) -> DestinationIn:
        # Only the id is stored; the poster builds the mention markup around it, so an id that
        # could smuggle markup (`>`, spaces) is refused here.
        if self.mention is not None and not _MENTION[self.platform].match(self.mention):
            expected = "a user group id like S0123ABCD" if self.platform == "slack" else "a tag id"
            raise ValueError(f"mention '{self.mention}' is not {expected}")
        return self

    @model_serializer(mode="wrap")
    def _without_empty_mention(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Stored and audited routes stay as they were unless a mention is set (no nulls)."""
        data: dict[str, Any] = handler(self)
        if self.mention is None:
            data.pop("mention", None)
        return data

    def as_text(self) -> str:
        """`slack:C123`, or `slack:C123+S0123ABCD` with a mention (the form's syntax)."""
        where = f"{self.platform}:{self.channel}"
        return f"{where}+{self.mention}" if self.mention else where


class RouteRule(Strict):
    """Matches when every criterion given matches (any value within one criterion).

    A `sensitive` rule keeps what it matches to its own (restricted) destinations: the broad
    channels the item would otherwise reach get a stub or nothing (`privacy`'s
    `sensitive_elsewhere`), and the item stays marked however the routes change later.
    """

    name: str = Field(min_length=1, max_length=80)
    sources: list[str] = Field(default_factory=list)
    kinds: list[Kind] = Field(default_factory=list)
    severities: list[Severity] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    product_areas: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    destinations: list[DestinationIn] = Field(min_length=1)
    sensitive: bool = False

    @field_validator("sources", "tags", "product_areas", "keywords")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return [v.strip().lower().lstrip("#") for v in values if v.strip()]

    @model_serializer(mode="wrap")
    def _without_false_flag(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _flag_only_when_set(handler(self), "sensitive")


class RoutesConfig(Strict):
    rules: list[RouteRule] = Field(default_factory=list, max_length=200)
    default: list[DestinationIn] = Field(default_factory=list)


class TimeoutsConfig(Strict):
    """Unclaimed longer than its severity's minutes → a nudge; twice as long → the leads."""

    claim_minutes: dict[Severity, int] = Field(
        default_factory=lambda: {
            Severity.URGENT: 15,
            Severity.HIGH: 60,
            Severity.NORMAL: 240,
            Severity.LOW: 1440,
        }
    )
    untouched_hours: int = Field(24, ge=1, le=24 * 14)


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class Shift(Strict):
    day: Weekday
    start: time
    end: time
    emails: list[str] = Field(min_length=1)

    @field_validator("emails")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not EMAIL.match(v)]
        if bad:
            raise ValueError(f"not an email address: {bad[0]}")
        return [v.lower() for v in values]


class RotaConfig(Strict):
    shifts: list[Shift] = Field(default_factory=list, max_length=500)


class Webhook(Strict):
    name: str = Field(min_length=1, max_length=60, pattern=LOWER_SLUG)
    url: str = Field(max_length=2000, pattern=HTTP_URL)
    secret: str = Field(min_length=16, max_length=200)
    events: list[str] = Field(default_factory=lambda: list(WEBHOOK_EVENTS))
    # Trusted receivers get a sensitive item's words and customer; others only its state.
    trusted: bool = False

    @field_validator("events")
    @classmethod
    def _known(cls, values: list[str]) -> list[str]:
        unknown = sorted(set(values) - set(WEBHOOK_EVENTS))
        if unknown:
            raise ValueError(f"unknown event {unknown[0]}; events are {', '.join(WEBHOOK_EVENTS)}")
        return values

    @model_serializer(mode="wrap")
    def _without_false_flag(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _flag_only_when_set(handler(self), "trusted")


class DigestSettings(Strict):
    """What leads set for the digest; a blank field keeps the environment's value."""

    time: str | None = Field(None, pattern=HH_MM)
    timezone: str | None = None
    days: str | None = None
    slack_channels: list[str] = Field(default_factory=list)
    teams_channels: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return check_zone(value) if value is not None else None

    @field_validator("days")
    @classmethod
    def _days(cls, value: str | None) -> str | None:
        if value is not None:
            parse_weekdays(value)
        return value


class WebhooksConfig(Strict):
    hooks: list[Webhook] = Field(default_factory=list, max_length=20)


class CustomersConfig(Strict):
    """Which fields of the company's customer look-up (`ALLHANDS_CUSTOMER_LOOKUP_URL`) cards
    show, in this order: a key of its answer (`plan`) or a path into it (`owner.name`). None
    listed: nothing is looked up, since nothing would be shown."""

    fields: list[str] = Field(default_factory=list, max_length=12)

    @field_validator("fields")
    @classmethod
    def _names(cls, values: list[str]) -> list[str]:
        names = list(dict.fromkeys(v.strip() for v in values if v.strip()))
        bad = [n for n in names if len(n) > 64 or not n.isprintable() or n.startswith(".")]
        if bad:
            raise ValueError(f"'{bad[0][:64]}' is not a field name (at most 64 characters)")
        return names


class PrivacyConfig(Strict):
    """Personal data on cards, thread notes, the digest, webhooks and logs: emails, phone
    numbers, card numbers and IBANs are always masked, and so is whatever `patterns` (regular
    expressions) match; `show_full_text` lets an item's claimer and the leads see it unmasked.
    `retention_days`: customers' words (bodies, comments, customer fields) are removed from
    items received longer ago than that, every day; None keeps them.
    `sensitive_elsewhere`: what broad channels show of an item a sensitive route restricted,
    a `stub` without its words or customer, or `nothing`."""

    patterns: list[str] = Field(default_factory=list, max_length=PATTERNS_MAX)
    show_full_text: bool = True
    retention_days: int | None = Field(None, ge=1, le=36_500)
    sensitive_elsewhere: Literal["stub", "nothing"] = "stub"

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, values: list[str]) -> list[str]:
        patterns = list(dict.fromkeys(v for v in values if v.strip()))
        for pattern in patterns:
            try:
                compile_pattern(pattern)
            except BadPattern as error:
                raise ValueError(str(error)) from None
        return patterns


class RepliesConfig(Strict):
    """Who may answer a customer from a card: whoever holds the item, or closed it
    (`claimer`), `anyone`, or `leads` only. Leads may always reply. With `approval`, a reply
    by anyone but a lead waits for a lead to approve (or edit) it before it is sent."""

    who: Literal["claimer", "anyone", "leads"] = "claimer"
    approval: bool = False
    # A reply on a closed item ends with a one-question satisfaction link, valid this many days.
    csat: bool = False
    csat_days: int = Field(14, ge=1, le=90)


SCHEMAS: dict[str, type[Strict]] = {
    "routes": RoutesConfig,
    "timeouts": TimeoutsConfig,
    "rota": RotaConfig,
    "webhooks": WebhooksConfig,
    "digest": DigestSettings,
    "customers": CustomersConfig,
    "privacy": PrivacyConfig,
    "replies": RepliesConfig,
}


def validate(key: str, value: Any) -> Strict:
    """The typed value of one configuration key, or Invalid naming every field at fault (one
    try shows them all, rather than one per try), the first as `field`."""
    schema = SCHEMAS.get(key)
    if schema is None:
        raise Invalid(f"unknown setting '{key}'; settings are {', '.join(SCHEMAS)}", "key")
    try:
        return schema.model_validate(value)
    except ValidationError as error:
        found = [(".".join(filter(None, (key, where))), what) for where, what in problems(error)]
        lines = [f"{where}: {what}" for where, what in found]
        if len(lines) > 1:
            lines = [f"{len(lines)} problems:", *(f"  {line}" for line in lines)]
        raise Invalid("\n".join(lines), found[0][0]) from None


def redact_secrets(value: Any) -> Any:
    """A copy with every `secret` field masked, for the audit trail and chat displays."""
    if isinstance(value, dict):
        return {k: "***" if k == "secret" else redact_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    return value
